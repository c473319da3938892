"""The computations behind the "masks through time" page: seeded LSTM weights that hold a memory, every
schedule's masks and cell trajectories, embedding dropout on words. Numpy results in frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from dropviz import methods
from dropviz._validate import check_p, make_generator, positive_int
from dropviz.layers.recurrent import lstm_forward
from dropviz.masks.recurrent import MAX_STEPS, MAX_UNITS, MaskSchedule, embedding_mask, token_mask

# -- the computations behind the "masks through time" page --------------------------------------------


def _np(t: Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float64).numpy()


def demo_weights(seed: int, input_size: int, hidden_size: int) -> tuple[Tensor, Tensor, Tensor]:
    """Seeded LSTM weights (nn.LSTM layout) that hold a memory: the forget gate sits near σ(5) ≈ 0.993 and
    the input gate near σ(−4) ≈ 0.02, so a strong input is written into the cell and kept for tens of steps."""
    g = make_generator(seed)
    D, H = input_size, hidden_size
    w_ih = torch.randn(4 * H, D, generator=g) * (2.0 / D) ** 0.5
    w_hh = torch.randn(4 * H, H, generator=g) * (1.0 / H) ** 0.5
    bias = torch.cat([torch.full((H,), -4.0), torch.full((H,), 5.0), torch.zeros(H), torch.full((H,), 1.0)])
    return w_ih, w_hh, bias  # gate blocks i, f, g, o


def demo_input(seed: int, steps: int, input_size: int) -> Tensor:
    """(T, 1, D): a strong 'symbol' at t = 0, then weak noise: what the cell keeps of t = 0 is its memory."""
    g = make_generator(seed + 1)
    x = 0.3 * torch.randn(steps, 1, input_size, generator=g)
    x[0] = 3.0 * torch.randn(1, input_size, generator=g)
    return x


def _cosine_to_start(c: Tensor) -> Tensor:
    """(T, H) -> (T,): cosine similarity of the cell state at each step to the state at step 0."""
    return (c * c[0]).sum(1) / (c.norm(dim=1) * c[0].norm()).clamp_min(1e-12)


@dataclass(frozen=True)
class MaskMovie:
    """One method's masks on one sequence, and what they do to the cell state of a seeded LSTM."""

    method: str
    p: float
    tied: bool
    per_sequence: bool
    wires: tuple[str, ...]  # the masked wires, among x, h, c, g
    masks: tuple[np.ndarray, ...]  # per wire: (rows, T) units × time of sequence 0 (untied: 4 gate blocks of rows)
    gates: tuple[int, ...]  # per wire: 1 (one mask for all gates) or 4 (one per gate, rows gate-major)
    track: np.ndarray  # (k,) the cell units whose trajectories are shown
    c_clean: np.ndarray  # (k, T) their cell state (as read) without dropout
    c_masked: np.ndarray  # (k, T) the same units with this method's masks
    memory_clean: np.ndarray  # (T,) how much of the t = 0 memory the cell still holds: cos(c_t, c_0), no dropout
    memory_masked: np.ndarray  # (T,) the same with the masks, against the CLEAN run's c_0: cos(c_t masked, c_0 clean)
    train_mean_ratio: float  # mean |E_masks[h_t]| / mean |h_t without dropout|, Monte Carlo over MC_MASKS schedules:
    #   1 if the test-time identity reproduces the training mean; below 1 where 1/(1−p) acts inside tanh (c masks)


MC_MASKS = 256  # independent schedules drawn for the training-mean check


def _cosine_to(c: Tensor, ref: Tensor) -> Tensor:
    """(T, H), (H,) -> (T,): cosine similarity of the cell state at each step to ``ref``."""
    return (c * ref).sum(1) / (c.norm(dim=1) * ref.norm()).clamp_min(1e-12)


def mask_movie(
    method: str,
    p: float,
    seed: int,
    steps: int = 30,
    hidden: int = 16,
    input_size: int = 8,
    tied: bool = True,
    n_track: int = 4,
    device: str = "cpu",
) -> MaskMovie:
    """Draw ``method``'s schedule for one sequence and run the same seeded LSTM on the same input with and
    without it. Bounded for a shared server: ``steps`` ≤ MAX_STEPS, ``hidden`` ≤ MAX_UNITS."""
    sched, drawn = _draw(method, p, seed, steps, hidden, input_size, tied, device)
    steps, hidden = drawn.steps, positive_int("hidden", hidden, hi=MAX_UNITS)
    w_ih, w_hh, bias = (t.to(device) for t in demo_weights(seed, input_size, hidden))
    x = demo_input(seed, steps, input_size).to(device)
    with torch.no_grad():
        clean_out = lstm_forward(x, w_ih, w_hh, bias)
        clean = clean_out.c[:, 0]  # (T, H)
        masked = lstm_forward(x, w_ih, w_hh, bias, sched).c[:, 0]
        # the training-time mean of the output over many masks, beside the test-time (identity) output
        many = methods.schedule(method, steps, MC_MASKS, input_size, hidden, p, tied=tied,
                                generator=make_generator(seed + 7, device), device=device)
        h_mc = lstm_forward(x.expand(-1, MC_MASKS, -1), w_ih, w_hh, bias, many).h.mean(1)  # (T, H)
        h_test = clean_out.h[:, 0]
        ratio = float(h_mc.abs().mean() / h_test.abs().mean().clamp_min(1e-12))
    k = min(n_track, hidden)
    # Track the cells the symbol wrote most *under this method's mask* (a write the mask dropped never entered
    # the cell): what the page asks is whether what was stored stays there.
    score = masked[0].abs() + 1e-6 * clean[0].abs()  # ties (e.g. all-zero writes) broken by the clean run
    track = torch.argsort(score, descending=True)[:k].sort().values
    return MaskMovie(
        method=method,
        p=sched.p,
        tied=tied,
        per_sequence=sched.per_sequence,
        wires=drawn.wires,
        masks=drawn.masks,
        gates=drawn.gates,
        track=_np(track).astype(int),
        c_clean=_np(clean[:, track].t()),
        c_masked=_np(masked[:, track].t()),
        memory_clean=_np(_cosine_to_start(clean)),
        memory_masked=_np(_cosine_to(masked, clean[0])),
        train_mean_ratio=ratio,
    )


@dataclass(frozen=True)
class ScheduleMasks:
    """One sequence's masks of one schedule, as the overview draws them (a :class:`MaskMovie` without the runs)."""

    method: str
    steps: int
    wires: tuple[str, ...]  # the masked connections, in the schedule's order
    masks: tuple[np.ndarray, ...]  # per wire (rows, T): the mask of sequence 0 (rows = gates × units)
    gates: tuple[int, ...]  # per wire: 4 when each gate has its own mask (untied), else 1


def _draw(method: str, p: float, seed: int, steps: int, hidden: int, input_size: int, tied: bool,
          device: str) -> tuple[MaskSchedule, ScheduleMasks]:
    """``method``'s schedule for one sequence (seeded by ``seed`` alone) and its masks as the pages show them."""
    steps, hidden = positive_int("steps", steps, hi=MAX_STEPS), positive_int("hidden", hidden, hi=MAX_UNITS)
    input_size = positive_int("input_size", input_size, hi=MAX_UNITS)
    sched = methods.schedule(method, steps, 1, input_size, hidden, p, tied=tied,
                             generator=make_generator(seed, device), device=device)
    wires = sched.wires()
    shown = []
    for m in wires.values():
        m0 = m[:, :, 0] if m.dim() == 4 else m[:, 0]  # (T, 4, n) or (T, n): sequence 0
        shown.append(_np(m0.reshape(steps, -1).t()))  # (rows, T)
    return sched, ScheduleMasks(method, steps, tuple(wires), tuple(shown),
                                tuple(4 if m.dim() == 4 else 1 for m in wires.values()))


def mask_overview(p: float, seed: int, steps: int = 30, hidden: int = 16, tied: bool = True,
                  device: str = "cpu") -> tuple[ScheduleMasks, ...]:
    """Every schedule's masks for one sequence: the same draws as :func:`mask_movies` (same seed, same order),
    without the LSTM runs the overview does not show (those took most of a slider move on the masks page)."""
    return tuple(_draw(m, p, seed, steps, hidden, 8, tied, device)[1] for m in methods.schedules())


def mask_movies(p: float, seed: int, steps: int = 30, hidden: int = 16, tied: bool = True,
                device: str = "cpu") -> tuple[MaskMovie, ...]:
    """:func:`mask_movie` for every method of :func:`dropviz.methods.schedules`, same p, seed and sizes."""
    return tuple(mask_movie(m, p, seed, steps, hidden, tied=tied, device=device) for m in methods.schedules())


@dataclass(frozen=True)
class EmbeddingDemo:
    """Embedding dropout on a few sequences of a small vocabulary: dropped word types, everywhere they occur."""

    p: float
    tokens: np.ndarray  # (B, T) word ids
    type_mask: np.ndarray  # (B, V) the per-sequence mask over the vocabulary (0 or 1/(1-p))
    token_mask: np.ndarray  # (B, T) what each occurrence gets
    vocab: tuple[str, ...]


WORDS = ("the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to")


def embedding_demo(p: float, seed: int, sequences: int = 4, steps: int = 16, device: str = "cpu") -> EmbeddingDemo:
    sequences, steps = positive_int("sequences", sequences, hi=32), positive_int("steps", steps, hi=MAX_STEPS)
    g = make_generator(seed)
    tokens = torch.randint(0, len(WORDS), (steps, sequences), generator=g).to(device)  # (T, B)
    m = embedding_mask(sequences, len(WORDS), p, generator=make_generator(seed, device), device=device)
    return EmbeddingDemo(check_p(p), _np(tokens.t()).astype(int), _np(m), _np(token_mask(tokens, m).t()), WORDS)
