"""Supervised training of the burst network on synthetic dark bursts (:mod:`models.training.synth`).

Loss: L1 plus ``ssim_weight * (1 - SSIM)`` between the output and the clean newest frame. Adam with
a cosine learning rate, gradient clipping, checkpoints written atomically every ``save_every``
steps; ``init`` starts from existing weights (a fresh optimizer); ``resume`` continues from ``out``
(also past the original ``steps``: raise ``--steps`` to train longer). The burst length is drawn
per batch from ``frames_min..frames`` so the network works with shorter bursts too (the warm-up of
a stream).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from models.checkpoint import load_checkpoint, load_into, plain, record, resume_into, save_checkpoint
from models.errors import ConfigError
from models.nets.burst import BurstNet
from models.training.data import holdout_pairs, training_files
from models.training.losses import ssim
from models.training.synth import BurstSampler, SynthConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BurstTrainConfig:
    """Everything a burst training run depends on; each field is one ``streamer train burst`` flag."""

    data: tuple[Path, ...]
    out: Path
    steps: int = 3000
    batch_size: int = 8
    crop: int = 128
    short_side: int = 256
    frames: int = 6
    frames_min: int = 2
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    ssim_weight: float = 0.2
    ratio_min: float = 5.0
    ratio_max: float = 50.0
    # Monochrome (infrared) cameras and 4:2:0 chroma in the synthetic camera (models.training.synth);
    # the shipped weights' first 6300 steps had neither (0, 0).
    mono_prob: float = 0.1
    chroma420_prob: float = 0.8
    val_low: Path | None = None
    val_high: Path | None = None
    val_count: int = 50
    save_every: int = 100
    log_every: int = 20
    seed: int = 0
    threads: int = 0
    resume: bool = False
    init: Path | None = None

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "crop", "frames", "frames_min", "save_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be positive")
        if self.frames_min > self.frames:
            raise ConfigError("--frames-min must not exceed --frames")
        if (self.val_low is None) != (self.val_high is None):
            raise ConfigError("--val-low and --val-high go together (the folders whose held-out pairs are excluded)")
        if not 1.0 <= self.ratio_min <= self.ratio_max:
            raise ConfigError("exposure ratios must satisfy 1 <= --ratio-min <= --ratio-max")
        for name in ("mono_prob", "chroma420_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"--{name.replace('_', '-')} is a probability: 0 to 1")


def _to_tensor(a: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(a).float() * (1.0 / 255.0)
    return t.movedim(-1, -3)  # (..., H, W, 3) -> (..., 3, H, W)


def train_burst(cfg: BurstTrainConfig) -> dict:
    """Run (or resume) training; returns the final checkpoint dict (also saved to ``cfg.out``)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    net = BurstNet()
    lineage: list[dict] = []  # the --init checkpoints this run grew from, oldest first
    if cfg.init is not None:  # start from existing weights, with a fresh optimizer and schedule
        parent = load_into(net, cfg.init, net.arch, "--init")
        lineage = [*parent.get("lineage", []), record(parent)]
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step = 0
    if cfg.resume and cfg.out.exists():
        step = resume_into(net, opt, cfg.out, net.arch)
        lineage = load_checkpoint(cfg.out).get("lineage", lineage)

    exclude = holdout_pairs(cfg.val_low, cfg.val_high, cfg.val_count).high if cfg.val_high is not None else ()
    files = training_files(cfg.data, exclude)
    synth = SynthConfig(frames=cfg.frames, crop=cfg.crop, ratio=(cfg.ratio_min, cfg.ratio_max),
                        mono_prob=cfg.mono_prob, chroma420_prob=cfg.chroma420_prob)
    sampler = BurstSampler(files, synth, cfg.short_side, seed=cfg.seed + step)
    log.info("training burst on %d clean images (%d of %d kept as well exposed)", len(sampler.images),
             len(sampler.images), len(files))
    lengths = np.random.default_rng(cfg.seed + 1 + step)

    def learning_rate(s: int) -> float:
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * min(s, cfg.steps) / cfg.steps))

    metrics: dict[str, float] = {}

    def checkpoint(save: bool = True) -> dict:
        payload = {
            "arch": net.arch,
            "burst": cfg.frames,
            "state_dict": net.state_dict(),
            "optimizer": opt.state_dict(),
            "step": step,
            "config": plain(asdict(cfg)) | {"train_images": len(sampler.images)},
            "metrics": metrics,
            "lineage": lineage,
        }
        if save:
            save_checkpoint(cfg.out, payload)
        return payload

    net.train()
    t0, first, running = time.perf_counter(), step, []
    while step < cfg.steps:
        n = int(lengths.integers(cfg.frames_min, cfg.frames + 1))
        xb, yb = sampler.batch(cfg.batch_size, frames=n)
        x, y = _to_tensor(xb), _to_tensor(yb)
        out = net(x)
        l1 = (out - y).abs().mean()
        loss = l1 + cfg.ssim_weight * (1.0 - ssim(out.clamp(0, 1), y)) if cfg.ssim_weight else l1
        for group in opt.param_groups:
            group["lr"] = learning_rate(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        opt.step()
        step += 1
        running.append(float(l1.detach()))
        if step % cfg.log_every == 0 or step == cfg.steps:
            rate = (step - first) / max(time.perf_counter() - t0, 1e-9)
            metrics = {"train_l1": float(np.mean(running[-cfg.log_every :]))}
            log.info("step %d/%d loss %.4f L1 %.4f (%.2f steps/s)", step, cfg.steps, float(loss.detach()),
                     metrics["train_l1"], rate)
        if step % cfg.save_every == 0:
            checkpoint()
    return checkpoint()
