"""Zero-reference training of Zero-DCE / Zero-DCE++ (Adam, weight decay, gradient clipping).

Checkpoints are dicts ``{"arch", "scale", "state_dict", "optimizer", "step", "config",
"metrics"}`` written atomically; training resumes from one with the same ``out`` path.
``init`` + ``freeze="all-but-last"`` fine-tunes only the last layer of existing weights on a new
domain (e.g. a few hundred dark frames of your own camera).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from models import registry
from models.checkpoint import build_network, load_into, plain, resume_into, save_checkpoint
from models.errors import ConfigError
from models.imagefiles import read_rgb
from models.nets.zero_dce import CURVE_RULES
from models.runtime.tone import EXPOSURE_MIX
from models.training.curve_prior import prior_loss
from models.training.data import CropSampler, PairSplit, holdout_pairs, paired_targets, training_files
from models.training.losses import ssim, zero_reference_loss

log = logging.getLogger(__name__)

FREEZE_CHOICES = ("none", "all-but-last")
LR_SCHEDULES = ("constant", "cosine")
PAIRED_MATCH = ("gain", "gamma")
PAIRED_LOSSES = ("l1", "l2")
# The reference code's illumination-smoothness weights.
DEFAULT_TV_WEIGHT = {"zero-dce": 200.0, "zero-dce++": 1600.0}


def trained_here() -> tuple[str, ...]:
    """The architectures whose trainer this module is (:mod:`models.registry`)."""
    return tuple(a.name for a in registry.ARCHITECTURES.values() if a.trainer == f"{__name__}:train")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; each field is one ``streamer train`` flag."""

    arch: str
    data: tuple[Path, ...]
    out: Path
    steps: int = 2000
    batch_size: int = 8
    crop: int = 256
    short_side: int = 320
    lr: float = 1e-4
    lr_schedule: str = "constant"
    weight_decay: float = 1e-4
    grad_clip: float = 0.1
    exposure_level: float = 0.6
    exposure_weight: float = 10.0
    exposure_patch: int = 16
    color_weight: float = 5.0
    tv_weight: float | None = None
    scale: int = 12
    train_scale: int | None = None
    curve_rule: str = "colour-true"
    init: Path | None = None
    freeze: str = "none"
    resume: bool = False
    pairs: tuple[Path, Path] | None = None
    paired_weight: float = 0.0
    paired_match_brightness: bool = False
    paired_match: str = "gain"
    paired_ssim_weight: float = 0.0
    paired_loss: str = "l1"
    spatial_weight: float = 1.0
    curve_prior: tuple[float, float] | None = None
    curve_prior_weight: float = 0.0
    val_low: Path | None = None
    val_high: Path | None = None
    val_count: int = 50
    val_every: int = 0
    keep_validated: bool = False
    save_every: int = 200
    log_every: int = 20
    seed: int = 0
    threads: int = 0

    def __post_init__(self) -> None:
        if self.arch not in trained_here():
            raise ConfigError(f"unknown model {self.arch!r}; train one of: {', '.join(trained_here())}")
        if self.freeze not in FREEZE_CHOICES:
            raise ConfigError(f"--freeze must be one of {', '.join(FREEZE_CHOICES)}, not {self.freeze!r}")
        if self.curve_rule not in CURVE_RULES:
            raise ConfigError(f"--curve-rule must be one of {', '.join(CURVE_RULES)}, not {self.curve_rule!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"--lr-schedule must be one of {', '.join(LR_SCHEDULES)}, not {self.lr_schedule!r}")
        if self.freeze != "none" and self.init is None:
            raise ConfigError("--freeze needs --init CKPT: there is nothing to keep frozen otherwise")
        if self.paired_match not in PAIRED_MATCH:
            raise ConfigError(f"--paired-match must be one of {', '.join(PAIRED_MATCH)}, not {self.paired_match!r}")
        if self.paired_loss not in PAIRED_LOSSES:
            raise ConfigError(f"--paired-loss must be one of {', '.join(PAIRED_LOSSES)}, not {self.paired_loss!r}")
        if self.train_scale is not None and self.train_scale <= 0:
            raise ConfigError("--train-scale must be positive")
        for name in ("steps", "batch_size", "crop", "scale", "save_every", "log_every", "exposure_patch"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be positive")
        if (self.val_low is None) != (self.val_high is None):
            raise ConfigError("--val-low and --val-high go together")
        if (self.pairs is None) != (self.paired_weight == 0.0 and self.paired_ssim_weight == 0.0):
            raise ConfigError("--pairs LOW HIGH and a positive --paired-weight or --paired-ssim-weight go together")
        if (self.curve_prior is None) != (self.curve_prior_weight == 0.0):
            raise ConfigError("--curve-prior A0 B and a positive --curve-prior-weight go together")
        if self.curve_prior is not None and self.arch != "zero-dce++":
            raise ConfigError("--curve-prior is for zero-dce++ (one shared curve map)")
        if not 0.0 < self.exposure_level < 1.0:
            raise ConfigError("--exposure-level must be between 0 and 1")

    @property
    def effective_tv_weight(self) -> float:
        return DEFAULT_TV_WEIGHT[self.arch] if self.tv_weight is None else self.tv_weight


def match_brightness(target: Tensor, output: Tensor, mode: str = "gain") -> Tensor:
    """``target`` brought to the mean brightness of ``output``, image by image (NCHW in [0, 1]).

    ``gain`` scales it (``t * k``); ``gamma`` raises it to a power (``t ** g``, found by bisection),
    which moves the mid-tones and keeps black and white where they are.
    """
    want = output.mean((1, 2, 3), keepdim=True)
    if mode == "gain":
        return target * (want / target.mean((1, 2, 3), keepdim=True).clamp_min(1e-3))
    t = target.clamp(1e-4, 1.0)
    lo = torch.full_like(want, -4.0)  # log2 of the exponent: from 1/16 to 16
    hi = torch.full_like(want, 4.0)
    for _ in range(24):
        mid = (lo + hi) / 2
        brighter = (t ** torch.exp2(mid)).mean((1, 2, 3), keepdim=True) > want  # a larger exponent darkens
        lo = torch.where(brighter, mid, lo)
        hi = torch.where(brighter, hi, mid)
    return t ** torch.exp2((lo + hi) / 2)


def evaluate_pairs(net: torch.nn.Module, split: PairSplit, scale: int | None = None) -> dict[str, float]:
    """Mean PSNR/SSIM of ``net`` on full-resolution validation pairs (RGB uint8, skimage).

    ``scale`` sets a Zero-DCE++ network's curve-map scale for the evaluation (its inference scale).
    """
    from models.training.metrics import psnr, ssim

    training_scale = getattr(net, "scale", None)
    if scale is not None and training_scale is not None:
        net.scale = scale
    net.eval()
    ps, ss = [], []
    with torch.no_grad():
        for lo, hi in zip(split.low, split.high, strict=True):
            x = torch.from_numpy(read_rgb(lo)).permute(2, 0, 1)[None].float() / 255.0
            y, _ = net(x)
            out = (y[0].clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()
            truth = read_rgb(hi)
            ps.append(psnr(truth, out))
            ss.append(ssim(truth, out))
    net.train()
    if training_scale is not None:
        net.scale = training_scale
    return {"psnr": float(np.mean(ps)), "ssim": float(np.mean(ss)), "pairs": len(ps)}


def best_path(out: Path) -> Path:
    """Where the checkpoint with the best validation PSNR so far is kept (``--val-every``)."""
    return out.with_name(f"{out.stem}.best{out.suffix}")


def _freeze(net: torch.nn.Module, mode: str) -> list[torch.nn.Parameter]:
    if mode == "all-but-last":
        for p in net.parameters():
            p.requires_grad_(False)
        for p in net.last_layer().parameters():
            p.requires_grad_(True)
    return [p for p in net.parameters() if p.requires_grad]


def train(cfg: TrainConfig) -> dict:
    """Run (or resume) training; returns the final checkpoint dict (also saved to ``cfg.out``)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    # Zero-DCE++ may train at another curve-map scale than it runs at (the reference trains at 1).
    net = build_network(cfg.arch, scale=cfg.train_scale or cfg.scale, curve_rule=cfg.curve_rule)
    # Where the weights came from: the --init checkpoint's own record, after its ancestors'.
    lineage: list[dict] = []
    if cfg.init is not None:
        parent = load_into(net, cfg.init, cfg.arch, "--init")
        lineage = [*parent.get("lineage", []),
                   {k: parent[k] for k in ("step", "config", "metrics") if k in parent}]
    params = _freeze(net, cfg.freeze)
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)

    def learning_rate(step: int) -> float:
        if cfg.lr_schedule == "cosine":  # from lr down to 0 at the last step
            return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * step / cfg.steps))
        return cfg.lr

    step = 0
    if cfg.resume and cfg.out.exists():
        step = resume_into(net, opt, cfg.out, cfg.arch)

    split = None
    if cfg.val_low is not None and cfg.val_high is not None:
        split = holdout_pairs(cfg.val_low, cfg.val_high, cfg.val_count)
    files = training_files(cfg.data, split.low if split else ())
    log.info("training %s on %d images%s", cfg.arch, len(files), f", validating on {cfg.val_count} pairs" if split else "")
    targets: list[Path | None] = [None] * len(files)
    if cfg.pairs is not None:
        targets = paired_targets(files, *cfg.pairs)
        log.info("%d training images have a normal-light pair in %s", sum(t is not None for t in targets), cfg.pairs[1])
    sampler = CropSampler(files, cfg.crop, cfg.short_side, seed=cfg.seed + step, targets=targets)

    metrics: dict[str, float] = {}
    best_psnr = float("-inf")

    def checkpoint(save: bool = True) -> dict:
        payload = {
            "arch": cfg.arch,
            "scale": cfg.scale,
            "curve_rule": cfg.curve_rule,
            "state_dict": net.state_dict(),
            "optimizer": opt.state_dict(),
            "step": step,
            # exposure_mix: the colour-true rule's step 5 as trained (models.nets.tone); cards say when it was absent.
            "config": plain(asdict(cfg)) | {"train_images": len(files), "exposure_mix": EXPOSURE_MIX},
            "metrics": metrics,
            "lineage": lineage,
        }
        if save:
            save_checkpoint(cfg.out, payload)
        return payload

    net.train()
    t0, first = time.perf_counter(), step
    while step < cfg.steps:
        xb, yb, has = sampler.batch(cfg.batch_size)
        x = torch.from_numpy(xb).permute(0, 3, 1, 2).float() / 255.0
        enhanced, alphas = net(x)
        loss, parts = zero_reference_loss(
            enhanced,
            x,
            alphas,
            exposure_level=cfg.exposure_level,
            exposure_patch=cfg.exposure_patch,
            w_spa=cfg.spatial_weight,
            w_exp=cfg.exposure_weight,
            w_col=cfg.color_weight,
            w_tv=cfg.effective_tv_weight,
        )
        if cfg.curve_prior is not None:
            # Towards the brightness rule, in the runtime view (cfg.scale) whatever the training scale.
            term = cfg.curve_prior_weight * prior_loss(alphas, x, *cfg.curve_prior, scale=cfg.scale)
            loss = loss + term
            parts["prior"] = float(term.detach())
        if cfg.pairs is not None and has.any():
            y = torch.from_numpy(yb[has]).permute(0, 3, 1, 2).float() / 255.0
            e = enhanced[torch.from_numpy(has)]
            if cfg.paired_match_brightness:
                # Pairs teach contrast and colour only; the exposure level stays the zero-reference E.
                y = match_brightness(y, e.detach(), cfg.paired_match)
            if cfg.paired_weight:
                diff = e - y
                term = cfg.paired_weight * (diff.abs().mean() if cfg.paired_loss == "l1" else (diff * diff).mean())
                loss = loss + term
                parts[cfg.paired_loss] = float(term.detach())
            if cfg.paired_ssim_weight:
                dssim = cfg.paired_ssim_weight * (1.0 - ssim(e, y))
                loss = loss + dssim
                parts["ssim"] = float(dssim.detach())
        for group in opt.param_groups:
            group["lr"] = learning_rate(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        step += 1
        if step % cfg.log_every == 0 or step == cfg.steps:
            rate = (step - first) / max(time.perf_counter() - t0, 1e-9)
            log.info("step %d/%d loss %.4f %s (%.2f steps/s)", step, cfg.steps, float(loss.detach()), parts, rate)
        if split is not None and cfg.val_every and step % cfg.val_every == 0:
            metrics = evaluate_pairs(net, split, cfg.scale)
            log.info("step %d validation: PSNR %.3f dB SSIM %.4f", step, metrics["psnr"], metrics["ssim"])
            if cfg.keep_validated:
                save_checkpoint(cfg.out.with_name(f"{cfg.out.stem}.step{step}{cfg.out.suffix}"), checkpoint(save=False))
            if metrics["psnr"] > best_psnr:
                best_psnr = metrics["psnr"]
                save_checkpoint(best_path(cfg.out), checkpoint(save=False))
                log.info("best so far: saved %s", best_path(cfg.out))
        if step % cfg.save_every == 0:
            checkpoint()
    if split is not None:
        metrics = evaluate_pairs(net, split, cfg.scale)
        log.info("final validation: PSNR %.3f dB SSIM %.4f", metrics["psnr"], metrics["ssim"])
    return checkpoint()
