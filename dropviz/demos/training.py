"""The computations behind the training section: the dropout mask in backprop, per-example gradients of a
minibatch, and what momentum and Adam do with a zero gradient -> frozen numpy dataclasses for the pages.

Everything uses the registry's standard dropout layer (:data:`dropviz.methods.METHODS`), so what a page shows is
what a model built from the registry does; the claims (:mod:`dropviz.claims.training`) check it against closed
forms written there.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from dropviz import masks, methods
from dropviz.i18n import N_, _


@dataclass(frozen=True)
class Backprop:
    """One linear layer z = W x, then standard dropout y = drop(z), then a loss with upstream gradient u = ∂L/∂y."""

    p: float
    x: np.ndarray  # (inputs,) the example
    z: np.ndarray  # (units,) pre-dropout activations
    y: np.ndarray  # (units,) after dropout
    mask: np.ndarray  # (units,) the layer's last_mask: 0 or 1/(1−p)
    upstream: np.ndarray  # (units,) u = ∂L/∂y
    grad_z: np.ndarray  # (units,) ∂L/∂z by autograd through the layer
    grad_w: np.ndarray  # (units, inputs) ∂L/∂W by autograd: zero rows for dropped units


def _layer(p: float, seed: int):
    return methods.get("standard").layer(p, generator=masks.make_generator(seed + 7))


def backprop(p: float = 0.3, seed: int = 0, inputs: int = 6, units: int = 10) -> Backprop:
    p = masks.check_p(p)
    g = masks.make_generator(seed)
    x = torch.randn(inputs, generator=g, dtype=torch.float64)
    w = torch.randn(units, inputs, generator=g, dtype=torch.float64).requires_grad_()
    u = torch.randn(units, generator=g, dtype=torch.float64)
    layer = _layer(p, seed).train()
    z = w @ x
    z.retain_grad()
    y = layer(z[None])[0]  # (units,): the layer sees a batch of one
    (y * u).sum().backward()  # L = u·y, so ∂L/∂y = u
    return Backprop(p, x.numpy(), z.detach().numpy(), y.detach().numpy(), layer.last_mask[0].numpy(), u.numpy(),
                    z.grad.numpy(), w.grad.numpy())


@dataclass(frozen=True)
class Minibatch:
    """A two-layer net on a minibatch, with dropout on the hidden units: per-example gradients of the first
    layer's weights, their average (the update), and one weight of a unit dropped in the next step under three
    optimisers."""

    p: float
    mask: np.ndarray  # (batch, units) the hidden mask (0 or 1/(1−p)) of step 1
    per_example: np.ndarray  # (batch, units) ‖∂L_b/∂W_row‖ for each example b and hidden unit (row of W)
    averaged: np.ndarray  # (units,) ‖∂L/∂W_row‖ of the minibatch loss L = mean_b L_b
    grad_w: np.ndarray  # (units, inputs) the averaged gradient
    unit: int  # a unit dropped in step 2 (its row's gradient is exactly zero then); -1 if none was
    g1: float  # step 1's gradient of that unit's first weight
    g2: float  # step 2's (0.0 when the unit is dropped for the whole step-2 batch)
    moves: dict[str, tuple[float, float]]  # optimiser -> (Δ at step 1, Δ at step 2) of that weight
    lr: float
    momentum: float
    betas: tuple[float, float]
    eps: float

    def table(self) -> list[dict[str, object]]:
        """One row per optimiser: how far the chosen weight moved at each step (column and optimiser names in the
        reader's language)."""
        return [{_("optimiser"): _(k), _("gradient at step 1"): _number(self.g1), _("move at step 1"): _number(d1, "+"),
                 _("gradient at step 2"): _number(self.g2), _("move at step 2"): _number(d2, "+")}
                for k, (d1, d2) in self.moves.items()]

    def no_unit_reason(self) -> str:
        """Why no step-2 example dropped a unit with a step-1 gradient (``unit == -1``), in the reader's language:
        at p = 0 and p = 1 it cannot happen at any seed, in between it is the luck of this seed's masks."""
        if self.p == 0:
            return _("At p = 0 dropout keeps every unit, so no example ever drops one and no weight's gradient is "
                     "silenced: set p above 0 to see a zero gradient.")
        if self.p == 1:
            return _("At p = 1 every example drops every unit, so every gradient is already zero at step 1 and no "
                     "optimiser has anything to remember: set p below 1 to see a zero gradient after a nonzero one.")
        return _("No later example dropped a unit with a gradient at this seed and p; try another seed.")


def _number(v: float, sign: str = "") -> str:
    """A table value to 4 significant digits; an exact zero (either sign) is written "0", never "+0" or "-0"."""
    return "0" if v == 0 else f"{v:{sign}.4g}"


OPTIMISERS = ("SGD", N_("SGD + momentum"), "Adam")
STEP2_TRIES = 50


def minibatch(p: float = 0.3, seed: int = 0, batch: int = 8, inputs: int = 5, units: int = 12, lr: float = 0.01,
              momentum: float = 0.9, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> Minibatch:
    p = masks.check_p(p)
    g = masks.make_generator(seed)
    x = torch.randn(batch, inputs, generator=g, dtype=torch.float64)
    t = torch.randn(batch, generator=g, dtype=torch.float64)
    w1 = torch.randn(units, inputs, generator=g, dtype=torch.float64).requires_grad_()
    w2 = torch.randn(units, generator=g, dtype=torch.float64)
    layer = _layer(p, seed).train()
    h = layer(x @ w1.t())  # (B, units), linear hidden units: only dropout silences one
    per_loss = (h @ w2 - t) ** 2  # (B,)
    per = torch.stack([torch.autograd.grad(per_loss[b], w1, retain_graph=True)[0] for b in range(batch)])
    per_loss.mean().backward()  # the minibatch update's gradient
    grad1 = w1.grad.detach().clone()
    mask1 = layer.last_mask.numpy()

    # step 2: a separate one-example batch (a new example, not the minibatch) through the same layer (a fresh mask)
    # that drops a unit with a step-1 gradient (a few seeded tries at most: at small p a single example may keep
    # every unit; at p = 0 none is ever dropped and at p = 1 no step-1 gradient is nonzero, so no try can succeed)
    unit, grad2 = -1, torch.zeros_like(grad1)
    for _try in range(STEP2_TRIES):
        x2 = torch.randn(1, inputs, generator=g, dtype=torch.float64)
        w1.grad = None
        ((layer(x2 @ w1.t()) @ w2 - t[:1]) ** 2).sum().backward()
        dropped2 = [j for j in range(units) if layer.last_mask[0, j] == 0 and grad1[j, 0] != 0]
        if dropped2:
            unit, grad2 = dropped2[0], w1.grad.detach().clone()
            break
    moves = {}
    if unit >= 0:
        for name in OPTIMISERS:
            moves[name] = _two_steps(name, w1.detach()[unit, 0].item(), grad1[unit, 0].item(),
                                     grad2[unit, 0].item(), lr, momentum, betas, eps)
    return Minibatch(p, mask1, per.norm(dim=2).numpy(), grad1.norm(dim=1).numpy(), grad1.numpy(), unit,
                     grad1[unit, 0].item() if unit >= 0 else float("nan"),
                     grad2[unit, 0].item() if unit >= 0 else float("nan"), moves, lr, momentum, betas, eps)


def _two_steps(name: str, w0: float, g1: float, g2: float, lr: float, momentum: float,
               betas: tuple[float, float], eps: float) -> tuple[float, float]:
    """Run torch's own optimiser for two steps on one weight with gradients g1 then g2; return both moves."""
    w = torch.tensor([w0], dtype=torch.float64, requires_grad=True)
    opt = {"SGD": lambda: torch.optim.SGD([w], lr=lr),
           "SGD + momentum": lambda: torch.optim.SGD([w], lr=lr, momentum=momentum),
           "Adam": lambda: torch.optim.Adam([w], lr=lr, betas=betas, eps=eps)}[name]()
    out = []
    for grad in (g1, g2):
        before = w.item()
        w.grad = torch.tensor([grad], dtype=torch.float64)
        opt.step()
        out.append(w.item() - before)
    return out[0], out[1]




# -- one mask per sample or one per batch -----------------------------------------------------------------

SHARING = (N_("per sample"), N_("per batch"))


@dataclass(frozen=True)
class MaskSharing:
    """Standard dropout with a mask per example vs one mask shared by the whole minibatch (Keras' ``noise_shape``
    = (1, units), Flax's ``broadcast_dims=(0,)``), and the variance of the gradient across minibatches."""

    p: float
    masks: dict[str, np.ndarray]  # sharing -> (batch, units) 0/1 keep mask of the first minibatch
    variance: dict[str, float]  # sharing -> E‖g − E g‖² over `batches` draws (the same minibatches for both)
    se: dict[str, float]  # its standard error, std(‖g − ḡ‖²)/√batches
    batches: int
    batch: int
    fixed: bool  # True: one minibatch, only the masks vary (the masks' own share of the gradient noise)

    @property
    def nothing_varies(self) -> bool:
        """p = 0 on one fixed minibatch: no mask drops anything and the minibatch is the same every draw."""
        return self.fixed and self.p == 0

    @property
    def ratio(self) -> float:
        """Per-batch ÷ per-sample variance; NaN at p = 0 on one fixed minibatch, where nothing varies and both are
        0 up to float rounding (~1e-15): the ratio would be 0/0."""
        if self.nothing_varies:
            return float("nan")
        return self.variance["per batch"] / self.variance["per sample"]


def _digits_net(units: int, seed: int):
    from torch import nn

    from dropviz.train import engine

    return engine.build_module(lambda: nn.ModuleList([nn.Linear(64, units), nn.Linear(units, 10)]),
                               engine.generator(seed))


SHARING_UNITS = 32  # hidden units of the gradient-variance MLP (64 -> 32 -> 10); the trained one is lab.SharingConfig


def mask_sharing(p: float = 0.5, seed: int = 0, batch: int = 32, units: int = SHARING_UNITS, batches: int = 200,
                 fixed: bool = False) -> MaskSharing:
    """The gradient of a small digits MLP (64 -> units -> 10, dropout on the hidden layer) at its initial weights,
    over the same ``batches`` random minibatches, with a per-example mask (the registry's standard dropout layer)
    and with one mask per minibatch (a (1, units) Bernoulli mask broadcast over the batch). ``fixed``: the same
    minibatch every time, so the variance is the masks' alone."""
    import torch.nn.functional as F

    from dropviz import data

    p = masks.check_p(p)
    split = data.digits(300, seed)
    net = _digits_net(units, seed)
    params = list(net.parameters())
    out_masks, out_var, out_se = {}, {}, {}
    for mode in SHARING:
        g_batch, g_mask = masks.make_generator(seed + 5), masks.make_generator(seed + 6)
        layer = methods.get("standard").layer(p, generator=g_mask).train()
        grads = []
        for k in range(batches):
            if k == 0 or not fixed:
                idx = torch.randint(0, len(split.y_train), (batch,), generator=g_batch)
            h = torch.relu(net[0](split.x_train[idx]))  # (B, units)
            if mode == "per sample":
                hd, m = layer(h), layer.last_mask
            else:
                m = masks.bernoulli_mask((1, units), p, generator=g_mask)  # (1, units): every example shares it
                hd = h * m
            loss = F.cross_entropy(net[1](hd), split.y_train[idx])
            grads.append(torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)]))
            if k == 0:
                out_masks[mode] = (m.expand(batch, units) != 0).float().numpy()
        gs = torch.stack(grads)  # (batches, n_params)
        d = ((gs - gs.mean(0)) ** 2).sum(1)  # (batches,)
        out_var[mode], out_se[mode] = float(d.mean()), float(d.std() / math.sqrt(batches))
    return MaskSharing(p, out_masks, out_var, out_se, batches, batch, fixed)


# -- dropout before BatchNorm: the variance shift ----------------------------------------------------------


@dataclass(frozen=True)
class VarianceShift:
    """The input of a BatchNorm placed after dropout: its variance in training (dropout on) and at test (off)."""

    p: float
    mean_sq: float  # mean over units of E[x_j]², the activations fed to dropout
    var: float  # mean over units of Var[x_j]
    train_var: float  # variance of dropout(x) over the batch, measured
    test_var: float  # variance of x itself (dropout is the identity at test), measured
    chunks: np.ndarray  # (n_chunks,) test/train ratio per chunk of the batch (for a standard error)

    @property
    def ratio(self) -> float:
        """Test ÷ training variance; NaN at p = 1, where training drops everything (variance 0)."""
        return self.test_var / self.train_var if self.train_var > 0 else float("nan")

    @property
    def predicted_ratio(self) -> float:
        """(1−p)σ²/(σ² + pμ²) with σ², μ² averaged over units: dropout's training variance is (σ² + pμ²)/(1−p)
        per unit (linear in σ² and μ², so the averages give the ratio of the averaged variances)."""
        return (1 - self.p) * self.var / (self.var + self.p * self.mean_sq)


def variance_shift(p: float = 0.5, seed: int = 0, batch: int = 4096, units: int = 64, chunks: int = 16
                   ) -> VarianceShift:
    """ReLU activations of a random linear layer on digits-sized Gaussian inputs, through the registry's standard
    dropout layer: what a BatchNorm1d right after it would normalise with, in training and at test."""
    p = masks.check_p(p)
    g = masks.make_generator(seed)
    w = torch.randn(64, units, generator=g, dtype=torch.float64) / 8
    x = torch.relu(torch.randn(batch, 64, generator=g, dtype=torch.float64) @ w)  # (B, units), mean > 0
    layer = _layer(p, seed).train()
    y = layer(x)
    per = [x_c.var(0, unbiased=False).mean() / y_c.var(0, unbiased=False).mean()
           for x_c, y_c in zip(x.chunk(chunks), y.chunk(chunks), strict=True)]
    return VarianceShift(p, float((x.mean(0) ** 2).mean()), float(x.var(0, unbiased=False).mean()),
                         float(y.var(0, unbiased=False).mean()), float(x.var(0, unbiased=False).mean()),
                         torch.stack(per).numpy())


# -- what your framework's dropout does: torch's own layers, run now ---------------------------------------

_GLOBAL_RNG = threading.Lock()  # torch's dropout layers draw from the global RNG: one session at a time in it


@contextmanager
def _torch_global_rng(seed: int):
    """Seed torch's global RNG for the block and restore its state after (nn.Dropout, F.dropout and nn.LSTM take
    no generator); the lock keeps two sessions from interleaving their seeding."""
    with _GLOBAL_RNG, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@dataclass(frozen=True)
class TorchCall:
    """One torch dropout call run now in training mode on a positive input, and in eval mode."""

    key: str  # dropviz.frameworks.FrameworkCall.live
    call: str
    keep_rate: float  # fraction of values kept (nonzero) in training
    draws: int  # independent keep/drop draws behind keep_rate: elements (nn.Dropout) or (example, channel) maps
    kept_scale: float  # kept output ÷ input (1/(1−p) for inverted dropout); the mean over kept values
    whole_channels: float  # fraction of (example, channel) maps entirely kept or entirely dropped (1.0 = shared)
    eval_keep_rate: float  # fraction kept after .eval() (1.0 for a layer that is off; F.dropout keeps dropping)
    eval_identity: bool  # after .eval() (F.dropout: inside an eval()'d module, training left at its default)

    def keep_se(self, p: float) -> float:
        """The binomial standard error of keep_rate around 1−p: sqrt(p(1−p)/draws)."""
        return math.sqrt(p * (1 - p) / self.draws)

    def row(self, p: float) -> dict[str, object]:
        """The page's row for this call, in the reader's language (the math columns stay as they are). The
        headers say the mode: every train() number, then what is left after eval()."""
        keep = _("{kept} (1−p = {q} ± {se})").format(kept=f"{self.keep_rate:.4f}", q=f"{1 - p:g}",
                                                    se=f"{self.keep_se(p):.2g}")
        return {_("call"): _(self.call), _("train(): kept fraction"): keep,
                _("train(): kept ÷ input"): round(self.kept_scale, 4),
                "1/(1 − p)": round(1 / (1 - p), 4) if p < 1 else None,
                _("train(): whole maps"): f"{self.whole_channels:.0%}",
                _("eval(): kept fraction"): round(self.eval_keep_rate, 4),
                _("eval(): identity"): _("yes") if self.eval_identity else _("no")}


class _Functional(torch.nn.Module):
    """A module written the way people copy it: F.dropout without training=self.training."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x):
        import torch.nn.functional as F

        return F.dropout(x, self.p)


def torch_calls(p: float = 0.3, seed: int = 0, batch: int = 32, channels: int = 16, size: int = 8
                ) -> tuple[TorchCall, ...]:
    """nn.Dropout, F.dropout and nn.Dropout2d on a positive (batch, channels, size, size) input, torch's own code."""
    p = masks.check_p(p)
    x = 0.5 + torch.rand(batch, channels, size, size, generator=masks.make_generator(seed), dtype=torch.float64)
    out = []
    mods = {"dropout": ("nn.Dropout(p)", torch.nn.Dropout(p)),
            "functional": (N_("F.dropout(x, p) in forward()"), _Functional(p)),
            "dropout2d": ("nn.Dropout2d(p)", torch.nn.Dropout2d(p))}
    with _torch_global_rng(seed):
        for key, (call, mod) in mods.items():
            y = mod.train()(x)
            kept = y != 0
            per_map = kept.flatten(2).double().mean(2)  # (B, C) fraction kept within each map
            with torch.no_grad():
                y_eval = mod.eval()(x)
            draws = batch * channels * (1 if key == "dropout2d" else size * size)  # one draw per map or element
            out.append(TorchCall(key, call, kept.double().mean().item(), draws,
                                 (y[kept] / x[kept]).mean().item() if kept.any() else float("nan"),
                                 ((per_map == 0) | (per_map == 1)).double().mean().item(),
                                 (y_eval != 0).double().mean().item(), bool(torch.equal(y_eval, x))))
    return tuple(out)


LSTM_UNITS = 8  # hidden units of the 2-layer LSTM whose masks are recovered (2^8 patterns tried per step)
# the page's run: time steps × sequences (the frameworks claim's quick size too, so the page's numbers are one run)
LSTM_STEPS, LSTM_BATCH = 24, 4


@dataclass(frozen=True)
class LstmMasks:
    """``nn.LSTM(num_layers=2, dropout=p)`` in train mode: the between-layer keep masks recovered from its outputs
    (:func:`dropviz.frameworks.recover_lstm_masks`), beside DropViz's variational schedule at the same p."""

    p: float
    torch_mask: np.ndarray  # (T, B, H) 0/1: what torch kept between layer 1 and layer 2
    residual: float  # the largest recovery residual (how exactly the chosen masks reproduce torch's output)
    variational: np.ndarray  # (T, B, H) 0/1: masks.variational_schedule's mask on h_{t−1}, same shape

    @staticmethod
    def change_rate(m: np.ndarray) -> float:
        """Fraction of (example, unit) positions whose mask differs from the previous step: 2p(1−p) for fresh
        independent masks, 0 for one mask per sequence."""
        return float((m[1:] != m[:-1]).mean())

    @property
    def steps(self) -> int:
        return self.torch_mask.shape[0]

    @property
    def batch(self) -> int:
        """Sequences in the run."""
        return self.torch_mask.shape[1]

    @property
    def exact(self) -> bool:
        """Whether the recovered masks reproduce torch's output bit for bit (residual exactly 0)."""
        return self.residual == 0.0


def lstm_setup(p: float, seed: int, steps: int, batch: int, dtype=torch.float64):
    """The seeded 2-layer LSTM (input size = hidden size = LSTM_UNITS) and its input (steps, batch, LSTM_UNITS)."""
    g = masks.make_generator(seed)
    lstm = torch.nn.LSTM(LSTM_UNITS, LSTM_UNITS, num_layers=2, dropout=p).to(dtype)
    with torch.no_grad():
        for w in lstm.parameters():
            w.copy_(torch.rand(w.shape, generator=g, dtype=dtype) * 1.6 - 0.8)  # U(-0.8, 0.8): lively gates
    x = torch.randn(steps, batch, LSTM_UNITS, generator=g, dtype=dtype)
    return lstm, x


def run_torch_lstm(lstm, x, seed: int):
    """torch's 2-layer LSTM in train mode, its dropout drawn from the global RNG seeded with ``seed`` (restored)."""
    with _torch_global_rng(seed), torch.no_grad():
        out, _ = lstm.train()(x)
    return out


def lstm_masks(p: float = 0.3, seed: int = 0, steps: int = LSTM_STEPS, batch: int = LSTM_BATCH) -> LstmMasks:
    from dropviz import frameworks

    p = masks.check_p(p)
    if p == 1.0:
        raise ValueError("p = 1 drops every unit between the layers: nothing to recover")
    lstm, x = lstm_setup(p, seed, steps, batch)
    out = run_torch_lstm(lstm, x, seed)
    got, residual = frameworks.recover_lstm_masks(lstm, x, out)
    var = masks.variational_schedule(steps, batch, LSTM_UNITS, LSTM_UNITS, p, generator=masks.make_generator(seed))
    return LstmMasks(p, got.numpy(), float(residual.max()), (var.h != 0).double().numpy())
