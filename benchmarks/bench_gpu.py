"""GPU speed: model-only fps per backend and precision at 720p, 1080p and 4K, and the whole file pipeline.

Needs an NVIDIA GPU (it says so and exits otherwise). Per model, size and variant:

- ``torch fp32``, ``torch fp16`` (eager), ``torch fp16 compiled`` (torch.compile, CUDA graphs);
- ``onnxruntime cuda`` when onnxruntime-gpu is installed (its CUDA provider, FP32 graph);
- ``tensorrt fp16`` / ``tensorrt fp32`` when TensorRT is installed (engines built into a temporary cache);

3 warm-up calls (compilation and engine building happen there, untimed), then N timed calls of
``enhance`` on one frame; each call returns host memory, so the device work is inside the timing.
Then the file pipeline: ``streamer enhance`` (backend auto, device cuda, NVENC where it opens) on a
generated 4 s dark clip against the plain FFmpeg transcode, as in ``bench_enhance.py``. The GPU's
name is in the JSON (``machine.gpu``).

    python benchmarks/bench_gpu.py [--sizes 720p 1080p 2160p] [--models zero-dce++ zero-dce] [--repeats 50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import SIZES, machine, markdown_table, time_calls, write_results  # noqa: E402
from models import backends, catalog  # noqa: E402

GPU_SIZES = {**SIZES, "2160p": (3840, 2160)}


def variants() -> dict[str, object]:
    """Variant name -> a function (weights) -> backend, for what is installed here."""
    out: dict[str, object] = {
        "torch fp32": lambda w: backends.open_backend("torch", w, backends.BackendOptions(device="cuda", precision="fp32")),
        "torch fp16": lambda w: backends.open_backend("torch", w, backends.BackendOptions(device="cuda", precision="fp16")),
        "torch fp16 compiled": lambda w: backends.open_backend(
            "torch", w, backends.BackendOptions(device="cuda", precision="fp16", compile=True)),
    }
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        out["onnxruntime cuda fp32"] = lambda w: backends.open_backend(
            "onnxruntime", w, backends.BackendOptions(device="cuda", exact=True))
    if backends.availability()["tensorrt"] is None:
        from models.backends.engine_cache import EngineCache
        from models.backends.tensorrt_backend import TensorRTBackend

        cache = EngineCache(Path(tempfile.mkdtemp(prefix="streamer-trt-")))
        out["tensorrt fp16"] = lambda w: TensorRTBackend(w, "fp16", cache)
        out["tensorrt fp32"] = lambda w: TensorRTBackend(w, "fp32", cache)
    return out


def model_only(sizes: list[str], models: list[str], repeats: int) -> tuple[dict, list[list[object]]]:
    from streamer.sources.demo import DemoSource

    results: dict = {}
    rows = []
    for size in sizes:
        w, h = GPU_SIZES[size]
        frame = DemoSource(duration_s=1, width=w, height=h).render(5)[None]
        for model in models:
            for name, make in variants().items():
                try:
                    b = make(catalog.get(model))
                    for _ in range(3):
                        b.enhance(frame)
                except Exception as e:  # one variant failing (e.g. no FP16 tactic) must not hide the others
                    results.setdefault(size, {}).setdefault(model, {})[name] = {"error": f"{type(e).__name__}: {e}"}
                    rows.append([size, model, name, "failed", "", str(e)[:60]])
                    continue
                r = time_calls(b.enhance, frame, repeats)
                b.close()
                results.setdefault(size, {}).setdefault(model, {})[name] = r
                rows.append([size, model, name, f"{r['median_ms']:.2f}", f"{r['fps']:.0f}", f"{r['q1_ms']:.2f}-{r['q3_ms']:.2f}"])
    return results, rows


def pipeline(sizes: list[str], runs: int) -> tuple[dict, list[list[object]]]:
    import onnxruntime as ort

    from benchmarks.bench_enhance import FPS, SECONDS, make_clip, paired

    streamer = [shutil.which("streamer")] if shutil.which("streamer") else [sys.executable, "-m", "streamer"]
    # The fastest backend that runs on the GPU here.
    if backends.availability()["tensorrt"] is None:
        backend = "tensorrt"
    elif "CUDAExecutionProvider" in ort.get_available_providers():
        backend = "onnxruntime"
    else:
        backend = "torch"
    results, rows = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for size in sizes:
            w, h = GPU_SIZES[size]
            clip = work / f"dark_{size}.mp4"
            make_clip(clip, w, h)
            commands = {
                "ffmpeg": ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-an", "-c:v", "libx264", "-preset", "veryfast",
                           "-crf", "18", str(work / "ff.mp4")],
                f"streamer zero-dce++ ({backend}, cuda)": [*streamer, "-q", "enhance", str(clip), "-o", str(work / "st.mp4"),
                                                           "--backend", backend, "--device", "cuda"],
            }
            timing = paired(commands, runs)
            results[size] = timing
            for name, t in timing.items():
                rows.append([size, name, f"{t['median_s']:.2f}", f"{SECONDS * FPS / t['median_s']:.1f}",
                             f"{t['paired_ratio']:.2f}"])
    return results, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["720p", "1080p", "2160p"], choices=list(GPU_SIZES))
    ap.add_argument("--models", nargs="+", default=["zero-dce++", "zero-dce"])
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3, help="paired rounds of the file pipeline")
    ap.add_argument("--skip-pipeline", action="store_true")
    args = ap.parse_args()
    gpu = machine()["gpu"]
    if gpu is None:
        sys.exit("bench_gpu.py needs an NVIDIA GPU visible to torch (torch.cuda.is_available() is False here)")
    models_res, model_rows = model_only(args.sizes, args.models, args.repeats)
    table = f"GPU: {gpu}\n\n" + markdown_table(["size", "model", "variant", "median ms", "fps", "IQR ms"], model_rows)
    results = {"gpu": gpu, "model_only": models_res}
    if not args.skip_pipeline and shutil.which("ffmpeg"):
        pipe_res, pipe_rows = pipeline(args.sizes, args.runs)
        results["pipeline"] = pipe_res
        table += "\n\n" + markdown_table(["size", "command", "median s", "fps", "x ffmpeg (paired)"], pipe_rows)
    print(table)
    write_results("bench_gpu", {"repeats": args.repeats, "warmup": 3, "runs": args.runs, "cores": os.cpu_count()},
                  results, table)


if __name__ == "__main__":
    main()
