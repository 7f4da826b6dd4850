"""The frame contract every network meets: uint8 frames in, one uint8 frame out.

Graph I/O (torch and ONNX alike): ``frames`` (T, H, W, 3) uint8 RGB, oldest first, and ``enhanced``
(H, W, 3) uint8 RGB, the enhanced newest frame. Conversions run inside the graph, so backends hand
frames over without touching pixels. :func:`to_float` and :func:`to_uint8` are the two conversions,
written once for every wrapper (:class:`FrameModel` here, the burst network's in :mod:`models.nets.burst`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def to_float(frames: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """(T, H, W, 3) uint8 RGB -> (T, 3, H, W) ``dtype`` in [0, 1]."""
    return frames.permute(0, 3, 1, 2).to(dtype) * (1.0 / 255.0)


def to_uint8(y: Tensor) -> Tensor:
    """(1, 3, H, W) float RGB (any range) -> (H, W, 3) uint8 RGB, clamped to [0, 1] and rounded half up.

    +0.5 then the truncating cast is round-half-up, identically in torch and ONNX.
    """
    return (y[0].clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0)


class FrameModel(nn.Module):
    """A curve network (``net(x) -> (enhanced, alphas)``) behind the frame contract.

    ``forward(frames)``: (T, H, W, 3) uint8 RGB -> (H, W, 3) uint8 RGB, enhancing the newest frame.
    ``dtype`` is the compute precision (float16 only on CUDA, with ``net.half()``; exports use float32).
    """

    def __init__(self, net: nn.Module, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.net = net
        self.dtype = dtype

    def forward(self, frames: Tensor) -> Tensor:
        y, _ = self.net(to_float(frames[-1:], self.dtype))
        return to_uint8(y)


class BatchFrameModel(nn.Module):
    """A single-frame curve network with a batch axis, for servers that batch frames of many videos
    (Triton's dynamic batching, :mod:`models.export.triton`).

    ``forward(frames)``: (N, H, W, 3) uint8 RGB, N unrelated frames -> (N, H, W, 3) uint8 RGB, each
    enhanced on its own (the networks reduce only over a frame's own pixels). Rounded as :func:`to_uint8`.
    """

    def __init__(self, net: nn.Module, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.net = net
        self.dtype = dtype

    def forward(self, frames: Tensor) -> Tensor:
        y, _ = self.net(to_float(frames, self.dtype))
        return (y.clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8).permute(0, 2, 3, 1)
