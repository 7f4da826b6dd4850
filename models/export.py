"""Export a network to ONNX with the frame-level I/O every backend shares.

The exported graph takes ``frames`` (T, H, W, 3) uint8 RGB (T, H, W dynamic) and returns
``enhanced`` (H, W, 3) uint8 RGB: conversion to float, layout changes and rounding run inside
the graph, so backends hand frames over without touching pixels.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from models.errors import ModelError

log = logging.getLogger(__name__)

OPSET = 17


class FrameModel(nn.Module):
    """Wrap a curve network for uint8 frames.

    ``forward(frames)``: (T, H, W, 3) uint8 RGB -> (H, W, 3) uint8 RGB, enhancing the newest frame.
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, frames: Tensor) -> Tensor:
        x = frames[-1:].permute(0, 3, 1, 2).float() * (1.0 / 255.0)
        y, _ = self.net(x)
        # +0.5 then truncating cast == round-half-up, identically in torch and ONNX.
        return (y[0].clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0)


def frame_model(net: nn.Module) -> nn.Module:
    """``net`` behind the frame-level interface: the burst network has its own wrapper (it reads
    every frame of the burst), curve networks use :class:`FrameModel`."""
    if getattr(net, "arch", None) == "burst":
        from models.burst import BurstFrameModel

        return BurstFrameModel(net)
    return FrameModel(net)


def export_onnx(net: nn.Module, out: Path, example_hw: tuple[int, int] = (360, 640), burst: int = 1) -> Path:
    """Write ``net`` behind the frame interface (:func:`frame_model`) to ``out`` (atomically);
    returns ``out``. ``burst`` is the example's frame count (the graph accepts any)."""
    model = frame_model(net.eval()).eval()
    example = torch.zeros((burst, *example_hw, 3), dtype=torch.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    try:
        with warnings.catch_warnings():
            # Shape checks in the networks are static per export: the tracer's warnings are noise.
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            torch.onnx.export(
                model,
                (example,),
                str(tmp),
                input_names=["frames"],
                output_names=["enhanced"],
                dynamic_axes={"frames": {0: "burst", 1: "height", 2: "width"}, "enhanced": {0: "height", 1: "width"}},
                opset_version=OPSET,
                dynamo=False,
            )
    except Exception as e:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"ONNX export failed: {e}") from e
    os.replace(tmp, out)
    log.info("wrote %s", out)
    return out
