"""The trainings of the "Beyond regularization" pages, on :func:`dropviz.train.engine.fit`: Monte Carlo dropout
on a 1-D regression with a gap in its data and on digits (Gal & Ghahramani 2016), Sparse variational dropout on
a LeNet-300-100-shaped MLP on digits (Molchanov, Ashukha & Vetrov 2017), and plain vs weight-normalized training
(Salimans & Kingma 2016).

Each ``run_*(config, ctx=...)`` is a module-level function of a frozen, hashable config (the job queue's key)
and returns a frozen dataclass of numpy arrays (picklable, no modules). No Streamlit, no global RNG: weights,
data, batches and masks all come from generators seeded by the config.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dropviz import data, models
from dropviz._validate import make_generator
from dropviz.data.digits import _order as digit_order
from dropviz.data.digits import _raw as raw_digits
from dropviz.data.digits import train_images
from dropviz.i18n import _
from dropviz.layers import bayesian as bl
from dropviz.train import engine
from dropviz.train.engine import StepContext

T_MAX = 200  # stochastic passes stored per regression run (the page's T slider goes up to it)
T_DIGITS = 100  # stochastic passes per digits example
OOD_KINDS = ("uniform noise", "rotated digits", "cat patches")
OOD_SIZE = 200  # examples per OOD kind


def _check(name: str, v, lo, hi, kind=int) -> None:
    if isinstance(v, bool) or not isinstance(v, kind) or not lo <= v <= hi:
        raise ValueError(f"{name} has to be a {'whole ' if kind is int else ''}number from {lo} to {hi}, but got {v!r}")


# -- MC dropout: 1-D regression with a gap ------------------------------------------------------------------

GAP = (-2.0, 2.0)  # no training data in between
DATA_RANGE = (-4.0, 4.0)
GRID = 241  # evaluation points on [-6, 6]
NOISE_STD = 0.1  # the true observation noise of the toy data


def target(x: np.ndarray) -> np.ndarray:
    """The function the regression learns (no noise)."""
    return np.sin(1.5 * x) + 0.3 * x


@dataclass(frozen=True)
class RegressionConfig:
    p: float = 0.1  # drop probability after each hidden layer (Gal's UCI runs use 0.05-0.1 on regression)
    width: int = 256  # at 128 the gap/data std ratio fell to 1.8-2.7 on some seeds; 256 keeps it ≥ 3.1 on seeds 0-7
    steps: int = 1500  # full-batch Adam steps
    n: int = 80  # training points, half on each side of the gap
    weight_decay: float = 1e-4  # λ, also what Gal's τ is computed from
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self):
        _check("p", self.p, 0.01, 0.5, float)
        _check("width", self.width, 16, 256)
        _check("steps", self.steps, 100, 5000)
        _check("n", self.n, 20, 400)


@dataclass(frozen=True)
class RegressionResult:
    config: RegressionConfig
    x_train: np.ndarray  # (n,)
    y_train: np.ndarray  # (n,)
    grid: np.ndarray  # (GRID,)
    samples: np.ndarray  # (T_MAX, GRID): one line per stochastic pass (dropout on)
    deterministic: np.ndarray  # (GRID,): dropout off (the usual test-time network)
    noise_var: float  # observation-noise variance estimated from the training residuals of the MC mean
    tau_gal: float  # Gal's τ = (1−p)·l²/(2Nλ) at length-scale l = 1 (shown for comparison, not used)
    losses: np.ndarray  # (steps,)
    seconds: float


def _stratified(g: np.random.Generator, lo: float, hi: float, k: int) -> np.ndarray:
    """k points, one uniform in each of k equal cells of [lo, hi]: the data cover their whole range on every seed
    (plain uniform draws left e.g. [−4, −3.84] empty at seed 4, and that extrapolated edge counted as "on data")."""
    return lo + (np.arange(k) + g.uniform(0, 1, k)) * (hi - lo) / k


def regression_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n points, half on [−4, −2] and half on [2, 4] (stratified: one uniform point per equal cell),
    y = target(x) + N(0, 0.1²)."""
    g = np.random.default_rng(seed)
    left = _stratified(g, DATA_RANGE[0], GAP[0], n // 2)
    right = _stratified(g, GAP[1], DATA_RANGE[1], n - n // 2)
    x = np.sort(np.concatenate([left, right])).astype(np.float32)
    return x, (target(x) + NOISE_STD * g.standard_normal(n)).astype(np.float32)


def run_regression(cfg: RegressionConfig, *, ctx: StepContext | None = None) -> RegressionResult:
    with engine.cpu_threads(1 if cfg.device == "cpu" else None):
        dev = cfg.device
        x, y = regression_data(cfg.n, cfg.seed)
        xt, yt = (torch.from_numpy(a).view(-1, 1).to(dev) for a in (x, y))
        model = models.mlp(1, 1, cfg.width, 2, (None, ("standard", cfg.p), ("standard", cfg.p)), seed=cfg.seed,
                           device=dev)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=cfg.weight_decay)

        def step(i: int) -> float:
            loss = F.mse_loss(model(xt), yt)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()

        t0 = time.perf_counter()
        losses = engine.fit(step, cfg.steps, ctx=ctx, every=50)
        seconds = time.perf_counter() - t0
        grid = np.linspace(-6, 6, GRID, dtype=np.float32)
        gt = torch.from_numpy(grid).view(-1, 1).to(dev)
        samples = bl.mc_passes(model, gt, T_MAX)[..., 0].cpu().numpy()  # (T, GRID)
        on_train = bl.mc_passes(model, xt, T_MAX)[..., 0].mean(0).cpu().numpy()  # (n,)
        model.eval()
        with torch.no_grad():
            det = model(gt)[:, 0].cpu().numpy()
    noise_var = float(np.mean((on_train - y) ** 2))
    tau = (1 - cfg.p) * 1.0 ** 2 / (2 * cfg.n * cfg.weight_decay)
    return RegressionResult(cfg, x, y, grid, samples, det, noise_var, tau, losses, seconds)


# -- MC dropout: digits, in and out of distribution ------------------------------------------------------------


@dataclass(frozen=True)
class DigitsConfig:
    p: float = 0.1  # a low rate, trained long on few digits: the deterministic net ends up overconfident
    width: int = 128
    epochs: int = 100
    train_size: int = 300
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self):
        _check("p", self.p, 0.05, 0.8, float)
        _check("width", self.width, 16, 256)
        _check("epochs", self.epochs, 2, 200)
        _check("train_size", self.train_size, 100, 1197)


@dataclass(frozen=True)
class Predictions:
    """T stochastic passes over a set of inputs, summarised per example."""

    mean_probs: np.ndarray  # (n, 10) the MC average p̄ of the softmax outputs
    mean_entropy: np.ndarray  # (n,) (1/T)·Σ_t H[p_t] (nats): the expected entropy of one pass
    single_probs: np.ndarray  # (n, 10) one deterministic pass (dropout off)


@dataclass(frozen=True)
class DigitsResult:
    config: DigitsConfig
    labels: np.ndarray  # (n_val,) labels of the validation digits
    val: Predictions
    ood: tuple[Predictions, ...]  # one per OOD_KINDS
    ood_images: np.ndarray  # (len(OOD_KINDS), 4, 8, 8) a few raw examples of each kind, 0 … 16
    seconds: float


def _standardiser(train_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    raw, _ = train_images(train_size, seed)  # (n, 8, 8) the same split digits() uses
    flat = raw.reshape(len(raw), -1)
    std = flat.std(0)
    return flat.mean(0), np.where(std > 1e-6, std, 1.0)


def ood_images(train_size: int, seed: int) -> np.ndarray:
    """(len(OOD_KINDS), OOD_SIZE, 8, 8) raw inputs on the digits' 0 … 16 scale the model never saw: uniform noise,
    validation-side digits rotated by 90° or 270°, and random crops of the cat (grey) shrunk to 8 × 8."""
    from dropviz.data import images  # Pillow: only when this experiment runs

    g = np.random.default_rng(seed + 7)
    noise = g.uniform(0, 16, (OOD_SIZE, 8, 8))
    x, _ = raw_digits()
    order = digit_order(seed)[-OOD_SIZE:]  # digits the training split never contains
    turns = g.choice([1, 3], OOD_SIZE)
    rotated = np.stack([np.rot90(x[i].reshape(8, 8), k) for i, k in zip(order, turns, strict=True)])
    cat = images.cat().tensor().mean(1, keepdim=True)  # (1, 1, H, W) grey in [0, 1]
    h, w = cat.shape[-2:]
    crops = []
    for _ in range(OOD_SIZE):
        s = int(g.uniform(0.4, 1.0) * min(h, w))
        i, j = int(g.integers(0, h - s + 1)), int(g.integers(0, w - s + 1))
        crops.append(F.adaptive_avg_pool2d(cat[..., i:i + s, j:j + s], 8)[0, 0].numpy() * 16)
    return np.stack([noise, rotated, np.stack(crops)]).astype(np.float32)


def _predict(model: nn.Module, x: torch.Tensor, passes: int) -> Predictions:
    probs = bl.mc_passes(model, x, passes).softmax(-1)  # (T, n, 10)
    ent = -(probs * probs.clamp_min(1e-12).log()).sum(-1).mean(0)  # (n,)
    model.eval()
    with torch.no_grad():
        single = model(x).softmax(-1)
    return Predictions(probs.mean(0).cpu().numpy(), ent.cpu().numpy(), single.cpu().numpy())


def run_digits(cfg: DigitsConfig, *, ctx: StepContext | None = None) -> DigitsResult:
    with engine.cpu_threads(1 if cfg.device == "cpu" else None):
        dev = cfg.device
        split = data.digits(cfg.train_size, cfg.seed, val_size=600)
        xt, yt, xv = (t.to(dev) for t in (split.x_train, split.y_train, split.x_val))
        model = models.mlp(64, 10, cfg.width, 2, (None, ("standard", cfg.p), ("standard", cfg.p)), seed=cfg.seed,
                           device=dev)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        batch = 64
        per_epoch = math.ceil(cfg.train_size / batch)
        g_order = make_generator(cfg.seed + 2)
        order = torch.empty(0, dtype=torch.long)

        def step(i: int) -> float:
            nonlocal order
            b = i % per_epoch
            if b == 0:
                order = torch.randperm(cfg.train_size, generator=g_order).to(dev)
            idx = order[b * batch:(b + 1) * batch]
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()

        t0 = time.perf_counter()
        model.train()
        engine.fit(step, cfg.epochs * per_epoch, ctx=ctx, every=per_epoch)
        seconds = time.perf_counter() - t0
        mean, std = _standardiser(cfg.train_size, cfg.seed)
        raw = ood_images(cfg.train_size, cfg.seed)
        ood = tuple(_predict(model, torch.from_numpy((r.reshape(len(r), -1) - mean) / std).float().to(dev),
                             T_DIGITS) for r in raw)
        val = _predict(model, xv, T_DIGITS)
    return DigitsResult(cfg, split.y_val.numpy(), val, ood, raw[:, :4], seconds)


# -- Sparse variational dropout -------------------------------------------------------------------------------

SVD_SIZES = (64, 300, 100, 10)  # LeNet-300-100's hidden layers on 8 × 8 digits


class SVDNet(nn.Module):
    """LinearSVDO layers with ReLUs between them."""

    def __init__(self, sizes: tuple[int, ...], generator: torch.Generator):
        super().__init__()
        self.layers = nn.ModuleList(bl.LinearSVDO(a, b, generator=generator)
                                    for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x

    def kl(self) -> torch.Tensor:
        return sum(layer.kl() for layer in self.layers)


@dataclass(frozen=True)
class SparseVDConfig:
    epochs: int = 60  # per phase: the dense baseline first, then Sparse VD from its weights
    warmup: tuple[int, int] = (5, 20)  # KL weight 0 up to the first epoch, then linear to kl_max at the second
    # The KL weight after the warm-up: the loss is NLL + kl_max·KL/N per example. 1 is the variational lower bound
    # itself; 0.02 ≈ 1,197 / 60,000 gives the KL the weight per example it has in the paper's MNIST runs
    # (N = 60,000). At 1 on our 1,197 digits the KL is 50× heavier: 99% pruned, 1-3 points lost on seeds 0-4;
    # at 0.02, 94-95% pruned and at most 0.3 points lost on seeds 0-7 (a tempered posterior, Wenzel et al. 2020).
    kl_max: float = 0.02
    lr: float = 1e-3
    batch: int = 100
    pretrained: bool = True  # θ starts from the dense baseline (trained first, same epochs)
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self):
        _check("epochs", self.epochs, 5, 400)
        _check("kl_max", self.kl_max, 0.01, 1.0, float)
        if not 0 <= self.warmup[0] <= self.warmup[1]:
            raise ValueError(f"warmup has to be (start, end) with 0 ≤ start ≤ end, but got {self.warmup!r}")


@dataclass(frozen=True)
class SparseVDResult:
    config: SparseVDConfig
    thetas: tuple[np.ndarray, ...]  # per layer (out, in)
    log_alphas: tuple[np.ndarray, ...]  # per layer (out, in), clipped to [−8, 8]
    biases: tuple[np.ndarray, ...]  # per layer (out,)
    dense_weights: tuple[np.ndarray, ...]  # the dense baseline: same sizes, plain Linear, same data and epochs
    dense_biases: tuple[np.ndarray, ...]
    x_val: np.ndarray  # (n_val, 64) standardised validation digits
    y_val: np.ndarray  # (n_val,)
    history: np.ndarray  # (epochs, 4): KL weight, validation accuracy (pruned at log α > 3), sparsity, KL / N
    seconds: float


def kl_weight(epoch: int, warmup: tuple[int, int]) -> float:
    """0 before ``warmup[0]``, then linear to 1 at ``warmup[1]`` (the authors' ``rw_linear``)."""
    a, b = warmup
    if epoch < a:
        return 0.0
    return 1.0 if b <= a else min(1.0, (epoch - a) / (b - a))


def _np_forward(weights, biases, x: np.ndarray) -> np.ndarray:
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        x = x @ w.T + b
        if i < len(weights) - 1:
            x = np.maximum(x, 0)
    return x


def run_sparsevd(cfg: SparseVDConfig, *, ctx: StepContext | None = None) -> SparseVDResult:
    with engine.cpu_threads(1 if cfg.device == "cpu" else None):
        return _run_sparsevd(cfg, ctx)


def _run_sparsevd(cfg: SparseVDConfig, ctx: StepContext | None) -> SparseVDResult:
    dev = cfg.device
    split = data.digits(1197, cfg.seed, val_size=600)  # every digit not kept for validation
    xt, yt, xv, yv = (t.to(dev) for t in (split.x_train, split.y_train, split.x_val, split.y_val))
    n = len(xt)
    per_epoch = math.ceil(n / cfg.batch)
    net = SVDNet(SVD_SIZES, make_generator(cfg.seed)).to(dev)
    g_noise = engine.generator(cfg.seed + 1, dev)
    for layer in net.layers:
        layer.generator = g_noise
    sizes = SVD_SIZES
    dense = engine.build_module(lambda: nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(),
                                                      nn.Linear(sizes[1], sizes[2]), nn.ReLU(),
                                                      nn.Linear(sizes[2], sizes[3])), engine.generator(cfg.seed), dev)
    steps = cfg.epochs * per_epoch

    def schedule(opt):  # constant for the first half, then linearly to 0 (the authors' schedule, halved)
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, 2.0 * (1 - i / steps)))

    opt_d = torch.optim.Adam(dense.parameters(), lr=cfg.lr)
    sch_d = schedule(opt_d)
    opt = sch = None
    g_order = make_generator(cfg.seed + 2)
    order = torch.empty(0, dtype=torch.long)
    history: list[tuple[float, float, float, float]] = []

    def dense_step(i: int) -> float:
        nonlocal order
        b = i % per_epoch
        if b == 0:
            order = torch.randperm(n, generator=g_order).to(dev)
        idx = order[b * cfg.batch:(b + 1) * cfg.batch]
        loss = F.cross_entropy(dense(xt[idx]), yt[idx])
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        sch_d.step()
        return loss.item()

    def svd_step(i: int) -> float:
        nonlocal order, opt, sch
        epoch, b = divmod(i, per_epoch)
        if i == 0:
            if cfg.pretrained:  # θ starts at the dense baseline's weights (the paper does so for its VGG-like net)
                with torch.no_grad():
                    for layer, lin in zip(net.layers, [m for m in dense if isinstance(m, nn.Linear)], strict=True):
                        layer.theta.copy_(lin.weight)
                        layer.bias.copy_(lin.bias)
            opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
            sch = schedule(opt)
        if b == 0:
            order = torch.randperm(n, generator=g_order).to(dev)
        idx = order[b * cfg.batch:(b + 1) * cfg.batch]
        beta = cfg.kl_max * kl_weight(epoch, cfg.warmup)
        kl = net.kl()
        loss = F.cross_entropy(net(xt[idx]), yt[idx]) + beta * kl / n  # SGVLB per example: NLL + KL/N
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sch.step()
        if b == per_epoch - 1:
            net.eval()
            with torch.no_grad():
                acc = (net(xv).argmax(1) == yv).double().mean().item()
                kept = sum(int((layer.log_alpha <= bl.THRESHOLD).sum()) for layer in net.layers)
                total = sum(layer.theta.numel() for layer in net.layers)
            net.train()
            history.append((beta, acc, 1 - kept / total, kl.item() / n))
        return loss.item()

    t0 = time.perf_counter()
    engine.fit(dense_step, steps, ctx=engine.Within(ctx, 0, 2 * steps, _("dense baseline")), every=per_epoch)
    engine.fit(svd_step, steps, ctx=engine.Within(ctx, steps, 2 * steps, _("Sparse VD")), every=per_epoch)
    seconds = time.perf_counter() - t0

    def arrays(ts):
        return tuple(t.detach().cpu().numpy().copy() for t in ts)

    lin = [m for m in dense if isinstance(m, nn.Linear)]
    return SparseVDResult(cfg, arrays(layer.theta for layer in net.layers),
                          arrays(layer.log_alpha for layer in net.layers), arrays(layer.bias for layer in net.layers),
                          arrays(m.weight for m in lin), arrays(m.bias for m in lin), split.x_val.numpy(),
                          split.y_val.numpy(), np.asarray(history), seconds)


# -- a cache for the claims: one training per config per process ---------------------------------------------


@lru_cache(maxsize=16)
def cached(fn_name: str, cfg) -> object:
    """``run_<fn_name>(cfg)`` once per process (the claims of a run share trainings). Cleared by
    :func:`clear_caches` (the mutation tests do, so a patched implementation trains again)."""
    return globals()[f"run_{fn_name}"](cfg)


def clear_caches() -> None:
    cached.cache_clear()


# -- Weight normalization: plain vs WN vs WN with data-dependent init ------------------------------------------

WN_VARIANTS = ("plain", "weight norm", "weight norm + data-dependent init")


@dataclass(frozen=True)
class WeightNormConfig:
    steps: int = 300
    lr: float = 0.05  # plain SGD, no momentum: the setting where the parameterisation matters most
    depth: int = 4  # hidden tanh layers of 64
    target: float = 0.5  # training loss (cross-entropy, running mean) the step count is reported for
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self):
        _check("steps", self.steps, 50, 2000)
        _check("depth", self.depth, 1, 8)


@dataclass(frozen=True)
class WeightNormResult:
    config: WeightNormConfig
    losses: np.ndarray  # (len(WN_VARIANTS), steps) minibatch cross-entropy
    seconds: float

    def steps_to_target(self) -> tuple[int | None, ...]:
        """Per variant, the first step at which the running mean (20 steps) of the loss is below the target."""
        out = []
        for row in self.losses:
            smooth = np.convolve(row, np.ones(20) / 20, mode="valid")
            hit = np.flatnonzero(smooth < self.config.target)
            out.append(int(hit[0]) + 20 if hit.size else None)
        return tuple(out)


def _wn_net(variant: str, depth: int, x0: torch.Tensor, seed: int) -> nn.Sequential:
    g = make_generator(seed)
    sizes = (64, *[64] * depth, 10)
    mods: list[nn.Module] = []
    h = x0
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        bound = 1 / math.sqrt(a)
        if variant == "plain":
            layer = nn.Linear(a, b)
            with torch.no_grad():
                layer.weight.copy_(torch.empty(b, a).uniform_(-bound, bound, generator=g))
                layer.bias.zero_()
        else:
            layer = bl.WeightNormLinear(a, b)
            with torch.no_grad():
                layer.v.copy_(torch.empty(b, a).uniform_(-bound, bound, generator=g))
                layer.g.copy_(layer.v.norm(dim=1))  # w starts as the plain net's weights
            if variant.endswith("init"):
                h_pre = bl.data_dependent_init_(layer, h, g)
                h = torch.tanh(h_pre) if i < depth else h_pre
        mods.append(layer)
        if i < depth:
            mods.append(nn.Tanh())
    return nn.Sequential(*mods)


def run_weightnorm(cfg: WeightNormConfig, *, ctx: StepContext | None = None) -> WeightNormResult:
    split = data.digits(1197, cfg.seed, val_size=600)
    x, y = split.x_train, split.y_train
    losses = np.zeros((len(WN_VARIANTS), cfg.steps))
    t0 = time.perf_counter()
    with engine.cpu_threads(1 if cfg.device == "cpu" else None):
        for k, variant in enumerate(WN_VARIANTS):
            g_order = make_generator(cfg.seed + 2)
            net = _wn_net(variant, cfg.depth, x[:100], cfg.seed).to(cfg.device)
            opt = torch.optim.SGD(net.parameters(), lr=cfg.lr)
            xd, yd = x.to(cfg.device), y.to(cfg.device)

            def step(i: int, net=net, opt=opt, g_order=g_order, xd=xd, yd=yd) -> float:
                idx = torch.randint(0, len(xd), (100,), generator=g_order).to(cfg.device)
                loss = F.cross_entropy(net(xd[idx]), yd[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                return loss.item()

            losses[k] = engine.fit(step, cfg.steps, ctx=engine.Within(ctx, k * cfg.steps, len(WN_VARIANTS) * cfg.steps,
                                                                        _(variant)), every=25)  # N_ in figures
    return WeightNormResult(cfg, losses, time.perf_counter() - t0)
