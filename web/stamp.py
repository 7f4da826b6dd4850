"""A capture-time code drawn into a frame's corner, so a browser can measure display latency.

Only ``streamer serve --stamp-frames`` draws it (for ``benchmarks/bench_web.py``). The code is
32 blocks of 8x8 pixels in the top-left row, black for 0 and white for 1, most significant bit
first: the wall-clock capture time in milliseconds modulo 2**32. Blocks are aligned to JPEG's
8x8 grid, so they survive compression. ``DECODE_JS`` reads it back from an ``<img>``.
"""

from __future__ import annotations

import numpy as np

BITS = 32
BLOCK = 8


def stamp(rgb: np.ndarray, wall_ms: int) -> np.ndarray:
    """A copy of ``rgb`` ((H, W, 3) uint8, W >= 256) with ``wall_ms % 2**32`` drawn in."""
    out = rgb.copy()
    value = wall_ms % (1 << BITS)
    for i in range(BITS):
        bit = (value >> (BITS - 1 - i)) & 1
        out[:BLOCK, i * BLOCK : (i + 1) * BLOCK] = 255 if bit else 0
    return out


# (img) -> capture time in ms modulo 2**32, or null when the image is not loaded yet.
DECODE_JS = f"""
(img) => {{
  if (!img || !img.complete || !img.naturalWidth) return null;
  const c = document.createElement('canvas');
  c.width = {BITS * BLOCK}; c.height = {BLOCK};
  const g = c.getContext('2d', {{willReadFrequently: true}});
  g.drawImage(img, 0, 0, {BITS * BLOCK}, {BLOCK}, 0, 0, {BITS * BLOCK}, {BLOCK});
  const d = g.getImageData(0, 0, {BITS * BLOCK}, {BLOCK}).data;
  let v = 0;
  for (let i = 0; i < {BITS}; i++) {{
    const p = (4 * {BLOCK} * {BITS} + i * {BLOCK} + 4) * 4;  // pixel (x = 8i + 4, y = 4)
    v = v * 2 + (d[p] > 127 ? 1 : 0);
  }}
  return v;
}}
"""
