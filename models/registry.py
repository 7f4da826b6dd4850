"""The architectures: one record per kind of network, and the one place that says what each needs.

Everything that differs between networks is decided here and looked up elsewhere, never branched on
by name: how to build one (and which checkpoint keys it takes), how it meets the frame contract
((T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out), which extra graphs ship beside its frame graph,
how it streams, whether temporal smoothing applies, how it is trained and how its card is written.
A new network is one module plus one entry in :data:`ARCHITECTURES`.

Code is named as ``"module:attribute"`` and imported on first use, so reading this table needs
neither torch nor onnxruntime.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import ConfigError


def resolve(ref: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names (imported now)."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def companion_path(frame_graph: Path, tag: str) -> Path:
    """Where an extra graph of the frame graph ``NAME.onnx`` lives: ``NAME.<tag>.onnx`` beside it."""
    return frame_graph.with_name(f"{frame_graph.stem}.{tag}.onnx")


@dataclass(frozen=True)
class Architecture:
    """One kind of network.

    Attributes:
        name: the architecture name kept in checkpoints (``ckpt["arch"]``).
        network: the ``nn.Module`` class; built with the checkpoint keys named in ``options``.
        options: checkpoint keys passed to the constructor (e.g. Zero-DCE++'s ``scale``).
        frame_model: wraps a network for the frame contract, ``cls(net, dtype)``.
        trainer: ``train(config) -> checkpoint dict``; ``train_config`` its frozen config class.
        card: ``render(weights, ckpt, psnr, ssim) -> str``, the model card's Markdown.
        companions: tags of the extra ONNX graphs written beside the frame graph
            (:func:`companion_path`) by ``export_companions(net, frame_graph)``.
        burst: frames the network reads (the burst buffer's length); 1 for single-frame models.
        smoothing: temporal smoothing of the output brightness applies (single-frame models on video).
        stream_graphs: ``(net, dtype) -> (encoder, pool, decoder)`` modules when each frame's features
            are computed once and kept in a ring, ``pool(ring, newest_slot)`` pools them per level (the
            companions ``encoder`` and ``decoder`` are the ONNX graphs of the two others; ONNX Runtime
            pools with :func:`models.runtime.burst_pool.pool`, the rule's ``consistency`` in the
            decoder graph's metadata, and finishes the decoder graph's ``prediction`` with
            :func:`models.runtime.burst_finish.finish`).
        curve_lut: the CPU lookup-table fast path applies (companion ``curves``: the curve estimator).
        max_pixels: frames with more pixels run at a smaller working size, their output scaled back up
            (:mod:`models.backends.resized`); ``None``: always at the frame's own size.
        half_weights: the shipped files store the weights in float16 (computed in float32): a wide
            network within the size budget of shipped weights.
        keeps_grey: a grey input frame comes out grey by construction (the curve models: one gain for
            all three channels); the output of a network that predicts each channel is made grey when
            its input is (:mod:`models.backends.grey`), unless it is a ``translation``.
        translation: the network paints what the input does not hold, colour included (night to day):
            a grey input frame may come out in colour.
        colour_from_input: the network predicts each channel and drifts in hue and saturation: its
            output takes the input's colour where the input holds it (:mod:`models.backends.coloured`).
        strength: ``"module:function"``, ``(H, W, 3) uint8 RGB -> float``: the share of its change the
            network applies to a frame, 1 dark (all of it), 0 exposed (none: the frame is handed back
            as it came in, :mod:`models.backends.exposed`); the burst model keeps that share of its
            prediction, the rest its input, so at a working size the input's detail is added back in
            the share left (:mod:`models.backends.resized`). A chain's is in its catalog entry
            (:attr:`models.catalog.Weights.exposure`).
    """

    name: str
    network: str
    trainer: str
    train_config: str
    card: str
    frame_model: str = "models.nets.frame:FrameModel"
    options: tuple[str, ...] = ()
    companions: tuple[str, ...] = ()
    export_companions: str | None = None
    burst: int = 1
    smoothing: bool = True
    stream_graphs: str | None = None
    curve_lut: bool = False
    max_pixels: int | None = None
    half_weights: bool = False
    keeps_grey: bool = False
    translation: bool = False
    colour_from_input: bool = False
    strength: str | None = None

    @property
    def streaming(self) -> bool:
        return self.stream_graphs is not None

    @property
    def temporal_denoise(self) -> bool:
        """The temporal denoiser (:mod:`models.runtime.temporal_denoise`) applies: a single-frame model
        that restores its input (a burst model fuses frames itself; a translation paints a new picture)."""
        return self.smoothing and not self.translation

    def build(self, **values: Any) -> Any:
        """An untrained network; ``values`` may hold any checkpoint keys, those in ``options`` are used."""
        return resolve(self.network)(**{k: values[k] for k in self.options if values.get(k) is not None})

    def companion_paths(self, frame_graph: Path) -> dict[str, Path]:
        return {tag: companion_path(frame_graph, tag) for tag in self.companions}


_CURVE_TRAINER = "models.training.curves"

ARCHITECTURES: dict[str, Architecture] = {
    "zero-dce": Architecture(
        name="zero-dce",
        network="models.nets.zero_dce:DCENet",
        options=("curve_rule",),
        trainer=f"{_CURVE_TRAINER}:train",
        train_config=f"{_CURVE_TRAINER}:TrainConfig",
        card="models.export.card:render_card",
        keeps_grey=True,
    ),
    "zero-dce++": Architecture(
        name="zero-dce++",
        network="models.nets.zero_dce:DCENetPP",
        options=("scale", "curve_rule"),
        trainer=f"{_CURVE_TRAINER}:train",
        train_config=f"{_CURVE_TRAINER}:TrainConfig",
        card="models.export.card:render_card",
        companions=("curves",),
        export_companions="models.export.onnx:export_curve_estimator",
        curve_lut=True,
        keeps_grey=True,
    ),
    "burst": Architecture(
        name="burst",
        network="models.nets.burst:BurstNet",
        frame_model="models.nets.burst:BurstFrameModel",
        trainer="models.training.burst:train_burst",
        train_config="models.training.burst:BurstTrainConfig",
        card="models.export.burst_card:render",
        companions=("encoder", "decoder"),
        export_companions="models.export.onnx:export_stream_graphs",
        burst=6,
        smoothing=False,
        max_pixels=640 * 360,
        stream_graphs="models.nets.burst:stream_graphs",
        colour_from_input=True,
        strength="models.runtime.tone:burst_strength",
    ),
    # CycleGAN's night->day generator. It learnt frames at a 180 px short side: on CPUs larger frames
    # run near that scale (640x360, 720p and 1080p at 480x270), which also bounds its cost.
    "night2day": Architecture(
        name="night2day",
        network="models.nets.cyclegan:ResnetGenerator",
        options=("ngf", "n_blocks"),
        frame_model="models.nets.cyclegan:GeneratorFrameModel",
        trainer="models.training.night2day:train",
        train_config="models.training.night2day:Night2DayConfig",
        card="models.export.night2day_card:render",
        max_pixels=480 * 270,
        half_weights=True,
        translation=True,
    ),
    # Issue 14, stage 1: the CycleGAN whose clean-to-degraded generator makes stage 2's training pairs
    # (trained, never shipped or streamed).
    "degrader": Architecture(
        name="degrader",
        network="models.nets.restorer:Degrader",
        options=("channels", "blocks", "noise"),
        trainer="models.training.degradation:train",
        train_config="models.training.degradation:DegradationConfig",
        card="models.export.restorer_card:render",
        smoothing=False,
    ),
    # Stage 2: removes what brightening revealed. Its cost grows with the pixel count: frames over
    # 640x400's pixel count (LOL's 600x400 runs as it is) run at a working size, 720p at 674x378.
    "restorer": Architecture(
        name="restorer",
        network="models.nets.restorer:Restorer",
        options=("generator", "channels", "blocks"),
        frame_model="models.nets.frame:FrameModel",  # net(x) -> (restored, features), as the curve nets
        trainer="models.training.restorer:train",
        train_config="models.training.restorer:RestorerConfig",
        card="models.export.restorer_card:render",
        max_pixels=640 * 400,
    ),
}


def get(name: str) -> Architecture:
    """The record of architecture ``name``; ``ConfigError`` naming the known ones otherwise."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ConfigError(f"unknown architecture {name!r}; choose one of: {', '.join(ARCHITECTURES)}") from None
