import { PNG } from 'pngjs';
import type { Raster } from '../domain/reports/raster';

/** Encodes a raster as an RGB PNG (no alpha: charts are opaque, which keeps files small). */
export function encodePng(img: Raster): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9 });
}
