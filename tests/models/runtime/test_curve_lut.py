"""The Zero-DCE++ lookup-table fast path against the exact (torch / full ONNX graph) path."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from models import backends, catalog
from models.runtime.curve_lut import CurveLUT, curve_table, pool
from tests.conftest import dark_frames, decode, run_cli, write_clip


def _reference_curves(v: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """8 iterations in float64 with FrameModel's rounding: the definition the table must hold."""
    x = v.astype(np.float64) / 255.0
    for _ in range(8):
        x = x + alpha * x * (1.0 - x)
    return np.floor(np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def test_table_rows_are_the_curves_at_their_alpha() -> None:
    table = curve_table(levels=65)
    v = np.arange(256)
    for k in (0, 16, 32, 50, 64):
        alpha = -1.0 + 2.0 * k / 64
        assert np.array_equal(table[k], _reference_curves(v, alpha))
    assert np.array_equal(table[32], v.astype(np.uint8))  # alpha 0 is the identity
    assert (np.diff(table[64].astype(int)) >= 0).all()  # brightening curves stay monotone


def test_apply_matches_per_pixel_curves_of_the_upsampled_map() -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (37, 51, 3), dtype=np.uint8)
    alphas = rng.uniform(-1, 1, (1, 3, 3, 4)).astype(np.float32)
    got = CurveLUT().apply(rgb, alphas).astype(int)
    import cv2

    full = cv2.resize(alphas[0].transpose(1, 2, 0), (51, 37), interpolation=cv2.INTER_LINEAR).astype(np.float64)
    want = _reference_curves(rgb, full).astype(int)
    assert np.abs(got - want).max() <= 1 and np.abs(got - want).mean() < 0.05


def test_apply_handles_frames_wider_than_the_gather_limit() -> None:
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (4, 11_200, 3), dtype=np.uint8)  # 3 * width > cv2.remap's 32767
    alphas = np.full((1, 3, 1, 933), 0.5, np.float32)
    got = CurveLUT().apply(rgb, alphas).astype(int)
    assert got.shape == rgb.shape
    assert np.abs(got - _reference_curves(rgb, 0.5).astype(int)).max() <= 1


def test_pool_is_the_box_average_of_whole_cells() -> None:
    rgb = np.random.default_rng(2).integers(0, 256, (50, 77, 3), dtype=np.uint8)
    small = pool(rgb, 12)
    assert small.shape == (1, 3, 4, 6) and small.dtype == np.float32
    want = rgb[:48, :72].reshape(4, 12, 6, 12, 3).mean(axis=(1, 3)).transpose(2, 0, 1)[None] / 255.0
    assert np.abs(small - want).max() <= 0.5 / 255 + 1e-6


def test_backend_picks_the_fast_path_for_zero_dce_pp_on_cpu_only() -> None:
    assert backends.open_backend("onnxruntime", catalog.get("zero-dce++")).path == "lut"
    exact = backends.open_backend("onnxruntime", catalog.get("zero-dce++"), backends.BackendOptions(exact=True))
    assert exact.path == "exact"
    assert backends.open_backend("onnxruntime", catalog.get("zero-dce")).path == "exact"


def test_without_a_curve_graph_the_exact_path_runs(tmp_path: Path) -> None:
    w = catalog.get("zero-dce++")
    alone = tmp_path / "mine.onnx"
    shutil.copy(w.onnx_path(), alone)
    backend = backends.open_backend("onnxruntime", dataclasses.replace(w, onnx=str(alone)))
    assert backend.path == "exact"


def test_fast_path_matches_the_torch_reference_on_a_clip() -> None:
    """The issue's bar: within 1/255 mean absolute error of the reference torch model."""
    pytest.importorskip("torch")
    w = catalog.get("zero-dce++")
    fast = backends.open_backend("onnxruntime", w)
    reference = backends.open_backend("torch", w)
    diffs = []
    for width, height in ((640, 360), (123, 77)):
        for frame in dark_frames(4, width, height, seed=3):
            a = fast.enhance(frame[None]).astype(int)
            b = reference.enhance(frame[None]).astype(int)
            assert a.shape == b.shape == (height, width, 3)
            assert np.abs(a - b).max() <= 2
            diffs.append(np.abs(a - b).mean())
    assert max(diffs) < 0.25  # levels of 255; the bar is 1.0


def test_shipped_curve_graph_is_the_checkpoint_estimator() -> None:
    torch = pytest.importorskip("torch")
    import onnxruntime as ort

    from models.checkpoint import load_checkpoint, network_from_checkpoint
    from models.nets.zero_dce import dce_body

    w = catalog.get("zero-dce++")
    net = network_from_checkpoint(load_checkpoint(w.checkpoint_path()))
    session = ort.InferenceSession(str(w.companion("curves")), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    assert (int(meta["scale"]), int(meta["iterations"])) == (net.scale, net.iterations)
    small = pool(dark_frames(1, 640, 360)[0], net.scale)
    got = session.run(["alphas"], {"small": small})[0]
    with torch.no_grad():
        want = dce_body(net, torch.from_numpy(small)).numpy()
    assert np.abs(got - want).max() < 1e-4


def test_cli_exact_flag_and_fast_path_give_the_same_video(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "in.mp4", dark_frames(6, 320, 180), audio=False)
    fast, exact = tmp_path / "fast.mp4", tmp_path / "exact.mp4"
    # Lossless x264: at CRF 18 the amplified noise of a dark clip alone moves pixels by ~5 levels.
    # Temporal smoothing off: it is computed differently on the two paths (tests/models/backends/test_stabilized.py).
    assert run_cli("enhance", str(clip.path), "-o", str(fast), "--crf", "0", "--no-smoothing").returncode == 0
    assert run_cli("enhance", str(clip.path), "-o", str(exact), "--crf", "0", "--exact", "--no-smoothing").returncode == 0
    a, _ = decode(fast)
    b, _ = decode(exact)
    assert len(a) == len(b) == 6
    assert max(np.abs(x.astype(int) - y).mean() for x, y in zip(a, b, strict=True)) < 1.0
