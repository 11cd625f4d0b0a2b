"""PyTorch reference for bench/core.bench.mjs: YOLOv8n (ultralytics' architecture rebuilt from
plain torch modules, no ultralytics dependency) forward at 640/320 and a training step at
160 (batch 4) and 320 (batch 8): forward + mean-square loss of the raw maps + backward + SGD."""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True):
        super().__init__()
        self.cv1 = Conv(c1, c2, 3)
        self.cv2 = Conv(c2, c2, 3)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=False):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = Conv(c1, 2 * self.c)
        self.cv2 = Conv((2 + n) * self.c, c2)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c = c1 // 2
        self.cv1 = Conv(c1, c)
        self.cv2 = Conv(c * 4, c2)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        y.extend(self.m(y[-1]) for _ in range(3))
        return self.cv2(torch.cat(y, 1))


class Detect(nn.Module):
    def __init__(self, nc, ch, strides=(8, 16, 32)):
        super().__init__()
        self.nc, self.reg_max, self.strides = nc, 16, strides
        self.no = nc + 64
        c2, c3 = max(16, ch[0] // 4, 64), max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 64, 1)) for x in ch)
        self.cv3 = nn.ModuleList(nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, nc, 1)) for x in ch)
        self.register_buffer('proj', torch.arange(16, dtype=torch.float))

    def forward(self, xs):
        feats = [torch.cat((self.cv2[i](x), self.cv3[i](x)), 1) for i, x in enumerate(xs)]
        if self.training:
            return feats
        b = feats[0].shape[0]
        anchors, strides = [], []
        for f, s in zip(feats, self.strides):
            h, w = f.shape[2:]
            sy, sx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing='ij')
            anchors.append(torch.stack((sx, sy), -1).view(-1, 2))
            strides.append(torch.full((h * w, 1), float(s)))
        anchors, strides = torch.cat(anchors).T, torch.cat(strides).T
        x = torch.cat([f.view(b, self.no, -1) for f in feats], 2)
        box, cls = x.split((64, self.nc), 1)
        dist = (box.view(b, 4, 16, -1).transpose(2, 1).softmax(1) * self.proj.view(1, 16, 1, 1)).sum(1)
        lt, rb = dist.chunk(2, 1)
        x1y1, x2y2 = anchors - lt, anchors + rb
        dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * strides
        return torch.cat((dbox, cls.sigmoid()), 1), feats


class YOLOv8n(nn.Module):
    def __init__(self, nc=80):
        super().__init__()
        self.b = nn.ModuleList([Conv(3, 16, 3, 2), Conv(16, 32, 3, 2), C2f(32, 32, 1, True), Conv(32, 64, 3, 2), C2f(64, 64, 2, True),
                                Conv(64, 128, 3, 2), C2f(128, 128, 2, True), Conv(128, 256, 3, 2), C2f(256, 256, 1, True), SPPF(256, 256)])
        self.c12, self.c15 = C2f(384, 128), C2f(192, 64)
        self.d16, self.c18 = Conv(64, 64, 3, 2), C2f(192, 128)
        self.d19, self.c21 = Conv(128, 128, 3, 2), C2f(384, 256)
        self.detect = Detect(nc, (64, 128, 256))

    def forward(self, x):
        saved = {}
        for i, m in enumerate(self.b):
            x = m(x)
            saved[i] = x
        up = lambda t: F.interpolate(t, scale_factor=2, mode='nearest')
        p12 = self.c12(torch.cat((up(saved[9]), saved[6]), 1))
        p15 = self.c15(torch.cat((up(p12), saved[4]), 1))
        p18 = self.c18(torch.cat((self.d16(p15), p12), 1))
        p21 = self.c21(torch.cat((self.d19(p18), saved[9]), 1))
        return self.detect([p15, p18, p21])


class Decoded(nn.Module):
    """Eval-mode model returning only the decoded predictions (traceable)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)[0]


def timed(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--json', action='store_true')
    ap.add_argument('--only', choices=['fwd640', 'fwd320', 'train160', 'train320'], help='time this figure alone')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = YOLOv8n()
    # ultralytics counts DFL's fixed 16-weight conv as a parameter; here it is the `proj` buffer.
    params = sum(p.numel() for p in model.parameters()) + model.detect.proj.numel()
    assert params == 3157200, f'YOLOv8n should have 3,157,200 parameters, this one has {params}'
    out = {'version': torch.__version__, 'threads': torch.get_num_threads(), 'params': params}
    model.eval()
    with torch.no_grad():
        for s in (640, 320):
            if a.only and a.only != f'fwd{s}':
                continue
            x = torch.rand(1, 3, s, s)
            eager = timed(lambda: model(x), 2, 5)
            # Debian's torch (no MKL) runs eager 1x1 convs on a slow BLAS path; the frozen, oneDNN-
            # optimised graph is the stronger reference, so the faster of the two is reported.
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(Decoded(model).eval(), x)))
            out[f'fwd{s}_eager'], out[f'fwd{s}_frozen'] = eager, timed(lambda: frozen(x), 2, 5)
            out[f'fwd{s}'] = min(eager, out[f'fwd{s}_frozen'])
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    for s, b in ((160, 4), (320, 8)):
        if a.only and a.only != f'train{s}':
            continue
        x = torch.rand(b, 3, s, s)

        def step():
            opt.zero_grad()
            loss = sum((f ** 2).mean() for f in model(x))
            loss.backward()
            opt.step()

        out[f'train{s}'] = timed(step, 1, 3)
    if a.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f'{k:10} {v:.1f}' if isinstance(v, float) else f'{k:10} {v}')


if __name__ == '__main__':
    main()
