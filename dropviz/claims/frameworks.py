"""Claims of "what your framework's dropout does": ``torch.nn.LSTM(num_layers=2, dropout=p)`` is not variational
dropout.

Reference: torch itself. The claim runs torch's 2-layer LSTM in train mode, takes the masks
:func:`dropviz.frameworks.recover_lstm_masks` says torch drew between the layers, and recomposes the output with
torch's own single-layer LSTMs built HERE from the 2-layer module's weights: layer 2 (m ⊙ layer 1(x) / (1−p)),
nothing masked on the input, on h_{t−1} → h_t or on the output. If that reproduces torch's output to float64
rounding, those are the only masks; their statistics (keep rate 1−p, a change between consecutive steps at rate
2p(1−p), the closed forms of fresh independent draws, written here) say they are redrawn at every step. DropViz's
variational schedule (Gal & Ghahramani 2016, https://arxiv.org/abs/1512.05287) at the same p changes at rate 0.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dropviz import frameworks, masks
from dropviz.claims.core import Measurement, Mutation, Phrase, claim, not_applicable
from dropviz.demos import training as demo
from dropviz.i18n import N_

Z = 5.0
FULL = (40, 16)  # time steps × sequences of the full measurement (`python -m dropviz.claims`)
EXACT = 1e-9  # float64: torch's output and the recomposition agree to rounding (≈ 1e-16) when the masks are right


def _one_mask_per_sequence(original):
    """A recovery that assumes one mask per sequence: the first step's mask, reused at every step."""

    def broken(lstm, x, output):
        got, residual = original(lstm, x, output)
        return got[:1].expand_as(got).clone(), residual

    return broken


def _layers_swapped(original):
    """The layer split the wrong way round: layer 2's weights run first."""

    def broken(lstm):
        first, second = original(lstm)
        return second, first

    return broken


def _redrawn_every_step(original):
    """A 'per-sequence' mask that is in fact redrawn at every step."""

    def broken(steps, shape, p, **kw):
        return masks.bernoulli_mask((steps, *shape), p, **kw)

    return broken


def _recompose(lstm: nn.LSTM, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """torch's layer 2 on keep ⊙ (torch's layer 1 on x) / (1−p): two single-layer nn.LSTMs with the weights of
    ``lstm``'s two layers, copied by name (the claim's own split, independent of dropviz.frameworks)."""
    h = lstm.hidden_size
    one = nn.LSTM(lstm.input_size, h).to(x.dtype)
    two = nn.LSTM(h, h).to(x.dtype)
    with torch.no_grad():
        for k, single in enumerate((one, two)):
            single.weight_ih_l0.copy_(getattr(lstm, f"weight_ih_l{k}"))
            single.weight_hh_l0.copy_(getattr(lstm, f"weight_hh_l{k}"))
            single.bias_ih_l0.copy_(getattr(lstm, f"bias_ih_l{k}"))
            single.bias_hh_l0.copy_(getattr(lstm, f"bias_hh_l{k}"))
        h1, _ = one(x)
        out, _ = two(keep * h1 / (1 - lstm.dropout))
    return out


@claim(
    "frameworks.torch_lstm_dropout_not_variational",
    N_("nn.LSTM(num_layers=2, dropout=p) masks only the outputs passed between its layers, with a fresh mask at "
       "every time step (not the input, not the recurrent h_{t−1} → h_t, not the last layer's output): the masks "
       "recovered from its outputs reproduce them exactly, keep 1−p and change between consecutive steps at the "
       "rate 2p(1−p) of independent draws, where variational dropout's per-sequence masks never change."),
    mutations=(
        Mutation("recovery assumes one mask per sequence", "dropviz.frameworks:recover_lstm_masks",
                 _one_mask_per_sequence),
        Mutation("recovery splits the layers the wrong way round", "dropviz.frameworks:split_layers",
                 _layers_swapped),
        Mutation("variational schedule redrawn at every step", "dropviz.masks.recurrent:per_sequence_mask",
                 _redrawn_every_step),
    ),
    measures=N_("fraction of the recovered between-layer mask that changes from one time step to the next"))
def torch_lstm_dropout_not_variational(*, quick: bool = False, p: float = 0.3, seed: int = 0) -> Measurement:
    p = masks.check_p(p)
    if p in (0.0, 1.0):
        return not_applicable(
            N_("at p = 0 the between-layer mask is all ones: nothing changes over time, whatever the schedule")
            if p == 0 else
            N_("at p = 1 the between-layer mask is all zeros: nothing changes over time, whatever the schedule"))
    steps, batch = (demo.LSTM_STEPS, demo.LSTM_BATCH) if quick else FULL  # quick: the page's own run
    lstm, x = demo.lstm_setup(p, seed, steps, batch)
    out = demo.run_torch_lstm(lstm, x, seed)
    keep, _ = frameworks.recover_lstm_masks(lstm, x, out)
    error = (_recompose(lstm, x, keep) - out).abs().max().item()
    m = keep.numpy()
    q = 1 - p
    n = m.size
    keep_rate = m.mean()
    keep_se = math.sqrt(p * q / n)
    pairs = (steps - 1) * batch * lstm.hidden_size
    change = float((m[1:] != m[:-1]).mean())
    c = 2 * p * q  # P(a fresh draw differs from the last one)
    # consecutive changes of one unit share a step: Cov = P(change twice) − c² = pq(1 − 4pq)
    change_se = math.sqrt((c * (1 - c) + 2 * p * q * (1 - 4 * p * q)) / pairs)
    var = masks.variational_schedule(steps, batch, lstm.input_size, lstm.hidden_size, p,
                                     generator=masks.make_generator(seed))
    v = (var.h != 0).numpy()
    var_change = float((v[1:] != v[:-1]).mean())
    passed = (error <= EXACT and abs(keep_rate - q) <= Z * keep_se and abs(change - c) <= Z * change_se
              and var_change == 0.0)
    return Measurement(
        passed,
        change,
        Phrase(N_("2-layer nn.LSTM({hidden_size} units), {steps} steps × {batch} sequences: recomposed from the "
                  "recovered masks to within {error:.2g} (≤ {EXACT:g}); kept {keep_rate:.3f} vs 1−p = {q:.3f} (± "
                  "{Z:g}·{keep_se:.3f}); changes between steps {change:.3f} vs 2p(1−p) = {c:.3f} (± "
                  "{Z:g}·{change_se:.3f}); DropViz's variational masks change {var_change:.3f} (must be 0)"),
               hidden_size=lstm.hidden_size, steps=steps, batch=batch, error=error, EXACT=EXACT, keep_rate=keep_rate,
               q=q, Z=Z, keep_se=keep_se, change=change, c=c, change_se=change_se, var_change=var_change),
    )
