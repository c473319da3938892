"""Claims of "where to put dropout": dropout right before BatchNorm shifts the variance BN sees between training
and test.

Derivation (written here, the reference): y = x·m with m = 1[kept]/(1−p), independent of x. Per unit,
E[y] = E[x] = μ and E[y²] = E[x²]/(1−p) = (σ² + μ²)/(1−p), so Var_train = (σ² + μ²)/(1−p) − μ² = (σ² + pμ²)/(1−p),
while at test y = x and Var_test = σ². Averaged over units, test/train = (1−p)·⟨σ²⟩ / (⟨σ²⟩ + p·⟨μ²⟩):
1−p only for centred activations; post-ReLU ones (μ > 0) shift more.
"""

from __future__ import annotations

import math

import numpy as np

from dropviz import masks
from dropviz.claims.core import Measurement, Mutation, Phrase, claim, not_applicable
from dropviz.claims.dense import KEEP_WITH_P, P
from dropviz.demos import training as demo
from dropviz.i18n import N_

Z = 5.0


def _classic_scaling(original):
    """Dropout that forgets the 1/(1−p) rescale in training (kept values hold 1)."""

    def broken(shape, p, **kw):
        return original(shape, p, **{**kw, "inverted": False})

    return broken


@claim(
    "placement.bn_variance_shift",
    N_("Dropout right before BatchNorm: the variance of BN's input at test time over its variance in training is "
       "(1−p)·σ² / (σ² + p·μ²) (σ², μ: the activations' variance and mean), so BN's running statistics, gathered "
       "with dropout on, do not fit test time."),
    # At p = 0.5 the ratio is symmetric in p and 1 − p (σ²/(2σ² + μ²) either way), so the claim runs at P = 0.3,
    # where a keep/drop swap gives 0.3σ²/(σ² + 0.7μ²) instead of 0.7σ²/(σ² + 0.3μ²).
    mutations=(Mutation("no 1/(1−p) in training", "dropviz.masks.dense:bernoulli_mask", _classic_scaling),
               KEEP_WITH_P),
    measures=N_("the BatchNorm input's test-time variance ÷ its training variance"))
def bn_variance_shift(*, quick: bool = False, p: float = P, seed: int = 0) -> Measurement:
    p = masks.check_p(p)
    if p in (0.0, 1.0):
        return not_applicable(N_("at p = 0 nothing is dropped: no ratio to compare") if p == 0
                              else N_("at p = 1 every value is 0 in training: no ratio to compare"))
    v = demo.variance_shift(p, seed, batch=4096 if quick else 32768)
    want = (1 - p) * v.var / (v.var + p * v.mean_sq)
    se = float(np.std(v.chunks) / math.sqrt(len(v.chunks)))
    return Measurement(
        abs(v.ratio - want) <= Z * se,
        v.ratio,
        Phrase(N_("post-ReLU activations (⟨σ²⟩ = {var:.4g}, ⟨μ²⟩ = {mean_sq:.4g}): test/train variance "
                  "{ratio:.4f} vs (1−p)σ²/(σ²+pμ²) = {want:.4f} (1−p = {keep:.4g}); within {Z:g} standard errors "
                  "({se:.2g}, from {n_chunks} chunks of the batch)"),
               var=v.var, mean_sq=v.mean_sq, ratio=v.ratio, want=want, keep=1 - p, Z=Z, se=se, n_chunks=len(v.chunks)),
    )
