"""The burst network's finish on the CPU, after its streaming decoder graph.

:meth:`models.nets.burst.BurstNet.finish` is the rule (pixel shuffle to full resolution, the
highlight shoulder, the move back towards the frame as its exposure strength falls, uint8); as
about twenty element-wise ONNX passes it took a third of the decoder graph's time (6 of 18 ms a
640x360 frame on 2 cores). :func:`finish` runs the same float32 arithmetic as one C loop
(``_finish.c``, built with the package) in bands of rows, one per core
(:mod:`models.runtime.parallel`); the decoder graph ends at the prediction
(:class:`models.nets.burst.PredictorGraph`).
"""

from __future__ import annotations

import numpy as np

from models.errors import ConfigError
from models.runtime.parallel import run_bands
from models.runtime.tone import BURST_SHOULDER, burst_strength


def finish(prediction: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """``prediction`` (1, 12, h1, w1) float32, the decoder graph's output; ``frame`` (H, W, 3) uint8 RGB,
    the newest frame, with ``h1 >= ceil(H / 2)`` and ``w1 >= ceil(W / 2)`` -> the enhanced frame,
    (H, W, 3) uint8 RGB."""
    from models.runtime import _finish

    height, width = frame.shape[:2]
    if prediction.ndim != 4 or prediction.shape[:2] != (1, 12) or frame.ndim != 3 or frame.shape[2] != 3:
        raise ConfigError(f"the burst finish needs a (1, 12, h, w) prediction and an (H, W, 3) frame, "
                          f"not {prediction.shape} and {frame.shape}")
    h1, w1 = prediction.shape[2:]
    if h1 < (height + 1) // 2 or w1 < (width + 1) // 2:
        raise ConfigError(f"a prediction of {w1}x{h1} is too small for a {width}x{height} frame")
    prediction = np.ascontiguousarray(prediction, np.float32)
    frame = np.ascontiguousarray(frame)
    strength = burst_strength(frame)
    out = np.empty_like(frame)
    run_bands(lambda begin, end: _finish.run(prediction, frame, out, height, width, h1, w1, BURST_SHOULDER,
                                             strength, begin, end), height, width)
    return out
