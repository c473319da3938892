"""Predict, then reveal: the questions a class answers before a claim's live number appears.

One registry beside the claims: each :class:`Question` names the claim whose measurement is its answer, so the
claims panel (``ui.show_claims`` / ``ui.show_claim_results``) asks it in place of that claim and reveals the claim,
its measured value and how far off the guess was only after the guess is committed. A guess is either a number
(a slider; right when within ``tolerance`` of the measured value) or one of ``options`` (right when it is the
option :meth:`Question.answer` reads off the measurement). ``reason`` is the one line a wrong guess gets.
Tests check every question names a registered claim and every page with claims asks at least one.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Callable

from dropviz.claims.core import ClaimResult


@dataclass(frozen=True)
class Question:
    claim: str  # the claim id whose measurement answers it
    prompt: str  # may name the page's parameters: "{p}" (formatted with the page's values)
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
        """The prompt with the page's parameters filled in; a parameter the page did not pass stays a name."""
        names = {f for _, f, _, _ in string.Formatter().parse(self.prompt) if f}
        values = {n: (f"{params[n]:g}" if isinstance(params.get(n), float) else params[n])
                  for n in names if params and n in params}
        return self.prompt.format(**{n: values.get(n, n) for n in names})

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
    Question("standard.keep_rate", "At p = {p}, what fraction of the hidden units survives one mask?",
             "p is the DROP probability: each unit survives with probability 1 − p, independently."),
    Question("gaussian.std_matches", "Gaussian dropout at p = {p}: what is the standard deviation of its noise?",
             "It matches inverted Bernoulli dropout's variance p/(1−p), so the std is √(p/(1−p)), not p(1−p).",
             lo=0.0, hi=3.0, step=0.05, tolerance=0.1),
    Question("dropconnect.gaussian_inference_beats_weight_scaling",
             "Which test-time rule lands closer to the average of the training layer's outputs?",
             "Weight scaling pushes the mean through the ReLU as if it were linear; moment matching samples the "
             "pre-activation's Gaussian, so it follows the nonlinearity.",
             options=("weight scaling (× (1 − p))", "Gaussian moment matching", "they tie"),
             pick=_holds("Gaussian moment matching", "weight scaling (× (1 − p))")),
    Question("standout.keep_prob_increases_with_drive",
             "In a standout layer, is a unit with a larger input z kept more or less often?",
             "Standout keeps a unit with probability σ(α·z + β·Σa), which grows with z for α > 0.",
             options=("more often", "less often", "just as often"),
             pick=lambda r: "more often" if r.value > 0 else "less often"),
    Question("pixel.less_information_removed_than_blocks",
             "Dropping the same fraction of the picture, which method removes the least information (the best "
             "PSNR after inpainting)?",
             "Neighbouring pixels are nearly identical, so a single dropped pixel is filled from its neighbours; "
             "a dropped region has no neighbours inside it.",
             options=("pixel dropout", "Cutout", "DropBlock"),
             pick=lambda r: "pixel dropout" if r.value > 0 else "Cutout"),
    Question("maxpool.pwp_matches_training_expectation",
             "Which test-time pooling rule matches the average of max-pooling dropout's training outputs?",
             "In training the i-th largest value wins with probability q(1−q)^(n−i); probabilistic weighted "
             "pooling averages with exactly those weights, max and scaled max do not.",
             options=("plain max", "scaled max (× (1 − p))", "probabilistic weighted pooling"),
             pick=_holds("probabilistic weighted pooling", "plain max")),
    Question("dropblock.actual_rate_below_nominal",
             "DropBlock at nominal p = {p} with blocks of {block_size}: what fraction of the values does it "
             "actually drop?",
             "Blocks overlap and are clipped at the border, so DropBlock drops less than the nominal p.",
             tolerance=0.03, step=0.01),
    Question("rnn.per_sequence_masks_constant",
             "Variational (Gal) dropout on a sequence: how often does a unit's mask change from one time step to "
             "the next?",
             "Gal's variational dropout draws one mask per sequence and reuses it at every time step.",
             options=("never: one mask per sequence", "at every step, independently", "every few steps"),
             pick=_holds("never: one mask per sequence", "at every step, independently")),
    Question("rnn.naive_dropout_forgets",
             "Trained with its masks on, does naive dropout (a fresh mask on the state at every step) recall "
             "long lags as well as short ones?",
             "A fresh mask on the recurrent state at every step multiplies the memory by new noise each step, "
             "so what it stored long ago fades.",
             options=("worse at long lags", "just as well", "better at long lags"),
             pick=_holds("worse at long lags", "just as well")),
    Question("training.dropout_reduces_overfitting",
             "With a small training set, does dropout lower the best validation loss?",
             "With few examples the network memorises them; dropout's noise keeps it from relying on any one "
             "unit, so it fits the training set less and generalises better.",
             options=("yes, lower", "no difference", "no, higher"),
             pick=_holds("yes, lower", "no, higher")),
    Question("backprop.same_mask_forward_backward",
             "In the backward pass, which hidden units get a zero gradient?",
             "Autograd multiplies the upstream gradient by the forward pass's own mask (÷(1−p)): the units "
             "dropped going forward get exactly zero going back.",
             options=("those dropped in the forward pass", "a fresh random set", "none of them"),
             pick=_holds("those dropped in the forward pass", "a fresh random set")),
    Question("minibatch.shared_mask_higher_grad_variance",
             "One mask shared by the whole minibatch vs one mask per example: how many times the gradient "
             "variance does the shared mask give?",
             "With one mask per example the mask noise averages out over the batch; a shared mask's does not.",
             lo=0.0, hi=5.0, step=0.1, tolerance=0.3),
    Question("placement.bn_variance_shift",
             "Dropout (p = {p}) right before BatchNorm: what is the test-time variance of BN's input, as a "
             "fraction of its training variance?",
             "Dropout adds variance in training, which BN's running statistics store; at test time the input is "
             "quieter: (1−p)σ²/(σ²+pμ²) of it.",
             lo=0.0, hi=1.5, step=0.05, tolerance=0.05),
    Question("frameworks.torch_lstm_dropout_not_variational",
             "A 2-layer nn.LSTM(dropout={p}) in training: how often does the mask between its layers change from "
             "one time step to the next?",
             "torch applies F.dropout to layer 1's whole output sequence at once, so every time step gets a fresh "
             "mask; variational dropout would reuse one mask for the whole sequence.",
             options=("at every step, independently", "never: one mask per sequence", "every few steps"),
             pick=lambda r: "at every step, independently" if r.value > 0 else "never: one mask per sequence"),
    Question("mc.uncertainty_higher_off_data",
             "Dropout kept on at test time: where is the spread of the T stochastic predictions widest?",
             "Where there was training data the sub-networks agree, because each was fitted there; in the gap "
             "nothing tied them down, so they disagree.",
             options=("in the gap, where there is no data", "on the training data", "the same everywhere"),
             pick=lambda r: "in the gap, where there is no data" if r.value > 1 else "on the training data"),
    Question("sparsevd.prunes_most_weights",
             "Sparse variational dropout on the digits MLP: what fraction of its weights ends with log α > 3 "
             "(pruned)?",
             "The KL term pushes every weight's noise up unless the data needs that weight; in a small net on a "
             "small task most weights are not needed, so most of them end up as pure noise and are removed.",
             lo=0.0, hi=1.0, step=0.01, tolerance=0.05),
    Question("weightnorm.grad_v_orthogonal",
             "Weight normalization, w = g·v/‖v‖: what is the angle between the gradient ∇_v L and v?",
             "w does not change when v is scaled, so the loss has no slope along v: ∇_v L = (g/‖v‖)·(I − wwᵀ/g²)∇_w L "
             "is always perpendicular to v.",
             options=("90°: always perpendicular", "0°: along v", "it depends on the loss"),
             pick=_holds("90°: always perpendicular", "it depends on the loss")),
)}



def for_claim(claim_id: str) -> Question | None:
    return QUESTIONS.get(claim_id)
