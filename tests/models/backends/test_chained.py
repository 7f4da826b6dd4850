"""A chain of shipped models (zero-dce++, then the restorer) on one backend: each stage as run alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from models import backends, catalog  # noqa: E402
from models.checkpoint import save_checkpoint  # noqa: E402
from models.export.onnx import export_onnx  # noqa: E402
from models.nets.restorer import Restorer  # noqa: E402
from models.runtime.tone import exposure_strength  # noqa: E402
from tests.conftest import dark_frames  # noqa: E402


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> catalog.Weights:
    """The catalog's chain with a small random restorer in place of the shipped one."""
    root = tmp_path_factory.mktemp("chain")
    torch.manual_seed(0)
    net = Restorer("unet", channels=8).eval()
    torch.nn.init.normal_(net.body.out.weight, std=0.02)
    save_checkpoint(root / "r.pt", {"arch": "restorer", "generator": "unet", "channels": 8, "blocks": 3,
                                    "state_dict": net.state_dict()})
    export_onnx(net, root / "r.onnx")
    return dataclasses.replace(catalog.get("zero-dce++-clean"), checkpoint=str(root / "r.pt"), onnx=str(root / "r.onnx"))


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_the_chain_is_the_curve_model_then_the_restorer(chain: catalog.Weights, backend: str) -> None:
    frames = np.stack(dark_frames(1, 160, 96)) // 2  # dark: the curve's full strength
    assert exposure_strength(frames[-1]) == 1.0
    chained = backends.open_backend(backend, chain)
    curve = backends.open_backend(backend, catalog.get("zero-dce++"))
    alone = backends.open_backend(backend, dataclasses.replace(chain, chain=()))
    assert chained.burst == 1 and "+" in chained.path
    want = alone.enhance(curve.enhance(frames)[None])
    assert np.array_equal(chained.enhance(frames), want)
    assert not np.array_equal(want, curve.enhance(frames))  # the restorer did something


def test_the_restorer_applies_in_the_curves_share_and_an_exposed_frame_comes_out_as_it_went_in(
        chain: catalog.Weights) -> None:
    chained = backends.open_backend("onnxruntime", chain)
    curve = backends.open_backend("onnxruntime", catalog.get("zero-dce++"))
    alone = backends.open_backend("onnxruntime", dataclasses.replace(chain, chain=()))
    dusk = np.stack(dark_frames(1, 160, 96))  # mean luma 46: between dark and exposed
    share = exposure_strength(dusk[-1])
    assert 0.0 < share < 1.0
    brightened = curve.enhance(dusk)
    restored = alone.enhance(brightened[None])
    want = np.clip(share * restored.astype(float) + (1.0 - share) * brightened, 0, 255)
    assert np.abs(chained.enhance(dusk).astype(float) - want).max() <= 1.0
    lit = np.clip(dusk.astype(int) * 2, 0, 255).astype(np.uint8)  # exposed: no share
    assert exposure_strength(lit[-1]) == 0.0
    assert np.array_equal(chained.enhance(lit), lit[-1])
    assert not np.array_equal(alone.enhance(lit), lit[-1])  # the restorer alone would have changed it


def test_a_720p_frame_runs_the_restorer_at_its_working_size(chain: catalog.Weights) -> None:
    chained = backends.open_backend("onnxruntime", chain)
    frames = np.stack(dark_frames(1, 1280, 720))
    out = chained.enhance(frames)
    assert out.shape == (720, 1280, 3) and out.dtype == np.uint8
    chain_backend = backends.layers(chained)[-1]
    restorer_stage = chain_backend.stages[-1]
    assert type(restorer_stage).__name__ == "ResizedBackend" and restorer_stage.max_pixels == 640 * 400
    assert type(chain_backend.stages[0]).__name__ == "CurveLutBackend"  # the curve keeps its full-size fast path


def test_the_chain_is_listed_and_named_in_the_catalog() -> None:
    w = catalog.get("zero-dce++-clean")
    assert [s.name for s in w.stages()] == ["zero-dce++", "zero-dce++-clean"]
    assert w.stages()[-1].chain == () and w.burst == 1
