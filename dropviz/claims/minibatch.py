"""Claims of "one mask per sample or per batch": a mask shared by the minibatch leaves the gradient noisier.

Reference: the same network, the same minibatch and the same gradient code, with the mask drawn per example (the
registry's standard dropout layer) vs once per batch; the test is a ratio of two measured variances against 1,
with its standard error (delta method), never a number from the code under test.
"""

from __future__ import annotations

import math

from dropviz import masks
from dropviz.claims.backprop import SHARED
from dropviz.claims.core import Measurement, Phrase, claim, not_applicable
from dropviz.demos import training as demo
from dropviz.i18n import N_

Z = 5.0


@claim(
    "minibatch.shared_mask_higher_grad_variance",
    N_("One dropout mask shared by the whole minibatch makes the gradient noisier than a mask per example: on the "
       "same minibatch, the variance of the gradient over mask draws is higher with the shared mask."),
    mutations=(SHARED,),
    measures=N_("gradient variance with one mask per batch ÷ with one mask per example"))
def shared_mask_higher_grad_variance(*, quick: bool = False, p: float = 0.5, seed: int = 0,
                                     batch: int = 32) -> Measurement:
    p = masks.check_p(p)
    if p in (0.0, 1.0):
        return not_applicable(N_("at p = 0 every mask is all ones: nothing varies") if p == 0
                              else N_("at p = 1 every mask is all zeros: nothing varies"))
    if p < 0.1:  # so few drops that the shared mask's heavy-tailed noise needs thousands of draws to pin down
        return not_applicable(Phrase(N_("p = {p:g}: too few drops to measure the variance ratio within the draws "
                                        "allowed"),
                                     p=p))
    if batch < 2:
        return not_applicable(N_("a batch of one example has nothing to share"))
    m = demo.mask_sharing(p, seed, batch=batch, batches=200 if quick else 600, fixed=True)
    a, b = m.variance["per sample"], m.variance["per batch"]
    se = m.ratio * math.hypot(m.se["per sample"] / a, m.se["per batch"] / b)  # delta method on b / a
    return Measurement(
        m.ratio - 1 > Z * se,
        m.ratio,
        Phrase(N_("one minibatch of {batch} digits, {batches} mask draws each: E‖g − ḡ‖² = {b:.4g} with one mask "
                  "per batch vs {a:.4g} with one per example; ratio {ratio:.3f} ± {se:.3f} must exceed 1 by "
                  "{Z:g} standard errors"),
               batch=batch, batches=m.batches, b=b, a=a, ratio=m.ratio, se=se, Z=Z),
    )
