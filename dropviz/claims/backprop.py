"""Claims of "the mask in backprop": the forward mask is the backward mask, a minibatch update still moves the
weights of a unit dropped for some examples, and momentum/Adam move a weight whose gradient is zero.

References are closed forms written here: 1[kept] ⊙ upstream / (1−p) with 1[kept] read back from the layer's output,
∂L/∂W = (∂L/∂z) xᵀ, and torch's SGD-momentum and Adam update rules written out.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from dropviz import masks
from dropviz.claims.core import Measurement, Mutation, Phrase, claim, not_applicable
from dropviz.demos import training as demo
from dropviz.i18n import N_

# -- mutations: deliberately broken implementations the claims below must catch -----------------------------


def _fresh_mask_in_backward(original):
    """Dropout whose forward value is right but whose gradient flows through a second, fresh mask."""

    def broken(x, p, *, inverted=True, generator=None):
        out, m = original(x, p, inverted=inverted, generator=generator)
        m2 = original(torch.ones_like(x), p, inverted=inverted, generator=generator)[1]
        return x * m2 + (out - x * m2).detach(), m

    return broken


def _unscaled_backward(original):
    """Dropout whose gradient is the 0/1 mask ⊙ upstream (the 1/(1−p) is missing from backprop)."""

    def broken(x, p, *, inverted=True, generator=None):
        out, m = original(x, p, inverted=inverted, generator=generator)
        keep = (m != 0).to(x.dtype)
        return x * keep + (out - x * keep).detach(), m

    return broken


def _one_mask_per_batch(original):
    """A Bernoulli mask drawn once for the whole batch (dim 0) and shared by every example."""

    def broken(shape, p, **kw):
        shape = tuple(shape)
        return original((1, *shape[1:]), p, **kw).expand(shape).clone() if len(shape) > 1 else original(shape, p, **kw)

    return broken


SHARED = Mutation("one mask per batch", "dropviz.masks.dense:bernoulli_mask", _one_mask_per_batch)


# -- the mask in backprop ---------------------------------------------------------------------------------


@claim(
    "backprop.same_mask_forward_backward",
    N_("Backprop uses the forward pass's mask: autograd's ∂L/∂z through the dropout layer equals "
       "1[kept] ⊙ upstream / (1−p) = m ⊙ upstream, with 1[kept] read back from the layer's output, and every "
       "weight into a dropped unit gets exactly zero gradient (its column of ∂L/∂W, drawn one column per hidden "
       "unit, is zero)."),
    mutations=(Mutation("a fresh mask in backward", "dropviz.layers.dense:dropout", _fresh_mask_in_backward),
               Mutation("backward without 1/(1−p)", "dropviz.layers.dense:dropout", _unscaled_backward)),
    measures=N_("largest difference between autograd's gradient and 1[kept] ⊙ upstream / (1−p)"))
def same_mask_forward_backward(*, quick: bool = False, p: float = 0.3, seed: int = 0) -> Measurement:
    p = masks.check_p(p)
    if p in (0.0, 1.0):
        return not_applicable(N_("at p = 0 nothing is dropped: no mask to follow") if p == 0
                              else N_("at p = 1 nothing is kept: no mask to follow"))
    b = demo.backprop(p, seed, inputs=6, units=200 if quick else 5000)
    kept = (b.y != 0) & (b.z != 0)  # the mask as the output shows it (z ≠ 0 almost surely)
    ref = np.where(kept, b.upstream / (1 - p), 0.0)  # closed form: ∂L/∂z = 1[kept] · u / (1−p)
    err_z = float(np.abs(b.grad_z - ref).max())
    err_w = float(np.abs(b.grad_w - np.outer(ref, b.x)).max())  # ∂L/∂W = (∂L/∂z) xᵀ
    err_y = float(np.abs(b.y - np.where(kept, b.z / (1 - p), 0.0)).max())  # the forward used that mask too
    err = max(err_z, err_w, err_y)
    tol = 1e-9 * max(1.0, float(np.abs(ref).max()) * float(np.abs(b.x).max()))
    return Measurement(
        err <= tol and 0 < kept.sum() < kept.size,
        err,
        Phrase(N_("{size:,} units, {n_dropped:,} dropped: max |autograd − 1[kept]·u/(1−p)| = {err_z:.2g} on "
                  "∂L/∂z, {err_w:.2g} on ∂L/∂W, and the forward y vs 1[kept]·z/(1−p) {err_y:.2g} (tolerance "
                  "{tol:.1g}, float64 rounding)"),
               size=kept.size, n_dropped=int((~kept).sum()), err_z=err_z, err_w=err_w, err_y=err_y, tol=tol),
    )


@claim(
    "backprop.minibatch_update_nonzero",
    N_("In a minibatch the update is the average of per-example gradients, so a unit dropped for one example still "
       "has its weights updated (by the examples that kept it); and while plain SGD leaves a weight alone when its "
       "gradient is zero, momentum and Adam still move it by their closed-form amounts."),
    mutations=(SHARED,),
    measures=N_("fraction of partly dropped units whose weights still move"))
def minibatch_update_nonzero(*, quick: bool = False, p: float = 0.3, seed: int = 0) -> Measurement:
    p = masks.check_p(p)
    if p == 0:
        return not_applicable(N_("at p = 0 no unit is ever dropped, so no unit is both dropped and kept"))
    if p == 1:
        return not_applicable(N_("at p = 1 every unit is dropped for every example, so no unit is both dropped "
                                 "and kept"))
    if not 0.05 <= p <= 0.95:
        return not_applicable(Phrase(N_("p = {p:g}: almost no unit is both dropped and kept within one minibatch"),
                                     p=p))
    m = demo.minibatch(p, seed, batch=16, units=64)
    dropped, kept = m.mask == 0, m.mask != 0  # (B, units)
    mixed = dropped.any(0) & kept.any(0)  # dropped for some example, kept for another
    moved = mixed & (m.averaged > 0)
    silent_ok = bool(np.all(m.per_example[dropped] == 0))  # a dropped unit's per-example gradient is exactly 0
    all_dropped_ok = bool(np.all(m.averaged[dropped.all(0)] == 0))
    frac = moved.sum() / mixed.sum() if mixed.any() else 0.0
    if m.unit < 0:
        return Measurement(False, frac, N_("no step-2 example dropped a unit with a step-1 gradient"))
    lr, mu, (b1, b2), eps, g1 = m.lr, m.momentum, m.betas, m.eps, m.g1
    # torch's rules written out, with g2 = 0 at step 2:
    #   momentum: buf₂ = μ·g1 + 0 -> Δ₂ = −lr·μ·g1
    #   Adam: m₂ = β1(1−β1)g1, v₂ = β2(1−β2)g1²; Δ₂ = −lr · (m₂/(1−β1²)) / (√(v₂/(1−β2²)) + ε)
    want = {"SGD": 0.0, "SGD + momentum": -lr * mu * g1,
            "Adam": -lr * (b1 * (1 - b1) * g1 / (1 - b1**2)) / (math.sqrt(b2 * (1 - b2) * g1**2 / (1 - b2**2)) + eps)}
    got = {k: v[1] for k, v in m.moves.items()}
    rel = max(abs(got[k] - want[k]) / max(abs(want[k]), 1e-300) for k in ("SGD + momentum", "Adam"))
    optimisers_ok = got["SGD"] == 0.0 and m.g2 == 0.0 and rel < 1e-6 and got["Adam"] != 0 and got["SGD + momentum"] != 0
    return Measurement(
        bool(mixed.any()) and frac == 1.0 and silent_ok and all_dropped_ok and optimisers_ok,
        float(frac),
        Phrase(N_("{n_mixed} of 64 hidden units dropped for some of the 16 examples and kept for others; "
                  "{n_moved} of them get a nonzero averaged update (must be all); per-example gradients of "
                  "dropped units exactly 0: {silent_ok}. A weight with gradient {g1:.3g} then 0: Δ at step 2 = "
                  "{got_sgd:.3g} (SGD), {got_momentum:.4g} (momentum, closed form {want_momentum:.4g}), "
                  "{got_adam:.4g} (Adam, closed form {want_adam:.4g}); relative error {rel:.1g} (< 1e-6)"),
               n_mixed=int(mixed.sum()), n_moved=int(moved.sum()), silent_ok=silent_ok, g1=g1, got_sgd=got['SGD'],
               got_momentum=got['SGD + momentum'], want_momentum=want['SGD + momentum'], got_adam=got['Adam'],
               want_adam=want['Adam'], rel=rel),
    )
