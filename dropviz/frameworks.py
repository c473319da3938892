"""What the dropout call you copied does: each framework call mapped to the DropViz method it is (ids of
:data:`dropviz.methods.METHODS`), what its ``p`` / rate means, which axes share a mask and the test-time rule;
and the recovery of ``torch.nn.LSTM(dropout=p)``'s hidden masks from its outputs.

Sources: PyTorch's docs and ``aten/src/ATen/native/RNN.cpp`` (between-layer dropout on each layer's output but
the last), Keras' ``Dropout``/``SpatialDropout2D``/``DropoutRNNCell`` (masks cached for the whole sequence), Flax's
``nn.Dropout`` (``broadcast_dims`` lists the axes that share), TensorFlow 1's ``tf.nn.dropout(x, keep_prob)``,
Caffe's ``DropoutLayer`` (``dropout_ratio``, scaled by 1/(1−ratio) in training). See METHODS.md §11 and §20, and
Gal & Ghahramani, NeurIPS 2016 https://arxiv.org/abs/1512.05287 for variational (per-sequence) RNN dropout.

The torch rows are not taken on trust: :mod:`dropviz.demos.training` runs torch itself, and the claim
``frameworks.torch_lstm_dropout_not_variational`` (:mod:`dropviz.claims.frameworks`) recovers nn.LSTM's masks with
:func:`recover_lstm_masks` and checks them. Imports torch only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from dropviz.i18n import N_, _


@dataclass(frozen=True)
class FrameworkCall:
    framework: str
    call: str  # what people copy
    method: str  # the DropViz registry id it is (dropviz.methods.get(method) exists: a test checks)
    p_means: str  # "drop" or "keep": what the number you pass is
    shared: str  # which axes share one mask draw (shared, test_time, note: English, N_-marked; rows() translates)
    test_time: str
    note: str  # the gotcha
    live: str | None = None  # the key of the live torch check on the page (dropviz.demos.training), if any


CALLS: tuple[FrameworkCall, ...] = (
    FrameworkCall("PyTorch", "nn.Dropout(p)", "standard", "drop",
                  N_("none: one draw per element, per example, fresh every call"),
                  N_("identity in eval() (inverted: kept values ÷ (1−p) in training)"),
                  N_("p = 0.3 drops 30 %"), live="dropout"),
    FrameworkCall("PyTorch", "F.dropout(x, p, training=True)", "standard", "drop",
                  N_("none: one draw per element"), N_("identity only if you pass training=self.training"),
                  N_("training defaults to True: a model's eval() does not turn it off"), live="functional"),
    FrameworkCall("PyTorch", "nn.Dropout2d(p)", "spatial", "drop",
                  N_("(B, C, H, W): one draw per channel of each example, shared by its H × W pixels"),
                  N_("identity in eval()"), N_("whole feature maps go (SpatialDropout)"), live="dropout2d"),
    FrameworkCall("PyTorch", "nn.LSTM(num_layers=2, dropout=p)", "zaremba", "drop",
                  N_("none: one draw per (time step, example, unit), fresh at every step"),
                  N_("identity in eval()"),
                  N_("only on the outputs between layers (not the input, not h_{t−1} → h_t, not the last layer's "
                  "output): Zaremba's non-recurrent dropout, NOT variational"), live="lstm"),
    FrameworkCall("Keras", "Dropout(rate, noise_shape=None)", "standard", "drop",
                  N_("noise_shape puts 1 on the axes that share: (1, units) = one mask per batch"),
                  N_("identity (inverted)"), N_("noise_shape=(batch, 1, features) shares over time (locked dropout)")),
    FrameworkCall("Keras", "SpatialDropout2D(rate)", "spatial", "drop",
                  N_("(B, 1, 1, C) channels-last: one draw per channel of each example"), N_("identity (inverted)"),
                  N_("the same as nn.Dropout2d")),
    FrameworkCall("Keras", "LSTM(dropout=a, recurrent_dropout=b)", "variational", "drop",
                  N_("(B, features) on x_t and (B, units) on h_{t−1}: per sequence, reused at every step"),
                  N_("identity (inverted)"),
                  N_("Gal's variational dropout; tf.keras 2 draws one mask per gate (untied), Keras 3 one for all; "
                  "recurrent_dropout disables cuDNN")),
    FrameworkCall("Flax", "nn.Dropout(rate, broadcast_dims=())", "standard", "drop",
                  N_("broadcast_dims LISTS the axes that share (the inverse of noise_shape): (0,) = one mask per "
                     "batch"),
                  N_("identity with deterministic=True"),
                  N_("broadcast_dims=(time_axis,) gives variational / locked RNN dropout")),
    FrameworkCall("TensorFlow 1", "tf.nn.dropout(x, keep_prob)", "standard", "keep",
                  N_("noise_shape as in Keras"), N_("identity (inverted: kept values ÷ keep_prob)"),
                  N_("tf.nn.dropout(x, 0.8) KEEPS 80 % and drops 20 % (nn.Dropout(0.8) drops 80 %); TF 2's "
                     "tf.nn.dropout(x, rate) drops")),
    FrameworkCall("Caffe", "dropout_param { dropout_ratio: r }", "standard", "drop",
                  N_("none: one draw per element"), N_("identity (inverted: ÷ (1−r) in training)"),
                  N_("dropout_ratio is the drop probability, like DropViz's p and torch's p; Srivastava et al. (2014) "
                     "write p for the probability of RETAINING a unit")),
)


def rows() -> list[dict[str, str]]:
    """The table as a page shows it, in the current language (API names and method ids stay as they are)."""
    means = {"drop": _("drop probability"), "keep": _("keep probability")}
    return [{_("framework"): c.framework, _("call"): c.call, _("DropViz method"): c.method,
             _("the number means"): means[c.p_means], _("shares a mask"): _(c.shared),
             _("test time"): _(c.test_time), _("watch out"): _(c.note)} for c in CALLS]


# -- recovering nn.LSTM(dropout=p)'s masks from its outputs --------------------------------------------------

MAX_RECOVER_UNITS = 10  # every one of the 2^H masks of a step is tried: keep H small


def split_layers(lstm: nn.LSTM) -> tuple[nn.LSTM, nn.LSTM]:
    """Two single-layer LSTMs with the weights of ``lstm``'s layer 0 and layer 1 (so without dropout between)."""
    if lstm.num_layers != 2 or lstm.bidirectional or lstm.batch_first or lstm.proj_size:
        raise ValueError("split_layers takes a unidirectional, sequence-first, 2-layer nn.LSTM without projections")
    out = []
    for layer in range(2):
        inputs = lstm.input_size if layer == 0 else lstm.hidden_size
        single = nn.LSTM(inputs, lstm.hidden_size, bias=lstm.bias).to(device=lstm.weight_hh_l0.device,
                                                                     dtype=lstm.weight_hh_l0.dtype)
        with torch.no_grad():
            for name, _ in single.named_parameters():
                getattr(single, name).copy_(getattr(lstm, f"{name[:-1]}{layer}"))  # weight_ih_l0 <- weight_ih_l{layer}
        out.append(single)
    return out[0], out[1]


@torch.no_grad()
def recover_lstm_masks(lstm: nn.LSTM, x: Tensor, output: Tensor) -> tuple[Tensor, Tensor]:
    """The keep mask torch applied between the two layers of ``lstm`` when ``lstm(x)`` returned ``output``.

    ``x``: (T, B, D), ``output``: (T, B, H) from the 2-layer LSTM in train mode. Layer 0 is rerun alone (no dropout
    inside a single layer), giving h1 (T, B, H). Then, step by step, every one of the 2^H keep patterns m is fed
    to layer 1 as m ⊙ h1_t/(1−p) from the state reached so far, and the pattern whose output is nearest to
    ``output[t]`` is taken. Returns the masks (T, B, H) as 0/1 and each step's residual (T, B): the largest
    |difference| of the chosen pattern's output (≈ 1e-15 in float64 when the pattern is what torch drew)."""
    T, B, _ = x.shape
    H = lstm.hidden_size
    if H > MAX_RECOVER_UNITS:
        raise ValueError(f"recovering masks tries 2^H patterns per step: at most {MAX_RECOVER_UNITS} units, got {H}")
    first, second = split_layers(lstm)
    h1, _ = first(x)  # (T, B, H)
    q = 1.0 - lstm.dropout
    patterns = torch.tensor(list(itertools.product((0.0, 1.0), repeat=H)), dtype=x.dtype, device=x.device)  # (P, H)
    P = len(patterns)
    h = torch.zeros(1, B, H, dtype=x.dtype, device=x.device)
    c = torch.zeros_like(h)
    got = torch.empty(T, B, H, dtype=x.dtype, device=x.device)
    residual = torch.empty(T, B, dtype=x.dtype, device=x.device)
    for t in range(T):
        cand = (patterns[:, None, :] * h1[t][None] / q).reshape(1, P * B, H)  # (1, P·B, H): pattern-major
        hs = h.repeat(1, P, 1)  # (1, P·B, H): the same state for every pattern
        cs = c.repeat(1, P, 1)
        y, (hn, cn) = second(cand, (hs, cs))
        err = (y[0].view(P, B, H) - output[t][None]).abs().amax(-1)  # (P, B)
        best = err.argmin(0)  # (B,)
        got[t] = patterns[best]
        residual[t] = err.gather(0, best[None])[0]
        pick = best * B + torch.arange(B, device=x.device)  # the chosen pattern's row for each example
        h, c = hn[:, pick], cn[:, pick]
    return got, residual
