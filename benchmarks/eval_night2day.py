"""Night-to-day on held-out webcam views: the translated night frames, the night frames themselves and
zero-dce++'s output, each compared with the held-out day frames of the same views.

Held out: every frame of the views ``models.training.night2day.DEFAULT_HELD_OUT`` (frame sizes, see
:mod:`models.training.views`), never trained on. The models run as ``streamer enhance`` runs them on a
CPU (ONNX Runtime, the architecture's working size), on each frame alone.

Distances (:mod:`models.training.distances`): by default a **cheap proxy** that needs no downloads,
KID's cubic kernel and the Frechet distance on colour/texture statistics of each frame; lower is closer
to the day frames. With ``--inception pt_inception-2015-12-05-6726825d.pth`` also FID and KID on
Inception-v3 pool3 features (with tens of frames FID is biased upwards; KID is not). Also: mean luma,
and ms per frame of each model at 640x360 and 1280x720 on this machine.

    python benchmarks/eval_night2day.py [--data ../shared/data/night2day] [--inception PATH]
        [--strip benchmarks/results/night2day_strip.png]

Writes ``benchmarks/results/eval_night2day.{json,md}`` and the strip: rows of held-out views, columns
night input / night2day / zero-dce++ / a day frame of the same view.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import RESULTS, label, markdown_table, time_calls, write_results  # noqa: E402
from models import backends, catalog  # noqa: E402
from models.imagefiles import read_rgb  # noqa: E402
from models.training.distances import PROXY_NAME, fid_from_features, kid, proxy_features  # noqa: E402
from models.training.views import split_night_day, view_of  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HELD_OUT = ("373x256", "386x256", "440x256")  # models.training.night2day.DEFAULT_HELD_OUT (kept torch-free here)
MODELS = ("night2day", "zero-dce++")
LUMA = np.array([0.299, 0.587, 0.114])


def mean_luma(images: list[np.ndarray]) -> float:
    return float(np.mean([img.reshape(-1, 3).mean(0) @ LUMA for img in images]) / 255.0)


def distances(day_feats: np.ndarray, feats: np.ndarray) -> dict[str, float]:
    value, spread = kid(day_feats, feats)
    return {"kid": value, "kid_std": spread, "fd": fid_from_features(day_feats, feats)}


def inception_features(path: Path | None):
    """``images -> (N, 2048)`` with the FID Inception net, or ``None`` (and why) when the weights are missing."""
    from models.errors import StreamerError

    try:
        import torch

        from models.nets.fid_inception import load_fid_inception

        net = load_fid_inception(path)
    except (StreamerError, ImportError) as e:
        return None, f"not measured: {e}"

    def run(images: list[np.ndarray]) -> np.ndarray:
        with torch.no_grad():
            return np.concatenate([net(torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255.0).numpy()
                                   for im in images]).astype(np.float64)

    return run, None


def strip(rows: list[list[tuple[str, np.ndarray]]], height: int = 200) -> np.ndarray:
    out = []
    for row in rows:
        tiles = [label(cv2.resize(img, (round(img.shape[1] * height / img.shape[0]), height),
                                  interpolation=cv2.INTER_AREA), text, (8, 22), 0.6, 2) for text, img in row]
        out.append(np.hstack(tiles))
    width = max(r.shape[1] for r in out)
    return np.vstack([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in out])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "night2day")
    ap.add_argument("--view", dest="views", action="append", help="held-out view WxH (repeatable)")
    ap.add_argument("--backend", default="onnxruntime")
    ap.add_argument("--inception", type=Path, help="pt_inception-2015-12-05-6726825d.pth, for real FID/KID")
    ap.add_argument("--strip", type=Path, default=RESULTS / "night2day_strip.png")
    args = ap.parse_args()
    views = tuple(args.views or HELD_OUT)
    split = split_night_day(args.data, views)
    night = [read_rgb(p) for p in split["night"].held_out]
    day = [read_rgb(p) for p in split["day"].held_out]
    outputs = {"night input": night}
    speed = {}
    for name in MODELS:
        backend = backends.open_backend(args.backend, catalog.get(name))
        outputs[name] = [backend.enhance(img[None]) for img in night]
        speed[name] = {size: time_calls(backend.enhance, np.zeros((1, h, w, 3), np.uint8) + 20, 5)["median_ms"]
                       for size, (w, h) in {"640x360": (640, 360), "1280x720": (1280, 720)}.items()}
        backend.close()

    day_proxy = np.stack([proxy_features(im) for im in day])
    inception, why_not = inception_features(args.inception)
    day_inception = inception(day) if inception else None
    methods, rows = {}, []
    for name, images in outputs.items():
        p = distances(day_proxy, np.stack([proxy_features(im) for im in images]))
        r = {"proxy_kid": p["kid"], "proxy_kid_std": p["kid_std"], "proxy_fd": p["fd"], "mean_luma": mean_luma(images)}
        if inception:
            i = distances(day_inception, inception(images))
            r |= {"fid": i["fd"], "kid": i["kid"], "kid_std": i["kid_std"]}
        methods[name] = r
        fid_cells = [f"{r['fid']:.1f}", f"{100 * r['kid']:.2f}"] if inception else ["n/a", "n/a"]
        ms = speed.get(name, {})
        rows.append([name, f"{100 * r['proxy_kid']:.2f} +- {100 * r['proxy_kid_std']:.2f}", f"{r['proxy_fd']:.4f}",
                     *fid_cells, f"{r['mean_luma']:.3f}",
                     " / ".join(f"{v:.0f}" for v in ms.values()) if ms else ""])
    fid_kid = "measured (Inception-v3 pool3, pytorch-fid weights)" if inception else why_not
    table = markdown_table(["vs held-out day frames", "proxy KID x100", "proxy FD", "FID", "KID x100", "mean luma",
                            "ms/frame 640x360 / 1280x720"], rows)
    table += (f"\n\nHeld-out views {', '.join(views)}: {len(night)} night and {len(day)} day frames (never trained on). "
              f"Mean luma of the day frames: {mean_luma(day):.3f}. Proxy: {PROXY_NAME}. FID/KID: {fid_kid}.")
    print(table)

    # One row per held-out view: its first night frame through each model, and a day frame of the same view.
    by_view: dict[str, int] = {}
    for i, p in enumerate(split["night"].held_out):
        by_view.setdefault(view_of(p), i)
    rows_img = []
    for view, i in by_view.items():
        day_same = next(im for im, p in zip(day, split["day"].held_out, strict=True) if view_of(p) == view)
        rows_img.append([("night (held out)", night[i]), ("night2day", outputs["night2day"][i]),
                         ("zero-dce++", outputs["zero-dce++"][i]), ("a day frame, same view", day_same)])
    args.strip.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.strip), cv2.cvtColor(strip(rows_img), cv2.COLOR_RGB2BGR))
    print(f"wrote {args.strip}")
    write_results("eval_night2day", {"data": str(args.data), "held_out_views": list(views), "backend": args.backend,
                                     "proxy": PROXY_NAME, "kid_subsets": 100},
                  {"methods": methods, "day_mean_luma": mean_luma(day), "fid_kid": fid_kid,
                   "ms_per_frame": speed, "n_night": len(night), "n_day": len(day)}, table)


if __name__ == "__main__":
    main()
