"""Reading, writing and instantiating streamer checkpoints (torch only).

A checkpoint is a dict with at least ``{"arch": str, "state_dict": dict}``; training adds
``scale``, ``optimizer``, ``step``, ``config``, ``metrics`` and ``lineage`` (the records of the
``--init`` checkpoints it was trained from, oldest first).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch

from models import registry
from models.errors import ConfigError, ModelError

log = logging.getLogger(__name__)


def build_network(arch: str, **options: object) -> torch.nn.Module:
    """An untrained network of architecture ``arch`` (:mod:`models.registry`); ``options`` are
    checkpoint keys (``scale``, ...), each used only by the architectures that take it."""
    try:
        return registry.get(arch).build(**options)
    except ConfigError as e:  # a checkpoint naming an architecture we do not have
        raise ModelError(str(e)) from None


def load_checkpoint(path: Path) -> dict:
    """Read a checkpoint; ``ModelError`` for a missing, corrupt or foreign file."""
    if not path.is_file():
        raise ModelError(f"checkpoint not found: {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many exception types for a corrupt file
        raise ModelError(f"cannot read checkpoint {path}: {e}") from e
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "arch" not in ckpt:
        raise ModelError(f"{path} is not a streamer checkpoint (no 'arch'/'state_dict')")
    return ckpt


def network_from_checkpoint(ckpt: dict) -> torch.nn.Module:
    """Instantiate and load the network a checkpoint describes (on the CPU, eval mode)."""
    net = build_network(ckpt["arch"], **{k: v for k, v in ckpt.items() if k != "arch"})
    try:
        net.load_state_dict(ckpt["state_dict"])
    except RuntimeError as e:
        raise ModelError(f"checkpoint does not fit {ckpt['arch']}: {e}") from e
    return net.eval()


def load_into(net: torch.nn.Module, path: Path, arch: str, name: str) -> dict:
    """Load the weights of the checkpoint at ``path`` into ``net`` and return the checkpoint;
    ``ConfigError`` when it holds another network than ``arch`` (``name`` is how the message calls it)."""
    ckpt = load_checkpoint(path)
    if ckpt["arch"] != arch:
        raise ConfigError(f"{name} holds a {ckpt['arch']} network, not {arch}")
    net.load_state_dict(ckpt["state_dict"])
    return ckpt


def record(ckpt: dict) -> dict:
    """What a later checkpoint keeps of one it was made from (its ``lineage``): step, config, metrics."""
    return {k: ckpt[k] for k in ("arch", "step", "config", "metrics") if k in ckpt}


def resume_into(net: torch.nn.Module, opt: torch.optim.Optimizer, path: Path, arch: str) -> int:
    """Continue a training run: the network and optimizer state saved at ``path``; returns its step."""
    ckpt = load_into(net, path, arch, str(path))
    opt.load_state_dict(ckpt["optimizer"])
    step = int(ckpt["step"])
    log.info("resumed %s at step %d", path, step)
    return step


def plain(value: object) -> object:
    """Config values as plain Python (paths as strings) so ``weights_only`` loading accepts them."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def save_checkpoint(path: Path, payload: dict) -> None:
    """Write atomically: a crash mid-write never leaves a truncated file under ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


SHIPPED_KEYS = ("arch", "scale", "curve_rule", "burst", "ngf", "n_blocks", "state_dict", "step", "config", "metrics",
                "validation", "lineage")


def shippable(ckpt: dict) -> dict:
    """The checkpoint without optimizer or other training state: what ships in ``models/weights`` (with
    the keys its architecture is built from, :attr:`models.registry.Architecture.options`); the weights
    in float16 when the architecture says so (:attr:`models.registry.Architecture.half_weights`)."""
    arch = registry.get(ckpt["arch"])
    shipped = {k: ckpt[k] for k in (*SHIPPED_KEYS, *arch.options) if k in ckpt}
    if arch.half_weights:
        shipped["state_dict"] = {k: v.half() if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()}
    return shipped
