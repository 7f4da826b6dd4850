"""Backends: availability, ``auto``, errors, and agreement between runtimes on shipped weights."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from models import backends, catalog
from models.errors import BackendError, ConfigError
from tests.conftest import dark_frames, luma


def test_auto_prefers_onnxruntime_on_a_machine_without_tensorrt() -> None:
    if importlib.util.find_spec("tensorrt") is not None:
        pytest.skip("tensorrt is installed here")
    assert backends.resolve("auto") == "onnxruntime"


def test_unknown_backend_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="onnxruntime"):
        backends.resolve("directx")


def test_tensorrt_reports_why_it_is_unavailable() -> None:
    reason = backends.availability()["tensorrt"]
    if reason is None:
        pytest.skip("TensorRT is available here")
    with pytest.raises(BackendError, match="tensorrt is unavailable"):
        backends.resolve("tensorrt")


# Models made for frames that are already brightened: they restore, and leave the exposure about as it is.
RESTORING = ("restorer",)


@pytest.mark.parametrize("model", list(catalog.CATALOG))
def test_onnxruntime_brightens_shipped_models(model: str) -> None:
    backend = backends.open_backend("onnxruntime", catalog.get(model))
    frames = np.stack(dark_frames(1, 320, 180))
    if model in RESTORING:
        frames = np.stack([backends.open_backend("onnxruntime", catalog.get("zero-dce++")).enhance(frames)])
    out = backend.enhance(frames)
    assert out.shape == (180, 320, 3) and out.dtype == np.uint8
    if model in RESTORING:
        assert 0.7 * luma(frames[0]) < luma(out) < 1.5 * luma(frames[0])
    else:
        assert luma(out) > 2.5 * luma(frames[0])


@pytest.mark.parametrize("model", list(catalog.CATALOG))
def test_torch_and_onnxruntime_agree_on_shipped_weights(model: str) -> None:
    pytest.importorskip("torch")
    weights = catalog.get(model)
    frames = np.stack(dark_frames(1, 256, 144))
    a = backends.open_backend("onnxruntime", weights).enhance(frames).astype(int)
    b = backends.open_backend("torch", weights).enhance(frames).astype(int)
    assert np.abs(a - b).max() <= 1


def test_corrupt_onnx_file_is_a_model_error(tmp_path) -> None:
    import dataclasses

    from models.errors import ModelError

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx graph")
    weights = dataclasses.replace(catalog.get("zero-dce++"), onnx=str(bad))
    with pytest.raises(ModelError, match="cannot load"):
        backends.open_backend("onnxruntime", weights)


def test_auto_on_cuda_picks_a_backend_that_runs_there_or_says_none_does() -> None:
    try:
        chosen = backends.resolve("auto", device="cuda")
    except BackendError as e:
        assert "no backend runs on CUDA here" in str(e)
        assert not any(backends.runs_on_cuda(n) for n, r in backends.availability().items() if r is None)
    else:
        assert backends.runs_on_cuda(chosen)
