"""The deblocking layer: every backend's output deblocked against the newest input frame, when asked."""

from __future__ import annotations

import numpy as np

from models import backends, catalog
from models.backends.deblocked import DeblockedBackend
from models.runtime.deblock import DeblockConfig, deblock
from tests.conftest import dark_frames


def test_the_layer_is_there_only_when_asked_and_deblocks_the_models_output() -> None:
    weights = catalog.get("zero-dce++")
    plain = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu"))
    assert not isinstance(plain, DeblockedBackend)
    layered = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu", deblock=DeblockConfig()))
    assert isinstance(layered, DeblockedBackend)
    frame = (dark_frames(1, 160, 96)[0] // 3)[None]
    out = plain.enhance(frame)
    got = layered.enhance(frame)
    assert np.array_equal(got, deblock(out, frame[-1]))
    assert not np.array_equal(got, out)  # a dark noisy frame has flat steps on the grid somewhere
    plain.close()
    layered.close()


def test_a_chain_is_deblocked_once_as_a_whole() -> None:
    chain = catalog.get("zero-dce++-clean")
    backend = backends.open_backend("onnxruntime", chain, backends.BackendOptions(device="cpu", deblock=DeblockConfig()))
    assert isinstance(backend, DeblockedBackend)
    chained = backends.layers(backend)[-1]
    assert sum(isinstance(layer, DeblockedBackend) for layer in backends.layers(backend)) == 1
    assert len(chained.stages) == 2
    assert not any(isinstance(layer, DeblockedBackend) for stage in chained.stages for layer in backends.layers(stage))
    backend.close()
