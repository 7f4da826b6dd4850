"""The FID Inception-v3: its parameters are named and shaped as in pytorch-fid's weight file, and a
missing or foreign file is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from models.errors import ConfigError, ModelError  # noqa: E402
from models.nets.fid_inception import FIDInceptionV3, load_fid_inception  # noqa: E402

# The conv layers of pt_inception-2015-12-05-6726825d.pth: torchvision's Inception3 parameter names (its
# published parameter table), without AuxLogits (pytorch-fid builds it with aux_logits=False and loads the
# file strictly). Each is `<name>.conv.weight` (out, in, kh, kw) without bias and a batch norm `<name>.bn.
# {weight,bias,running_mean,running_var}` of `out`; then `fc` (1008, 2048): the TF graph's 1008 classes.
CONVS = """
Conv2d_1a_3x3 32 3 3 3 | Conv2d_2a_3x3 32 32 3 3 | Conv2d_2b_3x3 64 32 3 3 | Conv2d_3b_1x1 80 64 1 1
Conv2d_4a_3x3 192 80 3 3
Mixed_5b.branch1x1 64 192 1 1 | Mixed_5b.branch5x5_1 48 192 1 1 | Mixed_5b.branch5x5_2 64 48 5 5
Mixed_5b.branch3x3dbl_1 64 192 1 1 | Mixed_5b.branch3x3dbl_2 96 64 3 3 | Mixed_5b.branch3x3dbl_3 96 96 3 3
Mixed_5b.branch_pool 32 192 1 1
Mixed_5c.branch1x1 64 256 1 1 | Mixed_5c.branch5x5_1 48 256 1 1 | Mixed_5c.branch5x5_2 64 48 5 5
Mixed_5c.branch3x3dbl_1 64 256 1 1 | Mixed_5c.branch3x3dbl_2 96 64 3 3 | Mixed_5c.branch3x3dbl_3 96 96 3 3
Mixed_5c.branch_pool 64 256 1 1
Mixed_5d.branch1x1 64 288 1 1 | Mixed_5d.branch5x5_1 48 288 1 1 | Mixed_5d.branch5x5_2 64 48 5 5
Mixed_5d.branch3x3dbl_1 64 288 1 1 | Mixed_5d.branch3x3dbl_2 96 64 3 3 | Mixed_5d.branch3x3dbl_3 96 96 3 3
Mixed_5d.branch_pool 64 288 1 1
Mixed_6a.branch3x3 384 288 3 3 | Mixed_6a.branch3x3dbl_1 64 288 1 1 | Mixed_6a.branch3x3dbl_2 96 64 3 3
Mixed_6a.branch3x3dbl_3 96 96 3 3
Mixed_6b.branch1x1 192 768 1 1 | Mixed_6b.branch7x7_1 128 768 1 1 | Mixed_6b.branch7x7_2 128 128 1 7
Mixed_6b.branch7x7_3 192 128 7 1 | Mixed_6b.branch7x7dbl_1 128 768 1 1 | Mixed_6b.branch7x7dbl_2 128 128 7 1
Mixed_6b.branch7x7dbl_3 128 128 1 7 | Mixed_6b.branch7x7dbl_4 128 128 7 1 | Mixed_6b.branch7x7dbl_5 192 128 1 7
Mixed_6b.branch_pool 192 768 1 1
Mixed_6c.branch1x1 192 768 1 1 | Mixed_6c.branch7x7_1 160 768 1 1 | Mixed_6c.branch7x7_2 160 160 1 7
Mixed_6c.branch7x7_3 192 160 7 1 | Mixed_6c.branch7x7dbl_1 160 768 1 1 | Mixed_6c.branch7x7dbl_2 160 160 7 1
Mixed_6c.branch7x7dbl_3 160 160 1 7 | Mixed_6c.branch7x7dbl_4 160 160 7 1 | Mixed_6c.branch7x7dbl_5 192 160 1 7
Mixed_6c.branch_pool 192 768 1 1
Mixed_6d.branch1x1 192 768 1 1 | Mixed_6d.branch7x7_1 160 768 1 1 | Mixed_6d.branch7x7_2 160 160 1 7
Mixed_6d.branch7x7_3 192 160 7 1 | Mixed_6d.branch7x7dbl_1 160 768 1 1 | Mixed_6d.branch7x7dbl_2 160 160 7 1
Mixed_6d.branch7x7dbl_3 160 160 1 7 | Mixed_6d.branch7x7dbl_4 160 160 7 1 | Mixed_6d.branch7x7dbl_5 192 160 1 7
Mixed_6d.branch_pool 192 768 1 1
Mixed_6e.branch1x1 192 768 1 1 | Mixed_6e.branch7x7_1 192 768 1 1 | Mixed_6e.branch7x7_2 192 192 1 7
Mixed_6e.branch7x7_3 192 192 7 1 | Mixed_6e.branch7x7dbl_1 192 768 1 1 | Mixed_6e.branch7x7dbl_2 192 192 7 1
Mixed_6e.branch7x7dbl_3 192 192 1 7 | Mixed_6e.branch7x7dbl_4 192 192 7 1 | Mixed_6e.branch7x7dbl_5 192 192 1 7
Mixed_6e.branch_pool 192 768 1 1
Mixed_7a.branch3x3_1 192 768 1 1 | Mixed_7a.branch3x3_2 320 192 3 3 | Mixed_7a.branch7x7x3_1 192 768 1 1
Mixed_7a.branch7x7x3_2 192 192 1 7 | Mixed_7a.branch7x7x3_3 192 192 7 1 | Mixed_7a.branch7x7x3_4 192 192 3 3
Mixed_7b.branch1x1 320 1280 1 1 | Mixed_7b.branch3x3_1 384 1280 1 1 | Mixed_7b.branch3x3_2a 384 384 1 3
Mixed_7b.branch3x3_2b 384 384 3 1 | Mixed_7b.branch3x3dbl_1 448 1280 1 1 | Mixed_7b.branch3x3dbl_2 384 448 3 3
Mixed_7b.branch3x3dbl_3a 384 384 1 3 | Mixed_7b.branch3x3dbl_3b 384 384 3 1 | Mixed_7b.branch_pool 192 1280 1 1
Mixed_7c.branch1x1 320 2048 1 1 | Mixed_7c.branch3x3_1 384 2048 1 1 | Mixed_7c.branch3x3_2a 384 384 1 3
Mixed_7c.branch3x3_2b 384 384 3 1 | Mixed_7c.branch3x3dbl_1 448 2048 1 1 | Mixed_7c.branch3x3dbl_2 384 448 3 3
Mixed_7c.branch3x3dbl_3a 384 384 1 3 | Mixed_7c.branch3x3dbl_3b 384 384 3 1 | Mixed_7c.branch_pool 192 2048 1 1
"""


def weight_file_table() -> dict[str, tuple[int, ...]]:
    table: dict[str, tuple[int, ...]] = {}
    for entry in CONVS.replace("\n", "|").split("|"):
        if not entry.strip():
            continue
        name, *dims = entry.split()
        out, cin, kh, kw = map(int, dims)
        table[f"{name}.conv.weight"] = (out, cin, kh, kw)
        for p in ("weight", "bias", "running_mean", "running_var"):
            table[f"{name}.bn.{p}"] = (out,)
    return table | {"fc.weight": (1008, 2048), "fc.bias": (1008,)}


def test_parameters_are_named_and_shaped_as_in_the_weight_file() -> None:
    table = weight_file_table()
    assert len(table) == 94 * 5 + 2  # 94 conv layers, each with its batch norm
    net = {k: tuple(v.shape) for k, v in FIDInceptionV3().state_dict().items() if not k.endswith("num_batches_tracked")}
    # The file has no step counters (older torch); the loader ignores them either way.
    assert net == table


def test_loader_accepts_the_files_layout_and_gives_pool3_features(tmp_path: Path) -> None:
    # A stand-in file laid out like the real one (no step counters, as older torch wrote them).
    state = {k: torch.ones(shape) if k.endswith("running_var") else torch.full(shape, 0.01)
             for k, shape in weight_file_table().items()}
    state["Mixed_7c.branch_pool.conv.weight"] = torch.linspace(-0.1, 0.1, 192 * 2048).reshape(192, 2048, 1, 1)
    path = tmp_path / "pt_inception-2015-12-05-6726825d.pth"
    torch.save(state, path)
    net = load_fid_inception(path)
    assert torch.equal(net.Mixed_7c.branch_pool.conv.weight, state["Mixed_7c.branch_pool.conv.weight"])
    with torch.no_grad():
        feats = net(torch.rand(1, 3, 120, 90))
    assert feats.shape == (1, 2048) and torch.isfinite(feats).all()


def test_missing_or_foreign_weights_are_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pt_inception-2015-12-05-6726825d.pth.*--inception PATH"):
        load_fid_inception(None)
    with pytest.raises(ConfigError, match="not found"):
        load_fid_inception(tmp_path / "nope.pth")
    other = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(1000, 2048)}, other)
    with pytest.raises(ModelError, match="not the FID Inception weight file") as e:
        load_fid_inception(other)
    assert "\n" not in str(e.value)
