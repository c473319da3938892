"""The claim registry: every factual statement a page makes, as a function that measures it now."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Measurement:
    """What a claim function returns. ``applicable=False`` means the statement says nothing at these
    parameters (e.g. rescaling by 1/(1-p) at p = 1); ``criterion`` then says why."""

    passed: bool
    value: float
    criterion: str
    applicable: bool = True


@dataclass(frozen=True)
class ClaimResult:
    id: str
    text: str
    passed: bool
    value: float
    criterion: str
    applicable: bool

    @property
    def status(self) -> str:
        if not self.applicable:
            return "N/A"
        return "PASS" if self.passed else "FAIL"

    def line(self) -> str:
        """The stable CLI line: ``<id> PASS|FAIL <measured value> (<criterion>)``."""
        return f"{self.id} {self.status} {self.value:.6g} ({self.criterion})"


@dataclass(frozen=True)
class Mutation:
    """A deliberately broken implementation a claim must catch. ``target`` names the implementation function as
    ``"module:name"`` (e.g. ``"dropviz.masks.dense:gaussian_std"``); ``replacement(original)`` returns the broken
    version."""
    name: str
    target: str
    replacement: Callable[[Callable], Callable]
    swaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    id: str
    text: str  # the statement, as a page shows it
    func: Callable[..., Measurement]  # func(*, quick: bool, **params) -> Measurement
    mutations: tuple[Mutation, ...] = ()  # broken implementations this claim must FAIL under

    def accepted(self, params: dict) -> dict:
        """The subset of ``params`` this claim's function takes (a page's parameters serve several claims)."""
        names = inspect.signature(self.func).parameters
        return {k: v for k, v in params.items() if k in names}

    def run(self, *, quick: bool = False, **params) -> ClaimResult:
        return self.result(self.func(quick=quick, **params))

    def result(self, m: Measurement) -> ClaimResult:
        """This claim's result from a measurement made elsewhere (e.g. on a model a page already trained)."""
        return ClaimResult(self.id, self.text, bool(m.passed), float(m.value), m.criterion, bool(m.applicable))


CLAIMS: dict[str, Claim] = {}


def claim(claim_id: str, text: str, *, mutations=()):
    """Register ``func`` as the live proof of ``text``. Ids are unique: ``<method or topic>.<what>``.
    ``mutations``: the :class:`Mutation` objects of the implementation under which the claim must FAIL."""

    def register(func: Callable[..., Measurement]) -> Callable[..., Measurement]:
        if claim_id in CLAIMS:
            raise ValueError(f"duplicate claim id {claim_id!r}")
        CLAIMS[claim_id] = Claim(claim_id, text, func, tuple(mutations))
        return func

    return register


def not_applicable(why: str) -> Measurement:
    return Measurement(passed=True, value=float("nan"), criterion=why, applicable=False)
