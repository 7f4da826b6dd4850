"""The shipped weights: one record per model name, with file names, checksum and provenance.

Each model ships two files in ``models/weights/``: a torch checkpoint (for the torch backend,
fine-tuning and re-export) and the ONNX graph exported from it by ``streamer export`` (what
ONNX Runtime and TensorRT run), plus the extra graphs its architecture names
(:attr:`models.registry.Architecture.companions`). The model card beside them says how they were
trained. What a network needs at run time (burst length, smoothing, streaming) is its
architecture's record, :attr:`Weights.architecture`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from models import registry
from models.errors import ConfigError, ModelError

if TYPE_CHECKING:
    import numpy as np

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class Weights:
    """One shipped model.

    Graph I/O (ONNX and torch alike): input ``frames`` (T, H, W, 3) uint8 RGB, oldest first,
    T = ``burst``; output ``enhanced`` (H, W, 3) uint8 RGB, the enhanced newest frame
    (:mod:`models.nets.frame`).
    """

    name: str
    arch: str
    checkpoint: str
    onnx: str
    card: str
    colour_order: str = "RGB"
    input_range: tuple[int, int] = (0, 255)
    summary: str = ""
    # Where its card's numbers come from: "lol" (the LOL validation pairs, benchmarks/eval_lol.py) or
    # "night2day" (held-out webcam views, benchmarks/eval_night2day.py).
    validated_on: str = "lol"
    # Shipped models run first, in order, each on the one before's output; this one's network runs last
    # (:mod:`models.backends.chained`). Every one is a single-frame model.
    chain: tuple[str, ...] = ()
    # A chain's share of its change per frame, as Architecture.strength ("module:function"): it applies
    # its later stages in its first stage's share (models.backends.chained).
    exposure: str | None = None

    def checkpoint_path(self) -> Path:
        return WEIGHTS_DIR / self.checkpoint

    def onnx_path(self) -> Path:
        return WEIGHTS_DIR / self.onnx

    def card_path(self) -> Path:
        return WEIGHTS_DIR / self.card

    def stages(self) -> tuple[Weights, ...]:
        """The models a frame goes through, in order: the ``chain``, then this one's own network."""
        return (*(get(name) for name in self.chain), replace(self, chain=()))

    def strength(self) -> Callable[[np.ndarray], float] | None:
        """The share of its change the model applies to a frame (a chain: its ``exposure``; one network:
        its architecture's :attr:`~models.registry.Architecture.strength`), or ``None``."""
        ref = self.exposure if self.chain else self.architecture.strength
        return registry.resolve(ref) if ref is not None else None

    @property
    def architecture(self) -> registry.Architecture:
        return registry.get(self.arch)

    @property
    def burst(self) -> int:
        """Frames the model reads, oldest first (1 for single-frame models)."""
        return self.architecture.burst

    def companion(self, tag: str) -> Path:
        """The extra graph ``tag`` of this model's architecture, beside the ONNX frame graph."""
        if tag not in self.architecture.companions:
            raise ModelError(f"{self.name} has no {tag} graph")
        return registry.companion_path(self.onnx_path(), tag)


CATALOG: dict[str, Weights] = {
    "zero-dce": Weights(
        name="zero-dce",
        arch="zero-dce",
        checkpoint="zero_dce.pt",
        onnx="zero_dce.onnx",
        card="zero_dce.md",
        summary="DCE-Net, 8 per-pixel curves at full resolution (79k parameters)",
    ),
    "zero-dce++": Weights(
        name="zero-dce++",
        arch="zero-dce++",
        checkpoint="zero_dce_pp.pt",
        onnx="zero_dce_pp.onnx",
        card="zero_dce_pp.md",
        summary="separable DCE-Net, one curve map at 1/12 scale (10k parameters), fastest",
    ),
    "burst": Weights(
        name="burst",
        arch="burst",
        checkpoint="burst.pt",
        onnx="burst.onnx",
        card="burst.md",
        summary="burst fusion of the last 6 frames: denoises and brightens (141k parameters)",
    ),
    "night2day": Weights(
        name="night2day",
        arch="night2day",
        checkpoint="night2day.pt",
        onnx="night2day.onnx",
        card="night2day.md",
        summary="CycleGAN night-to-day translation of street scenes: paints the night as day (0.7M parameters)",
        validated_on="night2day",
    ),
    "restorer": Weights(
        name="restorer",
        arch="restorer",
        checkpoint="restorer.pt",
        onnx="restorer.onnx",
        card="restorer.md",
        summary="removes the noise and compression of a dark frame that is already brightened (a small ResNet, 69k "
                "parameters, trained on CycleGAN-made real-noise pairs)",
    ),
    "zero-dce++-clean": Weights(
        name="zero-dce++-clean",
        arch="restorer",
        checkpoint="restorer.pt",
        onnx="restorer.onnx",
        card="zero_dce_pp_clean.md",
        chain=("zero-dce++",),
        exposure="models.runtime.tone:exposure_strength",  # the shipped zero-dce++'s, colour-true
        summary="zero-dce++, then the restorer: brightens, then removes the noise brightening revealed",
    ),
}


def validated_on(dataset: str) -> list[str]:
    """The models whose card quotes ``dataset``'s validation (``"lol"``, ``"night2day"``)."""
    return [name for name, w in CATALOG.items() if w.validated_on == dataset]


def get(name: str) -> Weights:
    """The record of a shipped model; ``ConfigError`` naming the known ones otherwise."""
    try:
        return CATALOG[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; choose one of: {', '.join(CATALOG)}") from None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ModelError(f"{what} not found at {path}; reinstall streamer or run 'streamer export'")
    return path
