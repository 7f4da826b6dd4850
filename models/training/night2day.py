"""Unpaired night-to-day translation: CycleGAN training (Zhu et al., ICCV 2017) on night/ and day/ folders.

The reference recipe: two ResNet generators (night->day, shipped; day->night, for the cycle), two
70x70 PatchGAN discriminators, LSGAN loss, cycle-consistency weight 10, identity weight 0.5 (of the
cycle weight), a pool of 50 generated images per discriminator, Adam 2e-4 with beta1 0.5, constant
for the first half of the steps and decaying linearly to zero over the second, batch 1.
``--size cpu`` (the default) narrows the networks and the crops for a CPU (ngf = ndf = 16, 128 px
crops of frames shrunk to a 180 px short side); ``--size full`` is the reference configuration
(ngf = ndf = 64, 256 px crops), for a GPU. Any of ``--ngf``, ``--ndf``, ``--crop``, ``--short-side``
overrides its preset value.

Views named in ``held_out_views`` (:mod:`models.training.views`) are never trained on; every
``val_every`` steps the held-out night frames are translated and compared with the held-out day
frames by :func:`models.training.distances.proxy_features` (a cheap proxy, not FID).

Checkpoints hold the night->day generator as ``state_dict`` (what ships) and everything needed to
resume under ``training``; they are written atomically every ``save_every`` steps and when the run is
interrupted (Ctrl-C, SIGTERM), so an interrupted run keeps its last state.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from models.checkpoint import load_checkpoint, plain, save_checkpoint
from models.errors import ConfigError
from models.imagefiles import read_rgb
from models.nets.cyclegan import ImagePool, PatchDiscriminator, ResnetGenerator
from models.training.data import CropSampler, resize_short_side
from models.training.distances import kid, proxy_features
from models.training.views import split_night_day

log = logging.getLogger(__name__)

ARCH = "night2day"
# Width and crop presets: what fits 2 CPU cores, and the reference configuration.
SIZES = {
    "cpu": {"ngf": 16, "ndf": 16, "crop": 128, "short_side": 180},
    "full": {"ngf": 64, "ndf": 64, "crop": 256, "short_side": 286},
}
# The webcam views of shared/data/night2day held out (frame sizes; models.training.views).
DEFAULT_HELD_OUT = ("373x256", "386x256", "440x256")


@dataclass(frozen=True)
class Night2DayConfig:
    """Everything a night2day training run depends on; each field is one ``streamer train night2day`` flag.

    ``data``: one folder holding ``night/`` and ``day/``. ``None`` for ``ngf``, ``ndf``, ``crop`` and
    ``short_side`` means the ``size`` preset's value (filled in at construction).
    """

    data: tuple[Path, ...]
    out: Path
    size: str = "cpu"
    ngf: int | None = None
    ndf: int | None = None
    n_blocks: int = 9
    crop: int | None = None
    short_side: int | None = None
    steps: int = 4000
    batch_size: int = 1
    lr: float = 2e-4
    beta1: float = 0.5
    cycle_weight: float = 10.0
    identity_weight: float = 0.5
    pool_size: int = 50
    held_out_views: tuple[str, ...] = DEFAULT_HELD_OUT
    val_every: int = 500
    save_every: int = 200
    log_every: int = 20
    seed: int = 0
    threads: int = 0
    resume: bool = False
    init: Path | None = None

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ConfigError(f"--size must be one of {', '.join(SIZES)}, not {self.size!r}")
        for key, value in SIZES[self.size].items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        if len(self.data) != 1:
            raise ConfigError("night2day takes one --data folder, holding night/ and day/")
        for name in ("ngf", "ndf", "n_blocks", "crop", "short_side", "steps", "batch_size", "save_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be positive")
        if self.crop < 32:
            raise ConfigError("--crop must be at least 32 (the discriminator's patches need room)")
        if self.val_every < 0 or self.pool_size < 0 or self.cycle_weight < 0 or self.identity_weight < 0:
            raise ConfigError("--val-every, --pool-size, --cycle-weight and --identity-weight must not be negative")
        if not 0.0 <= self.beta1 < 1.0 or self.lr <= 0:
            raise ConfigError("--lr must be positive and --beta1 in [0, 1)")


def learning_rate(cfg: Night2DayConfig, step: int) -> float:
    """Constant for the first half of the steps, then linearly to zero at the last step."""
    half = cfg.steps // 2
    if step < half:
        return cfg.lr
    return cfg.lr * max(0.0, (cfg.steps - step) / max(cfg.steps - half, 1))


class Networks:
    """The four networks of a CycleGAN and their two optimizers (generators together, discriminators together)."""

    def __init__(self, cfg: Night2DayConfig) -> None:
        self.g_n2d = ResnetGenerator(cfg.ngf, cfg.n_blocks)
        self.g_d2n = ResnetGenerator(cfg.ngf, cfg.n_blocks)
        self.d_day = PatchDiscriminator(cfg.ndf)
        self.d_night = PatchDiscriminator(cfg.ndf)
        betas = (cfg.beta1, 0.999)
        self.opt_g = torch.optim.Adam([*self.g_n2d.parameters(), *self.g_d2n.parameters()], lr=cfg.lr, betas=betas)
        self.opt_d = torch.optim.Adam([*self.d_day.parameters(), *self.d_night.parameters()], lr=cfg.lr, betas=betas)

    MODULES = ("g_d2n", "d_day", "d_night")

    def state(self) -> dict:
        """What resuming needs besides the shipped generator."""
        return {name: getattr(self, name).state_dict() for name in self.MODULES} | {
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}

    def load(self, ckpt: dict, optimizers: bool) -> None:
        try:
            self._load(ckpt, optimizers)
        except (RuntimeError, KeyError, ValueError) as e:
            raise ConfigError(f"the checkpoint does not fit these networks (--ngf, --ndf, --n-blocks?): {e}") from e

    def _load(self, ckpt: dict, optimizers: bool) -> None:
        self.g_n2d.load_state_dict(ckpt["state_dict"])
        training = ckpt.get("training")
        if training is None:  # a shipped checkpoint: the night->day generator only
            if optimizers:
                raise ConfigError("the checkpoint holds no training state (a shipped one?): start from it with --init")
            return
        for name in self.MODULES:
            getattr(self, name).load_state_dict(training[name])
        if optimizers:
            self.opt_g.load_state_dict(training["opt_g"])
            self.opt_d.load_state_dict(training["opt_d"])

    def train(self) -> None:
        for name in ("g_n2d", *self.MODULES):
            getattr(self, name).train()


def _lsgan(scores: Tensor, real: bool) -> Tensor:
    return F.mse_loss(scores, torch.full_like(scores, 1.0 if real else 0.0))


def _to_tensor(batch: np.ndarray) -> Tensor:
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0


class Validation:
    """Held-out night frames translated and compared with held-out day frames (:func:`proxy_features`).

    Frames are shrunk to the training short side first, the scale the generator learnt.
    """

    def __init__(self, night: tuple[Path, ...], day: tuple[Path, ...], short_side: int) -> None:
        self.night = [resize_short_side(read_rgb(p), short_side) for p in night]
        self.day = np.stack([proxy_features(resize_short_side(read_rgb(p), short_side)) for p in day])
        self.input_kid = kid(self.day, np.stack([proxy_features(im) for im in self.night]))[0]

    def __call__(self, gen: ResnetGenerator) -> dict[str, float]:
        gen.eval()
        feats = []
        with torch.no_grad():
            for im in self.night:
                y = gen(_to_tensor(im[None]))
                out = (y[0].clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()
                feats.append(proxy_features(out))
        gen.train()
        value, spread = kid(self.day, np.stack(feats))
        return {"proxy_kid": value, "proxy_kid_std": spread, "proxy_kid_input": self.input_kid,
                "val_night": len(self.night), "val_day": len(self.day)}


def train(cfg: Night2DayConfig) -> dict:
    """Run (or resume) training; returns the final checkpoint dict (also saved to ``cfg.out``)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    split = split_night_day(cfg.data[0], cfg.held_out_views)
    nets = Networks(cfg)
    lineage: list[dict] = []
    history: list[dict] = []
    step = 0
    if cfg.init is not None:
        parent = _load(cfg.init, cfg, "--init")
        nets.load(parent, optimizers=False)
        lineage = [*parent.get("lineage", []), {k: parent[k] for k in ("step", "config", "metrics") if k in parent}]
    if cfg.resume and cfg.out.exists():
        ckpt = _load(cfg.out, cfg, str(cfg.out))
        nets.load(ckpt, optimizers=True)
        step, lineage, history = int(ckpt["step"]), ckpt.get("lineage", lineage), list(ckpt.get("validation", []))
        log.info("resumed %s at step %d", cfg.out, step)
    night = CropSampler(split["night"].train, cfg.crop, cfg.short_side, seed=cfg.seed + step)
    day = CropSampler(split["day"].train, cfg.crop, cfg.short_side, seed=cfg.seed + 1 + step)
    validation = None
    if cfg.val_every and split["night"].held_out and len(split["day"].held_out) >= 2:
        validation = Validation(split["night"].held_out, split["day"].held_out, cfg.short_side)
    log.info("training night2day (ngf %d, %d blocks, %d px crops) on %d night and %d day images; %d + %d held out "
             "(views %s)", cfg.ngf, cfg.n_blocks, cfg.crop, len(night.images), len(day.images),
             len(split["night"].held_out), len(split["day"].held_out), ", ".join(cfg.held_out_views) or "none")
    pools = ImagePool(cfg.pool_size, cfg.seed), ImagePool(cfg.pool_size, cfg.seed + 1)
    metrics: dict[str, float] = {}

    def checkpoint(save: bool = True) -> dict:
        payload = {
            "arch": ARCH, "ngf": cfg.ngf, "n_blocks": cfg.n_blocks,
            "state_dict": nets.g_n2d.state_dict(), "training": nets.state(), "step": step,
            "config": plain(asdict(cfg)) | {"train_images": {"night": len(night.images), "day": len(day.images)},
                                            "held_out": {s: [p.name for p in split[s].held_out] for s in split}},
            "metrics": metrics, "validation": history, "lineage": lineage,
        }
        if save:
            save_checkpoint(cfg.out, payload)
        return payload

    nets.train()
    t0, first, running = time.perf_counter(), step, []
    try:
        while step < cfg.steps:
            for opt in (nets.opt_g, nets.opt_d):
                for group in opt.param_groups:
                    group["lr"] = learning_rate(cfg, step)
            parts = _step(cfg, nets, pools, _to_tensor(night.batch(cfg.batch_size)[0]),
                          _to_tensor(day.batch(cfg.batch_size)[0]))
            step += 1
            running.append(parts)
            if step % cfg.log_every == 0 or step == cfg.steps:
                rate = (step - first) / max(time.perf_counter() - t0, 1e-9)
                metrics = {k: float(np.mean([p[k] for p in running])) for k in running[0]}
                running = []
                log.info("step %d/%d %s (%.2f steps/s)", step, cfg.steps,
                         " ".join(f"{k} {v:.3f}" for k, v in metrics.items()), rate)
            if validation is not None and step % cfg.val_every == 0:
                result = validation(nets.g_n2d)
                history.append({"step": step} | result)
                metrics = metrics | result
                log.info("step %d validation (held-out views): proxy KID %.4f (night input itself %.4f)",
                         step, result["proxy_kid"], result["proxy_kid_input"])
            if step % cfg.save_every == 0:
                checkpoint()
    except KeyboardInterrupt:
        checkpoint()
        log.info("interrupted: saved %s at step %d (resume with --resume)", cfg.out, step)
        raise
    return checkpoint()


def _step(cfg: Night2DayConfig, nets: Networks, pools: tuple[ImagePool, ImagePool], real_n: Tensor,
          real_d: Tensor) -> dict[str, float]:
    """One CycleGAN update: the generators, then the discriminators on pooled fakes."""
    fake_d = nets.g_n2d(real_n)
    fake_n = nets.g_d2n(real_d)
    for d in (nets.d_day, nets.d_night):
        d.requires_grad_(False)
    gan = _lsgan(nets.d_day(fake_d), True) + _lsgan(nets.d_night(fake_n), True)
    cycle = ((nets.g_d2n(fake_d) - real_n).abs().mean() + (nets.g_n2d(fake_n) - real_d).abs().mean()) * cfg.cycle_weight
    loss_g = gan + cycle
    identity = torch.zeros(())
    if cfg.identity_weight:
        identity = ((nets.g_n2d(real_d) - real_d).abs().mean() + (nets.g_d2n(real_n) - real_n).abs().mean()) \
            * cfg.cycle_weight * cfg.identity_weight
        loss_g = loss_g + identity
    nets.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    nets.opt_g.step()

    for d in (nets.d_day, nets.d_night):
        d.requires_grad_(True)
    pooled_d, pooled_n = pools[0].query(fake_d), pools[1].query(fake_n)
    loss_d = 0.5 * (_lsgan(nets.d_day(real_d), True) + _lsgan(nets.d_day(pooled_d), False)) \
        + 0.5 * (_lsgan(nets.d_night(real_n), True) + _lsgan(nets.d_night(pooled_n), False))
    nets.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    nets.opt_d.step()
    return {"g_gan": float(gan.detach()), "cycle": float(cycle.detach()), "identity": float(identity.detach()),
            "d": float(loss_d.detach())}


def _load(path: Path, cfg: Night2DayConfig, name: str) -> dict:
    ckpt = load_checkpoint(path)
    if ckpt["arch"] != ARCH:
        raise ConfigError(f"{name} holds a {ckpt['arch']} network, not {ARCH}")
    if (ckpt.get("ngf"), ckpt.get("n_blocks")) != (cfg.ngf, cfg.n_blocks):
        raise ConfigError(f"{name} holds a generator with ngf {ckpt.get('ngf')} and {ckpt.get('n_blocks')} blocks, "
                          f"not {cfg.ngf} and {cfg.n_blocks}")
    return ckpt
