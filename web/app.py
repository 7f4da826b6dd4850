"""The Gradio page of ``streamer serve``: it only presents.

Capture, the shared pipelines and the models live in :mod:`streamer.live`; this module
turns them into three tabs:

- **Live**: the server-side source (with configured cameras: the camera this tab picks), before
  and after. Each browser tab runs one generator that waits for the channel's next frame and
  yields JPEGs into two ``gr.Image`` panes (measured the fastest delivery on our machine, see
  ``benchmarks/bench_web.py``). The model is the channel's (shared by everyone watching this
  source); strength, exposure and the view are this tab's own and act on the next frame.
- **Webcam**: the visitor's webcam streams in (``gr.Image(streaming=True)``, at most 1280x720),
  the enhanced frame streams back (:mod:`streamer.live.webcam`: newest frame only).
  While a tab shows the Webcam or Video file tab, its live view is stopped, so a pipeline
  nobody looks at does not take the CPU from the webcam.
- **Video file**: upload a clip, get the enhanced clip (audio kept) with a progress bar; this is
  ``streamer.jobs.run_enhance``, the same job as ``streamer enhance``.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import gradio as gr
import numpy as np

from models import catalog
from streamer.config import EnhanceConfig
from streamer.counts import count
from streamer.errors import StreamerError
from streamer.jobs import run_enhance
from streamer.live.adjust import adjust, split_view
from streamer.live.broadcaster import Broadcaster
from streamer.live.webcam import WebcamService
from streamer.serve import ServeConfig
from streamer.urls import mask_credentials
from web.delivery import Deliveries, Delivery
from web.stamp import stamp

log = logging.getLogger(__name__)

VIEWS = ("side by side", "split")
# The Live tab's one choice when there are no configured cameras (the source itself stays on the server).
LIVE_KEY = "source"
WEBCAM_MAX = (1280, 720)
WEBCAM_CONSTRAINTS = {"video": {"width": {"ideal": 640, "max": 1280}, "height": {"ideal": 480, "max": 720}}}
# At most 10 webcam frames a second go up: on the loaded 2-core machine 20 a second outran the
# server and the picture fell 1-3 s behind (0.7-1.6 fps shown, half the runs); 10 a second gave
# 5-6.5 fps at about 0.27 s lag (chromium fake camera with frame-number stamps, load average ~11).
WEBCAM_EVERY_S = 0.1
STATS_EVERY_S = 0.5
JPEG_QUALITY = 85
KEEP_NS = 1_000_000_000  # a shared JPEG is kept this long (monotonic ns) for other viewers of its frame
# A live tab sends its next frame once its browser has fetched the last one (web/delivery.py), or
# after this long: a browser that never fetches (closed, or never showing the pane) gets one frame
# per FETCH_WAIT_S, a slow one gets what it can take.
FETCH_WAIT_S = 2.0

# The browser posts a webcam frame every ``stream_every`` seconds whether or not the last one has
# reached the server; on a busy machine those uploads pile up and the picture sent back falls
# seconds behind. This keeps at most one frame on its way per stream: a frame taken while the
# previous one is still uploading is dropped in the browser, never queued (``window.__streamer_dropped``
# counts them). It wraps ``fetch`` for Gradio's ``POST .../gradio_api/stream/EVENT_ID`` only.
HEAD = r"""<script>
(() => {
  if (window.__streamer_fetch) return;
  const send = window.__streamer_fetch = window.fetch.bind(window);
  const uploading = new Set();
  window.__streamer_dropped = 0;
  window.fetch = (input, init) => {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    if (!init || init.method !== "POST" || !/\/gradio_api\/stream\/[^/?]+$/.test(url.split("?")[0])) return send(input, init);
    if (uploading.has(url)) {
      window.__streamer_dropped += 1;
      return Promise.resolve(new Response('{"msg": "dropped"}', {headers: {"Content-Type": "application/json"}}));
    }
    uploading.add(url);
    return send(input, init).finally(() => uploading.delete(url));
  };
})();
</script>"""

CSS = """
#before img, #after img { object-fit: contain; }
#stats { font-family: ui-monospace, monospace; }
"""


@dataclass
class ViewSettings:
    """One browser tab's own controls (the model is the channel's)."""

    strength: float = 1.0
    exposure: float = 1.0
    view: str = VIEWS[0]
    camera: str = ""


def _limit(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Shrink (never enlarge) ``rgb`` to fit ``size`` = (width, height)."""
    h, w = rgb.shape[:2]
    scale = min(size[0] / w, size[1] / h)
    if scale >= 1.0:
        return rgb
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


class Page:
    """The page's state: the broadcaster, the webcam service, each tab's settings."""

    def __init__(self, cfg: ServeConfig, broadcaster: Broadcaster, webcams: WebcamService, workdir: Path,
                 deliveries: Deliveries) -> None:
        self.cfg = cfg
        self.deliveries = deliveries
        self.broadcaster = broadcaster
        self.webcams = webcams
        self.shown_source = mask_credentials(cfg.source)
        # What a tab can watch: each configured camera by name, or the one source. The keys go to the
        # browser, so they are names, never the source (which may hold a password).
        cameras = cfg.cameras.cameras if cfg.cameras is not None else ()
        self.feeds: dict[str, str] = {c.name: c.name for c in cameras} or {LIVE_KEY: cfg.source}
        self.camera_models = {c.name: c.model for c in cameras}
        self.views: dict[str, ViewSettings] = {}
        self._live_runs: dict[str, int | None] = {}  # per tab: the live generator that should run (a newer one replaces it)
        self._run_ids = itertools.count(1)
        self._lock = threading.Lock()
        # Each shown picture is encoded once, whoever watches: (ready_ns, pane, settings) -> JPEG path. Keyed by
        # the frame's monotonic time, not its seq: a restarted pipeline counts seq from 1 again, and seq keys
        # then served the old pipeline's pictures (seconds old) as new ones.
        # The server's work folder (removed when it exits) holds them and the enhanced uploads.
        self._workdir = workdir
        self._jpegs: dict[tuple, Path] = {}
        self._jpeg_dir = workdir / "frames"
        self._jpeg_dir.mkdir(exist_ok=True)
        self._jpeg_lock = threading.Lock()

    def _jpeg(self, key: tuple, make, run: int) -> Path:
        """Live run ``run``'s own name (a hard link) for the JPEG file of picture ``key``, made by ``make()``
        ((H, W, 3) uint8 RGB) the first time. The picture is encoded once whoever watches; the name is
        the run's so that the browser's fetch of it tells this run its picture arrived (web/delivery.py).
        The caller removes the link once the browser has it (Gradio has its own copy by then)."""
        with self._jpeg_lock:
            path = self._jpegs.get(key)
            if path is None:
                path = self._jpeg_dir / f"{abs(hash(key)):x}.jpg"
                ok, data = cv2.imencode(".jpg", cv2.cvtColor(make(), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                path.write_bytes(data.tobytes())
                self._jpegs[key] = path
                for old in [k for k in self._jpegs if k[0] < key[0] - KEEP_NS]:
                    self._jpegs.pop(old).unlink(missing_ok=True)
            own = path.with_name(f"{path.stem}-{run}{path.suffix}")
            try:
                own.hardlink_to(path)
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                own.write_bytes(path.read_bytes())
            return own

    def _view(self, session: str) -> ViewSettings:
        with self._lock:
            return self.views.setdefault(session, ViewSettings())

    # -- live -----------------------------------------------------------------------------
    def _feed(self, camera: str | None) -> str:
        """What to subscribe to for the tab's ``camera`` choice (the first camera when none)."""
        return self.feeds.get(camera or "", next(iter(self.feeds.values())))

    def live(self, strength: float, exposure: float, view: str, camera: str | None, request: gr.Request):
        """Generator: (before, after, stats) for as long as the tab is open."""
        session = request.session_hash or "anonymous"
        settings = self._view(session)
        settings.strength, settings.exposure, settings.view = strength, exposure, view
        settings.camera = camera or ""
        with self._lock:
            run = self._live_runs[session] = next(self._run_ids)
        try:
            sub = self.broadcaster.subscribe(self._feed(camera))
        except StreamerError as e:
            yield None, None, f"cannot start the live view: {mask_credentials(str(e))}"
            return
        last_stats = 0.0
        sent: Delivery | None = None  # the files of the last frame sent, until the browser has them
        links: list[Path] = []
        try:
            while self._live_runs.get(session) == run:
                if sent is not None:
                    sent.wait(FETCH_WAIT_S)
                    sent.close()
                    sent = None
                    for link in links:
                        link.unlink(missing_ok=True)
                    continue  # the tab may have been stopped meanwhile
                frame = sub.next_frame(timeout=1.0)
                now = time.monotonic()
                stats = gr.skip()
                if frame is None or now - last_stats >= STATS_EVERY_S:
                    stats, last_stats = sub.status().line(), now
                if frame is None:
                    yield gr.skip(), gr.skip(), stats
                    continue
                look = (settings.strength, settings.exposure, settings.view)

                def make_after(frame=frame, look=look):
                    after = adjust(frame.before, frame.after, look[0], look[1])
                    if self.cfg.stamp_frames:
                        wall_ms = time.time_ns() // 1_000_000 - (time.monotonic_ns() - frame.captured_ns) // 1_000_000
                        after = stamp(after, wall_ms)
                    return split_view(frame.before, after) if look[2] == "split" else after

                after = self._jpeg((frame.ready_ns, "after", look), make_after, run)
                before = None if settings.view == "split" else \
                    self._jpeg((frame.ready_ns, "before"), lambda frame=frame: frame.before, run)
                links = [p for p in (before, after) if p is not None]
                sent = self.deliveries.expect(p.name for p in links)
                yield (gr.skip() if before is None else str(before)), str(after), stats
        finally:
            if sent is not None:
                sent.close()
            for link in links:
                link.unlink(missing_ok=True)
            sub.close()

    def stop_live(self, request: gr.Request) -> None:
        """This tab left the Live tab: its live generator ends (and the pipeline, if nobody else watches)."""
        with self._lock:
            self._live_runs[request.session_hash or "anonymous"] = None

    def set_model(self, model: str, camera: str | None) -> str:
        channel = self.broadcaster.channel(self._feed(camera))
        if channel is None:
            return f"model {model} applies when the stream starts"
        try:
            channel.switch_model(model)
        except StreamerError as e:
            return f"cannot switch to {model}: {mask_credentials(str(e))}"
        return channel.status().line()

    def set_adjust(self, strength: float, exposure: float, request: gr.Request) -> None:
        settings = self._view(request.session_hash or "anonymous")
        settings.strength, settings.exposure = strength, exposure

    def camera_model(self, camera: str | None):
        """The model dropdown follows the camera a tab picks (each camera has its own model)."""
        channel = self.broadcaster.channel(self._feed(camera))
        return gr.update(value=channel.backend.model) if channel is not None else gr.skip()

    def set_view(self, view: str, request: gr.Request):
        self._view(request.session_hash or "anonymous").view = view
        return gr.update(visible=view != "split"), gr.update(label="before | after" if view == "split" else "after")

    # -- webcam ---------------------------------------------------------------------------
    def webcam(self, rgb: np.ndarray | None, model: str, strength: float, exposure: float, request: gr.Request):
        """(enhanced frame, stats line) for one webcam frame; a frame that arrives while this tab's
        previous one is still in the model is dropped (``gr.skip()``), never queued."""
        if rgb is None:
            return gr.skip(), gr.skip()
        session = self.webcams.session(request.session_hash or "anonymous")
        try:
            out = session.enhance(np.ascontiguousarray(_limit(rgb, WEBCAM_MAX)), model, strength, exposure)
        except StreamerError as e:
            raise gr.Error(mask_credentials(str(e))) from e
        return (gr.skip() if out is None else out), session.stats().line()

    # -- upload ---------------------------------------------------------------------------
    def enhance_file(self, path: str | None, model: str, progress=gr.Progress()):
        if not path:
            raise gr.Error("choose a video file first")
        src = Path(path)
        out = Path(tempfile.mkdtemp(prefix="upload-", dir=self._workdir)) / f"{src.stem}_enhanced.mp4"
        cfg = EnhanceConfig(input=str(src), output=str(out), model=model, backend=self.cfg.backend, device=self.cfg.device,
                            threads=self.cfg.threads, mode="file")

        def report(done: int, total: int | None) -> None:
            progress((done, total), desc="enhancing", unit="frames")

        progress(0.0, desc="starting")
        try:
            stats = run_enhance(cfg, show_progress=False, on_progress=report)
        except StreamerError as e:
            raise gr.Error(mask_credentials(str(e))) from e
        done = f"{count(stats.frames_written, 'frame')} in {stats.elapsed_s:.1f} s ({stats.fps:.1f} fps), audio kept"
        return str(out), str(out), done

    def forget(self, request: gr.Request) -> None:
        session = request.session_hash or "anonymous"
        with self._lock:
            self.views.pop(session, None)
            self._live_runs.pop(session, None)
        self.webcams.forget(session)


def build(cfg: ServeConfig, broadcaster: Broadcaster, webcams: WebcamService, workdir: Path,
          deliveries: Deliveries) -> gr.Blocks:
    """The page; ``workdir`` (an existing folder the caller removes at exit) takes its temporary files;
    ``deliveries`` must hear of every file the server sends (``web.delivery.FetchWatcher``)."""
    page = Page(cfg, broadcaster, webcams, workdir, deliveries)
    models = list(catalog.CATALOG)
    with gr.Blocks(title="streamer: night video, enhanced", delete_cache=(60, 120)) as demo:
        if cfg.cameras is not None:
            listed = ", ".join(f"`{c.name}` ({c.shown})" for c in cfg.cameras.cameras)
            gr.Markdown(f"## streamer · night video, enhanced\nCameras: {listed}")
        else:
            gr.Markdown(f"## streamer · night video, enhanced\nLive source: `{page.shown_source}`")
        names = list(page.feeds)
        with gr.Tab("Live") as live_tab:
            with gr.Row():
                camera = gr.Dropdown(names, value=names[0], label="camera", elem_id="camera",
                                     visible=cfg.cameras is not None)
                model = gr.Dropdown(models, value=page.camera_models.get(names[0], cfg.model),
                                    label="model (shared by everyone watching this source)", elem_id="model")
                strength = gr.Slider(0.0, 1.0, value=1.0, step=0.05, label="strength (0 = input, 1 = model)",
                                     elem_id="strength")
                exposure = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="exposure (gain on the result)",
                                     elem_id="exposure")
                view = gr.Radio(list(VIEWS), value=VIEWS[0], label="view", elem_id="view")
            with gr.Row():
                before = gr.Image(label="before", format="jpeg", interactive=False, elem_id="before", buttons=["fullscreen"])
                after = gr.Image(label="after", format="jpeg", interactive=False, elem_id="after", buttons=["fullscreen"])
            stats = gr.Markdown("starting…", elem_id="stats")
        with gr.Tab("Webcam") as cam_tab:
            gr.Markdown("Your own webcam, enhanced on this server (frames are not stored).")
            with gr.Row():
                cam_model = gr.Dropdown(models, value=cfg.model, label="model", elem_id="cam-model")
                cam_strength = gr.Slider(0.0, 1.0, value=1.0, step=0.05, label="strength", elem_id="cam-strength")
                cam_exposure = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="exposure", elem_id="cam-exposure")
            with gr.Row():
                cam = gr.Image(sources=["webcam"], streaming=True, label="webcam", elem_id="cam",
                               webcam_options=gr.WebcamOptions(mirror=False, constraints=WEBCAM_CONSTRAINTS))
                cam_out = gr.Image(label="enhanced", format="jpeg", interactive=False, elem_id="cam-out",
                                   buttons=["fullscreen"])
            cam_stats = gr.Markdown("", elem_id="cam-stats")
        with gr.Tab("Video file") as file_tab:
            gr.Markdown("Upload a clip; get it back enhanced as H.264 MP4, every frame and timestamp kept, audio copied.")
            with gr.Row():
                upload = gr.File(label="video", file_types=["video"], type="filepath", elem_id="upload")
                file_model = gr.Dropdown(models, value=cfg.model, label="model", elem_id="file-model")
            go = gr.Button("Enhance", variant="primary", elem_id="enhance")
            with gr.Row():
                result_video = gr.Video(label="enhanced", interactive=False, elem_id="result-video")
                result_file = gr.File(label="download", interactive=False, elem_id="result-file")
            result_text = gr.Markdown(elem_id="result-text")

        live_inputs, live_outputs = [strength, exposure, view, camera], [before, after, stats]
        demo.load(page.live, live_inputs, live_outputs, show_progress="hidden", concurrency_limit=None,
                  api_visibility="private")
        live_tab.select(page.live, live_inputs, live_outputs, show_progress="hidden", concurrency_limit=None,
                        api_visibility="private")
        for tab in (cam_tab, file_tab):
            tab.select(page.stop_live, None, None, show_progress="hidden", api_visibility="private")
        camera.change(page.camera_model, camera, model, show_progress="hidden", api_visibility="private").then(
            page.live, live_inputs, live_outputs, show_progress="hidden", concurrency_limit=None, api_visibility="private")
        model.change(page.set_model, [model, camera], stats, show_progress="hidden", api_visibility="private")
        for control in (strength, exposure):
            control.change(page.set_adjust, [strength, exposure], None, show_progress="hidden", api_visibility="private")
        view.change(page.set_view, view, [before, after], show_progress="hidden", api_visibility="private")
        cam.stream(page.webcam, [cam, cam_model, cam_strength, cam_exposure], [cam_out, cam_stats], stream_every=WEBCAM_EVERY_S,
                   concurrency_limit=None, show_progress="hidden", api_visibility="private")
        go.click(page.enhance_file, [upload, file_model], [result_video, result_file, result_text], concurrency_limit=1,
                 api_visibility="private")
        demo.unload(page.forget)
    return demo
