"""The night2day model's card, written from its checkpoint's record and the benchmark results.

``streamer card night2day`` reads ``models/weights/night2day.pt`` (training config, step, losses,
validation history), ``benchmarks/results/eval_night2day.json`` when present (held-out views), hashes
the shipped files and writes ``models/weights/night2day.md`` with :func:`render`. There are no LOL
numbers for a translation model: ``--psnr`` / ``--ssim`` are not used.
"""

from __future__ import annotations

import json
from pathlib import Path

from models import registry
from models.backends.resized import working_size
from models.catalog import Weights, sha256

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "eval_night2day.json"


def evaluation() -> dict | None:
    """The results of ``benchmarks/eval_night2day.py``, when it has been run."""
    return json.loads(RESULTS.read_text())["results"] if RESULTS.is_file() else None


def _evaluation_md(results: dict | None) -> str:
    if results is None:
        return "(run `python benchmarks/eval_night2day.py`)"
    rows = ["| compared with the held-out day frames | proxy KID x 100 (mean +- std) | proxy FD | mean luma |",
            "|---|---|---|---|"]
    for name, r in results["methods"].items():
        rows.append(f"| {name} | {100 * r['proxy_kid']:.2f} +- {100 * r['proxy_kid_std']:.2f} | {r['proxy_fd']:.4f} "
                    f"| {r['mean_luma']:.3f} |")
    day = results.get("day_mean_luma")
    tail = f"\n\nMean luma of the held-out day frames themselves: {day:.3f}." if day is not None else ""
    fid = results.get("fid_kid") or "not measured"
    return "\n".join(rows) + tail + f"\n\nFID / KID (Inception-v3): {fid}."


def _history_md(history: list[dict]) -> str:
    if not history:
        return ""
    cells = ", ".join(f"{h['step']}: {100 * h['proxy_kid']:.2f}" for h in history)
    return f"- Validation during training (proxy KID x 100 on the held-out views, by step): {cells}.\n"


def render(weights: Weights, ckpt: dict, psnr: float | None = None, ssim: float | None = None,
           results: dict | None = None) -> str:
    """The card's Markdown; ``results`` defaults to :func:`evaluation`."""
    results = evaluation() if results is None else results
    cfg = ckpt.get("config", {})
    arch = registry.get(weights.arch)
    params = sum(v.numel() for v in ckpt["state_dict"].values())
    images = cfg.get("train_images", {})
    held = cfg.get("held_out", {})
    metrics = ckpt.get("metrics", {})
    losses = ", ".join(f"{k} {metrics[k]:.3f}" for k in ("g_gan", "cycle", "identity", "d") if k in metrics)
    steps = cfg.get("steps")
    sizes = ", ".join(f"{w}x{h} at {ws[1]}x{ws[0]}" for w, h in ((640, 360), (1280, 720), (1920, 1080))
                      for ws in [working_size(h, w, arch.max_pixels or h * w)])
    exported = f"exported by `streamer export {weights.name}`"
    return f"""# {weights.name}: model card

{weights.summary}.

| file | sha256 |
|---|---|
| `{weights.checkpoint}` (torch, weights only, float16) | `{sha256(weights.checkpoint_path())}` |
| `{weights.onnx}` (ONNX, float16 weights cast to float32 in the graph, {exported}) | `{sha256(weights.onnx_path())}` |

Input: (T, H, W, 3) uint8 {weights.colour_order}, range {weights.input_range[0]}-{weights.input_range[1]}, burst T = \
{weights.burst} (the newest frame is translated). Output: (H, W, 3) uint8 {weights.colour_order}.

**A translation, not an enhancement.** The generator paints a night street as a day one: it invents sky, daylight
colours and shading that were never recorded. Use it to look at a scene, never as evidence of what was there.

## Network
CycleGAN's ResNet generator (Zhu et al., ICCV 2017; `models/nets/cyclegan.py`) at **reduced width: ngf
{ckpt.get("ngf")}** (the reference is 64), {ckpt.get("n_blocks")} residual blocks, instance norm, {params / 1e6:.2f}M
parameters; upsampling is nearest-neighbour then a 3x3 conv instead of transposed convs. Stored in float16 to stay
under 2 MB (computed in float32). It learnt frames at a {cfg.get("short_side")} px short side: on CPUs, larger frames
run at the largest size within {arch.max_pixels} pixels ({sizes}), and are scaled back
bilinearly. In a stream the temporal smoothing of the curve models applies (on by default for video).

## Training
- Code: `streamer train night2day` (`models/training/night2day.py`), from random initialization, **on 2 CPU cores
  (one thread), the reduced `--size cpu` configuration**: generators at ngf = {cfg.get("ngf")}, discriminators at
  ndf = {cfg.get("ndf")}, random {cfg.get("crop")}x{cfg.get("crop")} crops with horizontal flips of frames
  shrunk to a {cfg.get("short_side")} px short side. `--size full` is the reference configuration (ngf = ndf = 64,
  256 px crops), for a GPU.
- Data: `shared/data/night2day` (AMOS webcam frames, unpaired): {images.get("night")} night and {images.get("day")}
  day frames. Held out by webcam view (frame size {", ".join(cfg.get("held_out_views", []))}; every frame of those
  views, {len(held.get("night", []))} night and {len(held.get("day", []))} day, never trained on).
- Steps: {ckpt.get("step")} of {steps}, batch {cfg.get("batch_size")}; Adam, learning rate {cfg.get("lr")}, beta1
  {cfg.get("beta1")}, constant for the first {steps // 2 if steps else "?"} steps, then linearly to 0; seed
  {cfg.get("seed")}.
- Losses: LSGAN (both directions), cycle consistency L1 x{cfg.get("cycle_weight"):g}, identity L1
  x{cfg.get("identity_weight"):g} of that; discriminators on a pool of {cfg.get("pool_size")} generated images.
  Over the last logged steps: {losses or "(not recorded)"}.
{_history_md(ckpt.get("validation", []))}- Command: see `models/weights/README.md`.

## Validation on the held-out views
`python benchmarks/eval_night2day.py`: the held-out night frames translated, the night frames themselves, and
zero-dce++'s output, each compared with the held-out day frames. The distances use a **cheap proxy**, not
Inception features: per frame a 4x4x4 RGB histogram, a 16-bin luma histogram and an 8-bin gradient-magnitude
histogram (`models/training/distances.py`); KID's cubic kernel and the Frechet distance on those. Lower is closer
to the day frames. These numbers are not FID or KID and are not comparable with published ones.

{_evaluation_md(results)}

What it looks like (`benchmarks/results/night2day_strip.png`): at this width and length of training the
translated frames are blurred, with a grid-like GAN texture and invented grey-blue skies; buildings and streets
lose their detail. The proxy sees colour and texture statistics only, not structure: it ranks these frames
closest to the day frames, yet zero-dce++ keeps the scene readable and night2day does not. Treat these weights as
a working pipeline to train further (or at `--size full` on a GPU), not as a finished model.

With the standard FID Inception weights at hand: `python benchmarks/eval_fid.py REAL_DIR FAKE_DIR --inception
pt_inception-2015-12-05-6726825d.pth`.

## Licence of the data
Frames of the AMOS dataset (Archive of Many Outdoor Scenes, Jacobs et al., University of Kentucky) as committed to
udacity/CVND_Exercises (MIT licence for the repository; AMOS's own terms are not stated there). Trained for academic /
non-commercial research use and local development: the same terms apply to these weights.
"""
