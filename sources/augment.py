"""Batched augmentation that makes MNIST look like canvas drawings run through preprocessing.

A canvas digit differs from MNIST in slant, size, position left over after centring,
and above all stroke thickness. Each batch gets a random affine warp and, for some
images, a thicker or thinner stroke.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    max_rotation_deg: float = 12.0
    scale_range: tuple[float, float] = (0.85, 1.12)
    max_shear: float = 0.15
    max_shift_px: float = 2.5
    thicken_prob: float = 0.25
    thin_prob: float = 0.15


def random_affine(images: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """images: (B, 1, H, W) in [0, 1]."""
    b, _, h, _ = images.shape
    angle = (torch.rand(b, generator=gen) * 2 - 1) * math.radians(cfg.max_rotation_deg)
    lo, hi = cfg.scale_range
    scale = lo + torch.rand(b, generator=gen) * (hi - lo)
    shear = (torch.rand(b, generator=gen) * 2 - 1) * cfg.max_shear
    shift = (torch.rand(b, 2, generator=gen) * 2 - 1) * (2 * cfg.max_shift_px / h)  # grid units span 2
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Inverse map (output -> input coordinates), as affine_grid expects.
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = cos / scale
    theta[:, 0, 1] = (-sin + shear) / scale
    theta[:, 1, 0] = sin / scale
    theta[:, 1, 1] = cos / scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_stroke(images: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """Thicken or thin strokes by half a pixel: a 3x3 max/min filter at twice the resolution."""
    b = images.shape[0]
    draw = torch.rand(b, generator=gen)
    thicken = draw < cfg.thicken_prob
    thin = (draw >= cfg.thicken_prob) & (draw < cfg.thicken_prob + cfg.thin_prob)
    if not (thicken.any() or thin.any()):
        return images
    up = F.interpolate(images, scale_factor=2, mode="bilinear", align_corners=False)  # (B, 1, 2H, 2W)
    dilated = F.avg_pool2d(F.max_pool2d(up, 3, stride=1, padding=1), 2)
    eroded = F.avg_pool2d(-F.max_pool2d(-up, 3, stride=1, padding=1), 2)
    out = images.clone()
    out[thicken] = dilated[thicken]
    out[thin] = eroded[thin]
    return out


def augment(images: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    return random_affine(random_stroke(images, cfg, gen), cfg, gen).clamp_(0.0, 1.0)
