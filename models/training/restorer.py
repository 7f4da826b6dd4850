"""Stage 2 of the real-noise denoiser (issue 14): the restorer, trained on the degrader's pairs.

The run-time input decides the training input. In the stream the restorer runs after the curve model
(or alone on frames that something else brightened), so it sees a dark, noisy, compressed frame
*after brightening*: noise lifted with the shadows, 8-bit steps stretched. Each training input is made
that way from a clean crop ``y``: ``d = F(y)`` (stage 1's clean-to-degraded generator, or ``F(F(y))``
for a ``twice`` share of the batches: harder), rounded to uint8 levels as a camera would deliver it,
then brightened by the curve model (``curve``: the shipped Zero-DCE++ by default, the exact path) and
rounded again. The target is ``y`` itself (the restorer removes noise and artefacts and also corrects
what the curve got wrong about exposure and colour), or with ``match_exposure`` ``y`` scaled by one gain
to the brightened input's exposure: its mean (``mean``), or its local average (``local``, tone and colour kept
everywhere); the exposure stays the curve model's and the restorer only restores.
With ``pairs`` a ``pair_fraction`` share of each batch is real: (curve(LOL low), LOL high) crops.

Loss: L1 + ``feature_weight`` x a feature-space L1 + ``adv_weight`` x LSGAN (a PatchGAN discriminator),
and ``ssim_weight`` x (1 - SSIM) when it is not 0 (SSIM is what the chain is judged by).
The feature space is the discriminator's own layers (feature matching: nothing to download), or VGG-19's
relu1_2..relu4_4 when ``vgg`` names a file of standard VGG-19 weights. RMSProp for both networks, the
learning rate decayed linearly from ``lr`` to ``lr_end``; an exponential moving average of the
generator's weights (``ema``) is what validation measures and what ships.

Checkpoints hold the averaged weights as ``state_dict`` (what ships) and the raw ones, the
discriminator and the optimizers for resuming; written atomically every ``save_every`` steps and when
training is interrupted. With ``val_low``/``val_high`` (LOL) the held-out pairs are never trained on;
every ``val_every`` steps the chain curve -> restorer is measured on them (PSNR/SSIM against the
normal-light image), the best SSIM kept as ``OUT.best.pt``.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.catalog import get as shipped
from models.checkpoint import load_checkpoint, load_into, network_from_checkpoint, plain, record, save_checkpoint
from models.errors import ConfigError
from models.imagefiles import list_images, read_rgb
from models.nets.restorer import GENERATORS, PatchDiscriminator, Restorer, VGG19Features
from models.training.curves import match_brightness
from models.training.data import CropSampler, PairSplit, holdout_pairs
from models.training.degradation import (
    PatchSampler,
    interrupted_save,
    linear_lr,
    load_images,
    lsgan,
    quantize,
    to_tensor,
)
from models.training.losses import ssim as ssim_loss
from models.training.synth import well_exposed

log = logging.getLogger(__name__)


MATCH_EXPOSURE = ("none", "mean", "local")
# The local exposure of ``--match-exposure local``: a box average this wide (pixels), about the size of a
# curve-map cell of Zero-DCE++ (1/12 scale) and well above the noise's.
LOCAL_WINDOW = 15


def exposure_matched(y: Tensor, x: Tensor, mode: str) -> Tensor:
    """The target ``y`` brought to the exposure of the brightened input ``x`` (NCHW in [0, 1]).

    ``mean``: one gain per image, to ``x``'s mean. ``local``: ``y``'s detail on ``x``'s local average
    (``y - blur(y) + blur(x)``, a :data:`LOCAL_WINDOW`-pixel box per channel): tone and colour stay the curve
    model's everywhere, and what the restorer learns is the difference at fine scale: noise, blocking, lost detail.
    """
    if mode == "mean":
        return match_brightness(y, x).clamp(0.0, 1.0)

    def blur(t: Tensor) -> Tensor:
        return F.avg_pool2d(t, LOCAL_WINDOW, 1, LOCAL_WINDOW // 2, count_include_pad=False)

    return (y - blur(y) + blur(x)).clamp(0.0, 1.0)


@dataclass(frozen=True)
class RestorerConfig:
    """Everything a stage-2 run depends on; each field is one ``streamer train restorer`` flag."""

    data: tuple[Path, ...]
    out: Path
    degrader: Path | None = None
    curve: Path | None = None
    generator: str = "unet"
    channels: int = 16
    blocks: int = 3
    disc_channels: int = 32
    steps: int = 4000
    batch_size: int = 8
    crop: int = 256
    lr: float = 2e-4
    lr_end: float = 1e-5
    feature_weight: float = 1.0
    adv_weight: float = 0.01
    ssim_weight: float = 0.0
    vgg: Path | None = None
    ema: float = 0.999
    twice: float = 0.0
    match_exposure: str = "none"
    pairs: tuple[Path, Path] | None = None
    pair_fraction: float = 0.25
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
        if self.degrader is None:
            raise ConfigError("--degrader CKPT is needed: the stage-1 checkpoint ('streamer train degrader') making the pairs")
        if self.generator not in GENERATORS:
            raise ConfigError(f"--generator must be one of {', '.join(GENERATORS)}, not {self.generator!r}")
        for name in ("steps", "batch_size", "crop", "channels", "blocks", "disc_channels", "save_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be positive")
        if self.crop % 8:
            raise ConfigError("--crop must be a multiple of 8")
        if not 0 < self.lr_end <= self.lr:
            raise ConfigError("--lr-end must be positive and at most --lr")
        if self.match_exposure not in MATCH_EXPOSURE:
            raise ConfigError(f"--match-exposure must be one of {', '.join(MATCH_EXPOSURE)}, not {self.match_exposure!r}")
        if not 0.0 <= self.ema < 1.0:
            raise ConfigError("--ema must be in [0, 1)")
        if self.ssim_weight < 0.0:
            raise ConfigError("--ssim-weight must be 0 or more")
        for name in ("twice", "pair_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"--{name.replace('_', '-')} must be between 0 and 1")
        if (self.val_low is None) != (self.val_high is None):
            raise ConfigError("--val-low and --val-high go together")
        if self.vgg is not None and not self.vgg.is_file():
            raise ConfigError(f"--vgg file not found: {self.vgg}")

    @property
    def feature_loss(self) -> str:
        return "vgg19" if self.vgg is not None else "discriminator"


def curve_checkpoint(cfg: RestorerConfig) -> Path:
    """The curve model that brightens the training inputs: ``--curve`` or the shipped Zero-DCE++."""
    return cfg.curve or shipped("zero-dce++").checkpoint_path()


class Brightener:
    """The input pipeline of the stream, applied to degraded crops: uint8 levels, the curve model, uint8
    levels again. ``__call__(d)``: (B, 3, H, W) in [0, 1] -> the same, brightened; no gradient."""

    def __init__(self, curve: nn.Module) -> None:
        self.curve = curve.eval().requires_grad_(False)

    @torch.no_grad()
    def __call__(self, d: Tensor) -> Tensor:
        return quantize(self.curve(quantize(d))[0])


def _uint8(x: Tensor) -> np.ndarray:
    return (x[0].clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()


def evaluate_chain(net: nn.Module, brighten: Brightener, split: PairSplit) -> dict[str, float]:
    """Mean PSNR/SSIM on RGB uint8 of curve -> ``net`` on the held-out pairs, and of the curve alone."""
    from models.training.metrics import psnr, ssim

    ps, ss, cp, cs = [], [], [], []
    was = net.training
    net.eval()
    with torch.no_grad():
        for lo, hi in zip(split.low, split.high, strict=True):
            truth = read_rgb(hi)
            x = brighten(to_tensor(read_rgb(lo)[None]))
            out = _uint8(net(x)[0])
            curved = _uint8(x)
            ps.append(psnr(truth, out))
            ss.append(ssim(truth, out))
            cp.append(psnr(truth, curved))
            cs.append(ssim(truth, curved))
    net.train(was)
    return {"psnr": float(np.mean(ps)), "ssim": float(np.mean(ss)), "curve_psnr": float(np.mean(cp)),
            "curve_ssim": float(np.mean(cs)), "pairs": len(ps)}


def evaluate_synthetic(net: nn.Module, degrade: nn.Module, brighten: Brightener, split: PairSplit,
                       count: int = 10, seed: int = 0) -> dict[str, float]:
    """The easy and the hard synthetic set side by side: PSNR/SSIM of the brightened F(y) and F(F(y)) of
    the first ``count`` held-out normal-light images, before and after ``net``."""
    from models.training.metrics import psnr, ssim

    out: dict[str, list[float]] = {}
    was = net.training
    net.eval()
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        for hi in split.high[:count]:
            truth = read_rgb(hi)
            y = to_tensor(truth[None])
            once = quantize(degrade(y))
            for name, d in (("once", once), ("twice", quantize(degrade(once)))):
                x = brighten(d)
                for stage, img in (("input", _uint8(x)), ("restored", _uint8(net(x)[0]))):
                    out.setdefault(f"{name}_{stage}_psnr", []).append(psnr(truth, img))
                    out.setdefault(f"{name}_{stage}_ssim", []).append(ssim(truth, img))
    net.train(was)
    return {k: float(np.mean(v)) for k, v in out.items()}


class FeatureLoss(nn.Module):
    """Mean L1 distance of two images' features: VGG-19's (when given) or the discriminator's own layers."""

    def __init__(self, disc: PatchDiscriminator, vgg: VGG19Features | None) -> None:
        super().__init__()
        self.disc, self.vgg = disc, vgg

    def forward(self, out: Tensor, target: Tensor) -> Tensor:
        if self.vgg is not None:
            fo, ft = self.vgg(out), self.vgg(target)
        else:
            fo, ft = self.disc.features(out), self.disc.features(target)
        return sum((a - b.detach()).abs().mean() for a, b in zip(fo, ft, strict=True)) / len(fo)


@torch.no_grad()
def ema_update(avg: nn.Module, net: nn.Module, decay: float) -> None:
    for a, p in zip(avg.parameters(), net.parameters(), strict=True):
        a.lerp_(p, 1.0 - decay)


def best_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.best{out.suffix}")


def _real_pairs(cfg: RestorerConfig, held: set[Path]) -> CropSampler:
    low, high = cfg.pairs
    files = [p for p in list_images(low) if p.resolve() not in held]
    targets = [high / p.name for p in files]
    missing = [t for t in targets if not t.is_file()]
    if missing:
        raise ConfigError(f"--pairs: {len(missing)} images of {low} have no twin in {high}, e.g. {missing[0].name}")
    if len(files) < 2:
        raise ConfigError(f"--pairs: {len(files)} usable pair(s) in {low} (need at least 2)")
    return CropSampler(files, cfg.crop, 1 << 16, seed=cfg.seed + 2, targets=targets)


def train(cfg: RestorerConfig) -> dict:
    """Run (or resume) stage 2; returns the final checkpoint dict (also saved to ``cfg.out``)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    degrader_ckpt = load_checkpoint(cfg.degrader)
    if degrader_ckpt["arch"] != "degrader":
        raise ConfigError(f"--degrader holds a {degrader_ckpt['arch']} network, not the stage-1 degrader")
    degrade = network_from_checkpoint(degrader_ckpt).to_degraded.requires_grad_(False)
    curve_ckpt = load_checkpoint(curve_checkpoint(cfg))
    brighten = Brightener(network_from_checkpoint(curve_ckpt))

    net = Restorer(cfg.generator, cfg.channels, cfg.blocks)
    disc = PatchDiscriminator(cfg.disc_channels)
    vgg = VGG19Features.load(cfg.vgg) if cfg.vgg is not None else None
    feature_loss = FeatureLoss(disc, vgg)
    lineage: list[dict] = []
    if cfg.init is not None:
        parent = load_into(net, cfg.init, net.arch, "--init")
        lineage = [*parent.get("lineage", []), record(parent)]
    avg = copy.deepcopy(net).requires_grad_(False)
    opt_g = torch.optim.RMSprop(net.parameters(), lr=cfg.lr)
    opt_d = torch.optim.RMSprop(disc.parameters(), lr=cfg.lr)
    step, best = 0, float("-inf")
    if cfg.resume and cfg.out.exists():
        ckpt = load_into(avg, cfg.out, net.arch, str(cfg.out))
        net.load_state_dict(ckpt["raw_state_dict"])
        disc.load_state_dict(ckpt["discriminator"])
        opt_g.load_state_dict(ckpt["optimizer"]["g"])
        opt_d.load_state_dict(ckpt["optimizer"]["d"])
        step, lineage, best = int(ckpt["step"]), ckpt.get("lineage", []), ckpt.get("best_ssim", best)
        log.info("resumed %s at step %d", cfg.out, step)

    split = holdout_pairs(cfg.val_low, cfg.val_high, cfg.val_count) if cfg.val_low is not None else None
    held = {p.resolve() for p in ((*split.low, *split.high) if split else ())}
    clean = load_images(cfg.data, "clean images (--data)", cfg.crop, held, keep=well_exposed, limit=cfg.max_images,
                        seed=cfg.seed)
    sampler = PatchSampler(clean, cfg.crop, cfg.seed + step)
    real = _real_pairs(cfg, held) if cfg.pairs is not None else None
    n_real = round(cfg.batch_size * cfg.pair_fraction) if real is not None else 0
    twice_rng = np.random.default_rng(cfg.seed + 3 + step)
    log.info("stage 2: %s restorer, %d clean images%s, feature loss: %s%s", cfg.generator, len(clean),
             f", {len(real.images)} real pairs ({n_real} of each batch)" if real else "", cfg.feature_loss,
             f", validating on {len(split.low)} pairs" if split else "")
    metrics: dict[str, float] = {}

    def checkpoint(save: bool = True) -> dict:
        payload = {
            "arch": net.arch, "generator": cfg.generator, "channels": cfg.channels, "blocks": cfg.blocks,
            "state_dict": avg.state_dict(),
            "raw_state_dict": net.state_dict(),
            "discriminator": disc.state_dict(),
            "optimizer": {"g": opt_g.state_dict(), "d": opt_d.state_dict()},
            "step": step,
            "best_ssim": best,
            "config": plain(asdict(cfg)) | {"train_images": len(clean), "feature_loss": cfg.feature_loss,
                                            "real_pairs": len(real.images) if real else 0,
                                            "degrader_record": plain(record(degrader_ckpt)),
                                            "curve_record": plain(record(curve_ckpt))},
            "metrics": metrics,
            "lineage": lineage,
        }
        if save:
            save_checkpoint(cfg.out, payload)
        return payload

    t0, first, running = time.perf_counter(), step, []
    try:
        while step < cfg.steps:
            y = to_tensor(sampler.batch(cfg.batch_size - n_real))
            with torch.no_grad():
                d = degrade(y)
                if cfg.twice and twice_rng.random() < cfg.twice:
                    d = degrade(quantize(d))
                x = brighten(d)
            if n_real:
                lo, hi, _ = real.batch(n_real)
                x = torch.cat([x, brighten(to_tensor(lo))])
                y = torch.cat([y, to_tensor(hi)])
            if cfg.match_exposure != "none":  # the exposure stays the curve model's: the restorer restores
                y = exposure_matched(y, x, cfg.match_exposure)
            lr = linear_lr(step, cfg.steps, cfg.lr, cfg.lr_end)
            for opt in (opt_g, opt_d):
                for group in opt.param_groups:
                    group["lr"] = lr
            out = net(x)[0]
            l1 = (out - y).abs().mean()
            feat = feature_loss(out, y)
            adv = lsgan(disc(out), True)
            loss = l1 + cfg.feature_weight * feat + cfg.adv_weight * adv
            if cfg.ssim_weight:
                loss = loss + cfg.ssim_weight * (1.0 - ssim_loss(out.clamp(0, 1), y))
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
            loss_d = 0.5 * (lsgan(disc(y), True) + lsgan(disc(out.detach()), False))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            step += 1
            # The average starts short (the first steps' weights are soon forgotten) and grows to ``ema``.
            ema_update(avg, net, min(cfg.ema, (1.0 + step) / (10.0 + step)))
            running.append((float(l1.detach()), float(feat.detach()), float(adv.detach()), float(loss_d.detach())))
            if step % cfg.log_every == 0 or step == cfg.steps:
                a, b, c, e = np.mean(running[-cfg.log_every :], axis=0)
                rate = (step - first) / max(time.perf_counter() - t0, 1e-9)
                log.info("step %d/%d L1 %.4f feature %.4f adv %.3f D %.3f (%.2f steps/s)", step, cfg.steps, a, b, c, e, rate)
            if split is not None and cfg.val_every and step % cfg.val_every == 0:
                metrics = evaluate_chain(avg, brighten, split) | evaluate_synthetic(avg, degrade, brighten, split)
                log.info("step %d validation (curve -> restorer, EMA weights): PSNR %.3f dB SSIM %.4f (curve alone %.3f / "
                         "%.4f); synthetic F(y) %.2f -> %.2f dB, F(F(y)) %.2f -> %.2f dB", step, metrics["psnr"],
                         metrics["ssim"], metrics["curve_psnr"], metrics["curve_ssim"], metrics["once_input_psnr"],
                         metrics["once_restored_psnr"], metrics["twice_input_psnr"], metrics["twice_restored_psnr"])
                if metrics["ssim"] > best:
                    best = metrics["ssim"]
                    save_checkpoint(best_path(cfg.out), checkpoint(save=False))
                    log.info("best SSIM so far: saved %s", best_path(cfg.out))
            if step % cfg.save_every == 0:
                checkpoint()
    except KeyboardInterrupt:
        interrupted_save(checkpoint, step)
        raise
    return checkpoint()
