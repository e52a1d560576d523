import { inflateSync } from 'node:zlib';
import { Raster } from '../../../src/domain/reports/raster';
import { encodePng } from '../../../src/reports/png-encoder';

/** Reads a PNG by hand (chunks, CRCs, IHDR, IDAT) so the check does not trust the encoder's own library. */
function readPng(buf: Buffer): { width: number; height: number; colorType: number; rows: Buffer[] } {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = (crcTable[(c ^ x) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  for (;;) {
    const len = buf.readUInt32BE(off);
    const type = buf.subarray(off + 4, off + 8).toString('latin1');
    const data = buf.subarray(off + 8, off + 8 + len);
    expect(buf.readUInt32BE(off + 8 + len)).toBe(crc(buf.subarray(off + 4, off + 8 + len)));
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      colorType = data[9] as number;
    }
    if (type === 'IDAT') idat.push(Buffer.from(data));
    off += 12 + len;
    if (type === 'IEND') break;
  }
  expect(off).toBe(buf.length);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3 + 1;
  const rows: Buffer[] = [];
  let prev = Buffer.alloc(width * 3);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * stride] as number;
    const line = Buffer.from(raw.subarray(y * stride + 1, (y + 1) * stride));
    for (let i = 0; i < line.length; i++) {
      const a = i >= 3 ? (line[i - 3] as number) : 0;
      const b = prev[i] as number;
      const c = i >= 3 ? (prev[i - 3] as number) : 0;
      const p = a + b - c;
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      line[i] = ((line[i] as number) + pred) & 0xff;
    }
    rows.push(line);
    prev = line;
  }
  return { width, height, colorType, rows };
}

describe('encodePng', () => {
  it('writes a valid RGB PNG whose pixels are the raster’s', () => {
    const r = new Raster(40, 20, [255, 255, 255]);
    r.fillRect(5, 5, 10, 10, [214, 64, 64]);
    r.text(20, 2, 'A1', [0, 0, 0], 1);
    const png = readPng(encodePng(r));
    expect([png.width, png.height, png.colorType]).toEqual([40, 20, 2]);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) expect([...png.rows[y]!.subarray(x * 3, x * 3 + 3)]).toEqual([...r.pixel(x, y)]);
    expect([...png.rows[7]!.subarray(7 * 3, 7 * 3 + 3)]).toEqual([214, 64, 64]);
  });
});
