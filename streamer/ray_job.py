"""``streamer enhance DIR -o OUT --ray [ADDRESS]``: the videos of a folder spread over a Ray cluster.

Each video is one Ray task that runs the ordinary file job (:func:`streamer.jobs.run_enhance`) on
it, so each output keeps every guarantee of ``streamer enhance FILE -o OUT/FILE``: every frame and
timestamp, the audio, written under a partial name and renamed when done, never over its input.
A file that fails is reported with its one-line reason and the others go on; the exit code is 1
when any failed. The folder and the output folder must be at the same path on every node (a
shared mount), and streamer installed there. ``ray`` is imported only here, when the job starts.

Without an address, a local Ray instance is started for the job (``ray.init(address="local")``);
``--ray auto`` joins the cluster this machine belongs to, ``--ray ray://HEAD:10001`` a remote one.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import TextIO

from models.imagefiles import numeric_key
from streamer.config import EnhanceConfig
from streamer.counts import count
from streamer.errors import BackendError, ConfigError, SinkError, SourceError, StreamerError
from streamer.frame import InputFiles
from streamer.progress import Progress
from streamer.sinks import VIDEO_SUFFIXES
from streamer.sinks.files import check_not_input
from streamer.urls import mask_credentials

log = logging.getLogger(__name__)

# What a folder's videos are: the containers FFmpeg reads that cameras and phones write.
VIDEO_INPUT_SUFFIXES = VIDEO_SUFFIXES | frozenset({".avi", ".ts", ".mts", ".m2ts", ".webm", ".flv", ".wmv", ".mpg",
                                                   ".mpeg", ".3gp", ".h264", ".h265", ".hevc"})
# How often a task reports its frame count to the driver's bar.
REPORT_PERIOD_S = 0.25


@dataclasses.dataclass(frozen=True)
class FileResult:
    """What one task did: ``error`` is its one-line reason when it failed."""

    input: str
    output: str
    frames: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False
    error: str | None = None


def video_files(folder: Path) -> list[Path]:
    """The videos directly inside ``folder`` (by suffix, hidden files left out), numerically sorted."""
    try:
        return sorted((p for p in folder.iterdir() if p.suffix.lower() in VIDEO_INPUT_SUFFIXES
                       and not p.name.startswith(".") and p.is_file()), key=numeric_key)
    except OSError as e:
        raise SourceError(f"cannot read folder {folder}: {e.strerror}") from e


def output_name(video: Path) -> str:
    """The output's file name: the input's, with ``.mp4`` for containers the H.264 sink does not write."""
    return video.name if video.suffix.lower() in VIDEO_SUFFIXES else f"{video.stem}.mp4"


def plan(cfg: EnhanceConfig) -> list[tuple[Path, Path]]:
    """(input video, output file) for each video of the folder ``cfg.input``, checked before any work:
    an output folder that is or is inside the input folder, and two inputs with one output name, are refused.
    Paths are absolute: a task's working folder is not the driver's."""
    folder, out = Path(os.path.abspath(cfg.input)), Path(os.path.abspath(cfg.output))
    videos = video_files(folder)
    if not videos:
        raise SourceError(f"no videos in folder {folder} (looked for {', '.join(sorted(VIDEO_INPUT_SUFFIXES))})")
    check_not_input(out, [], InputFiles(files=tuple(videos), folder=folder))
    seen: dict[str, Path] = {}
    for video in videos:
        other = seen.setdefault(output_name(video), video)
        if other is not video:
            raise ConfigError(f"{other.name} and {video.name} would both be written to {out / output_name(video)}; "
                              "rename one of them")
    return [(video, out / output_name(video)) for video in videos]


def enhance_one(fields: dict, tally) -> FileResult:
    """One video, in a Ray worker: ``fields`` are the job's :class:`EnhanceConfig` fields for that file;
    ``tally`` is the driver's frame counter (a Ray actor)."""
    from streamer.jobs import run_enhance

    cfg = EnhanceConfig(**fields)
    last = [0.0]

    def report(done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] >= REPORT_PERIOD_S:
            last[0] = now
            tally.update.remote(cfg.input, done)

    try:
        stats = run_enhance(cfg, show_progress=False, on_progress=report)
    except StreamerError as e:
        return FileResult(cfg.input, cfg.output, error=mask_credentials(str(e)))
    except Exception as e:  # one line per file, whatever went wrong in it; the other files go on
        return FileResult(cfg.input, cfg.output, error=f"internal error: {type(e).__name__}: {e}")
    tally.update.remote(cfg.input, stats.frames_written)
    return FileResult(cfg.input, cfg.output, stats.frames_written, stats.elapsed_s, stats.interrupted)


class Tally:
    """Frames written so far per file, for the driver's progress bar (a Ray actor)."""

    def __init__(self) -> None:
        self.frames: dict[str, int] = {}

    def update(self, name: str, done: int) -> None:
        self.frames[name] = done

    def total(self) -> int:
        return sum(self.frames.values())


class FilesProgress(Progress):
    """``[#####.......]  2/5 files  340 frames  41.0 fps  1 failed``: files done (the bar) and frames written."""

    def __init__(self, files: int, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        super().__init__(files, **({"stream": stream} if stream is not None else {}), enabled=enabled)
        self.frames = 0
        self.failed = 0

    def line(self, done: int, dropped: int = 0) -> str:
        elapsed = time.monotonic() - self._start
        fps = self.frames / elapsed if elapsed > 0 else 0.0
        filled = int(min(done / self.total, 1.0) * 24) if self.total else 0
        failed = f"  {self.failed} failed" if self.failed else ""
        return (f"[{'#' * filled}{'.' * (24 - filled)}]  {done}/{self.total} files  {count(self.frames, 'frame')}  "
                f"{fps:5.1f} fps{failed}")

    def clear(self) -> None:
        """Wipe the bar's line, so that a log line can take it; the next update draws the bar again."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._last = 0.0


def _file_fields(cfg: EnhanceConfig, video: Path, output: Path) -> dict:
    values = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.init}
    return values | {"input": str(video), "output": str(output), "ray": False, "ray_address": None}


def _start(address: str | None):
    try:
        import ray
    except ImportError as e:
        raise ConfigError(f"--ray needs ray: pip install 'streamer[ray]' ({e.name} is missing)") from e
    shown = mask_credentials(address) if address else "a local Ray instance"
    # Ray installs its own SIGTERM handler, which ends the driver at once: ours finishes the files.
    on_term = signal.getsignal(signal.SIGTERM)
    try:
        if address is None:
            ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        else:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    except Exception as e:  # Ray raises ConnectionError, RuntimeError, ValueError for an address it cannot use
        raise BackendError(f"cannot start or reach {shown}: {_first_line(e)}") from e
    if on_term is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_term)
    return ray


def run_on_ray(cfg: EnhanceConfig, show_progress: bool = True) -> int:
    """Enhance every video of the folder ``cfg.input`` into the folder ``cfg.output``, one Ray task per
    file; the exit code: 0 when every file was written, 1 when any failed, 130 when interrupted."""
    jobs = plan(cfg)
    out = Path(cfg.output)
    try:
        out.mkdir(exist_ok=True)
    except OSError as e:
        raise SinkError(f"cannot create the output folder {out}: {e.strerror}") from e
    ray = _start(cfg.ray_address)
    try:
        return _run(ray, cfg, jobs, show_progress)
    finally:
        ray.shutdown()


def _run(ray, cfg: EnhanceConfig, jobs: list[tuple[Path, Path]], show_progress: bool) -> int:
    tally = ray.remote(num_cpus=0)(Tally).remote()
    task = ray.remote(num_cpus=1)(enhance_one)
    refs = {task.remote(_file_fields(cfg, video, output), tally): (video, output) for video, output in jobs}
    log.info("%s -> %s: %s on Ray (%s), %s on backend %s", cfg.input, cfg.output, count(len(jobs), "video"),
             mask_credentials(cfg.ray_address) if cfg.ray_address else "local instance",
             cfg.model, cfg.backend)
    progress = FilesProgress(len(jobs), enabled=None if show_progress else False)
    pending, results = list(refs), []
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=REPORT_PERIOD_S)
            for ref in done:
                progress.clear()
                results.append(_result(ray, ref, *refs[ref]))
                progress.failed = sum(r.error is not None for r in results)
            progress.frames = ray.get(tally.total.remote())
            progress.update(len(results))
    except KeyboardInterrupt:
        # Each running task finishes its file with the frames done so far (its own Ctrl-C).
        for ref in pending:
            ray.cancel(ref)
        for ref in pending:
            results.append(_result(ray, ref, *refs[ref]))
        progress.finish()
        log.info("interrupted: %s", _summary(results, len(jobs), cfg.output, "not done"))
        return 130
    progress.finish()
    failed = [r for r in results if r.error is not None]
    (log.error if failed else log.info)("%s", _summary(results, len(jobs), cfg.output))
    return 1 if failed else 0


def _result(ray, ref, video: Path, output: Path) -> FileResult:
    try:
        result = ray.get(ref)
    except ray.exceptions.TaskCancelledError:  # a running task finishes its file; this one had not started
        result = FileResult(str(video), str(output), error="not started: the job was interrupted")
    except Exception as e:  # the task itself died (worker lost): Ray's error, first line only
        result = FileResult(str(video), str(output), error=_first_line(e))
    if result.error is not None:
        shown = mask_credentials(result.input)
        log.error("%s", result.error if shown in result.error else f"{shown}: {result.error}")
    else:
        verb = "interrupted after" if result.interrupted else "wrote"
        log.info("%s: %s %s to %s in %.1f s", mask_credentials(result.input), verb, count(result.frames, "frame"),
                 result.output, result.elapsed_s)
    return result


def _first_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


def _summary(results: list[FileResult], total: int, out: str, label: str = "failed") -> str:
    ok = [r for r in results if r.error is None]
    failed = [Path(r.input).name for r in results if r.error is not None]
    frames = sum(r.frames for r in ok)
    text = f"enhanced {len(ok)} of {count(total, 'video')} into {out} ({count(frames, 'frame')})"
    return text + (f"; {label}: {', '.join(failed)}" if failed else "")
