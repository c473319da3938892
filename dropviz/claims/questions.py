"""Predict, then reveal: the questions a class answers before a claim's live number appears.

One registry beside the claims: each :class:`Question` names the claim whose measurement is its answer, so the
claims panel (``ui.show_claims`` / ``ui.show_claim_results``) asks it in place of that claim and reveals the claim,
its measured value and how far off the guess was only after the guess is committed. A guess is either a number
(a slider; right when within ``tolerance`` of the measured value) or one of ``options`` (right when it is the
option :meth:`Question.answer` reads off the measurement). ``reason`` is the one line a wrong guess gets.
Tests check every question names a registered claim and every page with claims asks at least one.

Prompts, reasons and options are English constants marked with ``N_``; a page shows them translated (``text``,
``shown_reason``, ``shown_option``) while guesses and answers stay the English option, so grading never depends on
the language.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Callable

from dropviz.claims.core import ClaimResult, number
from dropviz.i18n import N_, _


@dataclass(frozen=True)
class Question:
    claim: str  # the claim id whose measurement answers it
    prompt: str  # may name the page's parameters: "{p}" (formatted with the page's values); marked N_
    reason: str  # one line: why the measured value is what it is (shown after a wrong guess)
    # a number guess: slider bounds and the distance from the measured value that still counts as right
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.05
    tolerance: float = 0.05
    # a choice guess: the options and how the measurement picks the right one
    options: tuple[str, ...] = ()
    pick: Callable[[ClaimResult], str] | None = None

    @property
    def is_choice(self) -> bool:
        return bool(self.options)

    def text(self, params: dict | None = None) -> str:
        """The prompt in the current language with the page's parameters filled in (numbers as the locale writes
        them); a parameter the page did not pass stays a name."""
        names = {f for _l, f, _s, _c in string.Formatter().parse(self.prompt) if f}
        values = {n: (number(params[n], "g") if isinstance(params.get(n), float) else params[n])
                  for n in names if params and n in params}
        return _(self.prompt).format(**{n: values.get(n, n) for n in names})

    def shown_reason(self) -> str:
        return _(self.reason)

    @staticmethod
    def shown_option(option: str) -> str:
        """An option (an English constant: what guesses and answers hold) as the current language words it."""
        return _(option)

    def answer(self, result: ClaimResult) -> str | float:
        """The right answer, read off the live measurement: the value itself, or the option it picks."""
        return self.pick(result) if self.pick is not None else result.value

    def grade(self, guess, result: ClaimResult) -> tuple[bool, float | None]:
        """(right?, how far off): for a number the absolute distance to the measured value."""
        if self.is_choice:
            return guess == self.answer(result), None
        off = abs(float(guess) - result.value)
        return off <= self.tolerance, off


def _holds(yes: str, no: str) -> Callable[[ClaimResult], str]:
    return lambda r: yes if r.passed else no


QUESTIONS: dict[str, Question] = {q.claim: q for q in (
    Question("standard.keep_rate", N_("At p = {p}, what fraction of the hidden units survives one mask?"),
             N_("p is the DROP probability: each unit survives with probability 1 − p, independently.")),
    Question("gaussian.std_matches", N_("Gaussian dropout at p = {p}: what is the standard deviation of its noise?"),
             N_("It matches inverted Bernoulli dropout's variance p/(1−p), so the std is √(p/(1−p)), not p(1−p)."),
             lo=0.0, hi=3.0, step=0.05, tolerance=0.1),
    Question("dropconnect.gaussian_inference_beats_weight_scaling",
             N_("Which test-time rule lands closer to the average of the training layer's outputs?"),
             N_("Weight scaling pushes the mean through the ReLU as if it were linear; moment matching samples the "
                "pre-activation's Gaussian, so it follows the nonlinearity."),
             options=(N_("weight scaling (× (1 − p))"), N_("Gaussian moment matching"), N_("they tie")),
             pick=_holds(N_("Gaussian moment matching"), N_("weight scaling (× (1 − p))"))),
    Question("standout.keep_prob_increases_with_drive",
             N_("In a standout layer, is a unit with a larger input z kept more or less often?"),
             N_("Standout keeps a unit with probability σ(α·z + β·Σa), which grows with z for α > 0."),
             options=(N_("more often"), N_("less often"), N_("just as often")),
             pick=lambda r: N_("more often") if r.value > 0 else N_("less often")),
    Question("pixel.less_information_removed_than_blocks",
             N_("Dropping the same fraction of the picture, which method removes the least information (the best "
                "PSNR after inpainting)?"),
             N_("Neighbouring pixels are nearly identical, so a single dropped pixel is filled from its neighbours; "
                "a dropped region has no neighbours inside it."),
             options=(N_("pixel dropout"), N_("Cutout"), N_("DropBlock")),
             pick=lambda r: N_("pixel dropout") if r.value > 0 else N_("Cutout")),
    Question("maxpool.pwp_matches_training_expectation",
             N_("Which test-time pooling rule matches the average of max-pooling dropout's training outputs?"),
             N_("In training the i-th largest value wins with probability q(1−q)^(n−i); probabilistic weighted "
                "pooling averages with exactly those weights, max and scaled max do not."),
             options=(N_("plain max"), N_("scaled max (× (1 − p))"), N_("probabilistic weighted pooling")),
             pick=_holds(N_("probabilistic weighted pooling"), N_("plain max"))),
    Question("dropblock.actual_rate_below_nominal",
             N_("DropBlock at nominal p = {p} with blocks of {block_size}: what fraction of the values does it "
                "actually drop?"),
             N_("Blocks overlap and are clipped at the border, so DropBlock drops less than the nominal p."),
             tolerance=0.03, step=0.01),
    Question("rnn.per_sequence_masks_constant",
             N_("Variational (Gal) dropout on a sequence: how often does a unit's mask change from one time step to "
                "the next?"),
             N_("Gal's variational dropout draws one mask per sequence and reuses it at every time step."),
             options=(N_("never: one mask per sequence"), N_("at every step, independently"), N_("every few steps")),
             pick=_holds(N_("never: one mask per sequence"), N_("at every step, independently"))),
    Question("rnn.naive_dropout_forgets",
             N_("Trained with its masks on, does naive dropout (a fresh mask on the state at every step) recall "
                "long lags as well as short ones?"),
             N_("A fresh mask on the recurrent state at every step multiplies the memory by new noise each step, "
                "so what it stored long ago fades."),
             options=(N_("worse at long lags"), N_("just as well"), N_("better at long lags")),
             pick=_holds(N_("worse at long lags"), N_("just as well"))),
    Question("training.dropout_reduces_overfitting",
             N_("With a small training set, does dropout lower the best validation loss?"),
             N_("With few examples the network memorises them; dropout's noise keeps it from relying on any one "
                "unit, so it fits the training set less and generalises better."),
             options=(N_("yes, lower"), N_("no difference"), N_("no, higher")),
             pick=_holds(N_("yes, lower"), N_("no, higher"))),
    Question("backprop.same_mask_forward_backward",
             N_("In the backward pass, which hidden units get a zero gradient?"),
             N_("Autograd multiplies the upstream gradient by the forward pass's own mask m = 1[kept]/(1−p): the "
                "units dropped going forward get exactly zero going back."),
             options=(N_("those dropped in the forward pass"), N_("a fresh random set"), N_("none of them")),
             pick=_holds(N_("those dropped in the forward pass"), N_("a fresh random set"))),
    Question("minibatch.shared_mask_higher_grad_variance",
             N_("One mask shared by the whole minibatch vs one mask per example: how many times the gradient "
                "variance does the shared mask give?"),
             N_("With one mask per example the mask noise averages out over the batch; a shared mask's does not."),
             lo=0.0, hi=5.0, step=0.1, tolerance=0.3),
    Question("placement.bn_variance_shift",
             N_("Dropout (p = {p}) right before BatchNorm: what is the test-time variance of BN's input, as a "
                "fraction of its training variance?"),
             N_("Dropout adds variance in training, which BN's running statistics store; at test time the input is "
                "quieter: (1−p)σ²/(σ²+pμ²) of it."),
             lo=0.0, hi=1.5, step=0.05, tolerance=0.05),
    Question("frameworks.torch_lstm_dropout_not_variational",
             N_("A 2-layer nn.LSTM(dropout={p}) in training: how often does the mask between its layers change from "
                "one time step to the next?"),
             N_("torch applies F.dropout to layer 1's whole output sequence at once, so every time step gets a fresh "
                "mask; variational dropout would reuse one mask for the whole sequence."),
             options=(N_("at every step, independently"), N_("never: one mask per sequence"), N_("every few steps")),
             pick=lambda r: N_("at every step, independently") if r.value > 0 else N_("never: one mask per sequence")),
    Question("mc.uncertainty_higher_off_data",
             N_("Dropout kept on at test time: where is the spread of the T stochastic predictions widest?"),
             N_("Where there was training data the sub-networks agree, because each was fitted there; in the gap "
                "nothing tied them down, so they disagree."),
             options=(N_("in the gap, where there is no data"), N_("on the training data"), N_("the same everywhere")),
             pick=lambda r: N_("in the gap, where there is no data") if r.value > 1 else N_("on the training data")),
    Question("sparsevd.prunes_most_weights",
             N_("Sparse variational dropout on the digits MLP: what fraction of its weights ends with log α > 3 "
                "(pruned)?"),
             N_("The KL term pushes every weight's noise up unless the data needs that weight; in a small net on a "
                "small task most weights are not needed, so most of them end up as pure noise and are removed."),
             lo=0.0, hi=1.0, step=0.01, tolerance=0.05),
    Question("weightnorm.grad_v_orthogonal",
             N_("Weight normalization, w = g·v/‖v‖: what is the angle between the gradient ∇_v L and v?"),
             N_("w does not change when v is scaled, so the loss has no slope along v: "
                "∇_v L = (g/‖v‖)·(I − wwᵀ/g²)∇_w L is always perpendicular to v."),
             options=(N_("90°: always perpendicular"), N_("0°: along v"), N_("it depends on the loss")),
             pick=_holds(N_("90°: always perpendicular"), N_("it depends on the loss"))),
)}



def for_claim(claim_id: str) -> Question | None:
    return QUESTIONS.get(claim_id)
