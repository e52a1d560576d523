import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows } from './bitmap-font';

/** An RGB colour, each channel 0–255. */
export type Rgb = readonly [number, number, number];

/**
 * A minimal RGB drawing surface: rectangles and bitmap text are all a phase chart
 * needs, and keeping it here keeps the chart pure and testable pixel by pixel.
 */
export class Raster {
  /** Row-major RGB, 3 bytes per pixel. */
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Clipped to the surface: callers place by time and may fall off an edge. */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * this.width + xx) * 3;
        this.pixels[i] = c[0];
        this.pixels[i + 1] = c[1];
        this.pixels[i + 2] = c[2];
      }
    }
  }

  pixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.pixels[i] ?? 0, this.pixels[i + 1] ?? 0, this.pixels[i + 2] ?? 0];
  }

  /** Draws `text` with its top-left corner at (x, y); returns the width drawn. */
  text(x: number, y: number, text: string, c: Rgb, scale = 2): number {
    let cx = x;
    for (const ch of text) {
      const rows = glyphRows(ch);
      rows.forEach((bits, row) => {
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (bits & (1 << (GLYPH_WIDTH - 1 - col))) this.fillRect(cx + col * scale, y + row * scale, scale, scale, c);
        }
      });
      cx += (GLYPH_WIDTH + 1) * scale;
    }
    return cx - x;
  }
}

/** Width in pixels of `text` drawn at `scale`. */
export function textWidth(text: string, scale = 2): number {
  return [...text].length * (GLYPH_WIDTH + 1) * scale;
}

export const TEXT_HEIGHT = GLYPH_HEIGHT;
