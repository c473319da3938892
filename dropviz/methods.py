"""THE registry: one literal table of the implemented dropout methods, and the things each one builds.

A record carries the facts a practitioner checks (what is masked, shared axes, test time, what the paper calls
p), and the parts the rest of DropViz builds from it: its pure mask function, a layer factory, the conv pages'
uniform ``apply``, a short label and a colour. Page selectors, figure legends, the home gallery, the contract
test (tests/test_contract.py), the claims report and the benchmarks all iterate ``METHODS``; nothing else lists
the methods. Adding a method means: a mask function, a layer, one record here, and its prose on a page.

Imports torch and numpy only (no Streamlit, Plotly or Pillow): ``import dropviz.methods`` is cheap.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
import torch
from torch import nn

from dropviz import data, i18n, layers, masks
from dropviz.figures import palette as c
from dropviz.i18n import N_, _, ngettext

Family = Literal["dense", "conv", "recurrent", "bayesian"]
FAMILIES: tuple[Family, ...] = ("dense", "conv", "recurrent", "bayesian")
# English values (code, CLI); shown through family_title(), which translates them.
FAMILY_TITLES: dict[str, str] = {"dense": N_("Dense layers"), "conv": N_("Convolutional layers"),
                                 "recurrent": N_("Recurrent layers"), "training": N_("Training lab"),  # a section
                                 "bayesian": N_("Beyond regularization")}
ALIASES = {"recurrent": "semeniuta"}  # old ids still found in shared links -> today's id

# The input every layer factory is built for, per family (the contract test and the gallery use these).
PROBE_SHAPE: dict[Family, tuple[int, ...]] = {"dense": (64, 32), "conv": (4, 3, 16, 16), "recurrent": (12, 8, 6),
                                              "bayesian": (64, 32)}
VOCAB = 20  # embedding dropout's probe: token ids 0 … VOCAB-1 in a (T, B) sequence batch


@dataclass(frozen=True)
class Paper:
    authors: str
    year: int
    title: str
    venue: str
    url: str

    def cite(self) -> str:
        return f"{self.authors} ({self.year}). *{self.title}*. {self.venue}."


@dataclass(frozen=True)
class Method:
    id: str
    name: str
    family: Family
    paper: Paper
    summary: str  # one line
    masks: str  # what is multiplied by the random variable
    shared_axes: str  # which axes share one random draw
    test_time: str  # what happens at inference
    p_in_paper: str  # what the paper calls p (DropViz's p is always the drop probability)
    page: str  # the page file that shows it, relative to the repository root
    thumbnail: Callable[[float, int], np.ndarray]  # (p, seed) -> masked input for the gallery: 2-D, or an
    # (h, w, 3) colour picture in [0, 1]; gallery_caption says what one draw of it shows
    label: str  # short name for legends, selectors and metrics
    colour: str  # its colour in every figure (Okabe-Ito)
    mask: Callable[..., object]  # the pure mask function (returns the mask; see dropviz.masks)
    layer: Callable[..., nn.Module]  # layer(p, *, generator=None) -> the method's module for PROBE_SHAPE[family]
    drop_rate: Callable[[float, tuple[int, ...]], float] | None  # expected fraction of zeros in the layer's
    #   last_mask for an input of that shape; None: the mask has no exact zeros (Gaussian noise) or no p
    identity_at_test: bool = True  # the test-time rule is the identity (else its own rule, see test_time)
    has_p: bool = True  # False: the method has no drop probability (Standout)
    apply: Callable[..., layers.Applied] | None = None  # conv: (x, p, settings, generator) -> Applied
    keeps_resolution: bool = True  # conv: False when the output is pooled (max-pooling dropout)
    wire: str | None = None  # recurrent schedules: the wire the gallery draws (None: not a schedule)
    linear: Callable[..., nn.Module] | None = None  # dense methods that REPLACE a hidden Linear + ReLU instead of
    #   sitting after it: linear(in_features, out_features, p, *, generator=None) -> the module (models.mlp uses it)

    # The text fields a page shows, in the current language (the record's own values stay English for the code,
    # the CLIs and the tests): ``method.tr("summary")``; names that are proper names are returned as they are.
    TEXT_FIELDS = ("name", "summary", "masks", "shared_axes", "test_time", "p_in_paper", "label")

    def tr(self, field: str) -> str:
        if field not in self.TEXT_FIELDS:
            raise ValueError(f"{field!r} is not a text field of a method; one of {', '.join(self.TEXT_FIELDS)}")
        return _(getattr(self, field))

    def translated(self) -> "Method":
        """A copy of this record whose text fields are in the current language (for display code that reads
        ``method.name``, ``method.summary``, ...; never registered or used as a key)."""
        return dataclasses.replace(self, **{f: self.tr(f) for f in self.TEXT_FIELDS})

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r} for method {self.id!r}")


# -- gallery thumbnails: every dense method on the same seeded, strictly positive (8, 16) input ---------


def _thumb_standard(p: float, seed: int) -> np.ndarray:
    x = data.gallery_input(seed)  # (B=8, D=16)
    return (x * masks.bernoulli_mask(x.shape, p, generator=masks.make_generator(seed))).numpy()


def _thumb_gaussian(p: float, seed: int) -> np.ndarray:
    x = data.gallery_input(seed)
    return (x * masks.gaussian_mask(x.shape, p, generator=masks.make_generator(seed))).numpy()


def _thumb_dropconnect(p: float, seed: int) -> np.ndarray:
    # What each of 8 output units sees of example 0's input: every unit has its own weight mask.
    x = data.gallery_input(seed)[0]  # (16,)
    m = masks.dropconnect_mask(1, 8, 16, p, generator=masks.make_generator(seed)).weight[0]  # (8, 16)
    return (m * x).numpy()


def _thumb_standout(p: float, seed: int) -> np.ndarray:
    # Standout has no p: each unit's keep probability is sigmoid(z) of its centred drive (alpha=1, beta=0).
    x = data.gallery_input(seed)
    keep = masks.standout_mask(x - x.mean(), generator=masks.make_generator(seed))
    return (x * keep).numpy()


# -- conv thumbnails: the cat in colour (96 × 64, strictly positive), kept values without the rescale ----------

GALLERY_SETTINGS = layers.Settings(block_size=5, maxdrop_window=5)  # sized to the 96-pixel picture


def _conv_thumb(method: str, p: float, seed: int) -> np.ndarray:
    x = data.gallery_image()  # (1, 3, h, w)
    applied = get(method).apply(x, masks.check_p(p), GALLERY_SETTINGS, masks.make_generator(seed))
    out = x * applied.keep if get(method).keeps_resolution else applied.out  # kept values, without the rescale
    return out[0].permute(1, 2, 0).numpy()  # (h, w, 3): a dropped value is a colour channel at 0


def _thumb(method: str) -> Callable[[float, int], np.ndarray]:
    def thumbnail(p: float, seed: int) -> np.ndarray:
        return _conv_thumb(method, p, seed)

    thumbnail.__name__ = thumbnail.__qualname__ = f"_thumb_{method}"  # a distinct cache key per method
    return thumbnail


# -- recurrent thumbnails: units × time of one sequence (8 units, 16 steps), on the same positive input -----


def _units_by_time(method: str, wire: str, p: float, seed: int) -> np.ndarray:
    x = data.gallery_input(seed)  # (8, 16), read as units × time
    s = get(method).mask(16, 1, 8, 8, p, generator=masks.make_generator(seed))
    return (x * getattr(s, wire)[:, 0].t()).numpy()  # mask (T, 1, 8) -> (units, time)


def _thumb_schedule(method: str) -> Callable[[float, int], np.ndarray]:
    def thumbnail(p: float, seed: int) -> np.ndarray:
        return _units_by_time(method, get(method).wire, p, seed)

    thumbnail.__name__ = thumbnail.__qualname__ = f"_thumb_{method}"
    return thumbnail


def _thumb_embedding(p: float, seed: int) -> np.ndarray:
    # 8 sequences × 16 tokens from a 6-word vocabulary: a dropped word type is blank wherever it occurs.
    g = masks.make_generator(seed)
    tokens = torch.randint(0, 6, (16, 8), generator=g)  # (T, B)
    m = masks.embedding_mask(8, 6, p, generator=g)  # (B, V)
    return (data.gallery_input(seed) * masks.token_mask(tokens, m).t()).numpy()


# -- layer factories and expected drop rates, for the input PROBE_SHAPE[family] -------------------------
# Rates are closed forms written here, not read from the code they check: the contract test compares each
# layer's measured fraction of zeros with them.


def _p(p: float, shape: tuple[int, ...]) -> float:
    return p  # every unit (weight, channel, cell, word type) dropped independently with probability p


def _layer(cls: type[nn.Module]) -> Callable[..., nn.Module]:
    def make(p: float, *, generator: torch.Generator | None = None) -> nn.Module:
        return cls(p, generator=generator)

    return make


MODEL_DROPCONNECT_SAMPLES = 32  # Gaussian draws per unit in a model's test-time rule: the lab evaluates every epoch,
# and 256 draws (the layer's default) made a DropConnect run 50× slower than a dropout run on 2 cores


def _dropconnect_linear(in_features: int, out_features: int, p: float, *, generator=None) -> nn.Module:
    return layers.DropConnectLinear(in_features, out_features, p, n_samples=MODEL_DROPCONNECT_SAMPLES,
                                    generator=generator)


def _standout_linear(in_features: int, out_features: int, p: float, *, generator=None) -> nn.Module:
    return layers.StandoutLinear(in_features, out_features, generator=generator)  # no p: alpha = 1, beta = 0


def _dropconnect_layer(p: float, *, generator=None) -> nn.Module:
    return layers.DropConnectLinear(PROBE_SHAPE["dense"][1], 16, p, generator=generator)


def _standout_layer(p: float, *, generator=None) -> nn.Module:
    return _standout_linear(PROBE_SHAPE["dense"][1], 16, p, generator=generator)


def _cutout_layer(p: float, *, generator=None) -> nn.Module:
    h, w = PROBE_SHAPE["conv"][-2:]
    return layers.Cutout(masks.cutout_length(p, h, w), generator=generator)


def _clipped_extent(length: int, size: int) -> float:
    """E[covered cells] of a 1-D window of ``length`` (from c − length//2) with its centre c uniform on 0…size−1."""
    lo = [ctr - length // 2 for ctr in range(size)]
    return sum(max(0, min(size, a + length) - max(0, a)) for a in lo) / size


def _cutout_rate(p: float, shape: tuple[int, ...]) -> float:
    # The square's row and column extents are independent, so E[area] = E[rows] · E[cols].
    h, w = shape[-2:]
    length = masks.cutout_length(p, h, w)
    return _clipped_extent(length, h) * _clipped_extent(length, w) / (h * w)


DROPBLOCK_PROBE_BLOCK = 3


def _dropblock_layer(p: float, *, generator=None) -> nn.Module:
    return layers.DropBlock2d(p, DROPBLOCK_PROBE_BLOCK, generator=generator)


def _dropblock_rate(p: float, shape: tuple[int, ...]) -> float:
    # Seeds ~ Bernoulli(γ) on the valid region, γ = p·H·W / (bs²·(H−bs+1)(W−bs+1)); a position is dropped when
    # any of the seeds whose block covers it fires: 1 − (1 − γ)^cover, averaged over the map.
    h, w = shape[-2:]
    bs = DROPBLOCK_PROBE_BLOCK
    gamma = p * h * w / (bs * bs * (h - bs + 1) * (w - bs + 1))
    total = 0.0
    for i in range(h):
        for j in range(w):
            rows = min(i, h - bs) - max(0, i - bs + 1) + 1
            cols = min(j, w - bs) - max(0, j - bs + 1) + 1
            total += 1.0 - (1.0 - gamma) ** (max(rows, 0) * max(cols, 0))
    return total / (h * w)


def _maxpool_layer(p: float, *, generator=None) -> nn.Module:
    return layers.MaxPoolDropout2d(p, 2, generator=generator)


def _maxdrop_rate(p: float, shape: tuple[int, ...]) -> float:
    # Window 1 on a positive input: each map loses exactly its one maximum with probability p.
    h, w = shape[-2:]
    return p / (h * w)


def _lstm_layer(schedule: Callable[..., masks.MaskSchedule]) -> Callable[..., nn.Module]:
    def make(p: float, *, generator=None) -> nn.Module:
        return layers.DropoutLSTM(PROBE_SHAPE["recurrent"][-1], 8, p, schedule=schedule, generator=generator)

    return make


def _embedding_layer(p: float, *, generator=None) -> nn.Module:
    return layers.EmbeddingDropout(VOCAB, PROBE_SHAPE["recurrent"][-1], p, generator=generator)


# -- what a thumbnail shows: read from the thumbnail itself, so the card's caption is about this draw ---------

_CHANNELS = (N_("red"), N_("green"), N_("blue"))


def and_list(words: list[str]) -> str:
    """Already translated words as one list in the current language: "red, green and blue" in English (as DropViz
    always wrote it), Babel's list pattern otherwise ("rojo, verde y azul", "红色、绿色和蓝色")."""
    if i18n.language() == i18n.DEFAULT:
        return " and ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " and " + words[-1]
    from babel.lists import format_list

    return format_list(list(words), locale=i18n.LOCALES[i18n.language()])


def _and(channels: list[str]) -> str:
    return and_list([_(w) for w in channels])


def family_title(family: str) -> str:
    """The section title of ``family`` (a key of FAMILY_TITLES) in the current language."""
    return _(FAMILY_TITLES[family])


def gallery_caption(method_id: str, values: np.ndarray) -> str:
    """One line on what the thumbnail ``values`` (from ``get(method_id).thumbnail``) shows: which channels this
    draw dropped, how much, where (in the current language). Read from the thumbnail's zeros, which are exactly its
    dropped values (the gallery inputs are strictly positive)."""
    a = np.asarray(values)
    zero = a == 0
    if a.ndim == 3:  # the cat in colour, (h, w, 3)
        frac = zero.reshape(-1, a.shape[-1]).mean(axis=0)  # per colour channel
        if method_id == "spatial":
            gone = [c for c, f in zip(_CHANNELS, frac, strict=True) if f == 1]
            kept = [c for c, f in zip(_CHANNELS, frac, strict=True) if f < 1]
            if not gone:
                return _("This draw dropped no channel: the cat keeps all its colours.")
            if not kept:
                return _("This draw dropped all three channels: nothing is left.")
            return ngettext("This draw dropped the {gone} channel ({n} of 3): only the cat's {kept} is left.",
                            "This draw dropped the {gone} channels ({n} of 3): only the cat's {kept} is left.",
                            len(gone)).format(gone=_and(gone), n=len(gone), kept=_and(kept))
        if method_id == "maxdrop":
            hit = [c for c, f in zip(_CHANNELS, frac, strict=True) if f > 0]
            k = GALLERY_SETTINGS.maxdrop_window
            if not hit:
                return _("This draw: no channel lost its maximum, so the picture is unchanged.")
            return ngettext("This draw: the {hit} channel lost its maximum (the {k}×{k} patch around it); every "
                            "other value is kept.",
                            "This draw: the {hit} channels lost their maxima (the {k}×{k} patch around each); every "
                            "other value is kept.", len(hit)).format(hit=_and(hit), k=k)
        if method_id == "cutout":
            return _("This draw: the hole blacks out {share} of the picture.").format(
                share=f"{zero.all(axis=-1).mean():.0%}")
        if method_id == "maxpool":
            return _("Pooled output (half size): {share} of its values are 0, where every value of a pooling window "
                     "was dropped.").format(share=f"{zero.mean():.0%}")
        if method_id == "dropblock":
            return _("This draw dropped {share} of the values, in {b}×{b} blocks drawn per colour channel: a colour "
                     "cast where a pixel lost one or two colours, black where it lost all three.").format(
                share=f"{zero.mean():.0%}", b=GALLERY_SETTINGS.block_size)
        return _("This draw dropped {share} of the values, each colour of each pixel on its own: a colour cast "
                 "where a pixel lost one or two colours, black where it lost all three.").format(
            share=f"{zero.mean():.0%}")
    if zero.any():
        return _("This draw dropped {share} of the cells (light grey).").format(share=f"{zero.mean():.0%}")
    negative = (a < 0).mean()
    if negative > 0:
        return _("This draw dropped nothing; {share} of the cells got negative noise and flipped sign (drawn in the "
                 "darkest colour).").format(share=f"{negative:.0%}")
    return _("This draw dropped nothing.")


def _mc_layer(p: float, *, generator=None) -> nn.Module:
    return layers.MCDropout(p, generator=generator)


def _sparsevd_layer(p: float, *, generator=None) -> nn.Module:
    # No p: Sparse VD learns a noise variance α per weight; the layer's random factor is the local
    # reparameterisation's ε, one N(0, 1) draw per example and output unit.
    return layers.LinearSVDO(PROBE_SHAPE["bayesian"][1], 16, generator=generator)


def _thumb_sparsevd(p: float, seed: int) -> np.ndarray:
    # Variational dropout's multiplicative noise N(1, α) with α = p/(1−p) (Gaussian dropout's, which Sparse VD
    # learns per weight instead of fixing).
    x = data.gallery_input(seed)
    return (x * masks.gaussian_mask(x.shape, p, generator=masks.make_generator(seed))).numpy()


_MOLCHANOV = Paper(
    "D. Molchanov, A. Ashukha, D. Vetrov",
    2017,
    "Variational Dropout Sparsifies Deep Neural Networks",
    "ICML 2017, PMLR 70:2498-2507",
    "https://arxiv.org/abs/1701.05369",
)

_GAL_MC = Paper(
    "Y. Gal, Z. Ghahramani",
    2016,
    "Dropout as a Bayesian Approximation: Representing Model Uncertainty in Deep Learning",
    "ICML 2016, PMLR 48:1050-1059",
    "https://arxiv.org/abs/1506.02142",
)

_GAL = Paper(
    "Y. Gal, Z. Ghahramani",
    2016,
    "A Theoretically Grounded Application of Dropout in Recurrent Neural Networks",
    "NeurIPS 2016 (NIPS 29), pp. 1019-1027",
    "https://arxiv.org/abs/1512.05287",
)

_SRIVASTAVA = Paper(
    "N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever, R. Salakhutdinov",
    2014,
    "Dropout: A Simple Way to Prevent Neural Networks from Overfitting",
    "JMLR 15:1929-1958",
    "https://jmlr.org/papers/v15/srivastava14a.html",
)

_SEMENIUTA = Paper(
    "S. Semeniuta, A. Severyn, E. Barth",
    2016,
    "Recurrent Dropout without Memory Loss",
    "COLING 2016, pp. 1757-1766",
    "https://arxiv.org/abs/1603.05118",
)

METHODS: tuple[Method, ...] = (
    Method(
        id="standard",
        name=N_("Standard dropout"),
        family="dense",
        paper=_SRIVASTAVA,
        summary=N_("Zero each activation independently with probability p; rescale the survivors by 1/(1-p)."),
        masks=N_("activations (units) of a layer"),
        shared_axes=N_("none: one draw per unit per example, fresh every iteration"),
        test_time=N_("inverted: identity (classic form: multiply by 1-p)"),
        p_in_paper=N_("the paper's p is the RETAIN probability (1 - our p)"),
        page="pages/10_standard.py",
        thumbnail=_thumb_standard,
        label=N_("standard"), colour=c.BLUE, mask=masks.bernoulli_mask, layer=_layer(layers.Dropout), drop_rate=_p,
    ),
    Method(
        id="gaussian",
        name=N_("Gaussian dropout"),
        family="dense",
        paper=_SRIVASTAVA,
        summary=N_("Multiply each activation by N(1, p/(1-p)) noise: the same mean and variance as dropout."),
        masks=N_("activations (units) of a layer"),
        shared_axes=N_("none: one draw per unit per example"),
        test_time=N_("identity"),
        p_in_paper=N_("§10 writes the variance as (1-p)/p with p = retain, i.e. p/(1-p) with our drop p"),
        page="pages/11_gaussian.py",
        thumbnail=_thumb_gaussian,
        label=N_("Gaussian"), colour=c.ORANGE, mask=masks.gaussian_mask, layer=_layer(layers.GaussianDropout),
        drop_rate=None,
    ),
    Method(
        id="dropconnect",
        name="DropConnect",
        family="dense",
        paper=Paper(
            "L. Wan, M. Zeiler, S. Zhang, Y. LeCun, R. Fergus",
            2013,
            "Regularization of Neural Networks using DropConnect",
            "ICML 2013, PMLR 28(3):1058-1066",
            "https://proceedings.mlr.press/v28/wan13.html",
        ),
        summary=N_("Drop individual weights (and biases) instead of units, with a new weight mask per example."),
        masks=N_("weights and biases of a layer"),
        shared_axes=N_("none: one (out × in) mask per example"),
        test_time=N_("Gaussian moment matching of each pre-activation, averaged over samples of the activation"),
        p_in_paper=N_("the paper's p is the KEEP probability (1 - our p)"),
        page="pages/12_dropconnect.py",
        thumbnail=_thumb_dropconnect,
        label="DropConnect", colour=c.GREEN, mask=masks.dropconnect_mask, layer=_dropconnect_layer, drop_rate=_p,
        identity_at_test=False, linear=_dropconnect_linear,
    ),
    Method(
        id="standout",
        name=N_("Standout (adaptive dropout)"),
        family="dense",
        paper=Paper(
            "J. Ba, B. Frey",
            2013,
            "Adaptive dropout for training deep neural networks",
            "NIPS 2013",
            "https://papers.nips.cc/paper/5032-adaptive-dropout-for-training-deep-neural-networks",
        ),
        summary=N_("Each unit's keep probability is sigmoid(α·z + β·Σa) of its own drive z (the paper's standout "
        "network π = α·W + β): strong units are kept."),
        masks=N_("activations, with a probability that depends on the input"),
        shared_axes=N_("none: one draw per unit per example"),
        test_time=N_("multiply by the keep probability: sigmoid(α·z + β·Σa) · relu(z)"),
        p_in_paper=N_("no p: α and β set the keep probability (defaults α=1, β=0; a scalar offset σ(α·z + β), as in "
        "some ports, is a simplification that agrees at β = 0)"),
        page="pages/13_standout.py",
        thumbnail=_thumb_standout,
        label="Standout", colour=c.PURPLE, mask=masks.standout_mask, layer=_standout_layer, drop_rate=None,
        identity_at_test=False, has_p=False, linear=_standout_linear,
    ),
    Method(
        id="pixel",
        name=N_("Pixel dropout"),
        family="conv",
        paper=_SRIVASTAVA,
        summary=N_("Standard dropout on a conv layer: every pixel of every channel is dropped on its own."),
        masks=N_("individual activations (pixels) of the feature maps, or of the input image"),
        shared_axes=N_("none: one draw per (example, channel, row, column)"),
        test_time=N_("inverted: identity"),
        p_in_paper=N_("the paper's p is the RETAIN probability (1 - our p); its conv nets kept 0.9-0.75"),
        page="pages/20_images.py",
        thumbnail=_thumb("pixel"),
        label=N_("Pixel dropout"), colour=c.BLUE, mask=masks.pixel_mask, layer=_layer(layers.Dropout), drop_rate=_p,
        apply=layers.apply_pixel,
    ),
    Method(
        id="spatial",
        name="SpatialDropout",
        family="conv",
        paper=Paper(
            "J. Tompson, R. Goroshin, A. Jain, Y. LeCun, C. Bregler",
            2015,
            "Efficient Object Localization Using Convolutional Networks",
            "CVPR 2015",
            "https://arxiv.org/abs/1411.4280",
        ),
        summary=N_("Drop whole channels (feature maps): on a colour picture, all of its red, green or blue at once."),
        masks=N_("whole feature maps (channels)"),
        shared_axes=N_("height and width: one draw per (example, channel), mask (B, C, 1, 1)"),
        test_time=N_("inverted: identity (the original Torch7 layer multiplied by 1-p at test instead)"),
        p_in_paper=N_("p is the drop probability, as here"),
        page="pages/20_images.py",
        thumbnail=_thumb("spatial"),
        label="SpatialDropout", colour=c.ORANGE, mask=masks.spatial_mask, layer=_layer(layers.SpatialDropout2d),
        drop_rate=_p, apply=layers.apply_spatial,
    ),
    Method(
        id="cutout",
        name="Cutout",
        family="conv",
        paper=Paper(
            "T. DeVries, G. W. Taylor",
            2017,
            "Improved Regularization of Convolutional Neural Networks with Cutout",
            "arXiv:1708.04552",
            "https://arxiv.org/abs/1708.04552",
        ),
        summary=N_("Zero an L×L square of the input whose centre is uniform over the whole image (clipped at "
        "the border)."),
        masks=N_("a region of the input image (here also of feature maps)"),
        shared_axes=N_("channels: the same square on every channel (options: one or several channels)"),
        test_time=N_("nothing: it is a training-time augmentation"),
        p_in_paper=N_("no p: the paper sets the side L (16 px on CIFAR-10); DropViz picks L so the nominal area is p"),
        page="pages/20_images.py",
        thumbnail=_thumb("cutout"),
        label="Cutout", colour=c.VERMILION, mask=masks.cutout_mask, layer=_cutout_layer, drop_rate=_cutout_rate,
        apply=layers.apply_cutout,
    ),
    Method(
        id="dropblock",
        name="DropBlock",
        family="conv",
        paper=Paper(
            "G. Ghiasi, T.-Y. Lin, Q. V. Le",
            2018,
            "DropBlock: A regularization method for convolutional networks",
            "NeurIPS 2018",
            "https://arxiv.org/abs/1810.12890",
        ),
        summary=N_("Drop contiguous block_size × block_size blocks of each feature map, then rescale by the "
        "kept count."),
        masks=N_("square blocks of each feature map"),
        shared_axes=N_("none between maps: seeds per (example, channel, position); a block shares one seed"),
        test_time=N_("identity (training output normalised by count / count of ones)"),
        p_in_paper=N_("the paper's keep_prob is 1 - our p; γ = p·H·W / (bs²·(H−bs+1)(W−bs+1))"),
        page="pages/22_dropblock.py",
        thumbnail=_thumb("dropblock"),
        label="DropBlock", colour=c.GREEN, mask=masks.dropblock_mask, layer=_dropblock_layer,
        drop_rate=_dropblock_rate, apply=layers.apply_dropblock,
    ),
    Method(
        id="maxpool",
        name=N_("Max-pooling dropout"),
        family="conv",
        paper=Paper(
            "H. Wu, X. Gu",
            2015,
            "Towards dropout training for convolutional neural networks",
            "Neural Networks 71:1-10",
            "https://arxiv.org/abs/1512.00242",
        ),
        summary=N_("Drop activations inside each pooling window before the max; test with probabilistic "
        "weighted pooling."),
        masks=N_("the activations inside each pooling window, before the max"),
        shared_axes=N_("none: one draw per activation"),
        test_time=N_("probabilistic weighted pooling: Σ q(1−q)^(n−i)·a_(i), the exact expected training output"),
        p_in_paper=N_("the paper's p is the RETAIN probability (1 - our p)"),
        page="pages/21_maxpool.py",
        thumbnail=_thumb("maxpool"),
        label=N_("Max-pooling dropout"), colour=c.PURPLE, mask=masks.bernoulli_mask, layer=_maxpool_layer, drop_rate=_p,
        identity_at_test=False, apply=layers.apply_maxpool, keeps_resolution=False,
    ),
    Method(
        id="maxdrop",
        name="Max-Drop",
        family="conv",
        paper=Paper(
            "S. Park, N. Kwak",
            2016,
            "Analysis on the Dropout Effect in Convolutional Neural Networks",
            "ACCV 2016, LNCS 10112:189-204",
            "https://doi.org/10.1007/978-3-319-54184-6_12",
        ),
        summary=N_("With probability p, drop each feature map's largest activation (or a k×k window around it)."),
        masks=N_("the maximum of each feature map (authors' Caffe code, feature-wise option)"),
        shared_axes=N_("one draw per (example, channel) map; the window around the argmax shares it"),
        test_time=N_("identity (training output scaled by 1/(1 − p·k²/(H·W)))"),
        p_in_paper=N_("prob = p, the chance a map loses its maximum (default 0.1, window 1). Not the 2020 "
        "'MaxDropout'"),
        page="pages/22_dropblock.py",
        thumbnail=_thumb("maxdrop"),
        label="Max-Drop", colour=c.SKY, mask=masks.maxdrop_mask, layer=_layer(layers.MaxDrop2d),
        drop_rate=_maxdrop_rate,         apply=layers.apply_maxdrop,
    ),
    Method(
        id="naive",
        name=N_("Naive recurrent dropout"),
        family="recurrent",
        paper=_SEMENIUTA,
        summary=N_("The mistake: RNNDrop's cell mask redrawn at every step (per-step state masking), so a "
        "unit's memory "
        "dies the first time it is dropped."),
        masks=N_("the hidden state: a dropped unit outputs h_t = 0 and its cell c_t is zeroed"),
        shared_axes=N_("none: one draw per unit per sequence per time step"),
        test_time=N_("inverted: identity"),
        p_in_paper=N_("no paper proposes it: it is the per-step state masking whose memory loss Semeniuta et al. §3 "
        "analyse. It is often credited to Zaremba et al. (2014), who mask only the non-recurrent connections "
        "(the zaremba method here), precisely to avoid it"),
        page="pages/30_rnn-masks.py",
        thumbnail=_thumb_schedule("naive"),
        label=N_("naive"), colour=c.VERMILION, mask=masks.naive_schedule, layer=_lstm_layer(masks.naive_schedule),
        drop_rate=_p, identity_at_test=False, wire="c",
    ),
    Method(
        id="zaremba",
        name=N_("Zaremba dropout (non-recurrent connections)"),
        family="recurrent",
        paper=Paper(
            "W. Zaremba, I. Sutskever, O. Vinyals",
            2014,
            "Recurrent Neural Network Regularization",
            "arXiv:1409.2329",
            "https://arxiv.org/abs/1409.2329",
        ),
        summary=N_("Fresh masks every step, but only on the non-recurrent connections (input → LSTM, LSTM → output): "
        "the recurrence and the cell are never masked, so memory is kept."),
        masks=N_("the input x_t into the LSTM and its output h_t to the next layer (never h_{t-1} → h_t or c)"),
        shared_axes=N_("none: one draw per unit per sequence per time step"),
        test_time=N_("inverted: identity"),
        p_in_paper=N_("drop probabilities, as here (PTB: 0.5 medium, 0.65 large)"),
        page="pages/30_rnn-masks.py",
        thumbnail=_thumb_schedule("zaremba"),
        label="Zaremba", colour=c.ORANGE, mask=masks.zaremba_schedule, layer=_lstm_layer(masks.zaremba_schedule),
        drop_rate=_p, identity_at_test=False, wire="x",
    ),
    Method(
        id="rnndrop",
        name="RNNDrop",
        family="recurrent",
        paper=Paper(
            "T. Moon, H. Choi, H. Lee, I. Song",
            2015,
            "RNNDROP: A Novel Dropout for RNNs in ASR",
            "IEEE ASRU 2015",
            "https://www.semanticscholar.org/paper/4a5e68033940785468cbe34bd6249106c311acfb",
        ),
        summary=N_("One mask per sequence on the LSTM's cell state: a dropped cell stays off for the whole sequence "
        "instead of blinking."),
        masks=N_("the memory cell c_t (and so its output h_t)"),
        shared_axes=N_("time: one draw per unit per sequence, reused at every step"),
        test_time=N_("inverted: identity (the paper scales by the keep probability)"),
        p_in_paper=N_("DropViz's p is the drop probability; METHODS §9 writes the mask as Bernoulli(q), q = 1 - p "
        "the keep probability (the paper's own notation is not re-checked here)"),
        page="pages/30_rnn-masks.py",
        thumbnail=_thumb_schedule("rnndrop"),
        label="RNNDrop", colour=c.BLUE, mask=masks.rnndrop_schedule, layer=_lstm_layer(masks.rnndrop_schedule),
        drop_rate=_p, identity_at_test=False, wire="c",
    ),
    Method(
        id="semeniuta",
        name=N_("Recurrent dropout (no memory loss)"),
        family="recurrent",
        paper=_SEMENIUTA,
        summary=N_("Drop only the candidate update g_t, with a fresh mask every step: new content is thinned, stored "
        "memory is never erased."),
        masks=N_("the candidate update g_t that is added to the cell"),
        shared_axes=N_("none: a fresh draw per unit per sequence per step (per-sequence also works)"),
        test_time=N_("inverted: identity"),
        p_in_paper=N_("DropViz's p is the drop probability; TF1's LayerNormBasicLSTMCell implements this method "
        "with dropout_keep_prob = 1 - p"),
        page="pages/30_rnn-masks.py",
        thumbnail=_thumb_schedule("semeniuta"),
        label=N_("recurrent (Semeniuta)"), colour=c.GREEN, mask=masks.semeniuta_schedule,
        layer=_lstm_layer(masks.semeniuta_schedule), drop_rate=_p, identity_at_test=False, wire="g",
    ),
    Method(
        id="variational",
        name=N_("Variational RNN dropout"),
        family="recurrent",
        paper=_GAL,
        summary=N_("One mask per sequence on the inputs x_t and on h_{t-1}, reused at every step; tied across the "
        "four gates or one per gate."),
        masks=N_("the input x_t and the recurrent input h_{t-1} of every gate (and outputs, embeddings)"),
        shared_axes=N_("time: one draw per unit per sequence, reused at every step (untied: one per gate)"),
        test_time=N_("inverted: identity (weight scaling); or Monte Carlo: average several masked passes"),
        p_in_paper=N_("its experiments quote drop probabilities, as here (large PTB model: 0.3 on embeddings and h, "
        "0.5 on inputs and outputs)"),
        page="pages/30_rnn-masks.py",
        thumbnail=_thumb_schedule("variational"),
        label=N_("variational (Gal)"), colour=c.PURPLE, mask=masks.variational_schedule,
        layer=_lstm_layer(masks.variational_schedule), drop_rate=_p, identity_at_test=False, wire="h",
    ),
    Method(
        id="embedding",
        name=N_("Embedding dropout"),
        family="recurrent",
        paper=_GAL,
        summary=N_("Drop word types: one mask over the vocabulary per sequence, so a dropped word vanishes at "
        "every occurrence."),
        masks=N_("rows of the embedding matrix (word types), per sequence"),
        shared_axes=N_("every occurrence of a word in a sequence shares its draw"),
        test_time=N_("inverted: identity"),
        p_in_paper=N_("a drop probability, as here (tied to the recurrent rate in the paper's grid search)"),
        page="pages/30_rnn-masks.py",
        thumbnail=_thumb_embedding,
        label=N_("embedding"), colour=c.SKY, mask=masks.embedding_mask, layer=_embedding_layer, drop_rate=_p,
        identity_at_test=False,
    ),
    Method(
        id="mc",
        name=N_("Monte Carlo dropout"),
        family="bayesian",
        paper=_GAL_MC,
        summary=N_("Keep dropout on at test time: the spread of T stochastic passes estimates the model's "
        "uncertainty."),
        masks=N_("activations (units), exactly as standard dropout, in training and at test time"),
        shared_axes=N_("none: one draw per unit per example, fresh for every one of the T passes"),
        test_time=N_("T passes with dropout on (BatchNorm in eval); predict their mean, report their spread"),
        p_in_paper=N_("Gal's p is the KEEP probability of the Bernoulli variables (1 - our p)"),
        page="pages/50_mc-dropout.py",
        thumbnail=_thumb_standard,
        label=N_("MC dropout"), colour=c.PURPLE, mask=masks.bernoulli_mask, layer=_mc_layer, drop_rate=_p,
        identity_at_test=False,
    ),
    Method(
        id="sparsevd",
        name=N_("Sparse variational dropout"),
        family="bayesian",
        paper=_MOLCHANOV,
        summary=N_("Learn a Gaussian dropout rate α per weight; weights whose log α > 3 are pure noise and are "
        "pruned."),
        masks=N_("weights, by N(1, α_ij) noise (trained with the local reparameterisation: one draw per "
        "pre-activation)"),
        shared_axes=N_("none: every weight has its own learned α"),
        test_time=N_("deterministic: θ with every weight whose log α > 3 set to 0"),
        p_in_paper=N_("no p: α_ij is learned; α/(1+α) is the equivalent Bernoulli drop rate (log α = 3: 0.95)"),
        page="pages/51_sparse-vd.py",
        thumbnail=_thumb_sparsevd,
        label="Sparse VD", colour=c.VERMILION, mask=masks.gaussian_mask, layer=_sparsevd_layer, drop_rate=None,
        identity_at_test=False, has_p=False,
    ),
)


def _index(methods: tuple[Method, ...]) -> dict[str, Method]:
    index: dict[str, Method] = {}
    for m in methods:
        if m.id in index:
            raise ValueError(f"duplicate method id {m.id!r}")
        index[m.id] = m
    return index


BY_ID: dict[str, Method] = _index(METHODS)


def resolve(method_id: str) -> str:
    """Today's id for ``method_id`` (an old id from a shared link is mapped through :data:`ALIASES`)."""
    return ALIASES.get(method_id, method_id)


def get(method_id: str) -> Method:
    """The method with this id (or an alias of it), or a ``KeyError`` that lists the known ids."""
    try:
        return BY_ID[resolve(method_id)]
    except KeyError:
        raise KeyError(f"unknown method {method_id!r}; known: {', '.join(BY_ID)}") from None


def by_family(family: Family) -> tuple[Method, ...]:
    return tuple(m for m in METHODS if m.family == family)


def ids(family: Family) -> tuple[str, ...]:
    return tuple(m.id for m in by_family(family))


def schedules() -> tuple[str, ...]:
    """The recurrent methods that are mask schedules of an LSTM (embedding dropout masks word types instead)."""
    return tuple(m.id for m in by_family("recurrent") if m.wire is not None)


def schedule(method_id: str, steps: int, batch: int, input_size: int, hidden_size: int, p: float,
             **kw) -> masks.MaskSchedule:
    """The mask schedule of a recurrent method by id, drawn with its registered mask function (same arguments
    as :func:`dropviz.masks.recurrent.variational_schedule`)."""
    if resolve(method_id) not in schedules():
        raise ValueError(f"unknown recurrent dropout method {method_id!r}; known: {', '.join(schedules())}")
    return get(method_id).mask(steps, batch, input_size, hidden_size, p, **kw)


def example(method: Method, generator: torch.Generator) -> torch.Tensor:
    """A seeded input of PROBE_SHAPE for ``method``'s layer: positive floats (so a zero is a dropped value), or
    token ids for embedding dropout."""
    shape = PROBE_SHAPE[method.family]
    if isinstance(method.layer(0.0), layers.EmbeddingDropout):
        return torch.randint(0, VOCAB, shape[:2], generator=generator)
    return 0.1 + torch.rand(shape, generator=generator)


def mask_values(mask: object) -> torch.Tensor:
    """Every random factor of a layer's ``last_mask`` as one flat tensor: a mask tensor, a DropConnect
    :class:`~dropviz.masks.dense.WeightMask` (weights and biases), or a recurrent MaskSchedule (all its wires)."""
    if isinstance(mask, torch.Tensor):
        return mask.reshape(-1)
    if isinstance(mask, masks.WeightMask):
        return torch.cat([mask.weight.reshape(-1), mask.bias.reshape(-1)])
    if isinstance(mask, masks.MaskSchedule):
        return torch.cat([w.reshape(-1) for w in mask.wires().values()])
    raise TypeError(f"not a mask: {type(mask).__name__}")
