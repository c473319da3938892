"""scikit-learn's bundled handwritten digits (8×8 grey images, 1,797 of them, 10 classes; shipped inside the
scikit-learn wheel, so nothing is downloaded), split with a seed into a deliberately *small* training set -- so a
wide MLP overfits it within a few dozen epochs -- and a validation set, standardised with the training set's
statistics. scikit-learn is imported inside :func:`_raw`, so ``import dropviz.data`` stays light.

Source: E. Alpaydin, C. Kaynak (1998), Optical Recognition of Handwritten Digits, UCI ML Repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from dropviz._validate import make_generator

N_DIGITS = 1797  # images in sklearn's bundled copy
FEATURES, CLASSES = 64, 10


@dataclass(frozen=True)
class Split:
    """A seeded train/validation split: inputs float32, labels int64."""

    x_train: torch.Tensor  # (n_train, F)
    y_train: torch.Tensor  # (n_train,)
    x_val: torch.Tensor  # (n_val, F)
    y_val: torch.Tensor  # (n_val,)
    classes: int

    @property
    def features(self) -> int:
        return self.x_train.shape[1]


@lru_cache(maxsize=1)
def _raw() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # lazy: scikit-learn is only needed when digits are asked for

    d = load_digits()
    return d.data.astype(np.float32), d.target.astype(np.int64)  # (1797, 64) in 0…16, (1797,)


def digits(train_size: int = 150, seed: int = 0, val_size: int = 600) -> Split:
    """``train_size`` training and ``val_size`` validation images drawn without overlap by a permutation seeded
    with ``seed``; every pixel standardised by the training set's mean and std (a constant pixel gets std 1)."""
    if not 10 <= train_size <= N_DIGITS - val_size or val_size < 10:
        raise ValueError(f"train_size has to be from 10 to {N_DIGITS - val_size} and val_size at least 10, "
                         f"but got {train_size}, {val_size}")
    x, y = _raw()
    order = _order(seed)
    tr, va = order[:train_size], order[train_size:train_size + val_size]
    mean, std = x[tr].mean(0), x[tr].std(0)
    std = np.where(std > 1e-6, std, 1.0)

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a))

    return Split(t((x[tr] - mean) / std), t(y[tr]), t((x[va] - mean) / std), t(y[va]), CLASSES)


def _order(seed: int) -> np.ndarray:
    return torch.randperm(N_DIGITS, generator=make_generator(seed)).numpy()


def train_images(train_size: int = 150, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The raw pixels (0 … 16) of :func:`digits`'s training split as (n, 8, 8) images, and their labels: what a
    page draws (standardised pixels look like noise)."""
    x, y = _raw()
    tr = _order(seed)[:train_size]
    return x[tr].reshape(-1, 8, 8), y[tr]


def images(split_x: torch.Tensor) -> torch.Tensor:
    """(n, 64) -> (n, 1, 8, 8): the same pixels as images, for a CNN."""
    return split_x.view(-1, 1, 8, 8)
