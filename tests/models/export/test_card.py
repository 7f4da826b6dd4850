"""Model cards are written from the checkpoint's own record, stage by stage."""

from __future__ import annotations

from models.catalog import get
from models.export.card import render_card


def stage(**cfg) -> dict:
    base = dict(arch="zero-dce++", data=["x/lol_our485/low"], steps=100, batch_size=8, crop=256, short_side=320,
                lr=1e-4, weight_decay=1e-4, grad_clip=0.1, seed=0, exposure_level=0.37, exposure_weight=50.0,
                exposure_patch=64, spatial_weight=1.0, color_weight=5.0, tv_weight=20000.0, train_images=435)
    return base | cfg


def test_a_one_stage_card_names_its_losses() -> None:
    ckpt = {"arch": "zero-dce++", "scale": 12, "step": 100, "config": stage()}
    card = render_card(get("zero-dce++"), ckpt, 20.0, 0.64)
    assert "from random initialization" in card and "Stage" not in card
    assert "exposure control x50 (E = 0.37, 64x64 patches)" in card and "| these | 20.000 | 0.6400 |" in card


def test_a_staged_card_gives_each_stage_and_leaves_out_terms_weighted_zero() -> None:
    first = stage(steps=1500, lr=1e-3, exposure_weight=0.0, spatial_weight=0.0, color_weight=0.0, tv_weight=0.0,
                  curve_prior=[0.3, 0.1], curve_prior_weight=1.0, train_scale=12)
    second = stage(steps=300, val_every=50, exposure_weight=0.0, curve_prior=[0.3, 0.1], curve_prior_weight=300.0,
                   train_scale=4, pairs=["x/lol_our485/low", "x/lol_our485/high"], paired_weight=10.0,
                   paired_match_brightness=True)
    ckpt = {"arch": "zero-dce++", "scale": 12, "step": 150, "config": second,
            "lineage": [{"step": 1500, "config": first, "metrics": {}}]}
    card = render_card(get("zero-dce++"), ckpt, 20.4, 0.637)
    one, two = card.split("**Stage 1**")[1].split("**Stage 2**")
    assert "in 2 stages" in card
    assert "Steps: 1500," in one and "learning rate 0.001" in one and "Curve map" not in one
    assert ("Losses: the brightness rule for the curve map, alpha = 0.3 - 0.1 ln(m / 0.05) "
            "(`models/training/curve_prior.py`), x1.") in one
    assert "exposure" not in one and "smoothness" not in one and "spatial" not in one
    assert "Steps: 150 of a 300-step run" in two and "at 1/4 scale while training" in two
    assert "illumination smoothness x20000" in two and "x300" in two and "L1 to the normal-light image" in two
    assert "exposure control" not in two
