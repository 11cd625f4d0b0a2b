"""Golden data for ECA in the yolomods fixture format (safetensors, PyTorch layouts).

Run: python3 reference/make_fixture.py  (needs torch; Debian: apt-get install python3-torch)
Outputs are computed in float64 from float32 weights/inputs, then stored as float32.
"""
import json
import struct
from pathlib import Path

import torch
import torch.nn as nn


class ECA(nn.Module):
    """Efficient Channel Attention (Wang et al., CVPR 2020), as YOLOv8 tutorials use it."""

    def __init__(self, c1, k_size=3):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv = nn.Conv1d(1, 1, kernel_size=k_size, padding=(k_size - 1) // 2, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        y = self.avg_pool(x)
        y = self.conv(y.squeeze(-1).transpose(-1, -2)).transpose(-1, -2).unsqueeze(-1)
        return x * self.sigmoid(y).expand_as(x)


def write(path, tensors, meta):
    header, blobs, off = {"__metadata__": {"case": json.dumps(meta)}}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


torch.manual_seed(7)
m = ECA(16, 3)
with torch.no_grad():
    m.conv.weight.normal_(0, 1.0)
x = torch.randn(2, 16, 6, 10)
cot = torch.randn(2, 16, 6, 10)
m64, x64 = m.double(), x.double().requires_grad_(True)
y = m64(x64)
(y * cot.double()).sum().backward()
write(
    Path(__file__).parent.parent / "test/fixtures/eca_c16_k3.safetensors",
    {
        "weights.conv.weight": m.conv.weight,
        "input": x,
        "output": y,
        "cotangent": cot,
        "grad.input": x64.grad,
        "grad.weights.conv.weight": m64.conv.weight.grad,
    },
    {
        "module": "ECA",
        "ctor": "ECA(c1=16, k_size=3)",
        "mode": "eval",
        "tolerance": {"forward": {"atol": 1e-5, "rtol": 1e-4}, "grad": {"atol": 1e-4, "rtol": 1e-3}},
    },
)
