"""Run the page: a FastAPI app with the Gradio page at ``/`` and ``/streamer/status`` (JSON).

Never a public share link: the page is served by our own uvicorn on the configured address.
The status endpoint lists each running pipeline (source masked, viewers, model runs), behind
the same ``--auth`` credentials (HTTP basic) when they are set.

A server holds one :class:`LiveServices`: one model pool, shared by the cameras, the live channels
and the webcam, so each model is loaded once per server.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import fastapi
import gradio as gr
import uvicorn
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from models.backends import BackendOptions
from models.runtime.deblock import DeblockConfig
from models.runtime.temporal_denoise import TemporalDenoiseConfig
from streamer.errors import ConfigError
from streamer.live.broadcaster import Broadcaster
from streamer.live.cameras import Cameras, make_pool
from streamer.live.channel import ChannelOptions
from streamer.live.pool import ModelPool
from streamer.live.webcam import WebcamService
from streamer.serve import ServeConfig
from web.app import CSS, HEAD, build
from web.delivery import Deliveries, FetchWatcher

log = logging.getLogger(__name__)


class LiveServices:
    """What one server runs behind its page: the model pool, the configured cameras (started here), the
    live channels and the webcams on it."""

    def __init__(self, cfg: ServeConfig) -> None:
        self.pool = make_pool(cfg.cameras) if cfg.cameras is not None else \
            ModelPool(cfg.backend, BackendOptions(device=cfg.device, threads=cfg.threads, deblock=DeblockConfig(),
                                                  denoise=TemporalDenoiseConfig()))
        self.cameras = Cameras(cfg.cameras, self.pool) if cfg.cameras is not None else None
        self.broadcaster = Broadcaster(ChannelOptions(model=cfg.model, open_timeout_s=cfg.open_timeout_s,
                                                      read_timeout_s=cfg.read_timeout_s), self.pool, self.cameras)
        self.webcams = WebcamService(self.pool)
        if self.cameras is not None:
            self.cameras.start()

    def close(self) -> None:
        """Channels and cameras first (they stop using the models), then the models."""
        self.broadcaster.close()
        if self.cameras is not None:
            self.cameras.stop()
        self.webcams.close()
        self.pool.close()


def create_app(cfg: ServeConfig, services: LiveServices, workdir: Path) -> fastapi.FastAPI:
    app = fastapi.FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    basic = HTTPBasic(auto_error=False)

    @app.get("/streamer/status")
    def status(credentials: HTTPBasicCredentials | None = fastapi.Depends(basic)) -> dict:
        if cfg.auth is not None:
            ok = credentials is not None and secrets.compare_digest(credentials.username, cfg.auth[0]) \
                and secrets.compare_digest(credentials.password, cfg.auth[1])
            if not ok:
                raise fastapi.HTTPException(401, "unauthorized", headers={"WWW-Authenticate": "Basic"})
        return {"channels": [dataclasses.asdict(s) for s in services.broadcaster.status()]}

    deliveries = Deliveries()
    app.add_middleware(FetchWatcher, deliveries=deliveries)
    page = build(cfg, services.broadcaster, services.webcams, workdir, deliveries)
    page.queue(default_concurrency_limit=None)
    return gr.mount_gradio_app(
        app, page, path="/", server_name=cfg.host, server_port=cfg.port, auth=cfg.auth, ssr_mode=False,
        footer_links=["gradio"], run_history=False, show_error=True, css=CSS, head=HEAD, mcp_server=False,
    )


@dataclass(frozen=True)
class Running:
    """A started server: its uvicorn thread and its services."""

    services: LiveServices
    server: uvicorn.Server
    thread: threading.Thread


@contextmanager
def started(cfg: ServeConfig, workdir: Path) -> Iterator[Running]:
    """The page served on ``cfg.host:cfg.port`` by uvicorn in a thread, until the block ends;
    ``ConfigError`` when the server cannot start. ``workdir`` (an existing folder the caller
    removes) takes the page's temporary files."""
    services = LiveServices(cfg)
    try:
        app = create_app(cfg, services, workdir)
        server = uvicorn.Server(uvicorn.Config(app, host=cfg.host, port=cfg.port, log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, name="streamer-web", daemon=True)
        thread.start()
        try:
            while not server.started and thread.is_alive():
                time.sleep(0.05)
            if not server.started:
                raise ConfigError(f"the web server could not start on {cfg.host}:{cfg.port} (see the message above)")
            yield Running(services, server, thread)
        finally:
            server.should_exit = True
            thread.join(10.0)
    finally:
        services.close()


def serve(cfg: ServeConfig) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM, raised as ``KeyboardInterrupt`` here).

    The page's temporary files (live JPEGs, enhanced uploads) live in one ``streamer-live-*``
    folder in the system's temp dir, removed when the server exits, however it exits.
    """
    cfg.check_port_free()
    workdir = Path(tempfile.mkdtemp(prefix="streamer-live-"))
    try:
        with started(cfg, workdir) as running:
            auth = "password required" if cfg.auth else "no password: loopback only" if not cfg.insecure_no_auth \
                else "NO PASSWORD (--insecure-no-auth)"
            log.info("serving the live view on %s (%s; Ctrl-C stops)", cfg.url, auth)
            while running.thread.is_alive():
                running.thread.join(0.5)
    finally:  # outermost, so a second Ctrl-C during shutdown still removes the folder
        shutil.rmtree(workdir, ignore_errors=True)
        log.debug("removed %s", workdir)
