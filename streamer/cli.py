"""The ``streamer`` command: enhance, serve, run, models, train, export.

Only this module configures logging, and only it turns our errors into one line on stderr
and an exit code; nothing heavy is imported before a subcommand needs it, so ``--help`` is
instant.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from streamer import __version__
from streamer.errors import ConfigError, StreamerError
from streamer.urls import MaskingFilter, mask_credentials

log = logging.getLogger("streamer")

MODEL_CHOICES_HELP = ("zero-dce, zero-dce++ (default), burst (fuses the last 6 frames: less noise), zero-dce++-clean "
                      "(zero-dce++, then the restorer removes the noise brightening revealed), restorer (alone, for "
                      "dark frames that are already brightened) or night2day (CycleGAN: makes a night street look like day)")
DEVICE_HELP = ("where the model runs: auto (default: an NVIDIA GPU when the backend can use one here, else the CPU), "
               "cpu, or cuda (the GPU; an error when no backend runs on it here)")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """Usage errors in our one-line format (exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"{message} (see '{self.prog} --help')")

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        # argparse fills an optional positional (nargs='?') before the options that follow it, so
        # 'export MODEL --format triton DIR' would leave DIR unrecognised: it goes where it belongs.
        namespace, extras = super().parse_known_args(args, namespace)
        for action in self._actions:
            if (extras and not action.option_strings and action.nargs == "?" and not extras[0].startswith("-")
                    and getattr(namespace, action.dest, None) is None):
                setattr(namespace, action.dest, extras.pop(0))
        return namespace, extras


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="streamer", description="Real-time low-light video enhancement.")
    p.add_argument("--version", action="version", version=f"streamer {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors")
    p.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    e = sub.add_parser("enhance", help="enhance a video, image, folder, stream, camera or the demo")
    e.add_argument("input", help="video file, image, folder of images, rtsp:// or http:// URL, camera index (0), or 'demo'")
    e.add_argument("-o", "--output", metavar="OUTPUT",
                   help="output video (.mp4/.mkv/.mov), image, folder, rtsp://HOST:PORT/PATH (publish to an RTSP "
                        "server) or - (MPEG-TS on stdout)")
    e.add_argument("--model", default="zero-dce++", help=MODEL_CHOICES_HELP)
    e.add_argument("--backend", default="auto",
                   help="auto (fastest available), onnxruntime, torch, tensorrt, or triton (a Triton server: --triton-url)")
    e.add_argument("--triton-url", metavar="URL",
                   help="--backend triton: the server's HTTP address, http://HOST:PORT (its repository written by "
                        "'streamer export MODEL --format triton DIR')")
    e.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="INPUT is a folder of videos: one Ray task per video, into the folder -o; without ADDRESS a "
                        "local Ray instance, 'auto' this machine's cluster, ray://HEAD:10001 a remote one")
    e.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help=DEVICE_HELP)
    e.add_argument("--threads", type=int, default=0, help="inference threads (0: automatic)")
    e.add_argument("--weights", type=Path, help="use this .onnx or .pt file instead of the shipped weights")
    e.add_argument("--exact", action="store_true",
                   help="on CPU, the slower full-resolution path: zero-dce++ applies its curves in float instead of the "
                        "lookup table; the burst model runs on the whole frame instead of at most 640x360")
    e.add_argument("--smoothing", type=float, metavar="S",
                   help="single-frame models: smooth the output brightness over time against flicker, S from 0 (off) "
                        "to below 1 (longer memory); default 0.8 for video, off for images and the burst model")
    e.add_argument("--no-smoothing", action="store_const", const=0.0, dest="smoothing",
                   help="turn temporal smoothing off (same as --smoothing 0)")
    e.add_argument("--no-deblock", action="store_true",
                   help="keep the input's codec blocks as brightening reveals them (default: smooth the block "
                        "steps of dark flat areas; edges and texture are left alone)")
    e.add_argument("--no-temporal-denoise", action="store_true",
                   help="single-frame models on video: keep each frame's own noise (default: where the input did "
                        "not change since the last frame, average the enhanced frames; what moves is left alone)")
    e.add_argument("--network-colour", action="store_true",
                   help="the burst model: keep the network's own output (default: its brightness, at most 60 times "
                        "the input's light, with the input's colour wherever the input is bright enough to hold it)")
    e.add_argument("--night-gate", choices=("auto", "on", "off"), default="auto",
                   help="enhance only while the scene is dark, fading in at dusk and out at dawn (the model is not "
                        "run by day); auto (default): on for live sources, off for files")
    e.add_argument("--mode", default="auto", choices=("auto", "file", "live"),
                   help="file: never drop a frame; live: bounded latency, drop the oldest (default: by source)")
    e.add_argument("--duration", type=_positive_float, help="stop after this many seconds (live: capture time)")
    e.add_argument("--crf", type=int, default=18, help="x264 quality, 0-51 (default 18)")
    e.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast)")
    e.add_argument("--no-audio", action="store_true", help="do not copy the audio track")
    e.add_argument("--open-timeout", type=_positive_float, default=10.0, help="seconds to connect to a stream")
    e.add_argument("--read-timeout", type=_positive_float, default=5.0, help="seconds to wait for stream data")
    e.add_argument("--no-reconnect", action="store_true",
                   help="live streams: end the recording at the first outage (publishing: end with an error)")
    e.add_argument("--reconnect-max-delay", type=_positive_float, default=10.0,
                   help="live streams and RTSP publishing: longest wait between reconnect attempts, s (backoff from "
                        "0.5 s; default 10)")
    e.add_argument("--reconnect-probe-interval", type=_non_negative_float, default=0.25, metavar="S",
                   help="live streams and RTSP publishing: while a camera or server is down, ask its TCP port this "
                        "often whether it answers again, and reconnect as soon as it does (default 0.25 s; 0: off, "
                        "backoff only)")
    e.add_argument("--wait-for-source", action="store_true",
                   help="live streams: keep retrying a stream that cannot be opened at start (default: fail)")

    w = sub.add_parser("serve", help="a live web page: before/after of a source or of several cameras, your webcam, "
                                     "video upload")
    w.add_argument("--source", action="append", metavar="SPEC | NAME=SPEC",
                   help="what the live view shows: camera index (0), rtsp:// or http:// URL, a video file (looped), or "
                        "'demo' (the default); repeat as NAME=SPEC for several cameras in one process, each running "
                        "whether watched or not, sharing one loaded model")
    w.add_argument("--cameras", "--config", type=Path, metavar="FILE",
                   help="a TOML camera list ([[camera]] with name, source, output, model, night_gate, ...): show these "
                        "cameras and record each into its output")
    w.add_argument("--model", help=f"{MODEL_CHOICES_HELP}; with --cameras, each camera's own")
    w.add_argument("--backend", help="auto (default: fastest available), onnxruntime, torch or tensorrt")
    w.add_argument("--device", choices=("auto", "cpu", "cuda"), help=DEVICE_HELP)
    w.add_argument("--threads", type=int, help="inference threads (0, the default: automatic)")
    w.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    w.add_argument("--port", type=int, default=7860)
    w.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (needed to listen beyond loopback)")
    w.add_argument("--insecure-no-auth", action="store_true",
                   help="listen beyond loopback WITHOUT a password: anyone who reaches the port can watch")
    w.add_argument("--open-timeout", type=_positive_float, default=10.0, help="seconds to connect to a stream")
    w.add_argument("--read-timeout", type=_positive_float, default=5.0, help="seconds to wait for stream data")
    w.add_argument("--stamp-frames", action="store_true",
                   help="draw the capture time into each enhanced frame's corner (for benchmarks/bench_web.py)")

    r = sub.add_parser("run", help="run the cameras of a TOML camera list into their outputs, without a page")
    r.add_argument("cameras", type=Path, metavar="CAMERAS.toml",
                   help="[[camera]] tables: name, source, output (required here), model, night_gate, ...")
    r.add_argument("--duration", type=_positive_float, help="stop after this many seconds (default: until Ctrl-C)")

    sub.add_parser("models", help="list models and the backends available here")

    t = sub.add_parser("train", help="train Zero-DCE / Zero-DCE++ on your own images (zero-reference), the burst model, "
                                     "night2day (CycleGAN), or the denoiser's two stages (degrader, then restorer)")
    t.add_argument("arch", help="zero-dce, zero-dce++, burst, night2day, degrader (denoiser stage 1: a CycleGAN clean <-> "
                                "real degraded) or restorer (stage 2, on the degrader's pairs)")
    t.add_argument("--data", type=Path, action="append", required=True,
                   help="folder of training images (repeatable); night2day: one folder holding night/ and day/")
    t.add_argument("--out", type=Path, required=True, help="checkpoint to write (and resume from)")
    t.add_argument("--steps", type=int, help="(2000; burst: 3000)")
    t.add_argument("--batch-size", type=int, help="(8)")
    t.add_argument("--crop", type=int, help="(256; burst: 128)")
    t.add_argument("--short-side", type=int, help="images are shrunk to this short side first (320; burst: 256)")
    t.add_argument("--lr", type=float, help="(1e-4; burst: 1e-3)")
    t.add_argument("--lr-schedule", default="constant", help="constant, or cosine (decays to 0 at the last step)")
    t.add_argument("--weight-decay", type=float, help="(1e-4; burst: 0)")
    t.add_argument("--grad-clip", type=float, help="(0.1; burst: 1)")
    t.add_argument("--exposure-level", type=float, default=0.6, help="target gray level E of the exposure loss")
    t.add_argument("--exposure-weight", type=float, default=10.0, help="weight of the exposure loss (10)")
    t.add_argument("--exposure-patch", type=int, default=16, help="patch size of the exposure loss (16)")
    t.add_argument("--spatial-weight", type=float, default=1.0, help="weight of the spatial consistency loss (1)")
    t.add_argument("--color-weight", type=float, default=5.0, help="weight of the colour constancy loss (5)")
    t.add_argument("--tv-weight", type=float, help="illumination smoothness weight (200 / 1600 for ++)")
    t.add_argument("--scale", type=int, default=12, help="zero-dce++: curve map scale")
    t.add_argument("--train-scale", type=int, help="zero-dce++: curve map scale while training (default: --scale)")
    t.add_argument("--curve-rule", choices=("colour-true", "per-channel"),
                   help="how the curves are applied: colour-true (default: one gain per pixel, exposure-adaptive, "
                        "neutral near black) or per-channel (the papers' rule)")
    t.add_argument("--init", type=Path, help="start from this checkpoint")
    t.add_argument("--freeze", default="none", help="none, or all-but-last (fine-tune the last layer only)")
    t.add_argument("--resume", action="store_true", help="continue from --out if it exists")
    t.add_argument("--pairs", type=Path, nargs=2, metavar=("LOW", "HIGH"),
                   help="optional: images in LOW (one of --data) have normal-light twins of the same name in HIGH")
    t.add_argument("--paired-weight", type=float, default=0.0, help="weight of the L1 term on --pairs (0: off)")
    t.add_argument("--paired-loss", choices=("l1", "l2"), default="l1",
                   help="the --paired-weight term: mean absolute (l1) or mean squared (l2) difference")
    t.add_argument("--paired-match-brightness", action="store_true",
                   help="scale each normal-light image to the output's mean first: pairs teach contrast and colour, not exposure")
    t.add_argument("--paired-match", choices=("gain", "gamma"), default="gain",
                   help="how --paired-match-brightness brings a pair to the output's brightness (default gain)")
    t.add_argument("--paired-ssim-weight", type=float, default=0.0,
                   help="weight of a 1-SSIM term on --pairs (structure; 0: off)")
    t.add_argument("--curve-prior", type=float, nargs=2, metavar=("A0", "B"),
                   help="zero-dce++: pull the curve map towards A0 - B ln(m / 0.05), m the gray level around "
                        "(a brightness rule; see models/curve_prior.py)")
    t.add_argument("--curve-prior-weight", type=float, default=0.0, help="weight of the --curve-prior term (0: off)")
    t.add_argument("--val-low", type=Path, help="validation pairs: low-light folder")
    t.add_argument("--val-high", type=Path, help="validation pairs: normal-light folder (same names)")
    t.add_argument("--val-count", type=int, default=50, help="hold out this many highest-numbered pairs")
    t.add_argument("--val-every", type=int, help="validate every N steps (0: never; night2day: 500)")
    t.add_argument("--keep-validated", action="store_true",
                   help="also keep each validated checkpoint, as OUT.stepN.pt (to choose a step afterwards)")
    t.add_argument("--save-every", type=int, default=200)
    t.add_argument("--log-every", type=int, default=20)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=0)
    t.add_argument("--frames", type=int, help="burst: burst length N (6)")
    t.add_argument("--frames-min", type=int, help="burst: shortest burst drawn while training (2)")
    t.add_argument("--ssim-weight", type=float, help="burst: weight of the 1 - SSIM term (0.2); restorer: (0)")
    t.add_argument("--ratio-min", type=float, help="burst: least exposure ratio of the synthetic bursts (5)")
    t.add_argument("--ratio-max", type=float, help="burst: greatest exposure ratio (50)")
    t.add_argument("--mono-prob", type=float, help="burst: share of monochrome (infrared) synthetic cameras (0.1)")
    t.add_argument("--chroma420-prob", type=float, help="burst: share of synthetic frames with 4:2:0 chroma (0.8)")
    t.add_argument("--size", choices=("cpu", "full"),
                   help="night2day: cpu (default: ngf = ndf = 16, 128 px crops of a 180 px short side) or full "
                        "(the reference CycleGAN: ngf = ndf = 64, 256 px crops; for a GPU)")
    t.add_argument("--ngf", type=int, help="night2day: generator width (cpu 16, full 64)")
    t.add_argument("--ndf", type=int, help="night2day: discriminator width (cpu 16, full 64)")
    t.add_argument("--n-blocks", type=int, help="night2day: residual blocks of the generator (9)")
    t.add_argument("--beta1", type=float, help="night2day: Adam beta1 (0.5)")
    t.add_argument("--cycle-weight", type=float, help="night2day, degrader: cycle-consistency weight (10)")
    t.add_argument("--identity-weight", type=float,
                   help="night2day: identity weight, times the cycle weight (0.5); degrader: identity L1 weight (5)")
    t.add_argument("--pool-size", type=int, help="night2day: generated images kept for the discriminators (50)")
    t.add_argument("--held-out-view", dest="held_out_views", action="append", metavar="WxH",
                   help="night2day: frame size of a webcam view never trained on (repeatable; default "
                        "373x256, 386x256, 440x256 of shared/data/night2day)")
    g = t.add_argument_group("denoiser (degrader, restorer)")
    g.add_argument("--degraded", type=Path, action="append",
                   help="degrader: folder of real dark, noisy images, or a video file (repeatable); --data holds the clean ones")
    g.add_argument("--frames-per-video", type=int, help="degrader: evenly spaced frames taken from each video (30)")
    g.add_argument("--max-images", type=int, help="at most this many files of each set, drawn at random (800; 0: all)")
    g.add_argument("--channels", type=int, help="generator width (degrader 16, restorer 16)")
    g.add_argument("--blocks", type=int, help="residual blocks of a resnet generator (3)")
    g.add_argument("--noise", type=int, help="degrader: random input channels of F (2)")
    g.add_argument("--disc-channels", type=int, help="PatchGAN width (32)")
    g.add_argument("--lr-end", type=float, help="the learning rate decays linearly to this at the last step (1e-5)")
    g.add_argument("--degrader", type=Path, help="restorer: the stage-1 checkpoint whose F makes the training pairs")
    g.add_argument("--curve", type=Path, help="restorer: the curve model that brightens F(y) first, as in the stream "
                                              "(default: the shipped zero-dce++)")
    g.add_argument("--generator", choices=("unet", "resnet"), help="restorer: generator body (unet)")
    g.add_argument("--twice", type=float, help="restorer: share of batches degraded twice, F(F(y)) (0)")
    g.add_argument("--match-exposure", choices=("none", "mean", "local"),
                   help="restorer: bring each target to its brightened input's exposure, so the exposure stays the curve "
                        "model's and the restorer only restores: mean (one gain) or local (the input's local average "
                        "under the target's detail); none (default): the clean image as it is")
    g.add_argument("--pair-fraction", type=float,
                   help="restorer with --pairs LOW HIGH: share of each batch cut from those real pairs (0.25)")
    g.add_argument("--feature-weight", type=float, help="restorer: feature-space loss weight (1)")
    g.add_argument("--adv-weight", type=float, help="restorer: LSGAN loss weight (0.01)")
    g.add_argument("--vgg", type=Path, help="restorer: standard VGG-19 weights (torchvision layout) for the feature "
                                            "loss; default: the discriminator's own features (nothing to download)")
    g.add_argument("--ema", type=float, help="restorer: decay of the weights' moving average that ships (0.999)")

    x = sub.add_parser("export", help="export a model for a backend")
    x.add_argument("model", help=MODEL_CHOICES_HELP)
    x.add_argument("directory", nargs="?", metavar="DIR",
                   help="triton: the model repository to write into (DIR/<model>/config.pbtxt, DIR/<model>/1/model.onnx)")
    x.add_argument("--format", default="onnx", choices=("onnx", "torch", "tensorrt", "triton"),
                   help="onnx (for onnxruntime/tensorrt), torch (a weights-only checkpoint to ship), tensorrt "
                        "(build the engine for this GPU into the engine cache now), or triton (a Triton model "
                        "repository: zero-dce and zero-dce++)")
    x.add_argument("--size", default="1280x720", help="tensorrt: frame size WxH the engine is built for (default 1280x720)")
    x.add_argument("--weights", type=Path, help="checkpoint to export (default: the shipped one)")
    x.add_argument("-o", "--output", type=Path, help="where to write (default: beside the shipped weights)")

    c = sub.add_parser("card", help="write a shipped model's card from its checkpoint's training record")
    c.add_argument("model", help=MODEL_CHOICES_HELP)
    c.add_argument("--psnr", type=float, help="LOL validation PSNR (python benchmarks/eval_lol.py; not for night2day)")
    c.add_argument("--ssim", type=float, help="LOL validation SSIM (not for night2day)")
    return p


def _setup_logging(verbose: bool, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("streamer: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)
    for noisy in ("libav", "PIL", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_enhance(args: argparse.Namespace) -> int:
    from streamer.config import EnhanceConfig
    from streamer.jobs import run_enhance

    cfg = EnhanceConfig(
        input=args.input, output=args.output, model=args.model, backend=args.backend, device=args.device,
        threads=args.threads, exact=args.exact, weights=args.weights, mode=args.mode, duration_s=args.duration,
        crf=args.crf, preset=args.preset, copy_audio=not args.no_audio, open_timeout_s=args.open_timeout,
        read_timeout_s=args.read_timeout, reconnect=not args.no_reconnect,
        reconnect_max_delay_s=args.reconnect_max_delay, reconnect_probe_interval_s=args.reconnect_probe_interval,
        wait_for_source=args.wait_for_source, smoothing=args.smoothing, night_gate=args.night_gate,
        deblock=not args.no_deblock, temporal_denoise=not args.no_temporal_denoise,
        input_colour=not args.network_colour, triton_url=args.triton_url,
        ray=args.ray is not None, ray_address=args.ray or None,
    )
    if cfg.ray:
        from streamer.ray_job import run_on_ray

        return run_on_ray(cfg, show_progress=not args.quiet)
    stats = run_enhance(cfg, show_progress=not args.quiet)
    return 130 if stats.interrupted else 0


def _serve_cameras(args: argparse.Namespace):
    """The cameras of ``--cameras FILE`` or of ``--source NAME=SPEC`` flags, or ``None`` for one bare source."""
    from streamer.camera_config import cameras_from_sources, load_cameras

    if args.cameras is None:
        return cameras_from_sources(args.source or ["demo"], model=args.model or "zero-dce++",
                                    backend=args.backend or "auto", device=args.device or "auto",
                                    threads=args.threads or 0, open_timeout_s=args.open_timeout,
                                    read_timeout_s=args.read_timeout)
    if args.source:
        raise ConfigError("give the cameras either in --cameras FILE or as --source NAME=SPEC flags, not both")
    for flag in ("model", "backend", "device", "threads"):
        if getattr(args, flag) is not None:
            raise ConfigError(f"--cameras FILE sets the {flag} (at its top or per camera): drop --{flag}")
    return load_cameras(args.cameras)


def cmd_serve(args: argparse.Namespace) -> int:
    from streamer.serve import ServeConfig, parse_auth

    cameras = _serve_cameras(args)
    shared = dict(model=args.model or "zero-dce++", backend=args.backend or "auto", device=args.device or "auto",
                  threads=args.threads or 0, open_timeout_s=args.open_timeout, read_timeout_s=args.read_timeout)
    if cameras is not None:  # the page's webcam and upload run on the cameras' backend, with the first camera's model
        shared = dict(model=cameras.cameras[0].model, backend=cameras.backend, device=cameras.device,
                      threads=cameras.threads, open_timeout_s=cameras.open_timeout_s, read_timeout_s=cameras.read_timeout_s)
    cfg = ServeConfig(
        source=(args.source or ["demo"])[0] if cameras is None else "demo", **shared, cameras=cameras,
        host=args.host, port=args.port, auth=parse_auth(args.auth) if args.auth else None,
        insecure_no_auth=args.insecure_no_auth, stamp_frames=args.stamp_frames,
    )
    try:
        from web.server import serve
    except ImportError as e:
        raise ConfigError(f"the web view needs gradio: pip install 'streamer[web]' ({e.name} is missing)") from e
    try:
        serve(cfg)
    except KeyboardInterrupt:
        log.info("stopped")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from streamer.camera_config import load_cameras
    from streamer.live.cameras import run_cameras

    cfg = load_cameras(args.cameras)
    silent = [c.name for c in cfg.cameras if c.output is None]
    if silent:
        raise ConfigError(f"{args.cameras}: camera {silent[0]!r} has no output; 'streamer run' records every camera "
                          "(to watch cameras without recording them: streamer serve --cameras FILE)")
    return run_cameras(cfg, args.duration)


def cmd_models(args: argparse.Namespace) -> int:
    from models import backends, catalog

    print("models:")
    for w in catalog.CATALOG.values():
        state = "ok" if w.onnx_path().is_file() else "missing weights"
        print(f"  {w.name:<17} {w.summary} [{state}; card: {w.card_path()}]")
    print("backends (auto picks the first available, in this order):")
    reasons = backends.availability()
    for name in backends.AUTO_ORDER:
        reason = reasons[name]
        print(f"  {name:<11} {'available' if reason is None else 'unavailable: ' + reason}")
    for name in (n for n in backends.BACKENDS if n not in backends.AUTO_ORDER):
        reason = reasons[name]
        print(f"  {name:<11} {'available' if reason is None else 'unavailable: ' + reason} (only when named: --backend {name})")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from models import registry

    arch = registry.get(args.arch)
    try:
        config, run = registry.resolve(arch.train_config), registry.resolve(arch.trainer)
    except ImportError as e:
        raise ConfigError(f"training needs torch: pip install 'streamer[train]' ({e.name} is missing)") from e
    fields = {f.name for f in dataclasses.fields(config)}
    # Repeated and multi-value flags (--data, --pairs, --curve-prior) arrive as lists; the frozen config holds tuples.
    values = {k: tuple(v) if isinstance(v, list) else v
              for k, v in vars(args).items() if k in fields and v is not None}
    cfg = config(**values)
    ckpt = run(cfg)
    metrics = ckpt.get("metrics") or {}
    summary = f"; validation PSNR {metrics['psnr']:.3f} dB, SSIM {metrics['ssim']:.4f}" if "psnr" in metrics else ""
    log.info("wrote %s (step %d)%s", cfg.out, ckpt["step"], summary)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from models import catalog

    weights = catalog.get(args.model)
    if args.directory is not None and args.format != "triton":
        raise ConfigError(f"DIR is the repository of --format triton; --format {args.format} writes to -o PATH")
    if args.format == "tensorrt":
        return _export_tensorrt(weights, args.size)
    if args.format == "triton":
        from models.backends.triton_backend import check_servable

        check_servable(weights)
        if (args.directory or args.output) is None:
            raise ConfigError(f"--format triton writes a model repository: streamer export {args.model} --format triton DIR")
    try:
        from models.checkpoint import load_checkpoint, network_from_checkpoint
        from models.export.onnx import export_onnx
    except ImportError as e:
        raise ConfigError(f"export needs torch: pip install 'streamer[train]' ({e.name} is missing)") from e
    ckpt = load_checkpoint(args.weights or weights.checkpoint_path())
    if ckpt["arch"] != weights.arch:
        raise ConfigError(f"{args.weights} holds a {ckpt['arch']} network, not {weights.arch}")
    if args.format == "triton":
        from models.export.triton import export_triton

        out = export_triton(network_from_checkpoint(ckpt), weights, Path(args.directory or args.output))
    elif args.format == "torch":
        from models.checkpoint import save_checkpoint, shippable

        out = args.output or weights.checkpoint_path()
        save_checkpoint(out, shippable(ckpt))
    else:  # the frame graph, and its architecture's extra graphs beside it
        out = args.output or weights.onnx_path()
        export_onnx(network_from_checkpoint(ckpt), out)
    log.info("exported %s to %s", args.model, out)
    return 0


def cmd_card(args: argparse.Namespace) -> int:
    from models import catalog, registry

    weights = catalog.get(args.model)
    try:
        from models.checkpoint import load_checkpoint
    except ImportError as e:
        raise ConfigError(f"writing a card needs torch: pip install 'streamer[train]' ({e.name} is missing)") from e
    render = registry.resolve(weights.architecture.card)
    text = render(weights, load_checkpoint(weights.checkpoint_path()), args.psnr, args.ssim)
    weights.card_path().write_text(text)
    log.info("wrote %s", weights.card_path())
    return 0


def _export_tensorrt(weights, size: str) -> int:
    from models.backends.tensorrt_backend import build_ahead

    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size takes WIDTHxHEIGHT, such as 1280x720, not {size!r}") from None
    path = build_ahead(weights, width, height)
    log.info("TensorRT engine for %s at %dx%d: %s", weights.name, width, height, path)
    return 0


COMMANDS = {"enhance": cmd_enhance, "serve": cmd_serve, "run": cmd_run, "models": cmd_models, "train": cmd_train,
            "export": cmd_export, "card": cmd_card}


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = build_parser().parse_args(argv)
        _setup_logging(args.verbose, args.quiet)
        signal.signal(signal.SIGTERM, _raise_interrupt)
        return COMMANDS[args.command](args)
    except StreamerError as e:
        print(f"streamer: error: {mask_credentials(str(e))}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("streamer: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one line, never a traceback, unless asked for
        if debug:
            raise
        what = mask_credentials(f"{type(e).__name__}: {e}")
        print(f"streamer: internal error: {what} (rerun with --debug for details)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
