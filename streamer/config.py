"""The settings of an ``enhance`` job, typed and frozen; each field is one CLI flag."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.runtime.temporal import SmoothingConfig
from streamer.errors import ConfigError
from streamer.sources import source_kind

MODES = ("auto", "file", "live")
# Temporal smoothing of single-frame models on video: weight of the past in the brightness average.
DEFAULT_SMOOTHING = SmoothingConfig().strength


@dataclass(frozen=True)
class EnhanceConfig:
    input: str
    output: Path
    model: str = "zero-dce++"
    backend: str = "auto"
    device: str = "auto"
    threads: int = 0
    exact: bool = False
    weights: Path | None = None
    mode: str = "auto"
    duration_s: float | None = None
    crf: int = 18
    preset: str = "veryfast"
    copy_audio: bool = True
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    reconnect: bool = True
    reconnect_max_delay_s: float = 10.0
    wait_for_source: bool = False
    # None: on (DEFAULT_SMOOTHING) for video, off for images; 0: off.
    smoothing: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"--mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.open_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise ConfigError("timeouts must be positive")
        if self.weights is not None and self.weights.suffix not in (".onnx", ".pt"):
            raise ConfigError(f"--weights takes a .onnx or .pt file, not {self.weights}")
        if self.smoothing is not None and not 0.0 <= self.smoothing < 1.0:
            raise ConfigError(f"--smoothing takes a strength from 0 (off) to below 1, not {self.smoothing}")

    def smoothing_strength(self, burst: int) -> float:
        """The temporal smoothing to run: off for burst models (they fuse frames themselves) unless
        asked for, and by default on for video, off for images."""
        if self.smoothing is not None:
            return self.smoothing
        if burst > 1 or source_kind(self.input) in ("image", "images"):
            return 0.0
        return DEFAULT_SMOOTHING

    def live(self, source_is_live: bool) -> bool:
        """Live mode unless the user forced one: sources that are live by nature run live."""
        return source_is_live if self.mode == "auto" else self.mode == "live"


def default_output(spec: str) -> Path:
    """Where ``streamer enhance SPEC`` writes when ``-o`` is not given."""
    kind = source_kind(spec)
    if kind == "demo":
        return Path("demo_enhanced.mp4")
    if kind in ("camera", "url"):
        return Path("capture_enhanced.mp4")
    p = Path(spec)
    if kind == "images":
        return p.with_name(p.name + "_enhanced")
    if kind == "image":
        return p.with_name(f"{p.stem}_enhanced{p.suffix}")
    return p.with_name(f"{p.stem}_enhanced.mp4")
