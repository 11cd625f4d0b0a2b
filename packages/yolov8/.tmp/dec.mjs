import sharp from 'sharp';
import { readdirSync, writeFileSync } from 'node:fs';
const dir = process.argv[2];
for (const f of readdirSync(dir)) {
  const { data, info } = await sharp(`${dir}/${f}`, { ignoreIcc: true }).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  writeFileSync(`/tmp/rz/${f}.rgb`, data); console.log(f, info.width, info.height);
}
