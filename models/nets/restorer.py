"""Generators and the PatchGAN discriminator of the two-stage real-noise denoiser (issue 14).

Stage 1 (:mod:`models.training.degradation`) trains an unpaired CycleGAN between clean, well-exposed
images and real dark, noisy, compressed ones; its clean-to-degraded generator F (a :class:`Degrader`)
makes degraded twins of any clean image. Stage 2 (:mod:`models.training.restorer`) trains the
:class:`Restorer` on those pairs: what runs in the stream, alone or after the curve model.

Two generator bodies, both with nearest-neighbour upsampling followed by a convolution (no
transposed convolutions, so no checkerboard) and a residual output (the input plus a correction,
so an untrained generator is the identity):

- :class:`UNetGenerator`: a 3-level U-Net, average-pool down, skips added on the way up;
- :class:`ResNetGenerator`: CycleGAN's generator in small: strided-conv down, residual blocks at
  1/4 resolution, up.

Tensors are NCHW float32 RGB in [0, 1]; H and W any size (padded inside to a multiple of 8, the
padding cut off again). The modules are plain ``nn.Module``s; running them on frames is a backend's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.errors import ModelError

GENERATORS = ("unet", "resnet")
SMOOTH_START = 0.5  # the restorer's starting point: x + 0.5 (box3x3(x) - x)
HEADS = ("residual", "logit")
_EPS = 1e-3


def _pad(x: Tensor, multiple: int) -> tuple[Tensor, int, int]:
    """``x`` replicate-padded on the bottom and right to a multiple of ``multiple``; the original H, W."""
    h, w = x.shape[-2:]
    # Padded even by 0 rows: a branch on the size would be frozen into an exported graph.
    return F.pad(x, (0, (-w) % multiple, 0, (-h) % multiple), mode="replicate"), h, w


def _up(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1)


class _Head(nn.Module):
    """How a generator's 3-channel correction ``r`` meets its input ``x`` (both NCHW):
    ``residual``: ``x + r`` (range not enforced: the frame wrapper clamps); ``logit``: ``sigmoid(logit(x) + r)``,
    in [0, 1] and multiplicative near black (darkening a frame is an offset in logit space)."""

    def __init__(self, head: str) -> None:
        super().__init__()
        if head not in HEADS:
            raise ModelError(f"unknown generator head {head!r}; known: {', '.join(HEADS)}")
        self.head = head

    def forward(self, x: Tensor, r: Tensor) -> Tensor:
        if self.head == "residual":
            return x + r
        x = x.clamp(_EPS, 1.0 - _EPS)
        return torch.sigmoid(torch.log(x) - torch.log1p(-x) + r)


class _Generator(nn.Module):
    """What both bodies share. The frame enters at half resolution without losing a sample
    (``pixel_unshuffle``: 2x2 pixels become 12 channels) and the correction leaves through
    nearest-neighbour upsampling and one 3x3 conv at full resolution: the only full-resolution
    layer, so the cost is that of a half-resolution network. ``see_input``: that last conv also reads
    the frame itself, so the correction can differ from pixel to pixel (without it, it is nearly the
    same within each 2x2 block, and noise at the finest scale cannot be cancelled: the restorer needs it).
    ``noise`` extra input channels of N(0, 1) are drawn per call (a degrader's source of randomness)."""

    levels = 3  # the deepest features are at 1/2**levels: inputs are padded to a multiple of it

    def __init__(self, channels: int, noise: int, head: str, see_input: bool = False) -> None:
        super().__init__()
        self.noise = noise
        self.see_input = see_input
        self.stem = _conv(4 * (3 + noise), channels)
        self.out = _conv(channels + (3 if see_input else 0), 3)
        self.head = _Head(head)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def body(self, f0: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        xp, h, w = _pad(x, 2**self.levels)
        inp = torch.cat([xp, torch.randn_like(xp[:, :1]).expand(-1, self.noise, -1, -1)], 1) if self.noise else xp
        f0 = F.relu(self.stem(F.pixel_unshuffle(inp, 2)))
        up = _up(self.body(f0))
        return self.head(xp, self.out(torch.cat([up, xp], 1) if self.see_input else up))[..., :h, :w]


class UNetGenerator(_Generator):
    """A U-Net: ``c`` channels at 1/2 resolution, ``2c`` at 1/4 and 1/8; down by 2x2 average pooling,
    up by nearest-neighbour upsampling then a 3x3 conv, the encoder's features of that level added.
    ``forward(x)``: (B, 3, H, W) RGB in [0, 1] -> (B, 3, H, W).
    """

    def __init__(self, channels: int = 16, noise: int = 0, head: str = "residual", see_input: bool = False) -> None:
        super().__init__(channels, noise, head, see_input)
        c = channels
        self.enc1 = nn.Sequential(_conv(c, 2 * c), nn.ReLU(inplace=True), _conv(2 * c, 2 * c), nn.ReLU(inplace=True))
        self.enc2 = nn.Sequential(_conv(2 * c, 2 * c), nn.ReLU(inplace=True), _conv(2 * c, 2 * c), nn.ReLU(inplace=True))
        self.up2 = _conv(2 * c, 2 * c)
        self.dec1 = _conv(2 * c, 2 * c)
        self.up1 = _conv(2 * c, c)
        self.dec0 = _conv(c, c)

    def body(self, f0: Tensor) -> Tensor:
        f1 = self.enc1(F.avg_pool2d(f0, 2))
        f2 = self.enc2(F.avg_pool2d(f1, 2))
        d1 = F.relu(self.dec1(F.relu(self.up2(_up(f2)) + f1)))
        return F.relu(self.dec0(F.relu(self.up1(_up(d1)) + f0)))


class _ResBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.a, self.b = _conv(c, c), _conv(c, c)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.b(F.relu(self.a(x)))


class ResNetGenerator(_Generator):
    """CycleGAN's ResNet generator in small: ``c`` channels at 1/2 resolution, a stride-2 conv to ``2c``
    at 1/4, ``blocks`` residual blocks there, nearest-neighbour up + 3x3 conv back to 1/2 (the 1/2
    features added). ``forward(x)``: (B, 3, H, W) RGB in [0, 1] -> (B, 3, H, W).
    """

    levels = 2

    def __init__(self, channels: int = 16, blocks: int = 3, noise: int = 0, head: str = "residual",
                 see_input: bool = False) -> None:
        super().__init__(channels, noise, head, see_input)
        c = channels
        self.down = _conv(c, 2 * c, 2)
        self.blocks = nn.Sequential(*[_ResBlock(2 * c) for _ in range(blocks)])
        self.up1 = _conv(2 * c, c)
        self.dec0 = _conv(c, c)

    def body(self, f0: Tensor) -> Tensor:
        f1 = self.blocks(F.relu(self.down(f0)))
        return F.relu(self.dec0(F.relu(self.up1(_up(f1)) + f0)))


def make_generator(kind: str, channels: int, blocks: int = 3, noise: int = 0, head: str = "residual",
                   see_input: bool = False) -> nn.Module:
    """A generator body of ``kind`` (:data:`GENERATORS`)."""
    if kind == "unet":
        return UNetGenerator(channels, noise, head, see_input)
    if kind == "resnet":
        return ResNetGenerator(channels, blocks, noise, head, see_input)
    raise ModelError(f"unknown generator {kind!r}; known: {', '.join(GENERATORS)}")


class Restorer(nn.Module):
    """Stage 2: removes the noise and compression that brightening revealed (the shipped network).

    ``forward(x)``: (B, 3, H, W) RGB in [0, 1] (a brightened dark frame) -> ``(restored, None)``,
    (B, 3, H, W) RGB, not clamped (the frame wrapper clamps).
    """

    arch = "restorer"

    def __init__(self, generator: str = "unet", channels: int = 16, blocks: int = 3) -> None:
        super().__init__()
        self.kind, self.channels, self.blocks = generator, channels, blocks
        self.body = make_generator(generator, channels, blocks, see_input=True)
        # Start as a mild smoothing of each channel (half way from the frame to its 3x3 box average), not the
        # identity: the output conv's weights on the frame grow by about the learning rate a step, so from zero
        # a denoising filter takes thousands of steps to appear; training adapts it from there.
        with torch.no_grad():
            w = self.body.out.weight
            for c in range(3):
                w[c, channels + c] = SMOOTH_START / 9.0
                w[c, channels + c, 1, 1] -= SMOOTH_START

    def forward(self, x: Tensor) -> tuple[Tensor, None]:
        return self.body(x), None


class Degrader(nn.Module):
    """Stage 1's CycleGAN: F (clean -> degraded, random: ``noise`` N(0, 1) input channels) and G
    (degraded -> clean), both :class:`ResNetGenerator` with the logit head.

    ``forward(x)``: (B, 3, H, W) clean RGB in [0, 1] -> ``(F(x), None)``, a dark, noisy, compressed-looking
    twin in [0, 1]. Its discriminators live in the training checkpoint, not here.
    """

    arch = "degrader"

    def __init__(self, channels: int = 32, blocks: int = 4, noise: int = 2) -> None:
        super().__init__()
        self.channels, self.blocks, self.noise = channels, blocks, noise
        self.to_degraded = ResNetGenerator(channels, blocks, noise, head="logit")
        self.to_clean = ResNetGenerator(channels, blocks, 0, head="logit")

    def forward(self, x: Tensor) -> tuple[Tensor, None]:
        return self.to_degraded(x), None


class PatchDiscriminator(nn.Module):
    """A PatchGAN (Isola et al. 2017) in small: 4x4 convs, stride 2, ``c``, ``2c``, ``4c`` channels, leaky
    ReLU, no normalization (batches are small), then a 4x4 conv to one score per ~34x34 patch.

    ``forward(x)``: (B, 3, H, W) RGB in [0, 1] -> (B, 1, H/8, W/8) raw scores (LSGAN: 1 real, 0 fake).
    ``features(x)``: the activations of every layer, for a feature-matching loss.
    """

    def __init__(self, channels: int = 32) -> None:
        super().__init__()
        c = channels
        self.layers = nn.ModuleList([nn.Conv2d(3, c, 4, 2, 1), nn.Conv2d(c, 2 * c, 4, 2, 1),
                                     nn.Conv2d(2 * c, 4 * c, 4, 2, 1), nn.Conv2d(4 * c, 4 * c, 3, 1, 1)])
        self.score = nn.Conv2d(4 * c, 1, 3, 1, 1)

    def features(self, x: Tensor) -> list[Tensor]:
        out = []
        for layer in self.layers:
            x = F.leaky_relu(layer(x * 2.0 - 1.0 if not out else x), 0.2)
            out.append(x)
        return out

    def forward(self, x: Tensor) -> Tensor:
        return self.score(self.features(x)[-1])


# torchvision's ``vgg19().features``: 3x3 conv widths, "M" a 2x2 max pool (the indices of its state dict).
_VGG19 = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
# relu1_2, relu2_2, relu3_4, relu4_4: indices into ``features`` after which activations are compared.
VGG_LAYERS = (3, 8, 17, 26)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class VGG19Features(nn.Module):
    """VGG-19's convolutional part up to relu4_4, with torchvision's layer indices, frozen.

    ``load(path)`` reads standard weights: a torchvision ``vgg19`` state dict (keys ``features.N.weight``,
    classifier keys ignored) or a bare ``features`` one (``N.weight``). ``forward(x)``: (B, 3, H, W) RGB in
    [0, 1] -> the activations after :data:`VGG_LAYERS`.
    """

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for v in _VGG19:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, 1, 1), nn.ReLU(inplace=False)]
                cin = v
            if len(layers) > VGG_LAYERS[-1]:
                break
        self.features = nn.Sequential(*layers[: VGG_LAYERS[-1] + 1])
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)

    @classmethod
    def load(cls, path: Path) -> VGG19Features:
        """The network with the VGG-19 weights of the file at ``path``; ``ModelError`` when it holds others."""
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # torch raises many exception types for a corrupt file
            raise ModelError(f"cannot read VGG-19 weights {path}: {e}") from e
        if isinstance(state, Mapping) and "state_dict" in state:
            state = state["state_dict"]
        if not isinstance(state, Mapping):
            raise ModelError(f"{path} holds no state dict")
        net = cls()
        wanted = net.features.state_dict()
        picked = {}
        for key in wanted:
            for name in (f"features.{key}", key, f"module.features.{key}"):
                if name in state:
                    picked[key] = state[name]
                    break
        missing = [k for k in wanted if k not in picked]
        if missing:
            raise ModelError(f"{path} is not VGG-19 (torchvision layout): no {missing[0]}")
        try:
            net.features.load_state_dict(picked)
        except RuntimeError as e:
            raise ModelError(f"{path} does not fit VGG-19: {e}") from e
        return net.eval()

    def forward(self, x: Tensor) -> list[Tensor]:
        x = (x - self.mean) / self.std
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in VGG_LAYERS:
                out.append(x)
        return out
