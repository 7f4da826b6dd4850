"""CycleGAN's networks (Zhu et al., ICCV 2017): the ResNet generator, the 70x70 PatchGAN discriminator
and the pool of generated images the discriminators are trained on.

Tensors are NCHW float32 RGB in [0, 1] at the generator's boundary (it maps to [-1, 1] inside, as
the reference code's data does). The generator is fully convolutional and takes any H, W >= 4:
its two upsamplings go back to the exact sizes its two downsamplings came from (nearest-neighbour
upsampling then a 3x3 conv, instead of the reference's transposed convs: no checkerboard artefacts,
and odd frame sizes come out at their own size).
"""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.nets.frame import to_float, to_uint8


def _norm(channels: int) -> nn.Module:
    # The reference's instance norm: no affine parameters, no running statistics.
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    """Reflect-pad, 3x3 conv, instance norm, ReLU, reflect-pad, 3x3 conv, instance norm; plus the input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """The CycleGAN generator: c7s1-ngf, d(2 ngf), d(4 ngf), ``n_blocks`` residual blocks of 4 ngf,
    u(2 ngf), u(ngf), c7s1-3 with tanh.

    ``forward(x)``: (B, 3, H, W) float RGB in [0, 1], H, W >= 4 -> (B, 3, H, W) float RGB in [0, 1].
    The reference configuration is ``ngf=64, n_blocks=9`` (11.4M parameters); ``ngf=16`` has 0.7M.
    """

    arch = "night2day"

    def __init__(self, ngf: int = 64, n_blocks: int = 9) -> None:
        super().__init__()
        self.ngf = ngf
        self.n_blocks = n_blocks
        self.stem = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), _norm(ngf), nn.ReLU(True))
        self.down1 = nn.Sequential(nn.Conv2d(ngf, 2 * ngf, 3, 2, 1), _norm(2 * ngf), nn.ReLU(True))
        self.down2 = nn.Sequential(nn.Conv2d(2 * ngf, 4 * ngf, 3, 2, 1), _norm(4 * ngf), nn.ReLU(True))
        self.blocks = nn.Sequential(*[ResnetBlock(4 * ngf) for _ in range(n_blocks)])
        self.up2 = nn.Sequential(nn.Conv2d(4 * ngf, 2 * ngf, 3, 1, 1), _norm(2 * ngf), nn.ReLU(True))
        self.up1 = nn.Sequential(nn.Conv2d(2 * ngf, ngf, 3, 1, 1), _norm(ngf), nn.ReLU(True))
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh())

    def forward(self, x: Tensor) -> Tensor:
        h0 = self.stem(x * 2.0 - 1.0)
        h1 = self.down1(h0)
        h = self.blocks(self.down2(h1))
        h = self.up2(F.interpolate(h, size=h1.shape[-2:], mode="nearest"))
        h = self.up1(F.interpolate(h, size=h0.shape[-2:], mode="nearest"))
        return (self.head(h) + 1.0) * 0.5


class PatchDiscriminator(nn.Module):
    """The 70x70 PatchGAN: C(ndf) without norm, C(2 ndf), C(4 ndf) at stride 2, C(8 ndf) at stride 1,
    then a 1-channel 4x4 conv; LeakyReLU 0.2, instance norm.

    ``forward(x)``: (B, 3, H, W) float RGB in [0, 1] -> (B, 1, H/8 - 2, W/8 - 2) raw scores, one per
    70x70 patch (LSGAN: real towards 1, fake towards 0).
    """

    def __init__(self, ndf: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        cin = ndf
        for mult, stride in ((2, 2), (4, 2), (8, 1)):
            layers += [nn.Conv2d(cin, ndf * mult, 4, stride, 1), _norm(ndf * mult), nn.LeakyReLU(0.2, True)]
            cin = ndf * mult
        layers.append(nn.Conv2d(cin, 1, 4, 1, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x * 2.0 - 1.0)


class ImagePool:
    """The history of generated images (Shrivastava et al. 2017) the discriminator sees.

    ``query(images)``: (B, 3, H, W) -> (B, 3, H, W); until ``size`` images are stored each one is
    stored and returned; then, with probability 1/2, a stored image is returned in its place and
    the new one takes its slot. ``size=0`` returns the images unchanged. Images are kept detached.
    """

    def __init__(self, size: int = 50, seed: int = 0) -> None:
        self.size = size
        self.images: list[Tensor] = []
        self.rng = random.Random(seed)

    def query(self, images: Tensor) -> Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            image = image[None]
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif self.rng.random() < 0.5:
                k = self.rng.randrange(self.size)
                out.append(self.images[k].clone())
                self.images[k] = image
            else:
                out.append(image)
        return torch.cat(out, 0)


class GeneratorFrameModel(nn.Module):
    """A generator behind the frame contract (:mod:`models.nets.frame`).

    ``forward(frames)``: (T, H, W, 3) uint8 RGB -> (H, W, 3) uint8 RGB, the newest frame translated.
    """

    def __init__(self, net: nn.Module, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.net = net
        self.dtype = dtype

    def forward(self, frames: Tensor) -> Tensor:
        return to_uint8(self.net(to_float(frames[-1:], self.dtype)))
