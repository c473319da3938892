"""Recurrent dropout: mask schedules through time, and an LSTM whose cell loop takes them.

A *mask schedule* holds one tensor per masked wire of the LSTM cell, indexed by time first, so a page can
draw units × time and a test can check which schedules are constant over time. ``p`` is the DROP
probability everywhere; masks are inverted (kept values hold 1/(1−p)), so test time is the identity.

    i, f, g, o = σ, σ, tanh, σ of  W (x_t ⊙ m_x) + U (h_{t−1} ⊙ m_h) + b
    c_t = k_t ⊙ (f ⊙ c_{t−1} + i ⊙ (g ⊙ m_g))        k_t = [m_c,t ≠ 0], the 0/1 form of m_c
    h_t = o ⊙ tanh(m_c,t ⊙ c_t)                     y_t = h_t ⊙ m_y,t  (what the next layer receives)

A cell mask zeroes the dropped cells (0/1, so a kept cell is never rescaled twice) and scales the kept ones
by 1/(1−p) where the cell is read. With a 0/1 mask this is exactly c_t = m ⊙ (f ⊙ c_{t−1} + i ⊙ g) as the
papers write it (m ⊙ m = m); with an inverted mask applied to the carried state instead, a cell kept at
every step would grow as (1/(1−p))^t (the exploding state Semeniuta et al. 2016 §3 point out).

Methods (see ../shared/METHODS.md §9-§11):
- ``naive``: RNNDrop's cell mask redrawn at every step (per-step state masking): a dropped unit outputs h_t = 0
  and its cell forgets (the mistake: a memory survives L steps only if its unit is kept L times, probability
  (1−p)^L). The memory loss Semeniuta et al. 2016 analyse. Often misattributed to Zaremba et al. 2014, who
  mask only the non-recurrent connections (below). A per-step mask on h_{t−1} alone would leave c untouched.
- ``zaremba``: Zaremba, Sutskever & Vinyals, "Recurrent Neural Network Regularization", arXiv:1409.2329
  https://arxiv.org/abs/1409.2329 : a fresh mask at every step on the non-recurrent connections only, the input
  x_t into the LSTM and its output h_t to the next layer (y); h_{t−1} → h_t and c are never masked, so it keeps
  memory.
- ``rnndrop``: Moon et al., "RNNDROP: a novel dropout for RNNs in ASR", ASRU 2015
  https://www.semanticscholar.org/paper/4a5e68033940785468cbe34bd6249106c311acfb : the same cell mask,
  drawn once per sequence.
- ``semeniuta``: Semeniuta, Severyn & Barth, "Recurrent Dropout without Memory Loss", COLING 2016
  https://arxiv.org/abs/1603.05118 : a fresh mask at every step on the candidate update g_t only.
- ``variational``: Gal & Ghahramani, "A Theoretically Grounded Application of Dropout in Recurrent Neural
  Networks", NeurIPS 2016 https://arxiv.org/abs/1512.05287 : one mask per sequence on x_t and one on
  h_{t−1}, reused at every step; tied (one mask for all four gates) or untied (one per gate). Embedding
  dropout (:func:`embedding_mask`) drops word *types*: one mask over the vocabulary per sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

import torch
from torch import Tensor

from dropviz._validate import check_p, positive_int
from dropviz.masks.dense import bernoulli_mask

WIRES: tuple[str, ...] = ("x", "h", "c", "g", "y")
GATES: tuple[str, ...] = ("i", "f", "g", "o")  # torch.nn.LSTM's order of the four row blocks of W and U
MAX_STEPS = 200  # longest sequence a page may ask for
MAX_UNITS = 256  # widest layer a page may ask for


# -- mask schedules ---------------------------------------------------------------------------------


def per_step_mask(
    steps: int,
    shape: tuple[int, ...],
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """A fresh inverted Bernoulli mask at every time step: shape ``(steps, *shape)``, all draws independent."""
    steps = positive_int("steps", steps)
    return bernoulli_mask((steps, *shape), p, generator=generator, device=device, dtype=dtype)


def per_sequence_mask(
    steps: int,
    shape: tuple[int, ...],
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """One inverted Bernoulli mask per sequence, reused at every step: ``(steps, *shape)``, identical over
    the first axis (an expanded view of a single ``shape`` draw, so it costs no memory per step)."""
    steps = positive_int("steps", steps)
    one = bernoulli_mask(tuple(shape), p, generator=generator, device=device, dtype=dtype)
    return one.unsqueeze(0).expand(steps, *shape)


@dataclass(frozen=True, eq=False)
class MaskSchedule:
    """The masks of one forward pass over a batch, one tensor per masked wire (None: not masked).

    Tied masks are (T, B, n); untied variational masks are (T, 4, B, n), one per gate in the order i, f, g, o.
    """

    method: str
    p: float
    per_sequence: bool  # True: one draw per sequence reused at every step; False: fresh at every step
    x: Tensor | None = None  # (T, B, D) or (T, 4, B, D): multiplies the input x_t before W
    h: Tensor | None = None  # (T, B, H) or (T, 4, B, H): multiplies h_{t-1} before U
    c: Tensor | None = None  # (T, B, H): zeroes dropped cells, scales kept ones where read: h_t = o ⊙ tanh(m ⊙ c_t)
    g: Tensor | None = None  # (T, B, H): multiplies the candidate update g_t
    y: Tensor | None = None  # (T, B, H): multiplies the output h_t on its way to the next layer (not the recurrence)

    def wires(self) -> dict[str, Tensor]:
        """The masked wires, in the order x, h, c, g, y."""
        masked = {f.name: getattr(self, f.name) for f in fields(self) if f.name in WIRES}
        return {name: m for name, m in masked.items() if m is not None}


def _sizes(steps: int, batch: int, input_size: int, hidden_size: int) -> tuple[int, int, int]:
    positive_int("steps", steps)
    B, D = positive_int("batch", batch), positive_int("input_size", input_size)
    return B, D, positive_int("hidden_size", hidden_size)


# Every schedule function has the same signature, so the registry (dropviz.methods) can hold any of them as a
# method's mask function: (steps, batch, input_size, hidden_size, p, *, tied, generator, device, dtype).
# ``tied`` only matters for the variational schedule. Pure and seeded: the same generator state gives the
# same masks.


def _one_wire(method: str, wire: str, per_sequence: bool, doc: str) -> Callable[..., MaskSchedule]:
    """A schedule that masks one (T, B, H) wire: fresh at every step, or one draw per sequence reused."""
    def schedule(steps: int, batch: int, input_size: int, hidden_size: int, p: float, *, tied: bool = True,
                 generator=None, device=None, dtype: torch.dtype = torch.float32) -> MaskSchedule:
        p = check_p(p)
        B, _, H = _sizes(steps, batch, input_size, hidden_size)
        draw = per_sequence_mask if per_sequence else per_step_mask  # looked up at call time (tests mutate them)
        mask = draw(steps, (B, H), p, generator=generator, device=device, dtype=dtype)
        return MaskSchedule(method, p, per_sequence, **{wire: mask})

    schedule.__name__ = schedule.__qualname__ = f"{method}_schedule"
    schedule.__doc__ = doc
    return schedule


naive_schedule = _one_wire("naive", "c", False, "Per-step state masking (RNNDrop's cell mask redrawn at every step): "
                           "a fresh mask at every step on the cell (and so h): (T, B, H).")
rnndrop_schedule = _one_wire("rnndrop", "c", True,
                             "RNNDrop: one cell mask per sequence, reused at every step: (T, B, H), constant over T.")
semeniuta_schedule = _one_wire("semeniuta", "g", False, "Recurrent dropout without memory loss: a fresh mask at "
                               "every step on the candidate g_t: (T, B, H).")


def zaremba_schedule(steps: int, batch: int, input_size: int, hidden_size: int, p: float, *, tied: bool = True,
                     generator=None, device=None, dtype: torch.dtype = torch.float32) -> MaskSchedule:
    """Zaremba et al. 2014: fresh masks at every step on the non-recurrent connections only, the input x_t
    (T, B, D) and the output h_t passed to the next layer (T, B, H); the recurrence h_{t−1} → h_t and the cell
    are never masked."""
    p = check_p(p)
    B, D, H = _sizes(steps, batch, input_size, hidden_size)
    kw = dict(generator=generator, device=device, dtype=dtype)
    return MaskSchedule("zaremba", p, False, x=per_step_mask(steps, (B, D), p, **kw),
                        y=per_step_mask(steps, (B, H), p, **kw))


def variational_schedule(steps: int, batch: int, input_size: int, hidden_size: int, p: float, *, tied: bool = True,
                         generator=None, device=None, dtype: torch.dtype = torch.float32) -> MaskSchedule:
    """Variational (Gal): one mask per sequence on x_t and one on h_{t−1}, reused at every step; tied (T, B, n)
    or one per gate (T, 4, B, n)."""
    p = check_p(p)
    B, D, H = _sizes(steps, batch, input_size, hidden_size)
    kw = dict(generator=generator, device=device, dtype=dtype)
    gates = () if tied else (len(GATES),)
    x = per_sequence_mask(steps, (*gates, B, D), p, **kw)
    h = per_sequence_mask(steps, (*gates, B, H), p, **kw)
    return MaskSchedule("variational", p, True, x=x, h=h)


def embedding_mask(
    batch: int,
    vocab: int,
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Embedding dropout (Gal & Ghahramani 2016 §4): one inverted mask over the vocabulary per sequence,
    shape (B, V). A dropped word *type* is zero at every one of its occurrences in that sequence."""
    positive_int("batch", batch)
    positive_int("vocab", vocab)
    return bernoulli_mask((batch, vocab), p, generator=generator, device=device, dtype=dtype)


def token_mask(tokens: Tensor, mask: Tensor) -> Tensor:
    """The factor each token of ``tokens`` (T, B) gets from an embedding mask (B, V): shape (T, B).
    Multiplying the embedded tokens by it equals masking the embedding matrix's rows per sequence."""
    return mask.gather(1, tokens.t()).t()

