"""The claim registry: every factual statement a page makes, as a function that measures it now.

A claim proves something only if it would FAIL were the math it speaks about wrong. So every claim declares,
next to it, the :class:`Mutation` s of the *implementation* (never of the claim's own reference) that must make
it fail; tests/unit/test_claims_mutations.py applies each one in quick mode and checks that the claim FAILs
under it and PASSes without it.
"""

from __future__ import annotations

import inspect
import numbers
import string
from dataclasses import dataclass
from typing import Callable

from dropviz.i18n import LOCALES, N_, language
from dropviz.i18n import _ as translate


class Phrase(str):
    """A sentence shown in any language, built with numbers: it IS its English text (what the CLI prints, byte for
    byte as the f-string it replaces) and keeps the English ``template`` (marked with ``N_`` for extraction; named
    placeholders with Python format specs, e.g. ``"{n:,} masks, tolerance ±{tol:.2g}"``) and its ``values``, so
    a page shows it translated (:meth:`shown`). A value that is itself a Phrase (a word like "ours") is translated
    with it; numbers get the locale's decimal and group marks, booleans read "yes"/"no" in the language."""

    template: str
    values: dict

    def __new__(cls, template: str, **values) -> "Phrase":
        self = super().__new__(cls, template.format(**values) if values else template)
        self.template, self.values = template, values
        return self

    @classmethod
    def joined(cls, sep: str, items) -> "Phrase":
        """Phrases listed with ``sep`` ("; "), each translated where shown (the list's own template is not a
        sentence: it has no entry in the catalogs and stays as it is)."""
        items = [i if isinstance(i, Phrase) else cls(i) for i in items]
        return cls(sep.join("{i%d}" % k for k in range(len(items))), **{f"i{k}": i for k, i in enumerate(items)})

    def __reduce__(self):  # pickled by st.cache_data: rebuild from the template, not from the English text
        return _phrase, (self.template, self.values)

    def shown(self) -> str:
        """The phrase in the current language (its English text in English)."""
        if language() == "en" and not self.values:
            return str(self)
        template = translate(self.template)
        return _LOCAL.format(template, **self.values) if self.values else template


def _phrase(template: str, values: dict) -> Phrase:
    return Phrase(template, **values)


N_("True"), N_("False")  # booleans in a criterion, translated where shown


class _LocalFormatter(string.Formatter):
    """``str.format`` as people in the current language read it: numbers keep their format spec but take the
    locale's decimal and group marks (0.25 -> 0,25 in es and ro), nested phrases and booleans are translated."""

    def format_field(self, value, format_spec: str) -> str:
        if isinstance(value, Phrase):
            return format(value.shown(), format_spec)
        if isinstance(value, bool):
            return format(translate(str(value)), format_spec)
        return number(value, format_spec) if isinstance(value, numbers.Number) else format(value, format_spec)


_LOCAL = _LocalFormatter()


def number(x, spec: str = "") -> str:
    """``format(x, spec)`` with the current locale's decimal and group marks (numbers on a page)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    text = format(x, spec)
    loc = LOCALES[language()]
    dec, grp = get_decimal_symbol(loc), get_group_symbol(loc)
    if (dec, grp) == (".", ","):
        return text
    return text.translate(str.maketrans({".": dec, ",": grp}))


@dataclass(frozen=True)
class Mutation:
    """A deliberately broken implementation a claim must catch.

    ``target`` names the implementation function as ``"module:name"`` (or ``"module:Class.name"`` for a method),
    e.g. ``"dropviz.masks.dense:gaussian_std"``; ``replacement(original)`` returns the broken version (so a
    mutation can wrap the real function, e.g. call it with ``1 − p``). ``swaps`` lists the method ids for which
    this mutation is the keep/drop swap (keeping with probability p instead of 1 − p)."""

    name: str
    target: str
    replacement: Callable[[Callable], Callable]
    swaps: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    @property
    def attribute(self) -> str:
        return self.target.partition(":")[2]


@dataclass(frozen=True)
class Measurement:
    """What a claim function returns. ``applicable=False`` means the statement says nothing at these
    parameters (e.g. rescaling by 1/(1-p) at p = 1); ``criterion`` then says why."""

    passed: bool
    value: float
    criterion: str  # a Phrase (or a constant marked with N_): the CLI prints it, a page shows it translated
    applicable: bool = True


@dataclass(frozen=True)
class ClaimResult:
    id: str
    text: str
    passed: bool
    value: float
    criterion: Phrase  # English as a str (the CLI line); ``criterion.shown()`` on a page
    applicable: bool
    measures: str = ""  # what ``value`` is, in plain words (the page's panel; not part of the CLI line)

    @property
    def status(self) -> str:
        if not self.applicable:
            return "N/A"
        return "PASS" if self.passed else "FAIL"

    def line(self) -> str:
        """The stable CLI line: ``<id> PASS|FAIL <measured value> (<criterion>)``."""
        return f"{self.id} {self.status} {self.value:.6g} ({self.criterion})"

    # -- as a page shows it, in the current language (the CLI line above stays English) --
    def shown_text(self) -> str:
        return translate(self.text)

    def shown_measures(self) -> str:
        return translate(self.measures) if self.measures else ""

    def shown_criterion(self) -> str:
        c = self.criterion
        return c.shown() if isinstance(c, Phrase) else translate(c)


@dataclass(frozen=True)
class Claim:
    id: str
    text: str  # the statement, as a page shows it
    func: Callable[..., Measurement]  # func(*, quick: bool, **params) -> Measurement
    mutations: tuple[Mutation, ...] = ()  # broken implementations this claim must FAIL under
    measures: str = ""  # what the measured value is, in plain words, for a page's claims panel

    def accepted(self, params: dict) -> dict:
        """The subset of ``params`` this claim's function takes (a page's parameters serve several claims)."""
        names = inspect.signature(self.func).parameters
        return {k: v for k, v in params.items() if k in names}

    def run(self, *, quick: bool = False, **params) -> ClaimResult:
        return self.result(self.func(quick=quick, **params))

    def result(self, m: Measurement) -> ClaimResult:
        """This claim's result from a measurement made elsewhere (e.g. on a model a page already trained)."""
        crit = m.criterion if isinstance(m.criterion, Phrase) else Phrase(m.criterion)
        return ClaimResult(self.id, self.text, bool(m.passed), float(m.value), crit, bool(m.applicable),
                           self.measures)


CLAIMS: dict[str, Claim] = {}


def claim(claim_id: str, text: str, *, mutations: tuple[Mutation, ...] = (), measures: str = ""):
    """Register ``func`` as the live proof of ``text``. Ids are unique: ``<method or topic>.<what>``.
    ``mutations``: the broken implementations the claim must FAIL under (the suite checks each one).
    ``measures`` names the measured value in plain words ("fraction of units kept") for a page's panel."""

    def register(func: Callable[..., Measurement]) -> Callable[..., Measurement]:
        if claim_id in CLAIMS:
            raise ValueError(f"duplicate claim id {claim_id!r}")
        for m in mutations:
            if ":" not in m.target or not m.target.startswith("dropviz."):
                raise ValueError(f"mutation {m.name!r} of {claim_id!r}: target has to be 'dropviz.<module>:<name>'")
        CLAIMS[claim_id] = Claim(claim_id, text, func, tuple(mutations), measures)
        return func

    return register


def not_applicable(why: str) -> Measurement:
    """``why``: a Phrase, or a constant sentence marked with ``N_``."""
    return Measurement(passed=True, value=float("nan"), criterion=why, applicable=False)
