"""Export a network to ONNX with the frame-level I/O every backend shares.

The exported graph takes ``frames`` (T, H, W, 3) uint8 RGB (T, H, W dynamic) and returns
``enhanced`` (H, W, 3) uint8 RGB: conversion to float, layout changes and rounding run inside
the graph, so backends hand frames over without touching pixels.

Zero-DCE++ also exports its curve estimator alone (:func:`export_curve_estimator`, written beside
the frame graph as ``NAME.curves.onnx``): the CPU fast path (:mod:`models.curve_lut`) pools the
frame and applies the curves itself and only runs this small graph.
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
    ``dtype`` is the compute precision (float16 only on CUDA, with ``net.half()``; exports use float32).
    """

    def __init__(self, net: nn.Module, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.net = net
        self.dtype = dtype

    def forward(self, frames: Tensor) -> Tensor:
        x = frames[-1:].permute(0, 3, 1, 2).to(self.dtype) * (1.0 / 255.0)
        y, _ = self.net(x)
        # +0.5 then truncating cast == round-half-up, identically in torch and ONNX.
        return (y[0].clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0)


class CurveEstimator(nn.Module):
    """Zero-DCE++'s curve map at low resolution, without pooling or upsampling.

    ``forward(small)``: (1, 3, h, w) float32 RGB in [0, 1] (the frame box-averaged by ``net.scale``)
    -> ``alphas`` (1, 3, h, w) float32 in [-1, 1].
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, small: Tensor) -> Tensor:
        from models.zero_dce import dce_body

        return dce_body(self.net, small)


def curves_path(onnx_path: Path) -> Path:
    """Where the curve estimator of the frame graph ``onnx_path`` lives: ``NAME.curves.onnx`` beside it."""
    return onnx_path.with_name(f"{onnx_path.stem}.curves.onnx")


def frame_model(net: nn.Module, dtype: torch.dtype = torch.float32) -> nn.Module:
    """``net`` behind the frame-level interface: the burst network has its own wrapper (it reads
    every frame of the burst), curve networks use :class:`FrameModel`. ``dtype`` as in FrameModel."""
    if getattr(net, "arch", None) == "burst":
        from models.burst import BurstFrameModel

        return BurstFrameModel(net, dtype)
    return FrameModel(net, dtype)


def export_onnx(net: nn.Module, out: Path, example_hw: tuple[int, int] = (360, 640), burst: int = 1) -> Path:
    """Write ``net`` behind the frame interface (:func:`frame_model`) to ``out`` (atomically); returns ``out``.

    ``burst`` is the example's frame count (the graph accepts any). For Zero-DCE++ the curve
    estimator is written too, to :func:`curves_path` of ``out``.
    """
    model = frame_model(net.eval()).eval()
    example = torch.zeros((burst, *example_hw, 3), dtype=torch.uint8)
    _export(model, example, out, {"frames": {0: "burst", 1: "height", 2: "width"}, "enhanced": {0: "height", 1: "width"}},
            "frames", "enhanced")
    if getattr(net, "arch", None) == "zero-dce++":
        export_curve_estimator(net, curves_path(out))
    return out


def export_curve_estimator(net: nn.Module, out: Path) -> Path:
    """Write Zero-DCE++'s :class:`CurveEstimator` alone to ``out`` (atomically); returns ``out``.

    The graph's metadata carries what the fast path must know about the rest of the network:
    ``scale`` (the pooling factor) and ``iterations`` (how often the curve is applied).
    """
    small = torch.zeros((1, 3, 30, 53))
    meta = {"scale": str(net.scale), "iterations": str(net.iterations)}
    return _export(CurveEstimator(net.eval()).eval(), small, out,
                   {"small": {2: "height", 3: "width"}, "alphas": {2: "height", 3: "width"}}, "small", "alphas", meta)


def _export(model: nn.Module, example: Tensor, out: Path, dynamic_axes: dict, input_name: str, output_name: str,
            metadata: dict[str, str] | None = None) -> Path:
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
                input_names=[input_name],
                output_names=[output_name],
                dynamic_axes=dynamic_axes,
                opset_version=OPSET,
                dynamo=False,
            )
        if metadata:
            import onnx

            proto = onnx.load(str(tmp))
            for key, value in metadata.items():
                entry = proto.metadata_props.add()
                entry.key, entry.value = key, value
            onnx.save(proto, str(tmp))
    except Exception as e:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"ONNX export failed: {e}") from e
    os.replace(tmp, out)
    log.info("wrote %s", out)
    return out
