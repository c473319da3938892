"""The training lab: small MLPs (:mod:`dropviz.models`) trained on scikit-learn's digits with a small training
split, or on a generated 2-D task, once per chosen dropout method (or none) from the same weights and the same
batches; per-epoch train/validation loss and accuracy, and a decision-boundary grid for the 2-D tasks.

Runs on :func:`dropviz.train.engine.fit` (one optimiser step per call, a cancel check before each), so the job
queue can show progress and Stop it within one step. No Streamlit, no global RNG: ``run_lab(config)`` is a pure
function of its frozen config (same config, same device -> same numbers), so the queue keys its result by it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from dropviz import data, masks, models
from dropviz._validate import make_generator
from dropviz.data.digits import train_images as digits_train_images
from dropviz.i18n import N_, _
from dropviz.train import engine
from dropviz.train.engine import StepContext

TASKS = ("digits", *data.TASKS)
ARCHS = ("mlp", "cnn")
DIGIT_SIDE = 8  # the digits are 8 × 8 images (the CNN sees them as (1, 8, 8))
NONE = "none"  # the baseline: the same model without dropout
# Bounds on every cost a page can ask for (a shared classroom server; dropviz.jobs bounds how many run at once).
LIMITS = {"width": (8, 256), "depth": (1, 4), "epochs": (5, 200), "train_size": (30, 1000), "batch": (8, 256)}
MAX_METHODS = 3  # models per lab run ("none" + the dense mask methods)
LAST = 10  # epochs averaged for the final train-validation gap
GRID = 64  # decision-boundary resolution (GRID × GRID points)
EXTENT = 2.0  # the boundary grid spans [-EXTENT, EXTENT]²


def lab_methods(arch: str = "mlp") -> tuple[str, ...]:
    """What the lab can compare. The MLP: no dropout, every dense method that sits between two layers, and those
    that replace a hidden layer (DropConnect, Standout): every registered dense method. The CNN: no dropout and
    every conv method that sits on a feature map (after its conv + ReLU)."""
    if arch == "cnn":
        return (NONE, *models.insertable("conv"))
    if arch != "mlp":
        raise ValueError(f"unknown model {arch!r}; known: {', '.join(ARCHS)}")
    return (NONE, *models.insertable("dense"), *models.replacing("dense"))


def _check_int(name: str, v) -> None:
    lo, hi = LIMITS[name]
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ValueError(f"{name} has to be a whole number from {lo} to {hi}, but got {v!r}")


@dataclass(frozen=True)
class RunConfig:
    """One model, one placement of dropout. Frozen and hashable: a cache key."""

    task: str = "digits"  # "digits" or a 2-D task (data.TASKS)
    slots: tuple[models.Slot, ...] = (None, ("standard", 0.5), ("standard", 0.5))  # input, after each hidden
    width: int = 128  # hidden units per layer: wide, so a small training set is memorised without dropout
    depth: int = 2  # hidden layers
    epochs: int = 60  # passes over the training set
    train_size: int = 150  # training examples: small on purpose, so overfitting shows
    batch: int = 32  # examples per optimiser step
    lr: float = 1e-3  # Adam's learning rate
    batch_norm: bool = False  # BatchNorm after every hidden Linear (the placement page's BN experiment)
    seed: int = 0  # weights, data split, batch order and masks all come from this seed
    device: str = "cpu"  # "cpu", "cuda" or "mps"
    arch: str = "mlp"  # "mlp", or "cnn": models.cnn on the 8×8 digits, width = its conv channels, depth unused
    share_batch: bool = False  # True: standard dropout draws one mask per minibatch instead of one per example

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; known: {', '.join(TASKS)}")
        if self.arch not in ARCHS:
            raise ValueError(f"unknown model {self.arch!r}; known: {', '.join(ARCHS)}")
        for name in LIMITS:
            _check_int(name, getattr(self, name))
        if self.arch == "cnn":
            if self.task != "digits" or self.batch_norm:
                raise ValueError("the CNN trains on the digits images, without BatchNorm")
            if len(self.slots) != len(models.CNN_POSITIONS):
                raise ValueError(f"the CNN has {len(models.CNN_POSITIONS)} dropout positions "
                                 f"({', '.join(models.CNN_POSITIONS)}), got {len(self.slots)}")
        elif len(self.slots) != self.depth + 1:
            raise ValueError(f"depth {self.depth} has {self.depth + 1} dropout positions, got {len(self.slots)}")
        for s in self.slots:
            if s is not None:
                masks.check_p(s[1])

    @property
    def steps(self) -> int:
        return self.epochs * math.ceil(self.train_size / self.batch)


@dataclass(frozen=True)
class Boundary:
    """A 2-D model's P(class 1) over a grid of the plane, and the training points."""

    axis: np.ndarray  # (GRID,) coordinates of the grid on both axes
    prob: np.ndarray  # (GRID, GRID) P(class 1), rows along y
    x_train: np.ndarray  # (n, 2)
    y_train: np.ndarray  # (n,)


@dataclass(frozen=True)
class RunResult:
    config: RunConfig
    train_loss: np.ndarray  # (epochs,) cross-entropy on the whole training set, dropout off, after each epoch
    val_loss: np.ndarray  # (epochs,)
    train_acc: np.ndarray  # (epochs,)
    val_acc: np.ndarray  # (epochs,)
    seconds: float  # wall time of the training loop
    device: str
    boundary: Boundary | None = None  # 2-D tasks only

    @property
    def best_val_acc(self) -> float:
        return float(self.val_acc.max())

    @property
    def gap(self) -> float:
        """Train minus validation accuracy at the end: how much was memorised rather than learned."""
        return float(self.train_acc[-1] - self.val_acc[-1])

    @property
    def loss_gap(self) -> float:
        """Validation minus training loss, averaged over the last ``LAST`` epochs (one epoch is noisy)."""
        k = min(LAST, len(self.val_loss))
        return float((self.val_loss[-k:] - self.train_loss[-k:]).mean())


def split_for(cfg: RunConfig) -> data.Split:
    if cfg.task == "digits":
        return data.digits(cfg.train_size, cfg.seed)
    return data.task2d(cfg.task, cfg.train_size, cfg.seed)


def _evaluate(model, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss, acc = F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).double().mean().item()
    model.train()
    return loss, acc


def _boundary(model, split: data.Split, device: str) -> Boundary:
    axis = torch.linspace(-EXTENT, EXTENT, GRID)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1).to(device)  # (GRID², 2)
    model.eval()
    with torch.no_grad():
        prob = model(pts).softmax(1)[:, 1].view(GRID, GRID).cpu()
    return Boundary(axis.numpy(), prob.numpy(), split.x_train.numpy(), split.y_train.numpy())


def train_run(cfg: RunConfig, *, ctx: StepContext | None = None, threads: int | None = 1) -> RunResult:
    """Train one model of ``cfg`` with Adam on shuffled minibatches; evaluate (dropout off) after every epoch.
    ``ctx`` is checked before every optimiser step (Stop) and gets the progress. ``threads``: CPU threads while
    training (one is the fastest for these tiny matmuls; see :func:`dropviz.train.engine.cpu_threads`)."""
    with engine.cpu_threads(threads if cfg.device == "cpu" else None):
        return _train_run(cfg, ctx)


def _train_run(cfg: RunConfig, ctx: StepContext | None) -> RunResult:
    dev = cfg.device
    split = split_for(cfg)
    xt, yt, xv, yv = (t.to(dev) for t in (split.x_train, split.y_train, split.x_val, split.y_val))
    if cfg.arch == "cnn":
        xt, xv = (t.view(-1, 1, DIGIT_SIDE, DIGIT_SIDE) for t in (xt, xv))  # (n, 64) -> (n, 1, 8, 8)
        model = models.cnn(cfg.width, split.classes, cfg.slots, seed=cfg.seed, device=dev, size=DIGIT_SIDE)
    else:
        model = models.mlp(split.features, split.classes, cfg.width, cfg.depth, cfg.slots, seed=cfg.seed,
                           device=dev, batch_norm=cfg.batch_norm)
    if cfg.share_batch:
        models.share_masks_over_batch(model)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    g_order = make_generator(cfg.seed + 2)
    per_epoch = math.ceil(cfg.train_size / cfg.batch)
    curves: dict[str, list[float]] = {"tl": [], "vl": [], "ta": [], "va": []}
    order = torch.empty(0, dtype=torch.long)

    def step(i: int) -> float:
        nonlocal order
        b = i % per_epoch
        if b == 0:
            order = torch.randperm(cfg.train_size, generator=g_order).to(dev)
        idx = order[b * cfg.batch:(b + 1) * cfg.batch]
        loss = F.cross_entropy(model(xt[idx]), yt[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if b == per_epoch - 1:
            for (lk, ak), (x, y) in zip((("tl", "ta"), ("vl", "va")), ((xt, yt), (xv, yv)), strict=True):
                lv, av = _evaluate(model, x, y)
                curves[lk].append(lv)
                curves[ak].append(av)
        return loss.item()

    t0 = time.perf_counter()
    engine.fit(step, cfg.steps, ctx=ctx, every=per_epoch)
    seconds = time.perf_counter() - t0
    boundary = _boundary(model, split, dev) if cfg.task != "digits" else None
    arr = {k: np.asarray(v) for k, v in curves.items()}
    return RunResult(cfg, arr["tl"], arr["vl"], arr["ta"], arr["va"], seconds, dev, boundary)


# -- the lab page's experiment: the same model once per method -------------------------------------------


@dataclass(frozen=True)
class LabConfig:
    """The lab's comparison: one model per method, same weights, split and batches. The MLP has the method after
    every hidden layer at ``p`` (and, if ``input_p`` > 0, standard dropout on its input at that p); the CNN
    (:func:`dropviz.models.cnn`, ``width`` conv channels, digits only) has it on the feature maps after its
    conv + ReLU. Frozen and hashable: the job queue's key."""

    # The default overfits where anyone can see it: 60 noisy points of two circles and a wide, deep MLP trained
    # long. Without dropout the validation loss bottoms out early and then climbs as the net memorises the noise
    # (its boundary wraps single points); on the real digits below the same effect is smaller (overfitting()).
    task: str = "circles"  # "digits" (real, 10 classes) or a 2-D task
    methods: tuple[str, ...] = (NONE, "standard")  # from lab_methods(arch); "none" is the same model without dropout
    p: float = 0.5  # drop probability at the method's positions (the usual hidden-layer setting)
    width: int = 256  # MLP: hidden units per layer; CNN: conv channels
    depth: int = 3  # hidden layers (MLP only)
    epochs: int = 200  # passes over the training set
    train_size: int = 60  # training examples (digits has 1,797 in all; 600 are kept for validation)
    seed: int = 0
    device: str = "cpu"
    arch: str = "mlp"  # "mlp" or "cnn"
    input_p: float = 0.0  # MLP: standard dropout on the input for the models with dropout (0: none; often 0.2)
    batch: int = 32  # examples per optimiser step (not on the page: the overfitting experiment sets its own)
    lr: float = 1e-3  # Adam's learning rate (likewise)

    def __post_init__(self):
        known = lab_methods(self.arch)
        if not self.methods or len(self.methods) > MAX_METHODS or len(set(self.methods)) != len(self.methods):
            raise ValueError(f"choose 1 to {MAX_METHODS} different methods, got {self.methods!r}")
        for m in self.methods:
            if m not in known:
                raise ValueError(f"unknown {self.arch} lab method {m!r}; known: {', '.join(known)}")
        masks.check_p(self.input_p)
        if self.arch == "cnn" and self.input_p:
            raise ValueError("input dropout is an MLP setting: the CNN's positions are its feature maps")
        self.runs()  # validates the rest

    def slots(self, method: str) -> tuple[models.Slot, ...]:
        """Where ``method`` sits in this config's model: (input, after each hidden) for the MLP, (after conv+ReLU,
        after pooling, before the classifier) for the CNN. The baseline "none" has no dropout anywhere."""
        if method == NONE:
            return (None,) * (len(models.CNN_POSITIONS) if self.arch == "cnn" else self.depth + 1)
        if self.arch == "cnn":
            return ((method, self.p), None, None)
        return (("standard", self.input_p) if self.input_p else None, *([(method, self.p)] * self.depth))

    def runs(self) -> tuple[RunConfig, ...]:
        return tuple(RunConfig(task=self.task, slots=self.slots(m), width=self.width, depth=self.depth,
                               epochs=self.epochs, train_size=self.train_size, batch=self.batch, lr=self.lr,
                               seed=self.seed, device=self.device, arch=self.arch) for m in self.methods)


def default_for(task: str = LabConfig.task, arch: str = "mlp", device: str = "cpu") -> LabConfig:
    """The lab's default comparison for a task and model, what its sliders start at. The 2-D tasks: the class
    defaults (a wide, deep MLP on 60 noisy points, 200 epochs: it overfits visibly). The digits MLP: the classic
    recipe of the overfitting claim (:class:`OverfitConfig`, seed 0). The CNN: a small conv net at the usual conv p."""
    if arch == "cnn":
        return LabConfig(task="digits", methods=CNN_METHODS, p=CNN_P, width=CNN_CHANNELS, epochs=60, train_size=150,
                         device=device, arch="cnn")
    if task == "digits":
        return replace(OverfitConfig(device=device).labs()[0], seed=0)
    return LabConfig(task=task, device=device)


def defaults(device: str = "cpu") -> tuple[LabConfig, ...]:
    """Every default comparison (each task's MLP, the CNN): the ones a page trains without a click, once per
    server."""
    return (*(default_for(t, device=device) for t in TASKS), default_for("digits", "cnn", device))


@dataclass(frozen=True)
class LabResult:
    config: LabConfig
    runs: tuple[RunResult, ...] = field(default=())  # one per method, in config.methods order

    def run(self, method: str) -> RunResult:
        return self.runs[self.config.methods.index(method)]

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)

    def table(self) -> list[dict[str, object]]:
        """One row per method: what the lab's final table shows."""
        return [{N_("method"): m, N_("best val. accuracy"): round(r.best_val_acc, 3),
                 N_("train − val. accuracy (last epoch)"): round(r.gap, 3),
                 N_("val. − train loss (last 10 epochs)"): round(r.loss_gap, 3),
                 N_("best val. loss"): round(float(r.val_loss.min()), 3), N_("wall time (s)"): round(r.seconds, 2),
                 N_("device"): r.device} for m, r in zip(self.config.methods, self.runs, strict=True)]


def run_many(runs: Sequence[RunConfig], *, ctx: StepContext | None = None, labels: Sequence[str] | None = None,
             threads: int | None = 1) -> tuple[RunResult, ...]:
    """Train ``runs`` in turn; progress counts optimiser steps over all of them, a cancel stops whichever runs."""
    total = sum(r.steps for r in runs)
    out, done = [], 0
    for i, r in enumerate(runs):
        label = labels[i] if labels else _("model {i}/{n}").format(i=i + 1, n=len(runs))
        out.append(train_run(r, ctx=engine.Within(ctx, done, total, label), threads=threads))
        done += r.steps
    return tuple(out)


def run_lab(config: LabConfig, *, ctx: StepContext | None = None, threads: int | None = 1) -> LabResult:
    return LabResult(config, run_many(config.runs(), ctx=ctx, labels=config.methods, threads=threads))


# -- the overfitting claim's experiment: the default comparison over several seeds ------------------------


@dataclass(frozen=True)
class OverfitConfig:
    """No dropout vs dropout on the real digits with a small training split, over ``seeds`` seeds: the claim
    ``training.dropout_reduces_overfitting``. Its own model, not the lab's sliders: the classic recipe (Srivastava
    et al. 2014: 0.2 on the input, 0.5 after each hidden layer) on a net big enough to memorise 300 digits.
    Smaller nets, shorter runs or no input dropout give a mean gain near zero with a seed-to-seed spread larger
    than it (measured on seeds 0–29: 2×128, 60 epochs, 150 digits: +0.006 ± 0.018 in best validation loss)."""

    p: float = 0.5  # drop probability after every hidden layer
    input_p: float = 0.2  # drop probability on the input pixels
    seeds: int = 5  # seeds seed … seed+seeds-1: split, weights, batches and masks all change with the seed
    seed: int = 0
    device: str = "cpu"
    train_size: int = 300  # training digits (600 others validate)
    width: int = 256  # hidden units per layer
    depth: int = 3  # hidden layers
    epochs: int = 150
    batch: int = 64  # with lr 2e-3: measured on seeds 0–29, every window of 3 or 5 seeds passes (batch 32, lr 1e-3:
    lr: float = 2e-3  # 97 % of 5-seed windows over seeds 0–39), in two thirds of the time

    def labs(self) -> tuple[LabConfig, ...]:
        base = LabConfig(task="digits", methods=(NONE, "standard"), p=self.p, input_p=self.input_p, width=self.width,
                         depth=self.depth, epochs=self.epochs, train_size=self.train_size, batch=self.batch,
                         lr=self.lr, device=self.device)
        return tuple(replace(base, seed=self.seed + s) for s in range(self.seeds))


def overfit_table(results: tuple[LabResult, ...]) -> list[dict[str, object]]:
    """One row per seed and model of the overfitting experiment: what the claim averages."""
    return [{N_("seed"): lab.config.seed, N_("method"): m, N_("best val. loss"): round(float(r.val_loss.min()), 4),
             N_("val. − train loss (last 10 epochs)"): round(r.loss_gap, 4),
             N_("best val. accuracy"): round(r.best_val_acc, 4)}
            for lab in results for m, r in zip(lab.config.methods, lab.runs, strict=True)]


def run_overfit(config: OverfitConfig, *, ctx: StepContext | None = None, threads: int | None = 1
                ) -> tuple[LabResult, ...]:
    labs = config.labs()
    runs = run_many([r for lab in labs for r in lab.runs()], ctx=ctx,
                    labels=[_("seed {seed}, {method}").format(seed=lab.seed, method=m)
                            for lab in labs for m in lab.methods], threads=threads)
    n = len(labs[0].methods)
    return tuple(LabResult(lab, runs[i * n:(i + 1) * n]) for i, lab in enumerate(labs))


@dataclass(frozen=True)
class Preview:
    """What the lab trains on, as the page shows it before any training."""

    task: str
    x: np.ndarray  # digits: (10, 8, 8) one training image per class (raw pixels 0…16); 2-D: (n, 2) training points
    y: np.ndarray  # digits: (10,) the classes; 2-D: (n,) labels
    n_train: int
    n_val: int


def preview(task: str = LabConfig.task, train_size: int = LabConfig.train_size, seed: int = 0) -> Preview:
    split = split_for(RunConfig(task=task, train_size=train_size, seed=seed))  # validates task and size
    if task != "digits":
        return Preview(task, split.x_train.numpy(), split.y_train.numpy(), train_size, len(split.y_val))
    ims, labels = digits_train_images(train_size, seed)
    first = [int(np.flatnonzero(labels == k)[0]) for k in range(10) if (labels == k).any()]
    return Preview(task, ims[first], labels[first], train_size, len(split.y_val))


# -- where to put dropout: the same MLP with dropout at different positions --------------------------------

PLACEMENTS: dict[str, tuple[models.Slot, ...]] = {  # name -> slots (input, after hidden 1, after hidden 2)
    N_("none"): (None, None, None),
    N_("input only (0.2)"): (("standard", 0.2), None, None),
    N_("after each hidden (0.5)"): (None, ("standard", 0.5), ("standard", 0.5)),
    N_("before the output only (0.5)"): (None, None, ("standard", 0.5)),
    N_("input 0.2 + hidden 0.5"): (("standard", 0.2), ("standard", 0.5), ("standard", 0.5)),
}


CNN_CHANNELS = 16  # conv channels of the placement CNN (models.cnn: conv 3×3 -> ReLU -> max-pool 2 -> linear)
CNN_MAX_CHANNELS = 64  # the lab's CNN slider: wider adds cost, not insight, on 8×8 images
CNN_METHODS = (NONE, "spatial")  # the lab's CNN default: whole feature maps dropped vs none
CNN_P = 0.1  # the usual conv setting (0.1–0.2 after the activation): at 0.5 a 16-map layer keeps ~8 maps
CNN_PLACEMENTS: dict[str, tuple[models.Slot, ...]] = {  # name -> slots (after conv+ReLU, after pooling, classifier)
    N_("none"): (None, None, None),
    N_("after conv+ReLU (0.1)"): (("pixel", 0.1), None, None),
    N_("after conv+ReLU, whole maps (0.1)"): (("spatial", 0.1), None, None),
    N_("after pooling (0.2)"): (None, ("pixel", 0.2), None),
    N_("before the classifier (0.5)"): (None, None, ("standard", 0.5)),
}


def placements(arch: str) -> dict[str, tuple[models.Slot, ...]]:
    return {"mlp": PLACEMENTS, "cnn": CNN_PLACEMENTS}[arch]


@dataclass(frozen=True)
class PlacementConfig:
    """Each placement of :func:`placements` (``arch``) on digits, seeds seed … seed+seeds-1: the MLP is
    :class:`RunConfig`'s default digits model (2 × 128), the CNN a small conv net (:data:`CNN_CHANNELS` channels)
    with the same data and budget."""

    seeds: int = 2
    seed: int = 0
    device: str = "cpu"
    arch: str = "mlp"  # "mlp" (PLACEMENTS) or "cnn" (CNN_PLACEMENTS)

    def runs(self) -> tuple[RunConfig, ...]:
        extra = {"arch": "cnn", "width": CNN_CHANNELS} if self.arch == "cnn" else {}
        return tuple(RunConfig(slots=slots, seed=self.seed + s, device=self.device, **extra)
                     for slots in placements(self.arch).values() for s in range(self.seeds))


@dataclass(frozen=True)
class Placement:
    config: PlacementConfig
    runs: tuple[RunResult, ...]  # placements(config.arch) order, seeds innermost

    def table(self) -> list[dict[str, object]]:
        """One row per placement: best validation loss (mean over the seeds, and its min and max), best validation
        accuracy and the loss gap (means)."""
        n = self.config.seeds
        rows = []
        for i, name in enumerate(placements(self.config.arch)):
            rs = self.runs[i * n:(i + 1) * n]
            best = np.array([r.val_loss.min() for r in rs])  # (seeds,) each seed's best validation loss
            rows.append({N_("placement"): name, N_("best val. loss"): round(float(best.mean()), 4),
                         N_("best val. loss (min)"): round(float(best.min()), 4),
                         N_("best val. loss (max)"): round(float(best.max()), 4),
                         N_("best val. accuracy"): round(float(np.mean([r.best_val_acc for r in rs])), 4),
                         N_("val. − train loss"): round(float(np.mean([r.loss_gap for r in rs])), 4),
                         N_("seeds"): n})
        return rows  # no wall time: the first run carries torch's warm-up, so timings here would mislead


def run_placement(config: PlacementConfig, *, ctx: StepContext | None = None, threads: int | None = 1) -> Placement:
    labels = [_("{placement}, seed {seed}").format(placement=_(name), seed=config.seed + s)
              for name in placements(config.arch) for s in range(config.seeds)]
    return Placement(config, run_many(config.runs(), ctx=ctx, labels=labels, threads=threads))


# -- one mask per sample or per batch: the same model trained both ways ------------------------------------

SHARING = (N_("per sample"), N_("per batch"))


@dataclass(frozen=True)
class SharingConfig:
    """The per-sample page's digits MLP (64 -> ``width`` -> 10, standard dropout at ``p`` on the hidden layer),
    trained with a mask per example and with one mask per minibatch, on seeds seed … seed+seeds-1 (same weights
    and batches for both at each seed). Small: 2 × ``seeds`` short runs."""

    p: float = 0.5  # drop probability on the hidden layer
    batch: int = 32  # examples per minibatch: the mask is shared by this many examples
    width: int = 64  # hidden units
    epochs: int = 40
    train_size: int = 300
    seeds: int = 3
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self):
        masks.check_p(self.p)
        if not 1 <= self.seeds <= 5:
            raise ValueError(f"seeds has to be from 1 to 5, but got {self.seeds!r}")
        self.runs()  # validates the rest

    def runs(self) -> tuple[RunConfig, ...]:
        return tuple(RunConfig(slots=(None, ("standard", self.p)), width=self.width, depth=1, epochs=self.epochs,
                               train_size=self.train_size, batch=self.batch, seed=self.seed + s, device=self.device,
                               share_batch=mode == "per batch")
                     for mode in SHARING for s in range(self.seeds))


@dataclass(frozen=True)
class Sharing:
    config: SharingConfig
    runs: tuple[RunResult, ...]  # SHARING order, seeds innermost

    def of(self, mode: str) -> tuple[RunResult, ...]:
        n = self.config.seeds
        i = SHARING.index(mode)
        return self.runs[i * n:(i + 1) * n]

    def table(self) -> list[dict[str, object]]:
        """Per sharing mode: final and best validation accuracy, mean and range over the seeds."""
        rows = []
        for mode in SHARING:
            final = np.array([r.val_acc[-1] for r in self.of(mode)])
            best = np.array([r.best_val_acc for r in self.of(mode)])
            rows.append({N_("mask"): mode, N_("final val. accuracy (mean)"): round(float(final.mean()), 4),
                         N_("final val. accuracy (min)"): round(float(final.min()), 4),
                         N_("final val. accuracy (max)"): round(float(final.max()), 4),
                         N_("best val. accuracy (mean)"): round(float(best.mean()), 4),
                         N_("val. − train loss"): round(float(np.mean([r.loss_gap for r in self.of(mode)])), 4),
                         N_("seeds"): self.config.seeds})
        return rows


def shown(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """A ``table()`` as a page shows it: the column names, and the placement and mask names, in the reader's
    language. ``table()`` itself keeps the English keys and names: the figures, claims and tests read them."""
    return [{_(k): _(v) if k in NAMED_COLUMNS and isinstance(v, str) else v for k, v in row.items()}
            for row in rows]


NAMED_COLUMNS = ("placement", "mask")  # columns whose cells are names to translate (a method column holds ids)


def run_sharing(config: SharingConfig, *, ctx: StepContext | None = None, threads: int | None = 1) -> Sharing:
    labels = [_("mask {mode}, seed {seed}").format(mode=_(mode), seed=config.seed + s)
              for mode in SHARING for s in range(config.seeds)]
    return Sharing(config, run_many(config.runs(), ctx=ctx, labels=labels, threads=threads))
