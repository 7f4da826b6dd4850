"""Stage 1 of the real-noise denoiser (issue 14): an unpaired CycleGAN between clean and real degraded images.

Two image sets, never paired: clean, well-exposed images (``--data``: e.g. ``sice_train``, keeping only its
well-exposed shots, and ``lol_our485/high``) and real dark, noisy, compressed ones (``--degraded``: folders
of images such as ``lol_our485/low``, or video files, of which ``frames_per_video`` evenly spaced frames
are taken: ``night_clips``, the user's own footage). Crops are cut at the images' own resolution: shrinking
would average the noise away.

Generators F (clean -> degraded, with random input channels: noise is drawn, not memorised) and G
(degraded -> clean), PatchGAN discriminators for each side, LSGAN losses, cycle consistency (L1) and
identity (L1) terms, Adam (0.5, 0.999) with the learning rate decayed linearly to ``lr_end``.
F is what stage 2 uses (:mod:`models.training.restorer`): ``F(y)`` is a realistic degraded twin of any
clean ``y``, ``F(F(y))`` a harder one.

Checkpoints (``{"arch": "degrader", "channels", "blocks", "noise", "state_dict", "discriminators",
"optimizer", "step", "config", "metrics", "lineage"}``) are written atomically every ``save_every``
steps and when training is interrupted; ``resume`` continues from ``out``. With ``val_low`` /
``val_high`` (LOL), the held-out pairs are excluded from both sets and every ``val_every`` steps
F(high) is compared with the real low image (PSNR, SSIM, brightness ratio): how real F's degradation is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import Tensor

from models.checkpoint import load_into, plain, save_checkpoint
from models.errors import ConfigError
from models.imagefiles import IMAGE_SUFFIXES, list_images, read_rgb
from models.nets.restorer import Degrader, PatchDiscriminator
from models.training.data import PairSplit, holdout_pairs
from models.training.synth import well_exposed

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".avi", ".webm", ".ts"})


# ---- data shared by both stages -------------------------------------------------------------------


def video_frames(path: Path, count: int) -> list[np.ndarray]:
    """``count`` evenly spaced frames of the video at ``path`` as (H, W, 3) uint8 RGB."""
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise ConfigError(f"cannot read video {path}")
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if total <= 0:
            raise ConfigError(f"cannot read video {path} (no frames)")
        wanted = set(np.linspace(0, total - 1, min(count, total)).round().astype(int).tolist())
        frames, i = [], 0
        while len(frames) < len(wanted):
            ok, bgr = cap.read()
            if not ok:
                break
            if i in wanted:
                frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            i += 1
    finally:
        cap.release()
    if not frames:
        raise ConfigError(f"cannot read video {path} (no frame decoded)")
    return frames


def image_files(sources: Iterable[Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """The image and video files of ``sources`` (folders of them, or single files), minus ``exclude``."""
    skip = {p.resolve() for p in exclude}
    files: list[Path] = []
    for src in sources:
        if src.is_file():
            if src.suffix.lower() not in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
                raise ConfigError(f"{src} is neither an image nor a video ({', '.join(sorted(VIDEO_SUFFIXES))})")
            files.append(src)
        elif src.is_dir():
            videos = sorted(p for p in src.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
            images = list_images(src) if not videos else [p for p in src.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
            files += [p for p in sorted(images) + videos if p.resolve() not in skip]
        else:
            raise ConfigError(f"data folder not found: {src}")
    return files


def load_images(sources: Sequence[Path], what: str, crop: int, exclude: Iterable[Path] = (),
                frames_per_video: int = 30, keep=None, limit: int = 0, seed: int = 0) -> list[np.ndarray]:
    """The images (and video frames) of ``sources`` as (H, W, 3) uint8 RGB at their own resolution.

    ``keep(image) -> bool`` filters them (the clean side keeps well-exposed shots); ``limit`` > 0 keeps at
    most that many files, drawn at random. Raises one-line ``ConfigError``s for an empty folder, an
    unreadable file, or fewer than 2 usable images (``what`` names the set in the message).
    """
    files = image_files(sources, exclude)
    if limit and len(files) > limit:
        files = [files[i] for i in sorted(np.random.default_rng(seed).choice(len(files), limit, replace=False))]
    images: list[np.ndarray] = []
    for f in files:
        got = video_frames(f, frames_per_video) if f.suffix.lower() in VIDEO_SUFFIXES else [read_rgb(f)]
        images += [im for im in got if min(im.shape[:2]) >= crop and (keep is None or keep(im))]
    if len(images) < 2:
        named = ", ".join(str(s) for s in sources)
        raise ConfigError(f"{what}: {len(images)} usable image(s) in {named} (need at least 2, each at least "
                          f"{crop} px on its short side{', well exposed' if keep is not None else ''})")
    return images


class PatchSampler:
    """Random crops with horizontal flips from images held in memory: (B, c, c, 3) uint8 RGB batches."""

    def __init__(self, images: Sequence[np.ndarray], crop: int, seed: int = 0) -> None:
        self.images = list(images)
        self.crop = crop
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> np.ndarray:
        c = self.crop
        out = np.empty((size, c, c, 3), np.uint8)
        for i, k in enumerate(self.rng.integers(len(self.images), size=size)):
            im = self.images[k]
            top = self.rng.integers(im.shape[0] - c + 1)
            left = self.rng.integers(im.shape[1] - c + 1)
            patch = im[top : top + c, left : left + c]
            out[i] = patch[:, ::-1] if self.rng.random() < 0.5 else patch
        return out


def to_tensor(batch: np.ndarray) -> Tensor:
    """(B, H, W, 3) uint8 RGB -> (B, 3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0


def linear_lr(step: int, steps: int, lr: float, lr_end: float) -> float:
    """From ``lr`` at step 0 linearly down to ``lr_end`` at ``steps`` (and ``lr_end`` beyond)."""
    return lr + (lr_end - lr) * min(step, steps) / steps


def quantize(x: Tensor) -> Tensor:
    """Values rounded to uint8 levels (what a camera delivers), without a gradient through the rounding."""
    return x + ((x.clamp(0, 1) * 255.0).round() / 255.0 - x).detach()


def lsgan(scores: Tensor, real: bool) -> Tensor:
    """LSGAN's least-squares loss: scores pulled to 1 (``real``) or 0."""
    return ((scores - (1.0 if real else 0.0)) ** 2).mean()


def interrupted_save(save, step: int) -> None:
    """Write the last checkpoint of an interrupted run, then let the interruption go on."""
    log.info("interrupted at step %d: saving the checkpoint", step)
    save()


# ---- stage 1 --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DegradationConfig:
    """Everything a stage-1 run depends on; each field is one ``streamer train degrader`` flag."""

    data: tuple[Path, ...]
    out: Path
    degraded: tuple[Path, ...] = ()
    steps: int = 3000
    batch_size: int = 4
    crop: int = 128
    channels: int = 16
    blocks: int = 3
    noise: int = 2
    disc_channels: int = 32
    lr: float = 2e-4
    lr_end: float = 1e-5
    cycle_weight: float = 10.0
    identity_weight: float = 5.0
    frames_per_video: int = 30
    max_images: int = 800
    val_low: Path | None = None
    val_high: Path | None = None
    val_count: int = 50
    val_every: int = 0
    save_every: int = 200
    log_every: int = 20
    seed: int = 0
    threads: int = 0
    resume: bool = False
    init: Path | None = None

    def __post_init__(self) -> None:
        if not self.degraded:
            raise ConfigError("--degraded PATH (repeatable): folders or videos of real dark, noisy footage are needed")
        for name in ("steps", "batch_size", "crop", "channels", "blocks", "disc_channels", "save_every", "log_every",
                     "frames_per_video"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be positive")
        if self.crop % 8:
            raise ConfigError("--crop must be a multiple of 8")
        if (self.val_low is None) != (self.val_high is None):
            raise ConfigError("--val-low and --val-high go together")
        if not 0 < self.lr_end <= self.lr:
            raise ConfigError("--lr-end must be positive and at most --lr")


def _split(cfg) -> PairSplit | None:
    return holdout_pairs(cfg.val_low, cfg.val_high, cfg.val_count) if cfg.val_low is not None else None


def evaluate_degrader(net: Degrader, split: PairSplit, seed: int = 0) -> dict[str, float]:
    """How close F(high) comes to the real low image of each held-out pair (and G(low) to high):
    mean PSNR/SSIM on RGB uint8, and the mean brightness of F(high) over the real low's."""
    from models.training.metrics import psnr, ssim

    ps, ss, ratio, back = [], [], [], []
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        net.eval()
        for lo, hi in zip(split.low, split.high, strict=True):
            low, high = read_rgb(lo), read_rgb(hi)
            fake = _uint8(net.to_degraded(to_tensor(high[None])))
            ps.append(psnr(low, fake))
            ss.append(ssim(low, fake))
            ratio.append(fake.mean() / max(low.mean(), 1e-3))
            back.append(psnr(high, _uint8(net.to_clean(to_tensor(low[None])))))
        net.train()
    return {"f_psnr": float(np.mean(ps)), "f_ssim": float(np.mean(ss)), "f_brightness_ratio": float(np.mean(ratio)),
            "g_psnr": float(np.mean(back)), "pairs": len(ps)}


def _uint8(x: Tensor) -> np.ndarray:
    return (x[0].clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()


def train(cfg: DegradationConfig) -> dict:
    """Run (or resume) stage 1; returns the final checkpoint dict (also saved to ``cfg.out``)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    net = Degrader(cfg.channels, cfg.blocks, cfg.noise)
    d_clean, d_degraded = PatchDiscriminator(cfg.disc_channels), PatchDiscriminator(cfg.disc_channels)
    lineage: list[dict] = []
    if cfg.init is not None:
        parent = load_into(net, cfg.init, net.arch, "--init")
        lineage = [*parent.get("lineage", []), {k: parent[k] for k in ("step", "config", "metrics") if k in parent}]
    opt_g = torch.optim.Adam(net.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*d_clean.parameters(), *d_degraded.parameters()], lr=cfg.lr, betas=(0.5, 0.999))
    step = 0
    if cfg.resume and cfg.out.exists():
        ckpt = load_into(net, cfg.out, net.arch, str(cfg.out))
        d_clean.load_state_dict(ckpt["discriminators"]["clean"])
        d_degraded.load_state_dict(ckpt["discriminators"]["degraded"])
        opt_g.load_state_dict(ckpt["optimizer"]["g"])
        opt_d.load_state_dict(ckpt["optimizer"]["d"])
        step, lineage = int(ckpt["step"]), ckpt.get("lineage", [])
        log.info("resumed %s at step %d", cfg.out, step)

    split = _split(cfg)
    held = (*split.low, *split.high) if split else ()
    clean = load_images(cfg.data, "clean images (--data)", cfg.crop, held, cfg.frames_per_video, well_exposed,
                        cfg.max_images, cfg.seed)
    dark = load_images(cfg.degraded, "degraded images (--degraded)", cfg.crop, held, cfg.frames_per_video,
                       None, cfg.max_images, cfg.seed)
    log.info("stage 1: %d clean (well-exposed) and %d degraded images%s", len(clean), len(dark),
             f", validating on {len(split.low)} pairs" if split else "")
    clean_s, dark_s = PatchSampler(clean, cfg.crop, cfg.seed + step), PatchSampler(dark, cfg.crop, cfg.seed + 1 + step)
    metrics: dict[str, float] = {}

    def checkpoint(save: bool = True) -> dict:
        payload = {
            "arch": net.arch, "channels": cfg.channels, "blocks": cfg.blocks, "noise": cfg.noise,
            "state_dict": net.state_dict(),
            "discriminators": {"clean": d_clean.state_dict(), "degraded": d_degraded.state_dict()},
            "optimizer": {"g": opt_g.state_dict(), "d": opt_d.state_dict()},
            "step": step,
            "config": plain(asdict(cfg)) | {"clean_images": len(clean), "degraded_images": len(dark)},
            "metrics": metrics,
            "lineage": lineage,
        }
        if save:
            save_checkpoint(cfg.out, payload)
        return payload

    f, g = net.to_degraded, net.to_clean
    t0, first, running = time.perf_counter(), step, []
    try:
        while step < cfg.steps:
            y, x = to_tensor(clean_s.batch(cfg.batch_size)), to_tensor(dark_s.batch(cfg.batch_size))
            lr = linear_lr(step, cfg.steps, cfg.lr, cfg.lr_end)
            for opt in (opt_g, opt_d):
                for group in opt.param_groups:
                    group["lr"] = lr
            fake_x, fake_y = quantize(f(y)), g(x)
            loss_adv = lsgan(d_degraded(fake_x), True) + lsgan(d_clean(fake_y), True)
            loss_cyc = (g(fake_x) - y).abs().mean() + (f(fake_y) - x).abs().mean()
            loss = loss_adv + cfg.cycle_weight * loss_cyc
            if cfg.identity_weight:
                loss = loss + cfg.identity_weight * ((f(x) - x).abs().mean() + (g(y) - y).abs().mean())
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
            loss_d = (lsgan(d_degraded(x), True) + lsgan(d_degraded(fake_x.detach()), False)
                      + lsgan(d_clean(y), True) + lsgan(d_clean(fake_y.detach()), False)) * 0.5
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            step += 1
            running.append((float(loss_adv.detach()), float(loss_cyc.detach()), float(loss_d.detach())))
            if step % cfg.log_every == 0 or step == cfg.steps:
                adv, cyc, dl = np.mean(running[-cfg.log_every :], axis=0)
                rate = (step - first) / max(time.perf_counter() - t0, 1e-9)
                log.info("step %d/%d adv %.3f cycle %.4f D %.3f (%.2f steps/s)", step, cfg.steps, adv, cyc, dl, rate)
            if split is not None and cfg.val_every and step % cfg.val_every == 0:
                metrics = evaluate_degrader(net, split)
                log.info("step %d validation: F(high) vs low PSNR %.2f dB SSIM %.4f brightness x%.2f; G(low) vs high "
                         "PSNR %.2f dB", step, metrics["f_psnr"], metrics["f_ssim"], metrics["f_brightness_ratio"],
                         metrics["g_psnr"])
            if step % cfg.save_every == 0:
                checkpoint()
    except KeyboardInterrupt:
        interrupted_save(checkpoint, step)
        raise
    if split is not None and not (cfg.val_every and step % cfg.val_every == 0):
        metrics = evaluate_degrader(net, split)
    return checkpoint()
