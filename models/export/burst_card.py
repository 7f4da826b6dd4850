"""The burst model's card, written from its checkpoint's record and the benchmark results.

``streamer card burst --psnr P --ssim S`` reads ``models/weights/burst.pt`` (training config and
step), ``benchmarks/results/eval_burst.json`` (night clips) when present, hashes the shipped files
and writes ``models/weights/burst.md`` with :func:`render`. ``--psnr`` / ``--ssim``: the LOL
validation numbers of ``benchmarks/eval_lol.py`` for the burst model (single frames, T = 1).
"""

from __future__ import annotations

import json
from pathlib import Path

from models.catalog import Weights, sha256
from models.export.card import INPUT_ITSELF, licence, require_lol

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "eval_burst.json"


def _night_table(results: dict) -> str:
    rows = ["| shot | method | GT-mean PSNR | GT-mean SSIM | exposure | temporal noise |", "|---|---|---|---|---|---|"]
    for shot, r in results.items():
        for name in ("gain+nlmeans", "zero-dce++", "burst"):
            m = r["methods"].get(name)
            if m:
                noise = f"{m['temporal_noise']:.2f}" if "temporal_noise" in m else ""
                rows.append(f"| {shot} | {name} | {m['gt_mean_psnr']:.2f} | {m['gt_mean_ssim']:.3f} "
                            f"| {m['exposure']:.2f} | {noise} |")
    return "\n".join(rows)


# The first 1,300 steps (from random initialization, a run resumed twice) that an ``--init`` run went on from.
FIRST_STAGE_STEPS = 1300


def _steps(ckpt: dict) -> str:
    """The training steps of ``ckpt`` and of each ``--init`` checkpoint it grew from (its lineage)."""
    stages = [*ckpt.get("lineage", []), ckpt]
    parts, total = [], 0
    if stages[0].get("config", {}).get("init"):
        # The oldest recorded run went on from the first stage (trained before checkpoints kept a lineage).
        parts.append(f"{FIRST_STAGE_STEPS} from random initialization (learning rate 0.001)")
        total += FIRST_STAGE_STEPS
    for stage in stages:
        cfg, step = stage.get("config", {}), int(stage.get("step", 0))
        total += step
        if not cfg.get("init"):
            parts.append(f"{step} from random initialization")
            continue
        extras = _camera_extras(cfg).rstrip(", ")
        parts.append(f"then {step} more from those weights (`--init`, a fresh optimizer, learning rate {cfg.get('lr')}"
                     + (f"; synthetic camera with {extras}" if extras else "") + ")")
    return parts[0] if len(parts) == 1 else f"{total} in all: " + ", ".join(parts)


def night_results() -> dict | None:
    """The night-clip results of ``benchmarks/eval_burst.py``, when it has been run."""
    return json.loads(RESULTS.read_text())["results"] if RESULTS.is_file() else None


def _camera_extras(cfg: dict) -> str:
    """The synthetic camera's monochrome and 4:2:0 shares (absent from older checkpoints: none)."""
    mono, chroma = cfg.get("mono_prob") or 0.0, cfg.get("chroma420_prob") or 0.0
    parts = [f"monochrome (infrared) in {mono:.0%}"] * bool(mono) + [f"4:2:0 chroma in {chroma:.0%}"] * bool(chroma)
    return ", ".join(parts) + ", " if parts else ""


def render(weights: Weights, ckpt: dict, psnr: float | None, ssim: float | None, night: dict | None = None) -> str:
    """The card's Markdown; ``night`` defaults to :func:`night_results`."""
    require_lol(psnr, ssim)
    night = night_results() if night is None else night
    cfg = ckpt.get("config", {})
    files = [
        (weights.checkpoint, "torch, weights only"),
        (weights.onnx, f"ONNX, the full-burst graph, exported from it by `streamer export {weights.name}`"),
        (weights.companion("encoder").name, "ONNX, the streaming encoder (one frame -> its features)"),
        (weights.companion("decoder").name,
         "ONNX, the streaming decoder (the burst's pooled features -> the prediction, finished by one C loop)"),
    ]
    table = "\n".join(f"| `{name}` ({what}) | `{sha256(weights.checkpoint_path().parent / name)}` |" for name, what in files)
    data = ", ".join("/".join(Path(d).parts[-2:]) for d in cfg.get("data", []))
    night_md = _night_table(night) if night else "(run `python benchmarks/eval_burst.py`)"
    return f"""# {weights.name}: model card

{weights.summary}.

| file | sha256 |
|---|---|
{table}

Input: (T, H, W, 3) uint8 {weights.colour_order}, range {weights.input_range[0]}-{weights.input_range[1]}, oldest first, \
burst T = {weights.burst} (any T works; the newest frame is enhanced). Output: (H, W, 3) uint8 {weights.colour_order}.

## Network
After Karadeniz, Erdem & Erdem, "Burst Photography for Learning to Enhance Extremely Dark Images" (arXiv:2006.09845),
fine stage only, for 8-bit frames (`models/nets/burst.py`): each frame is scaled to a mean level of 0.4 by its own gain,
one encoder shared by every frame (a stride-2 conv, then 3 levels of 16/32/64 channels at 1/2, 1/4, 1/8
resolution); per level the features are max-pooled across the burst, each older frame's only where they agree with
the newest frame's (`consistent_max`, added after training: a plain max kept a moving headlight's older positions,
`benchmarks/eval_ghost.py`), and concatenated with the newest frame's own features (so what does not line up with
the newest frame can be ignored: pans and moving objects do not ghost);
one decoder with a global-context branch predicts the enhanced frame, pixel-shuffled back to full resolution.
141k parameters. The paper's coarse stage is not used: at this size the fine stage alone is what fits the CPU
budget. Streaming: each frame's encoder features are computed once and kept in a ring (`models/runtime/burst_ring.py`:
the encoder/decoder ONNX pair on ONNX Runtime, the network's own halves on torch), so a new frame costs one encoder
and one decoder pass whatever T; on ONNX Runtime the ring is pooled outside the graphs, by one C loop
(`models/runtime/_pool.c`), and the decoder graph takes the pooled features; it ends at the prediction, and
the element-wise finish (pixel shuffle, highlight shoulder, exposure fade, uint8) is one C loop too
(`models/runtime/_finish.c`).
Exposure-adaptive: the output is faded back to the input as the newest frame's mean
luma goes from 40 to 60 of 255 (`strength_blend` in `models/nets/tone.py`), so an exposed frame is left as it is.
Before that, each channel of the prediction above 0.9 is bent towards white without reaching it, except where the
input's channel is white (`highlight_shoulder`): highlights the input did not clip are not clipped (added after
training; in the exported graphs).
On CPUs, frames over 640x360's pixel count run at the largest size within it, the output scaled back
(`models/backends/resized.py`; `--exact` runs the whole frame), with the frame's own detail added back in the share
the fade leaves to the input (an exposed frame comes out at full detail).

## Training
- Code: `streamer train burst` (`models/training/burst.py`), CPU only (one thread of a 2-core machine).
- Data: clean images {data}: {cfg.get('train_images')} kept as well exposed (mean level 0.3-0.65, few clipped
  pixels); the 50 highest-numbered LOL pairs held out and never trained on.
- Synthetic bursts (`models/training/synth.py`): random {cfg.get('crop')}x{cfg.get('crop')} crops of images shrunk to a
  {cfg.get('short_side')} px short side, {cfg.get('frames_min')}-{cfg.get('frames')} frames; motion: a pan of up to 6
  px/frame with a random-walk jitter, small rotation and zoom (35 % static shots with a slight shake), a patch moving
  across half of the bursts; camera: sRGB linearised, exposure ratio {cfg.get('ratio_min')}-{cfg.get('ratio_max')}
  (log-uniform), Poisson shot noise (300-3000 electrons at full scale) + Gaussian read noise, row noise in 30 %, a
  colour cast in half, sRGB curve, 8 bits, JPEG 60-95 in 40 % (a later stage's extras: see Steps). Target: the
  clean newest frame (its luma for a monochrome camera).
- Steps: {_steps(ckpt)}; batch {cfg.get('batch_size')}; Adam, each stage's learning rate with a cosine decay
  to 0, gradient norm clipped at {cfg.get('grad_clip')}; seed {cfg.get('seed')} (the last stage). Exact commands and wall time:
  `models/weights/README.md`.
- Loss: L1 + {cfg.get('ssim_weight')} x (1 - SSIM) to the clean newest frame.
- Command: see `models/weights/README.md`.

## Validation
Night clips (`python benchmarks/eval_burst.py`: LOL validation images made into a static, a panning and an infrared
640x360 clip, dark, noisy and H.264-compressed with a camera model training never saw: a green-heavy sensor,
fixed-pattern noise, real H.264; the infrared shot monochrome with per-column banding at 400 kbit/s; the anchor
knows the truth's exposure):

{night_md}

LOL our485, 50 held-out pairs, single frames (T = 1, no burst to fuse; RGB uint8, scikit-image, data_range 255):

| weights | PSNR dB | SSIM |
|---|---|---|
| these | {psnr:.3f} | {ssim:.4f} |
| the low-light input itself | {INPUT_ITSELF[0]:.3f} | {INPUT_ITSELF[1]:.4f} |

Measured by `python benchmarks/eval_lol.py` with the ONNX file on ONNX Runtime, as every backend runs the model:
its output takes the input's colour where the input holds it and at most 60 times its light
(`models/runtime/colour.py`; the network's own output, `--network-colour`, scored 20.019 / 0.7102 with the same
weights).

## Licence of the data
{licence(list(cfg.get("data", [])))}
"""
