"""Export a network to ONNX with the frame contract every backend shares (:mod:`models.nets.frame`).

The exported frame graph takes ``frames`` (T, H, W, 3) uint8 RGB (T, H, W dynamic) and returns
``enhanced`` (H, W, 3) uint8 RGB: conversion to float, layout changes and rounding run inside the
graph, so backends hand frames over without touching pixels. The wrapper and the extra graphs
written beside it come from the network's architecture record (:mod:`models.registry`):

- Zero-DCE++: its curve estimator alone (:func:`export_curve_estimator`, ``NAME.curves.onnx``): the
  CPU fast path (:mod:`models.runtime.curve_lut`) pools the frame and applies the curves itself and
  only runs this small graph;
- the burst network: its streaming encoder and decoder (:func:`export_stream_graphs`,
  ``NAME.encoder.onnx`` and ``NAME.decoder.onnx``), one encoder pass per new frame.

Every file is written atomically (a temporary name, then ``os.replace``).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from models import registry
from models.errors import ModelError

log = logging.getLogger(__name__)

OPSET = 17


class CurveEstimator(nn.Module):
    """Zero-DCE++'s curve map at low resolution, without pooling or upsampling.

    ``forward(small)``: (N, 3, h, w) float32 RGB in [0, 1] (frames box-averaged by ``net.scale``; N
    frames of N videos at once) -> ``alphas`` (N, 3, h, w) float32 in [-1, 1].
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, small: Tensor) -> Tensor:
        from models.nets.zero_dce import dce_body

        return dce_body(self.net, small)


def frame_model(net: nn.Module, dtype: torch.dtype = torch.float32) -> nn.Module:
    """``net`` behind the frame contract: its architecture's wrapper (``dtype``: compute precision,
    float16 only on CUDA with ``net.half()``; exports use float32)."""
    return registry.resolve(registry.get(net.arch).frame_model)(net, dtype)


def export_onnx(net: nn.Module, out: Path, example_hw: tuple[int, int] = (360, 640)) -> Path:
    """Write ``net`` behind the frame contract (:func:`frame_model`) to ``out``, and the extra graphs
    of its architecture beside it (:attr:`models.registry.Architecture.companions`); returns ``out``."""
    arch = registry.get(net.arch)
    model = frame_model(net.eval()).eval()
    example = torch.zeros((arch.burst, *example_hw, 3), dtype=torch.uint8)
    _export(model, (example,), out, ["frames"], ["enhanced"],
            {"frames": {0: "burst", 1: "height", 2: "width"}, "enhanced": {0: "height", 1: "width"}},
            half_weights=arch.half_weights)
    if arch.export_companions is not None:
        registry.resolve(arch.export_companions)(net, out)
    return out


def export_curve_estimator(net: nn.Module, frame_graph: Path) -> Path:
    """Write Zero-DCE++'s :class:`CurveEstimator` alone beside ``frame_graph`` (``NAME.curves.onnx``);
    returns its path.

    The graph's metadata carries what the fast path must know about the rest of the network:
    ``scale`` (the pooling factor), ``iterations`` (how often the curve is applied) and
    ``curve_rule`` (how: per channel, or colour-true, :mod:`models.nets.tone`). The batch axis is
    dynamic, so one call can estimate the maps of several cameras' frames of one size
    (:class:`models.backends.Shareable`).
    """
    small = torch.zeros((1, 3, 30, 53))
    meta = {"scale": str(net.scale), "iterations": str(net.iterations), "curve_rule": net.curve_rule}
    return _export(CurveEstimator(net.eval()).eval(), (small,), registry.companion_path(frame_graph, "curves"),
                   ["small"], ["alphas"], {"small": {0: "batch", 2: "height", 3: "width"},
                                           "alphas": {0: "batch", 2: "height", 3: "width"}}, meta)


def export_stream_graphs(net: nn.Module, frame_graph: Path, example_hw: tuple[int, int] = (360, 640)) -> tuple[Path, Path]:
    """Write the burst network's streaming encoder and decoder beside ``frame_graph``
    (``NAME.encoder.onnx``, ``NAME.decoder.onnx``; :mod:`models.runtime.burst_ring` runs them);
    returns their paths."""
    arch = registry.get(net.arch)
    encoder, ring_pool, decoder = registry.resolve(arch.stream_graphs)(net)
    frame = torch.zeros((1, *example_hw, 3), dtype=torch.uint8)
    with torch.no_grad():
        feats = encoder(frame)
    levels = range(1, len(feats) + 1)
    hw = {2: "h", 3: "w"}
    enc_path = _export(encoder, (frame,), registry.companion_path(frame_graph, "encoder"), ["frame"],
                       [f"f{i}" for i in levels],
                       {"frame": {1: "height", 2: "width"}} | {f"f{i}": {k: f"{v}{i}" for k, v in hw.items()} for i in levels})
    # The pool runs outside the graph (models.runtime.burst_pool), with the rule's constant from here,
    # and so does the element-wise finish (models.runtime.burst_finish): the graph ends at the prediction.
    dec_path = _export(decoder.predictor(), (*feats, *feats), registry.companion_path(frame_graph, "decoder"),
                       [f"pooled{i}" for i in levels] + [f"new{i}" for i in levels], ["prediction"],
                       {f"{name}{i}": {k: f"{v}{i}" for k, v in hw.items()} for name in ("pooled", "new") for i in levels}
                       | {"prediction": {2: "h1", 3: "w1"}},
                       {"consistency": repr(float(ring_pool.consistency))})
    return enc_path, dec_path


def store_half_weights(proto) -> None:
    """Store the float32 weights of an ONNX model as float16, each cast back to float32 by a ``Cast``
    node at the start of the graph: half the file, the same float32 arithmetic (ONNX Runtime folds the
    casts when it loads the graph). Small tensors (<= 64 values) stay as they are."""
    from onnx import TensorProto, helper, numpy_helper

    graph = proto.graph
    casts, kept = [], []
    for init in graph.initializer:
        values = numpy_helper.to_array(init)
        if init.data_type != TensorProto.FLOAT or values.size <= 64:
            kept.append(init)
            continue
        half = numpy_helper.from_array(values.astype("float16"), f"{init.name}__f16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=f"{init.name}__cast"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = [*casts, *graph.node]
    del graph.node[:]
    graph.node.extend(nodes)


def _export(model: nn.Module, example: tuple[Tensor, ...], out: Path, input_names: list[str], output_names: list[str],
            dynamic_axes: dict, metadata: dict[str, str] | None = None, half_weights: bool = False) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    try:
        with warnings.catch_warnings():
            # Shape checks in the networks are static per export: the tracer's warnings are noise.
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            # Instance norm (night2day) always normalises by the frame's own statistics: train=True is right.
            warnings.filterwarnings("ignore", message=".*'instance_norm' is set to train=True.*")
            torch.onnx.export(
                model.eval(),
                example,
                str(tmp),
                input_names=input_names,
                output_names=output_names,
                dynamic_axes=dynamic_axes,
                opset_version=OPSET,
                dynamo=False,
            )
        if metadata or half_weights:
            import onnx

            proto = onnx.load(str(tmp))
            for key, value in (metadata or {}).items():
                entry = proto.metadata_props.add()
                entry.key, entry.value = key, value
            if half_weights:
                store_half_weights(proto)
            onnx.save(proto, str(tmp))
    except Exception as e:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"ONNX export failed: {e}") from e
    os.replace(tmp, out)
    log.info("wrote %s", out)
    return out
