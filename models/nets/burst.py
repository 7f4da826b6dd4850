"""The burst network: several dark, noisy frames in, one clean bright frame out.

After Karadeniz, Erdem & Erdem, "Burst Photography for Learning to Enhance Extremely Dark
Images" (arXiv:2006.09845), fine stage, adapted to 8-bit video frames and to streaming:

- one small U-Net-like encoder shared by every frame (3 levels, 16/32/64 channels, the first at
  half resolution through a stride-2 conv, the output back to full resolution by pixel shuffle);
- at each level the features of all frames are max-pooled across the burst (order-free, any
  burst length) and concatenated with the **newest frame's own features**, so the decoder knows
  the reference frame and can ignore what does not line up with it (pans, moving objects);
- before the max, each older frame's features are pulled towards the newest frame's where the
  two disagree (:func:`consistent_max`): a max keeps the strongest response, so a headlight that
  has moved on stayed in the pool and the decoder painted a dark-red checkerboard trail where it
  had been (``benchmarks/eval_ghost.py``: 18.5 levels behind lights crossing at 8 px a frame);
- one decoder, with a global-context branch at the bottleneck so the exposure is decided from
  the whole frame, gives the enhanced newest frame.

Each frame is first scaled by its own gain (``TARGET_LEVEL / mean``, bounded), so the encoder
sees every exposure at a similar level; that depends on the frame alone, which keeps each
frame's features independent of the others: :class:`EncoderGraph` computes them once per frame,
a ring keeps the last N (:mod:`models.runtime.burst_ring`), :class:`RingPool` pools them and
:class:`DecoderGraph` decodes the pool, so
a new frame costs one encoder and one decoder pass, whatever N.

Tensors: frames (B, T, 3, H, W) float32 RGB in [0, 1], oldest first; any H, W >= 1.
The coarse stage of the paper is not used (see ``models/weights/burst.md``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.nets.frame import to_float, to_uint8
from models.nets.tone import highlight_shoulder, strength_blend

WIDTHS = (16, 32, 64)
TARGET_LEVEL = 0.4  # mean level each frame is scaled to before the encoder
MAX_GAIN = 40.0


# How far an older frame's features may be from the newest frame's (relative difference, per place)
# before they are replaced by the newest's. Measured with the shipped weights (which were trained
# with a plain max) on a moving-lights clip (trail, 8 px/frame) and the night clips' static and pan
# shots (12 frames, GT-mean PSNR / SSIM): plain max: trail 13.6 levels, static 24.70 / 0.755, pan
# 26.49 / 0.783; 1.0: 6.0, 24.70 / 0.754, 26.64 / 0.785; 0.5: 2.3, 24.70 / 0.754, 26.77 / 0.787;
# 0.3: 1.2, 24.67 / 0.752, 26.77 / 0.787; 0.2: 0.9, 24.63 / 0.749, 26.69 / 0.783 (the static
# shot's temporal noise 5.56, 5.57, 5.60, 5.67, 5.78: stricter keeps less of the burst's denoising).
CONSISTENCY = 0.5


def consistent_max(feats: Tensor, newest: Tensor, dim: int) -> Tensor:
    """The burst's features ``feats`` max-pooled over ``dim`` (kept, size 1), each frame's first
    moved towards ``newest`` (the newest frame's, size 1 on ``dim``) by ``1 - exp(-(d / CONSISTENCY)^2)``,
    ``d`` the mean absolute difference over channels relative to the two's mean magnitude: where a
    frame agrees with the newest (noise, a static scene) it counts in full, where it does not (a
    light or an object that has moved) the newest frame's features stand in for it. Channels are
    ``dim + 1``; features are ReLU outputs (non-negative), so their magnitude is their mean.

    Written for few passes over the (T, C, H, W) burst, the cost of the streaming decoder at the
    finest level: the difference is taken once, and ``newest`` is added after the max, which it does
    not change (at 640x360 on one core the decoder took 133 ms a frame with the literal form)."""
    ch = dim + 1
    diff = feats - newest
    d = diff.abs().mean(ch, keepdim=True) / (newest.mean(ch, keepdim=True) + feats.mean(ch, keepdim=True) + 1e-3)
    weight = torch.exp(-((d / CONSISTENCY) ** 2))
    return newest + (weight * diff).amax(dim, keepdim=True)


def _conv(cin: int, cout: int, k: int = 3, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride, k // 2)


class BurstNet(nn.Module):
    """``forward(frames)``: (B, T, 3, H, W) RGB in [0, 1], oldest first -> (B, 3, H, W) the enhanced
    newest frame (not clamped). ``encode`` / ``decode`` split it for streaming."""

    arch = "burst"

    def __init__(self, widths: tuple[int, int, int] = WIDTHS) -> None:
        super().__init__()
        c1, c2, c3 = widths
        self.widths = tuple(widths)
        self.enc1 = nn.ModuleList([_conv(3, c1, 3, 2), _conv(c1, c1)])
        self.enc2 = nn.ModuleList([_conv(c1, c2), _conv(c2, c2)])
        self.enc3 = nn.ModuleList([_conv(c2, c3), _conv(c3, c3)])
        self.fuse3 = _conv(2 * c3, c3, 1)
        self.context = _conv(c3, c3, 1)
        self.dec3 = _conv(c3, c3)
        self.up2 = _conv(c3, c2, 1)
        self.fuse2 = _conv(3 * c2, c2, 1)
        self.dec2 = _conv(c2, c2)
        self.up1 = _conv(c2, c1, 1)
        self.fuse1 = _conv(3 * c1, c1, 1)
        self.dec1 = _conv(c1, c1)
        self.out = _conv(c1, 12)

    def gained(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) in [0, 1] -> each frame times its own gain (mean brought to ``TARGET_LEVEL``,
        gain in [1, ``MAX_GAIN``]); not clamped."""
        return x * (TARGET_LEVEL / x.mean((1, 2, 3), keepdim=True).clamp_min(TARGET_LEVEL / MAX_GAIN)).clamp_min(1.0)

    def encode(self, x: Tensor) -> list[Tensor]:
        """One frame per batch item: (B, 3, H, W) in [0, 1] -> features at 1/2, 1/4, 1/8 resolution
        (B, c, ceil(H/2), ...), depending on that frame alone."""
        h = self.gained(x)
        feats = []
        for i, level in enumerate((self.enc1, self.enc2, self.enc3)):
            if i:
                h = F.max_pool2d(h, 2, ceil_mode=True)
            for conv in level:
                h = F.relu(conv(h))
            feats.append(h)
        return feats

    def decode(self, pooled: list[Tensor], newest: list[Tensor], frame: Tensor) -> Tensor:
        """Features max-pooled over the burst and the newest frame's, per level, and the newest frame
        (B, 3, H, W) in [0, 1] -> (B, 3, H, W), not clamped; highlights bent below white where the
        frame's were not white (:func:`models.nets.tone.highlight_shoulder`), then moved back towards
        ``frame`` as the frame's exposure strength falls (:func:`models.nets.tone.strength_blend`).

        The output is predicted directly. A residual on the gained newest frame was tried: after 700
        steps it was far worse (SSIM 0.36 against 0.67 on the night clips): the noise of the base
        frame has to be cancelled exactly, which the small decoder had not learned yet."""
        return self.finish(self.predict(pooled, newest), frame)

    def predict(self, pooled: list[Tensor], newest: list[Tensor]) -> Tensor:
        """The decoder's convolutions: the pooled and newest features per level -> the prediction
        before the pixel shuffle, (B, 12, h1, w1) at the first level's size (:meth:`finish` makes the
        frame of it)."""
        p1, p2, p3 = pooled
        n1, n2, n3 = newest
        h = F.relu(self.fuse3(torch.cat([p3, n3], 1)))
        h = h + F.relu(self.context(h.mean((2, 3), keepdim=True)))
        h = F.relu(self.dec3(h))
        h = F.relu(self.up2(F.interpolate(h, size=p2.shape[-2:], mode="bilinear", align_corners=False)))
        h = F.relu(self.fuse2(torch.cat([h, p2, n2], 1)))
        h = F.relu(self.dec2(h))
        h = F.relu(self.up1(F.interpolate(h, size=p1.shape[-2:], mode="bilinear", align_corners=False)))
        h = F.relu(self.fuse1(torch.cat([h, p1, n1], 1)))
        h = F.relu(self.dec1(h))
        return self.out(h)

    @staticmethod
    def finish(prediction: Tensor, frame: Tensor) -> Tensor:
        """:meth:`predict`'s output and the newest frame (B, 3, H, W) in [0, 1] -> the enhanced frame
        (B, 3, H, W), not clamped: pixel-shuffled to full resolution and cropped to the frame, its
        highlights bent below white where the frame's were not white, then moved back towards the frame
        as the frame's exposure strength falls. Element-wise but for the frame's mean luma: on ONNX
        Runtime it runs outside the decoder graph as one C loop (:mod:`models.runtime.burst_finish`)."""
        y = F.pixel_shuffle(prediction, 2)[..., : frame.shape[-2], : frame.shape[-1]]
        # An already exposed frame is left (nearly) as it is, as the curve models do (models.nets.tone).
        return strength_blend(frame, highlight_shoulder(frame, y))

    def forward(self, frames: Tensor) -> Tensor:
        b, t = frames.shape[:2]
        feats = self.encode(frames.flatten(0, 1))
        pooled, newest = [], []
        for f in feats:
            f = f.unflatten(0, (b, t))
            pooled.append(consistent_max(f, f[:, -1:], 1)[:, 0])
            newest.append(f[:, -1])
        return self.decode(pooled, newest, frames[:, -1])


class BurstFrameModel(nn.Module):
    """The frame-level interface every backend shares: (T, H, W, 3) uint8 RGB, oldest first ->
    (H, W, 3) uint8 RGB, the enhanced newest frame (conversions inside the graph)."""

    def __init__(self, net: BurstNet, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.net = net
        self.dtype = dtype

    def forward(self, frames: Tensor) -> Tensor:
        x = to_float(frames, self.dtype)
        # The burst is the encoder's batch: no reshape, so the ONNX graph takes any T, H, W.
        feats = self.net.encode(x)
        return to_uint8(self.net.decode([consistent_max(f, f[-1:], 0) for f in feats], [f[-1:] for f in feats], x[-1:]))


class EncoderGraph(nn.Module):
    """The streaming encoder as a graph: ``frame`` (1, H, W, 3) uint8 RGB -> the frame's features
    ``f1, f2, f3`` (1, c, h, w) at 1/2, 1/4 and 1/8 resolution (rounded up). ``dtype`` is the
    compute precision, as in :class:`BurstFrameModel` (exports use float32)."""

    def __init__(self, net: BurstNet, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.net = net
        self.dtype = dtype

    def forward(self, frame: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        f1, f2, f3 = self.net.encode(to_float(frame, self.dtype))
        return f1, f2, f3


class RingPool(nn.Module):
    """The streaming pool: the burst's features ``ring`` (T, c, h, w) in any order and the slot of the
    newest frame in it -> (1, c, h, w), :func:`consistent_max` over the ring. On the CPU with ONNX
    Runtime the same rule runs as one C loop (:func:`models.runtime.burst_pool.pool`)."""

    consistency = CONSISTENCY

    def forward(self, ring: Tensor, newest: int) -> Tensor:
        return consistent_max(ring, ring[newest : newest + 1], 0)


class DecoderGraph(nn.Module):
    """The streaming decoder as a graph: the burst's pooled features ``pooled1..3`` (1, c, h, w, from
    :class:`RingPool`), the newest frame's ``new1..3`` (1, c, h, w) and the newest ``frame`` (1, H, W, 3)
    uint8 RGB -> ``enhanced`` (H, W, 3) uint8 RGB. ``dtype`` as in :class:`EncoderGraph`.

    The pool is not in the graph: as nine element-wise ONNX passes over the whole ring it took about
    30 of this graph's 75 ms a 640x360 frame on one core, against 13 ms as one C loop."""

    def __init__(self, net: BurstNet, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.net = net
        self.dtype = dtype

    def forward(self, pooled1: Tensor, pooled2: Tensor, pooled3: Tensor, new1: Tensor, new2: Tensor, new3: Tensor,
                frame: Tensor) -> Tensor:
        return to_uint8(self.net.decode([pooled1, pooled2, pooled3], [new1, new2, new3], to_float(frame, self.dtype)))

    def predictor(self) -> PredictorGraph:
        """This decoder without its element-wise finish: what the ONNX decoder graph is exported from."""
        return PredictorGraph(self.net).eval()


class PredictorGraph(nn.Module):
    """The streaming decoder graph that ships (``NAME.decoder.onnx``): ``pooled1..3`` and ``new1..3`` as
    :class:`DecoderGraph` takes them -> ``prediction`` (1, 12, h1, w1), :meth:`BurstNet.predict`.

    The finish (pixel shuffle, highlight shoulder, exposure blend, uint8) is not in the graph: as
    about twenty element-wise ONNX passes over the 640x360 frame it took 6 of this graph's 18 ms a
    frame on 2 cores, against about 1 ms as one C loop (:mod:`models.runtime.burst_finish`)."""

    def __init__(self, net: BurstNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, pooled1: Tensor, pooled2: Tensor, pooled3: Tensor, new1: Tensor, new2: Tensor,
                new3: Tensor) -> Tensor:
        return self.net.predict([pooled1, pooled2, pooled3], [new1, new2, new3])


def stream_graphs(net: BurstNet, dtype: torch.dtype = torch.float32) -> tuple[EncoderGraph, RingPool, DecoderGraph]:
    """The streaming parts of ``net`` (eval mode): what the torch backend runs and the ONNX pair is
    exported from (:func:`models.export.onnx.export_stream_graphs`)."""
    net = net.eval()
    return EncoderGraph(net, dtype).eval(), RingPool().eval(), DecoderGraph(net, dtype).eval()
