"""Run the page: a FastAPI app with the Gradio page at ``/`` and ``/streamer/status`` (JSON).

Never a public share link: the page is served by our own uvicorn on the configured address.
The status endpoint lists each running pipeline (source masked, viewers, model runs), behind
the same ``--auth`` credentials (HTTP basic) when they are set.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

import fastapi
import gradio as gr
import uvicorn
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from models.backends import BackendOptions
from streamer.errors import ConfigError
from streamer.live.broadcaster import Broadcaster
from streamer.live.channel import ChannelOptions
from streamer.live.pool import ModelPool
from streamer.live.webcam import WebcamService
from streamer.serve import ServeConfig
from web.app import CSS, HEAD, build
from web.delivery import Deliveries, FetchWatcher

log = logging.getLogger(__name__)


def create_app(cfg: ServeConfig, broadcaster: Broadcaster, webcams: WebcamService, workdir: Path) -> fastapi.FastAPI:
    app = fastapi.FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    basic = HTTPBasic(auto_error=False)

    @app.get("/streamer/status")
    def status(credentials: HTTPBasicCredentials | None = fastapi.Depends(basic)) -> dict:
        if cfg.auth is not None:
            ok = credentials is not None and secrets.compare_digest(credentials.username, cfg.auth[0]) \
                and secrets.compare_digest(credentials.password, cfg.auth[1])
            if not ok:
                raise fastapi.HTTPException(401, "unauthorized", headers={"WWW-Authenticate": "Basic"})
        return {"channels": [dataclasses.asdict(s) for s in broadcaster.status()]}

    deliveries = Deliveries()
    app.add_middleware(FetchWatcher, deliveries=deliveries)
    page = build(cfg, broadcaster, webcams, workdir, deliveries)
    page.queue(default_concurrency_limit=None)
    return gr.mount_gradio_app(
        app, page, path="/", server_name=cfg.host, server_port=cfg.port, auth=cfg.auth, ssr_mode=False,
        footer_links=["gradio"], run_history=False, show_error=True, css=CSS, head=HEAD, mcp_server=False,
    )


def serve(cfg: ServeConfig) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM, raised as ``KeyboardInterrupt`` here).

    The page's temporary files (live JPEGs, enhanced uploads) live in one ``streamer-live-*``
    folder in the system's temp dir, removed when the server exits, however it exits.
    """
    cfg.check_port_free()
    workdir = Path(tempfile.mkdtemp(prefix="streamer-live-"))
    try:
        _serve(cfg, workdir)
    finally:  # outermost, so a second Ctrl-C during shutdown still removes the folder
        shutil.rmtree(workdir, ignore_errors=True)
        log.debug("removed %s", workdir)


def _serve(cfg: ServeConfig, workdir: Path) -> None:
    # One pool per server: the live channels and the webcam share the loaded models.
    pool = ModelPool(cfg.backend, BackendOptions(device=cfg.device, threads=cfg.threads))
    broadcaster = Broadcaster(ChannelOptions(model=cfg.model, open_timeout_s=cfg.open_timeout_s,
                                             read_timeout_s=cfg.read_timeout_s), pool)
    webcams = WebcamService(pool)
    try:
        app = create_app(cfg, broadcaster, webcams, workdir)
    except BaseException:
        broadcaster.close()
        webcams.close()
        pool.close()
        raise
    server = uvicorn.Server(uvicorn.Config(app, host=cfg.host, port=cfg.port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="streamer-web", daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        if server.started:
            auth = "password required" if cfg.auth else "no password: loopback only" if not cfg.insecure_no_auth \
                else "NO PASSWORD (--insecure-no-auth)"
            log.info("serving the live view on %s (%s; Ctrl-C stops)", cfg.url, auth)
        while thread.is_alive():
            thread.join(0.5)
        if not server.started:
            raise ConfigError(f"the web server could not start on {cfg.host}:{cfg.port} (see the message above)")
    finally:
        server.should_exit = True
        thread.join(10.0)
        broadcaster.close()
        webcams.close()
        pool.close()
