"""Model cards of the curve models: how a shipped weight file was made, from the checkpoint's own record.

``streamer card zero-dce++ --psnr 20.1 --ssim 0.65`` reads ``models/weights/<checkpoint>`` (its
training config, step and metrics), hashes the shipped files and writes ``models/weights/<card>``
with :func:`render_card` (the renderer the architecture's record names, :mod:`models.registry`).
"""

from __future__ import annotations

from pathlib import Path

from models.catalog import Weights, sha256
from models.errors import ConfigError
from models.runtime.tone import EXPOSURE_MIX

DATASETS = {
    "lol": "LOL (Wei et al., BMVC 2018)",
    "sice": "the SICE-derived training set of Zero-DCE++ (Cai et al., TIP 2018)",
}


def licence(data: list[str]) -> str:
    used = [name for key, name in DATASETS.items() if any(key in d.lower() for d in data)]
    sets = " and ".join(used) or "the data named above"
    return f"Trained on {sets}, for academic / non-commercial research use: the same terms apply to these weights."


# Reference numbers on the LOL validation split, (PSNR dB, SSIM), quoted from shared/data/README.md:
# the official released weights, and the low-light input itself.
OFFICIAL = {"zero-dce": (19.133, 0.6236), "zero-dce++": (19.905, 0.6343)}
INPUT_ITSELF = (10.163, 0.2037)


def _data_name(path: str) -> str:
    parts = Path(path).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else path


def _steps(ckpt: dict, cfg: dict) -> str:
    step, planned = ckpt.get("step"), cfg.get("steps")
    if cfg.get("val_every") and step != planned:
        return f"{step} of a {planned}-step run (the checkpoint with the best validation PSNR, checked every {cfg['val_every']})"
    return str(step)


def _scales(ckpt: dict, cfg: dict) -> str:
    """Zero-DCE++ trained with its curve map at another scale than it runs at: one line saying so."""
    train_scale, scale = cfg.get("train_scale"), ckpt.get("scale")
    if not train_scale or train_scale == scale:
        return ""
    return (f"- Curve map estimated at 1/{train_scale} scale while training, at 1/{scale} when running and "
            f"validating (the reference code trains at full resolution).\n")


def _losses(arch: str, cfg: dict) -> str:
    from models.training.curves import DEFAULT_TV_WEIGHT

    tv = cfg.get("tv_weight")
    tv = DEFAULT_TV_WEIGHT[arch] if tv is None else tv
    parts = []
    if cfg.get("spatial_weight", 1.0):
        parts.append(f"spatial consistency x{cfg.get('spatial_weight', 1.0):g}")
    if cfg.get("exposure_weight", 10.0):
        patch = cfg.get("exposure_patch", 16)
        parts.append(f"exposure control x{cfg.get('exposure_weight', 10.0):g} (E = {cfg.get('exposure_level')}, "
                     f"{patch}x{patch} patches)")
    if cfg.get("color_weight", 5.0):
        parts.append(f"colour constancy x{cfg.get('color_weight', 5.0):g}")
    if tv:
        parts.append(f"illumination smoothness x{tv:g}")
    prior = cfg.get("curve_prior")
    if prior:
        parts.append(f"the brightness rule for the curve map, alpha = {prior[0]:g} - {prior[1]:g} ln(m / 0.05) "
                     f"(`models/training/curve_prior.py`), x{cfg.get('curve_prior_weight'):g}")
    losses = ", ".join(parts)
    pairs = cfg.get("pairs")
    if pairs:
        target = "the normal-light image"
        if cfg.get("paired_match_brightness"):
            target += " rescaled to the output's mean brightness (pairs teach contrast and colour, not exposure)"
        losses += f", plus L1 to {target} x{cfg.get('paired_weight'):g} on the pairs of {_data_name(pairs[0])}"
    return losses


RULES = {
    "per-channel": "each channel on its own (the papers' rule)",
    "colour-true": "colour-true: one gain per pixel from the max channel, exposure-adaptive, clean colour near black, "
                   "small luma steps (noise) shrunk before the gain (`models/nets/tone.py`)",
}


RUNTIME_MIX = (f"; when running, {EXPOSURE_MIX:g} of the output is an exposure gain in linear light matched to the "
               "curve's own brightness (step 5 of `models/nets/tone.py`: the scene's contrast kept)")


def _mix_note(rule: str, cfg: dict) -> str:
    """For a colour-true stage: whether step 5 (the exposure half) was in its training loop."""
    if rule != "colour-true":
        return ""
    mix = cfg.get("exposure_mix")
    return " (steps 1-4 only: step 5 came after these weights)" if mix is None else f" (step 5 at {mix:g})"


def _recipe(arch: str, ckpt: dict, cfg: dict) -> str:
    """Steps, crops, scales, curve rule, optimizer and losses of one training stage, as card lines."""
    rule = cfg.get("curve_rule") or "per-channel"  # stages trained before the option existed used the papers' rule
    return (f"- Steps: {_steps(ckpt, cfg)}, batch {cfg.get('batch_size')}, random {cfg.get('crop')}x{cfg.get('crop')} "
            f"crops with horizontal flips from images shrunk to a {cfg.get('short_side')} px short side.\n"
            f"- Curves applied {RULES.get(rule, rule)}{_mix_note(rule, cfg)}.\n"
            f"{_scales(ckpt, cfg)}- Optimizer: Adam, learning rate {cfg.get('lr')}, weight decay "
            f"{cfg.get('weight_decay')}, gradient norm clipped at {cfg.get('grad_clip')}; seed {cfg.get('seed')}.\n"
            f"- Losses: {_losses(arch, cfg)}.\n")


def _training(weights: Weights, ckpt: dict) -> str:
    cfg = ckpt.get("config", {})
    data = ", ".join(_data_name(d) for d in cfg.get("data", []))
    head = (f"- Data: {data} ({cfg.get('train_images')} images; the 50 highest-numbered LOL pairs held out and never "
            "trained on).\n")
    lineage = ckpt.get("lineage") or []
    if not lineage:
        return (f"- Code: `streamer train {weights.arch}` (`models/training/curves.py`), from random initialization, CPU only.\n"
                + head + _recipe(weights.arch, ckpt, cfg))
    stages = [*lineage, ckpt]
    text = (f"- Code: `streamer train {weights.arch}` (`models/training/curves.py`) in {len(stages)} stages, CPU only: the first "
            f"from random initialization, each later one from the weights of the one before (`--init`).\n" + head)
    for i, stage in enumerate(stages, 1):
        stage_cfg = stage.get("config", {})
        # A stage's record has no runtime scale: it is the shipped checkpoint's.
        text += f"\n**Stage {i}**\n" + _recipe(weights.arch, {"scale": ckpt.get("scale")} | stage, stage_cfg)
    return text + "\n"


def require_lol(psnr: float | None, ssim: float | None) -> None:
    """The LOL cards quote the validation numbers: ``ConfigError`` when they were not given."""
    if psnr is None or ssim is None:
        raise ConfigError("this card quotes the LOL validation: give --psnr and --ssim (python benchmarks/eval_lol.py)")


def render_card(weights: Weights, ckpt: dict, psnr: float | None, ssim: float | None) -> str:
    require_lol(psnr, ssim)
    cfg = ckpt.get("config", {})
    off_p, off_s = OFFICIAL[weights.arch]
    return f"""# {weights.name}: model card

{weights.summary}.

| file | sha256 |
|---|---|
| `{weights.checkpoint}` (torch, weights only) | `{sha256(weights.checkpoint_path())}` |
| `{weights.onnx}` (ONNX, exported from it by `streamer export {weights.name}`) | `{sha256(weights.onnx_path())}` |

Input: (T, H, W, 3) uint8 {weights.colour_order}, range {weights.input_range[0]}-{weights.input_range[1]}, burst T = \
{weights.burst} (the newest frame is enhanced). Output: (H, W, 3) uint8 {weights.colour_order}. Curves applied \
{RULES.get(ckpt.get("curve_rule") or "per-channel", ckpt.get("curve_rule"))}\
{RUNTIME_MIX if ckpt.get("curve_rule") == "colour-true" else ""}.

## Training
{_training(weights, ckpt)}- Command: see `models/weights/README.md`.

## Validation (LOL our485, 50 held-out pairs, RGB uint8, scikit-image, data_range 255)
| weights | PSNR dB | SSIM |
|---|---|---|
| these | {psnr:.3f} | {ssim:.4f} |
| official {weights.arch} release | {off_p:.3f} | {off_s:.4f} |
| the low-light input itself | {INPUT_ITSELF[0]:.3f} | {INPUT_ITSELF[1]:.4f} |

Measured by `python benchmarks/eval_lol.py` with the ONNX file on ONNX Runtime.

## Licence of the data
{licence(list(cfg.get("data", [])))}
"""
