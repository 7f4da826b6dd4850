"""One ``enhance`` job: open source, model and sink, run the pipeline, report."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from models import backends, catalog
from models.runtime.colour import ColourConfig
from models.runtime.deblock import DeblockConfig
from models.runtime.gate import GateConfig
from models.runtime.temporal import SmoothingConfig
from models.runtime.temporal_denoise import TemporalDenoiseConfig
from streamer.codecs import pick_encoder
from streamer.config import EnhanceConfig
from streamer.counts import count
from streamer.errors import ConfigError
from streamer.pipeline import Pipeline, PipelineConfig, RunStats
from streamer.progress import Progress
from streamer.sinks import SinkOptions, check_output, open_sink
from streamer.sources import ReconnectPolicy, SourceOptions, input_files, open_source
from streamer.sources.pacer import Paced
from streamer.urls import mask_credentials

log = logging.getLogger(__name__)

# ``streamer enhance demo`` without --duration: this many seconds of the scene.
DEMO_SECONDS = SourceOptions().demo_duration_s


def resolve_weights(cfg: EnhanceConfig) -> tuple[catalog.Weights, str]:
    """The weights record to run and the backend name, honouring ``--weights``."""
    weights = catalog.get(cfg.model)
    backend = cfg.backend
    if cfg.weights is not None:
        if not cfg.weights.is_file():
            raise ConfigError(f"--weights file not found: {cfg.weights}")
        path = cfg.weights.resolve()
        if path.suffix == ".pt":
            # A torch checkpoint runs on torch; ``auto`` must not fall back to the shipped ONNX.
            if backend not in ("auto", "torch"):
                raise ConfigError(f"a .pt checkpoint runs on the torch backend, not {backend}; export it to ONNX first")
            backend = "torch"
            weights = dataclasses.replace(weights, checkpoint=str(path))
        else:
            weights = dataclasses.replace(weights, onnx=str(path))
    return weights, backend


def source_options(cfg: EnhanceConfig) -> SourceOptions:
    """How the job's source is opened. ``--duration`` itself is the pipeline's deadline; the demo scene
    is only made long enough for it (a clip of that length)."""
    return SourceOptions(
        open_timeout_s=cfg.open_timeout_s,
        read_timeout_s=cfg.read_timeout_s,
        demo_duration_s=cfg.duration_s or DEMO_SECONDS,
        reconnect=ReconnectPolicy(enabled=cfg.reconnect, max_delay_s=cfg.reconnect_max_delay_s,
                                  wait_for_source=cfg.wait_for_source, probe_interval_s=cfg.reconnect_probe_interval_s),
    )


def run_enhance(cfg: EnhanceConfig, show_progress: bool = True,
                on_progress: Callable[[int, int | None], None] | None = None) -> RunStats:
    """Run one job; ``on_progress(frames_done, total_or_None)`` is called after each written frame.

    An output that is the input, or would be read back by a re-run, is refused (``SinkError``)
    before the source is read or the model loaded; an existing output that is not the input is
    overwritten, and the start-up line says so.
    """
    overwriting = check_output(cfg.output, input_files(cfg.input, cfg.kind))
    weights, backend_name = resolve_weights(cfg)
    strength = cfg.smoothing_strength(weights.architecture.smoothing)
    live = cfg.live
    options = source_options(cfg)
    source = open_source(cfg.input, options, cfg.kind)
    if cfg.paced:
        source = Paced(source)
    backend = None
    try:
        info = source.info
        # The night gate's fade is measured in the video's own time: it needs the frame rate.
        backend = backends.open_backend(backend_name, weights, backends.BackendOptions(
            device=cfg.device, threads=cfg.threads, exact=cfg.exact, url=cfg.triton_url,
            smoothing=SmoothingConfig(strength=strength) if strength else None,
            gate=GateConfig() if cfg.gate else None, deblock=DeblockConfig() if cfg.deblock else None,
            denoise=TemporalDenoiseConfig() if cfg.temporal_denoise else None,
            colour=ColourConfig() if cfg.input_colour else None, frame_interval_s=1.0 / info.fps if info.fps > 0 else 1.0 / 30.0))
        # NVENC when the model runs on an NVIDIA GPU and NVENC really opens here; libx264 otherwise.
        # A published stream reconnects to its server as the sources do to theirs.
        sink_options = SinkOptions(crf=cfg.crf, preset=cfg.preset, copy_audio=cfg.copy_audio,
                                   encoder=pick_encoder(prefer_gpu=backend.device == "cuda"), low_latency=live,
                                   open_timeout_s=cfg.open_timeout_s, reconnect=options.reconnect)
        sink = open_sink(cfg.output, info, sink_options)
        # Said only for a network that can take its colour from the input (the curve models keep it anyway).
        colour = (f", colour from the input {'on' if cfg.input_colour else 'off'}"
                  if weights.architecture.colour_from_input else "")
        # Said only for the models it applies to (single-frame models that restore their input).
        denoise = (f", temporal denoising {'on' if cfg.temporal_denoise else 'off'}"
                   if weights.architecture.temporal_denoise else "")
        log.info(
            "%s (%dx%d, %s mode) -> %s%s with %s on %s/%s, temporal smoothing %s%s, deblocking %s%s, night gate %s",
            info.description, info.width, info.height, "live" if live else "file", "overwriting " if overwriting else "",
            mask_credentials(cfg.output), weights.name, backend.name, backend.device,
            f"{strength:g}" if strength else "off", denoise, "on" if cfg.deblock else "off", colour,
            "on" if cfg.gate else "off",
        )
        total = info.frame_count
        if total and cfg.duration_s and not live:
            total = min(total, round(cfg.duration_s * info.fps))
        progress = Progress(total if not live else None, enabled=None if show_progress else False)
        pipeline = Pipeline(
            source, backend, sink, PipelineConfig(live=live, duration_s=cfg.duration_s),
            on_frame=lambda s: _report(progress, on_progress, s, total if not live else None),
        )
        try:
            stats = pipeline.run()
        finally:
            progress.finish()
    finally:
        source.close()
        if backend is not None:
            backend.close()
    p50, p95 = stats.latency_percentile(50), stats.latency_percentile(95)
    latency = f", added latency p50 {p50:.0f} ms / p95 {p95:.0f} ms" if live and p50 is not None else ""
    dropped = f", {stats.dropped} dropped to keep up" if live else ""
    verb = "interrupted after" if stats.interrupted else "wrote"
    log.info("%s %s to %s in %.1f s (%.1f fps%s%s)", verb, count(stats.frames_written, "frame"), mask_credentials(sink.address),
             stats.elapsed_s, stats.fps, dropped, latency)
    return stats


def _report(progress: Progress, on_progress: Callable[[int, int | None], None] | None, stats: RunStats,
            total: int | None) -> None:
    progress.update(stats.frames_written, stats.dropped)
    if on_progress is not None:
        on_progress(stats.frames_written, total)
