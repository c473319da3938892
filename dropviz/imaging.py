"""Imaging helpers of the convolutional pages (not masks): a small, fixed, explainable filter bank with ReLU
(the "first conv layer" whose feature maps the pages drop), and inpainting from kept neighbours with PSNR,
which measures how much information a mask removed (push-pull normalised convolution; Knutsson & Westin,
"Normalized and differential convolution", CVPR 1993)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from dropviz.i18n import N_

# --------------------------------------------------------------------------------------------------
# A small, fixed, explainable conv layer


@dataclass(frozen=True)
class Filter:
    name: str  # short label under a feature map (English, marked with N_: a page shows ``_(f.name)``; it may be an id)
    detects: str  # what a bright pixel in the map means (English, marked with N_: shown as ``_(f.detects)``)


# The edge filters' texts, one whole message per angle (a message is never assembled from fragments).
_EDGES = {
    0: (N_("edge 0°"), N_("brightness rising towards 0°")),
    45: (N_("edge 45°"), N_("brightness rising towards 45°")),
    90: (N_("edge 90°"), N_("brightness rising towards 90°")),
    135: (N_("edge 135°"), N_("brightness rising towards 135°")),
}


def _gauss(sigma: float, size: int = 5) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float64) - size // 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    g = torch.exp(-(xx**2 + yy**2) / (2 * sigma**2))
    return g / g.sum()


def _filter_bank() -> tuple[tuple[Filter, ...], torch.Tensor]:
    """Eight 5×5 filters over RGB. Edges: steered derivative-of-Gaussian on luminance (a bright response
    where brightness rises in the direction named, 0° = to the right, 90° = upwards)."""
    lum = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64)
    g = _gauss(1.0)
    r = torch.arange(5, dtype=torch.float64) - 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    filters, kernels = [], []
    for deg in (0, 45, 90, 135):
        t = math.radians(deg)
        d = (xx * math.cos(t) - yy * math.sin(t)) * g  # rows grow downwards, so 'up' is −y
        d = d / d.clamp_min(0).sum()
        filters.append(Filter(*_EDGES[deg]))
        kernels.append(lum[:, None, None] * d)
    filters.append(Filter(N_("blur"), N_("local brightness (Gaussian σ = 1)")))
    kernels.append(lum[:, None, None] * g)
    filters.append(Filter(N_("red − green"), N_("reddish regions (colour opponent)")))
    kernels.append(torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64)[:, None, None] * g)
    filters.append(Filter(N_("yellow − blue"), N_("yellow / orange regions (colour opponent)")))
    kernels.append(torch.tensor([0.5, 0.5, -1.0], dtype=torch.float64)[:, None, None] * g)
    dog = _gauss(0.8) - _gauss(1.6)
    filters.append(Filter(N_("centre − surround"), N_("small bright spots and thin light lines")))
    kernels.append(lum[:, None, None] * (dog / dog.clamp_min(0).sum()))
    return tuple(filters), torch.stack(kernels).to(torch.float32)  # (8, 3, 5, 5)


FILTERS, KERNELS = _filter_bank()
FEATURE_STRIDE = 2  # like a real first conv layer: the maps are half the image's size


def feature_maps(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) in [0, 1] -> relu(conv(x)) with the fixed filter bank: (B, 8, ~H/2, ~W/2), ≥ 0."""
    x = F.pad(x, (2, 2, 2, 2), mode="replicate")
    return F.relu(F.conv2d(x, KERNELS.to(x.device, x.dtype), stride=FEATURE_STRIDE))


# --------------------------------------------------------------------------------------------------
# Information removed: inpaint from the kept neighbours, compare with the original


def _push_pull(v: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Fill-in by normalized convolution on a pyramid ("push-pull"). v = x·w, w ∈ [0, 1] the confidence.
    Each level averages 2×2 blocks of v and w; going back up, a position keeps its own value in proportion to
    w and takes the rest from the (bilinearly upsampled) coarser estimate: est = v + (1 − w)·up."""
    h, w_ = v.shape[-2:]
    if h == 1 and w_ == 1:
        known = w > 0
        est = torch.where(known, v / w.clamp_min(1e-12), torch.zeros_like(v))
        # a channel with nothing kept anywhere (SpatialDropout) borrows the mean of the kept channels
        n_known = known.sum(dim=1, keepdim=True)
        borrowed = est.sum(dim=1, keepdim=True) / n_known.clamp_min(1)
        return torch.where(known, est, borrowed)
    vc = F.avg_pool2d(v, 2, ceil_mode=True)
    wc = F.avg_pool2d(w, 2, ceil_mode=True)
    up = F.interpolate(_push_pull(vc, wc), size=(h, w_), mode="bilinear", align_corners=False)
    return v + (1.0 - w) * up


def inpaint(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Fill every dropped value of x (B, C, H, W) from its kept neighbours; kept values are unchanged.
    ``keep`` broadcasts to x (nonzero = kept). A deliberately simple inpainter: good enough to recover
    scattered pixels, helpless inside a large hole, which is the point being measured."""
    k = (keep != 0).expand_as(x).to(x.dtype)
    return torch.where(k > 0, x, _push_pull(x * k, k))


def psnr(mse: float) -> float:
    """Peak signal-to-noise ratio in dB for values in [0, 1]; ∞ for a perfect reconstruction."""
    return math.inf if mse <= 0 else 10.0 * math.log10(1.0 / mse)


