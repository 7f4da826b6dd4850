"""The restorer's cards (alone, and chained after Zero-DCE++), written from the checkpoint's record and
the benchmark results.

``streamer card restorer --psnr P --ssim S`` and ``streamer card zero-dce++-clean --psnr P --ssim S`` read
``models/weights/restorer.pt`` (both stages' training records: the restorer's own config and the degrader's,
kept in it), ``benchmarks/results/eval_restorer.json`` (the LOL comparison with FFmpeg's nlmeans and the cost
of a 720p frame) when present, hash the shipped files and write the model's card with :func:`render`.
``--psnr`` / ``--ssim``: the model's LOL validation numbers as ``benchmarks/eval_lol.py`` measures them.
"""

from __future__ import annotations

import json
from pathlib import Path

from models.catalog import Weights, sha256
from models.export.card import INPUT_ITSELF, licence

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "eval_restorer.json"


def _data(paths: list[str]) -> str:
    return ", ".join("/".join(Path(d).parts[-2:]) for d in paths)


def _results_table(results: dict) -> str:
    rows = ["| method (LOL our485, 50 held-out pairs) | PSNR dB | SSIM |", "|---|---|---|"]
    for name, r in results.get("lol", {}).items():
        rows.append(f"| {name} | {r['psnr']:.3f} | {r['ssim']:.4f} |")
    return "\n".join(rows)


def _cost_table(results: dict) -> str:
    cost = results.get("cost_720p", {})
    if not cost:
        return "(run `python benchmarks/eval_restorer.py`)"
    rows = ["| model, one 1280x720 frame | path | median ms (wall) | quartiles ms | CPU ms on 1 thread |",
            "|---|---|---|---|---|"]
    for name, r in cost.items():
        rows.append(f"| {name} | {r['path']} | {r['median_ms']:.1f} | {r['q1_ms']:.1f}-{r['q3_ms']:.1f} "
                    f"| {r.get('cpu_ms_one_thread', float('nan')):.1f} |")
    return "\n".join(rows)


def benchmark_results() -> dict:
    """The results of ``benchmarks/eval_restorer.py``, when it has been run."""
    return json.loads(RESULTS.read_text())["results"] if RESULTS.is_file() else {}


def _params(ckpt: dict) -> int:
    return sum(v.numel() for v in ckpt["state_dict"].values())


def render(weights: Weights, ckpt: dict, psnr: float, ssim: float, results: dict | None = None) -> str:
    """The card's Markdown; ``results`` defaults to :func:`benchmark_results`."""
    results = benchmark_results() if results is None else results
    cfg = ckpt.get("config", {})
    deg = cfg.get("degrader_record", {})
    dcfg = deg.get("config", {})
    dm = deg.get("metrics", {})
    kind = ckpt.get("generator", cfg.get("generator"))
    chained = " -> ".join([*weights.chain, "restorer"])
    feature = ("VGG-19 (standard weights read from the file given by `--vgg`), relu1_2, relu2_2, relu3_4, relu4_4"
               if cfg.get("feature_loss") == "vgg19" else
               "the PatchGAN discriminator's own four layers (feature matching: no pretrained network, nothing downloaded;"
               " no `--vgg` file was given)")
    body = ("U-Net: 2x2 pixels unshuffled into 12 channels at 1/2 resolution, "
            f"{ckpt.get('channels')} channels at 1/2, {2 * ckpt.get('channels', 0)} at 1/4 and 1/8 (average-pool down, "
            "nearest-neighbour up + 3x3 conv, skips added)" if kind == "unet" else
            f"ResNet: 2x2 pixels unshuffled into 12 channels at 1/2 resolution, {ckpt.get('channels')} channels, a "
            f"stride-2 conv to {2 * ckpt.get('channels', 0)} at 1/4, {ckpt.get('blocks')} residual blocks, "
            "nearest-neighbour up + 3x3 conv")
    twice = cfg.get("twice", 0.0)
    hard = f"; F(F(y)) (the harder set) for {twice:.0%} of the batches" if twice else ""
    pairs = cfg.get("pairs")
    real = (f" and, for {round(cfg.get('batch_size', 8) * cfg.get('pair_fraction', 0))} of each batch of "
            f"{cfg.get('batch_size')}, real pairs: Zero-DCE++ on `{_data([pairs[0]])}` ({cfg.get('real_pairs')} images) "
            f"-> `{_data([pairs[1]])}`" if pairs else "")
    degraded = _data(list(dcfg.get("degraded", [])))
    match = {"local": "; each target brought to its input's local exposure (`--match-exposure local`: the target's detail on "
                      "the input's 15-px box average), so tone and colour stay the curve model's",
             "mean": "; each target scaled to its input's mean (`--match-exposure mean`)"}.get(str(cfg.get("match_exposure")), "")
    ssim_term = f" + {cfg.get('ssim_weight'):g} x (1 - SSIM)" if cfg.get("ssim_weight") else ""
    step = int(ckpt.get("step") or 0)
    ema_now = min(float(cfg.get("ema", 0.999)), (1.0 + step) / (10.0 + step))
    return f"""# {weights.name}: model card

{weights.summary}.

What runs: {chained}{" (Zero-DCE++ on its own CPU fast path at the frame's size, then the restorer)" if weights.chain else ""}.
On a CPU frames over 640x400's pixel count go through the restorer at the largest size within it (a 720p frame at
674x378; LOL's 600x400 at its own size), its output scaled back up bilinearly.

| file | sha256 |
|---|---|
| `{weights.checkpoint}` (torch, weights only: the moving average of the weights) | `{sha256(weights.checkpoint_path())}` |
| `{weights.onnx}` (ONNX, exported from it by `streamer export {weights.name}`) | `{sha256(weights.onnx_path())}` |

Input: (T, H, W, 3) uint8 {weights.colour_order}, range {weights.input_range[0]}-{weights.input_range[1]}, T = 1
{"(a dark frame: Zero-DCE++ brightens it first)" if weights.chain else "(a dark frame that is already brightened)"}.
Output: (H, W, 3) uint8 {weights.colour_order}.

## Network
{body}; the correction is added to the input. {_params(ckpt) / 1000:.0f}k parameters. No transposed convolutions.
Generator chosen over the other body by the comparison in `models/weights/README.md`.

## Training
Two stages, CPU only (one thread of a 2-core machine shared with other jobs); the 50 highest-numbered LOL pairs
are held out of both and never trained on. Exact commands: `models/weights/README.md`.

**Stage 1, the degrader** (`streamer train degrader`, `models/training/degradation.py`): an unpaired CycleGAN
between clean, well-exposed images ({_data(list(dcfg.get("data", [])))}: {dcfg.get("clean_images")} kept as well
exposed) and real dark, noisy, compressed ones ({degraded}: {dcfg.get("degraded_images")} images and video frames).
ResNet generators ({dcfg.get("channels")} channels, {dcfg.get("blocks")} blocks; F also reads {dcfg.get("noise")} channels
of random noise), PatchGAN discriminators, LSGAN + cycle L1 x{dcfg.get("cycle_weight")} + identity L1
x{dcfg.get("identity_weight")}; {deg.get("step")} steps of batch {dcfg.get("batch_size")}, {dcfg.get("crop")}x{dcfg.get("crop")}
crops at the images' own resolution; Adam (0.5, 0.999), learning rate {dcfg.get("lr")} decayed linearly to
{dcfg.get("lr_end")}. On the held-out pairs F(high) against the real low image: PSNR {dm.get("f_psnr", float("nan")):.2f} dB,
SSIM {dm.get("f_ssim", float("nan")):.3f}, brightness x{dm.get("f_brightness_ratio", float("nan")):.2f} of the real one.

**Stage 2, the restorer** (`streamer train restorer`, `models/training/restorer.py`): pairs (brighten(F(y)), y), y a
random crop of the clean images ({_data(list(cfg.get("data", [])))}, {cfg.get("train_images")} well exposed), F(y)
rounded to 8 bits, brightened by the shipped Zero-DCE++ (as the stream ran it then: the colour-true rule before its
step 5, the exposure half) and rounded again{hard}{real}{match}.
Starting point: `x + 0.5 (box3x3(x) - x)`, a mild smoothing (the output conv's weights on the frame), not the identity.
Loss: L1 + {cfg.get("feature_weight")} x feature L1 in {feature} + {cfg.get("adv_weight")} x LSGAN (PatchGAN,
{cfg.get("disc_channels")} channels){ssim_term}. RMSProp, learning rate {cfg.get("lr")} decayed linearly to {cfg.get("lr_end")},
batch {cfg.get("batch_size")}, {cfg.get("crop")}x{cfg.get("crop")} crops, {ckpt.get("step")} steps; the shipped weights are the
exponential moving average of the generator's (decay (1 + step) / (10 + step) up to {cfg.get("ema")}: about {ema_now:.3f} at
step {ckpt.get("step")}), the checkpoint with the best validation SSIM.
Feature loss used: **{cfg.get("feature_loss")}**.

## Validation (LOL our485, 50 held-out pairs, RGB uint8, scikit-image, data_range 255)
| weights | PSNR dB | SSIM |
|---|---|---|
| these | {psnr:.3f} | {ssim:.4f} |
| the low-light input itself | {INPUT_ITSELF[0]:.3f} | {INPUT_ITSELF[1]:.4f} |

Measured by `python benchmarks/eval_lol.py` with the ONNX files on ONNX Runtime{"" if weights.chain else
" (the restorer alone on the dark LOL input, which it is not made for: it expects a brightened frame)"}.
Side by side (`python benchmarks/eval_restorer.py`):

{_results_table(results)}

Cost on the 2-core development machine (ONNX Runtime, `--threads 2`; the machine was shared with other jobs):

{_cost_table(results)}

## Licence of the data
{licence([*cfg.get("data", []), *dcfg.get("data", [])])}
"""
