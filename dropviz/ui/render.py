"""Rendering helpers every page uses: the method header and facts, the claims panel, charts."""

from __future__ import annotations

import streamlit as st

from dropviz import claims
from dropviz.methods import Method
from dropviz.ui import cache
from dropviz.ui.nav import current_page

# -- rendering --------------------------------------------------------------------------------------


def method_header(method: Method, intro: str | None = None) -> None:
    """Title, one-line summary, the paper, and the facts a practitioner checks."""
    st.title(method.name)
    st.markdown(f"**{method.summary}**")
    if intro:
        st.markdown(intro)
    method_facts(method)


def method_facts(method: Method, label: str = "Facts: what is masked, shared axes, test time, paper") -> None:
    """The registry record of ``method`` in an expander."""
    with st.expander(label, expanded=False):
        st.markdown(_facts(method))


def methods_facts(methods: tuple[Method, ...], label: str) -> None:
    """Several registry records in one expander (a page that compares methods)."""
    with st.expander(label, expanded=False):
        for m in methods:
            st.markdown(f"**{m.name}** — {m.summary}\n\n{_facts(m)}")


def _facts(method: Method) -> str:
    return (
        f"- **Masks:** {method.masks}\n"
        f"- **Axes sharing one random draw:** {method.shared_axes}\n"
        f"- **At test time:** {method.test_time}\n"
        f"- **What the paper calls p:** {method.p_in_paper}\n"
        f"- **Paper:** [{method.paper.cite()}]({method.paper.url})"
    )


def page_claims(only: str | None = None) -> tuple[str, ...]:
    """The claim ids the running page declares on its :class:`~dropviz.ui.nav.PageSpec` (those starting with
    ``only + "."`` when given: a page with two claims panels)."""
    spec = current_page()
    if spec is None:
        raise RuntimeError("page_claims() is called from a page file")
    ids = tuple(c for c in spec.claims if only is None or c.startswith(only + "."))
    if not ids:
        raise ValueError(f"{spec.path} declares no claim{f' starting with {only}.' if only else ''}")
    return ids


def show_claims(*, only: str | None = None, **params) -> list[claims.ClaimResult]:
    """The page's declared claims (:func:`page_claims`) measured now, at this page's parameters (each claim gets
    the ones it takes), with the number and a pass mark. Claims about a user's upload are computed in (and
    cached for) that session only, like :func:`~dropviz.ui.cache.compute`."""
    results = []
    for cid in page_claims(only):
        mine = claims.get(cid).accepted(params)  # a page passes all its parameters; each claim takes its own
        key = tuple(sorted(mine.items()))
        if cache._is_private(mine):  # about this session's upload: its own cache only
            results.append(cache._session_cached(cache._run_claim, dict(claim_id=cid, params=key)))
        else:
            results.append(cache._claim(cid, key))
    show_claim_results(results, note=CLAIM_SAMPLES_NOTE if cache.PAGE_CLAIMS_QUICK else None)
    return results


CLAIM_SAMPLES_NOTE = ("Measured on this page with each claim's quick sample sizes (the criterion gives n; the "
                      "tolerance follows from it), so that a slider move stays fast for a whole class; "
                      "`python -m dropviz.claims` measures the full sizes.")


CLAIM_MARK = {"PASS": ":green[✔ holds]", "FAIL": ":red[✘ does not hold]", "N/A": ":gray[– not applicable]"}


def show_claim_results(results: list[claims.ClaimResult], note: str | None = None) -> None:
    """The claims panel for results measured elsewhere (e.g. on a model this page just trained). Each claim
    leads with its plain statement and the number just measured, named in words; the claim id, the criterion and
    the tolerance (what a practitioner checks) are folded into a details expander."""
    with st.container(border=True):
        st.markdown("**Claims on this page, measured live**")
        for r in results:
            if r.status == "N/A":  # the criterion says, in words, why it does not apply here
                st.markdown(f"{CLAIM_MARK[r.status]} {r.text}  \n:small[:gray[Not measured here: {r.criterion}.]]")
                continue
            what = f"{r.measures[:1].upper()}{r.measures[1:]}" if r.measures else "Measured value"
            st.markdown(f"{CLAIM_MARK[r.status]} {r.text}  \nMeasured now: {what} = **{r.value:.4g}**")
        with st.expander("Details: claim ids, criteria and tolerances", icon=":material/query_stats:"):
            for r in results:
                st.markdown(f"`{r.id}` **{r.status}** {r.value:.6g} :small[:gray[({r.criterion})]]")
            if note:
                st.caption(note)


PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def plot(fig, *, key: str | None = None) -> None:
    """A Plotly chart with our own theme (projector-friendly) at full container width."""
    st.plotly_chart(fig, theme=None, width="stretch", config=PLOT_CONFIG, key=key)


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def number_word(n: int, capital: bool = False) -> str:
    """``4`` -> ``"four"`` (digits above twelve): prose that counts registry entries stays right when one is added."""
    w = _WORDS[n] if 0 <= n < len(_WORDS) else str(n)
    return w.capitalize() if capital else w


PRINT_CSS = """<style>
@media print {
  /* a printed page is the lesson, not the controls: no sidebar, header, toolbar or status widget */
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none !important; }
  /* the main block takes the whole width and flows over pages instead of scrolling inside the window */
  [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"] {
    position: static !important; overflow: visible !important; height: auto !important; }
  [data-testid="stMain"] { margin-left: 0 !important; width: 100% !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0.5rem 1rem !important; }
  [data-testid="stPlotlyChart"], [data-testid="stImage"], [data-testid="stMetric"] { break-inside: avoid; }
}
</style>"""


def print_styles() -> None:
    """The print layout (``@media print``), injected once per run by app.py: hides the sidebar and lets the
    page flow over paper pages. A style-only ``st.html`` takes no space on screen."""
    st.html(PRINT_CSS)
