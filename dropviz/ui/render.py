"""Rendering helpers every page uses: the method header and facts, the claims panel, charts."""

from __future__ import annotations

import hashlib
import math
from typing import Callable

import pandas as pd
import streamlit as st

from dropviz import claims
from dropviz.claims import panel_text, questions
from dropviz.claims.core import number
from dropviz.i18n import N_, _, language
from dropviz.methods import Method
from dropviz.ui import cache
from dropviz.ui.classroom import TITLE_PX, presenting
from dropviz.ui.nav import current_page, seed
from dropviz.ui.widgets import seen_controls, shown_values

# -- rendering --------------------------------------------------------------------------------------


def method_header(method: Method, intro: str | None = None) -> None:
    """Title, one-line summary, the paper, and the facts a practitioner checks."""
    method = method.translated()  # the registry's text in the reader's language
    st.title(method.name)
    st.markdown(f"**{method.summary}**")
    if intro and presenting():  # on a projector the explanation is the teacher's: folded away
        with st.expander(_("About this page"), icon=":material/notes:"):
            st.markdown(intro)
    elif intro:
        st.markdown(intro)
    method_facts(method)


FACTS_LABEL = N_("Facts: what is masked, shared axes, test time, paper")


def method_facts(method: Method, label: str = FACTS_LABEL) -> None:
    """The registry record of ``method`` in an expander (``label`` shown translated)."""
    with st.expander(_(label), expanded=False):
        st.markdown(_facts(method))


def methods_facts(methods: tuple[Method, ...], label: str) -> None:
    """Several registry records in one expander (a page that compares methods; ``label`` shown translated)."""
    with st.expander(_(label), expanded=False):
        for m in (x.translated() for x in methods):
            st.markdown(f"**{m.name}** — {m.summary}\n\n{_facts(m)}")


def _facts(method: Method) -> str:
    """The registry record as a Markdown list: the labels translated here, the registry's texts (marked with
    ``N_`` in :mod:`dropviz.methods`) in the reader's language; the paper's citation stays as published."""
    method = method.translated()
    rows = (
        (_("Masks"), method.masks),
        (_("Axes sharing one random draw"), method.shared_axes),
        (_("At test time"), method.test_time),
        (_("What the paper calls p"), method.p_in_paper),
        (_("Paper"), f"[{method.paper.cite()}]({method.paper.url})"),
    )
    return "\n".join(_("- **{label}:** {value}").format(label=label, value=value) for label, value in rows)


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
    show_claim_results(results, params=params, note=CLAIM_SAMPLES_NOTE if cache.PAGE_CLAIMS_QUICK else None)
    return results


CLAIM_SAMPLES_NOTE = panel_text.SAMPLES_NOTE  # English; the panel shows it translated


CLAIM_MARK = {"PASS": ":green[✔ {}]", "FAIL": ":red[✘ {}]", "N/A": ":gray[– {}]"}  # around panel_text.MARK


def _mark(status: str) -> str:
    return CLAIM_MARK[status].format(_(panel_text.MARK[status]))


def show_claim_results(results: list[claims.ClaimResult], *, params: dict | None = None,
                       note: str | None = None, evidence: Callable[[], None] | None = None) -> None:
    """The claims panel for results measured elsewhere (e.g. on a model this page just trained). Each claim
    leads with its plain statement and the number just measured, named in words; the claim id, the criterion and
    the tolerance (what a practitioner checks) are folded into a details expander. A claim with a question
    (:mod:`dropviz.claims.questions`) is first asked (:func:`ask`): its statement and number appear only once
    the guess is committed. The numbers download as CSV (those still asked are left out). ``evidence`` draws
    what the claims were measured on (e.g. a table per seed): in the panel, once a claim is shown."""
    T = panel_text
    with st.container(border=True):
        st.markdown(f"**{_(T.HEADING)}**")
        shown = []
        for r in results:
            q = questions.for_claim(r.id)
            if q is not None and r.status != "N/A" and not ask(q, r, params or {}):
                continue
            shown.append(r)
            if r.status == "N/A":  # the criterion says, in words, why it does not apply here
                why = _(T.NOT_MEASURED).format(criterion=r.shown_criterion())
                st.markdown(f"{_mark(r.status)} {r.shown_text()}  \n:small[:gray[{why}]]")
                continue
            measures = r.shown_measures()
            what = f"{measures[:1].upper()}{measures[1:]}" if measures else _(T.MEASURED_VALUE)
            now = _(T.MEASURED_NOW).format(what=what, value=number(r.value, ".4g"))
            st.markdown(f"{_mark(r.status)} {r.shown_text()}  \n{now}")
        if not shown:
            return
        if evidence is not None:
            evidence()
        with st.expander(_(T.DETAILS), icon=":material/query_stats:"):
            for r in shown:
                st.markdown(f"`{r.id}` **{_(T.STATUS[r.status])}** {number(r.value, '.6g')} "
                            f":small[:gray[({r.shown_criterion()})]]")
            if note:
                st.caption(_(note))
        # one row per claim; headers and sentences in the page's language, id, status and value as the CLI has them
        cols = {k: _(v) for k, v in T.COLUMNS.items()}
        rows = [{cols["claim"]: r.id, cols["status"]: r.status, cols["value"]: r.value,
                 cols["measures"]: r.shown_measures(), cols["statement"]: r.shown_text(),
                 cols["criterion"]: r.shown_criterion()} for r in shown]
        _csv_button(rows, "claims", key="claims." + ".".join(r.id for r in shown))


def _guess_key(q: questions.Question, r: claims.ClaimResult) -> str:
    """One guess per question and measurement: new parameters (a new value) ask again."""
    digest = hashlib.sha1(f"{r.value:.9g}".encode()).hexdigest()[:10]  # not the value itself: keys reach the DOM
    return f"_guess.{q.claim}.{digest}"


def ask(q: questions.Question, r: claims.ClaimResult, params: dict) -> bool:
    """Predict, then reveal: before the guess, only the question (the claim, its value and the answer stay
    hidden); once the guess is committed, the verdict, how far off it was and, if wrong, the one-line reason.
    Returns whether the claim may now be shown."""
    T = panel_text
    key = _guess_key(q, r)
    st.markdown(":material/quiz: " + _(T.PREDICT).format(question=q.text(params)))
    if key not in st.session_state:
        with st.form(f"form{key}", border=False):
            if q.is_choice:  # the options stay English (what grading compares); the radio shows them translated
                guess = st.radio(_(T.YOUR_GUESS), q.options, index=None, key=f"input{key}", horizontal=True,
                                 format_func=q.shown_option)
            else:
                guess = st.slider(_(T.YOUR_GUESS), q.lo, q.hi, (q.lo + q.hi) / 2, q.step, key=f"input{key}")
            if st.form_submit_button(_(T.LOCK_IN), icon=":material/lock:"):
                if guess is None:
                    st.warning(_(T.PICK_FIRST))
                else:
                    st.session_state[key] = guess
                    st.rerun(scope="app")
        return False
    guess = st.session_state[key]
    right, off = q.grade(guess, r)
    answer = q.answer(r)
    if off is None:
        verdict = (":green[{}]".format(_(T.RIGHT).format(answer=q.shown_option(answer))) if right else
                   ":red[{}]".format(_(T.NOT_QUITE).format(guess=q.shown_option(guess),
                                                           answer=q.shown_option(answer))))
    else:
        verdict = _(T.CLOSE_ENOUGH if right else T.OFF).format(
            guess=number(guess, ".4g"), value=number(r.value, ".4g"), off=number(off, ".3g"),
            tolerance=number(q.tolerance, "g"))
    st.markdown(verdict + ("" if right else f"  \n:material/lightbulb: {q.shown_reason()}"))

    def again() -> None:
        st.session_state.pop(key, None)

    st.button(_(T.ASK_AGAIN), key=f"again{key}", on_click=again, type="tertiary", icon=":material/replay:")
    return True


def _csv_button(rows, name: str, *, key: str) -> None:
    data = pd.DataFrame(rows).to_csv(index=False)
    st.download_button("CSV", data, file_name=f"dropviz-{_page_name()}-{name}.csv", mime="text/csv",
                       key=f"csv.{key}", icon=":material/download:", on_click="ignore", type="tertiary")


def _page_name() -> str:
    spec = current_page()
    return spec.url_path if spec is not None else "dropviz"


def table(data, *, csv_name: str, key: str | None = None) -> None:
    """An experiment's numbers as a table, with a CSV download of exactly those numbers
    (``dropviz-<page>-<csv_name>.csv``). ``data``: a DataFrame or a list of row dicts."""
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    st.dataframe(df, hide_index=True)
    _csv_button(df, csv_name, key=key or csv_name)


def chart_rows(fig) -> list[dict]:
    """A chart's numbers, one row per point: the trace's name, x and y (bar, scatter and line traces)."""
    rows = []
    for i, tr in enumerate(fig.data):
        if tr.type not in ("bar", "scatter") or tr.y is None:
            continue
        x = list(tr.x) if tr.x is not None else list(range(len(tr.y)))
        name = tr.name or f"trace {i}"
        rows += [dict(series=name, x=xv, y=yv) for xv, yv in zip(x, tr.y, strict=False)
                 if not (isinstance(yv, float) and math.isnan(yv))]
    return rows


PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
EXPORT_WIDTH = 1280  # the PNG button draws the chart this wide, at EXPORT_SCALE: 1920 px, slide resolution
EXPORT_SCALE = 1.5
PRESENT_FONT = 18  # chart text in presenter mode; titles get classroom.TITLE_PX
PRESENT_MAX_HEIGHT = 600  # an animation with its controls fits a 1280x720 projector


def plot_config(fig, *, key: str | None = None, present: bool = False) -> dict:
    """Plotly's config: no logo, the PNG button at slide resolution (1920 px wide); no toolbar when presenting.
    An animation has no Plotly PNG button: plotly.js draws its play controls into the picture, so
    :func:`plot` offers the frame as a PNG drawn without them (:func:`dropviz.figures.gif.frame_png`)."""
    height = int(fig.layout.height or 450)
    config = {**PLOT_CONFIG, "toImageButtonOptions": {
        "format": "png", "filename": f"dropviz-{_page_name()}-{key or 'chart'}", "width": EXPORT_WIDTH,
        "height": height, "scale": EXPORT_SCALE}}
    if fig.frames:
        config["modeBarButtonsToRemove"] = [*PLOT_CONFIG["modeBarButtonsToRemove"], "toImage"]
    if present:
        config["displayModeBar"] = False
    return config


def present_figure(fig) -> None:
    """Projector type for ``fig`` in place: larger text, titles at least TITLE_PX, a margin above the title, an
    animation no taller than PRESENT_MAX_HEIGHT."""
    fig.update_layout(font_size=PRESENT_FONT)
    if fig.layout.title and fig.layout.title.text:
        fig.update_layout(title_font_size=TITLE_PX, margin_t=max(fig.layout.margin.t or 0, 90))
    fig.update_annotations(font_size=PRESENT_FONT - 2)
    if fig.frames and (fig.layout.height or 450) > PRESENT_MAX_HEIGHT:
        fig.update_layout(height=PRESENT_MAX_HEIGHT)


def _step_key(key: str | None) -> str:
    spec = current_page()
    return f"_frame.{spec.url_path if spec else ''}.{key}"


def caption_of_view() -> str:
    """The settings a GIF is captioned with: the page, every URL-bound control (method, p, seed...)."""
    spec = current_page()
    shown = shown_values()  # a translated option as the reader sees it; the link's own keys name the controls
    parts = [f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {', '.join(map(str, v))}"
             if isinstance(v, tuple) else f"{k} = {v}" for k, v in ((k, shown.get(k, v)) for k, (_l, v)
                                                                     in seen_controls().items()) if k != "seed"]
    return " · ".join(["DropViz", *([_(spec.title)] if spec else []), *parts, f"seed = {seed()}"])


def plot(fig, *, key: str | None = None, csv: str | None = None) -> None:
    """A Plotly chart with our own theme (projector-friendly) at full container width. In presenter mode larger
    type and no toolbar. A figure with frames (an animation) gets a GIF download built from those frames
    (:func:`dropviz.figures.gif.animation_gif`, made on click); ``csv`` names a CSV download of its numbers."""
    present = presenting()
    if present:
        present_figure(fig)
    step_key = _step_key(key)
    if fig.frames:
        from dropviz.figures.theme import show_frame

        at = min(int(st.session_state.get(step_key, 0)), len(fig.frames) - 1)
        st.session_state[step_key] = at
        if at:
            show_frame(fig, at)
    st.plotly_chart(fig, theme=None, width="stretch", config=plot_config(fig, key=key, present=present), key=key)
    if fig.frames:
        from dropviz.figures.gif import PNG_WIDTH, animation_gif, frame_png

        n = len(fig.frames)

        def step(by: int) -> None:
            st.session_state[step_key] = min(max(st.session_state.get(step_key, 0) + by, 0), n - 1)

        back, fwd, gif_col, png_col = st.columns([1, 1, 1, 1], vertical_alignment="center")
        back.button(_("◀ One frame back"), key=f"back.{step_key}", on_click=step, args=(-1,), type="tertiary",
                    disabled=at == 0, help=_("Open the animation one frame earlier (▶ Play goes on from there)."))
        fwd.button(_("One frame on ▶"), key=f"fwd.{step_key}", on_click=step, args=(1,), type="tertiary",
                   disabled=at == n - 1, help=_("Open the animation one frame later."))
        caption = caption_of_view()
        gif_col.download_button(_("Animation as GIF"), lambda: animation_gif(fig, caption), mime="image/gif",
                           file_name=f"dropviz-{_page_name()}-{key or 'animation'}.gif", key=f"gif.{key}",
                           icon=":material/gif_box:", on_click="ignore", type="tertiary",
                           help=_("The same frames as the chart, drawn with Pillow (at most 40, 960 px wide), "
                                  "captioned: {caption}").format(caption=caption))
        png_col.download_button(_("Frame as PNG"), lambda: frame_png(fig, at, caption), mime="image/png",
                                file_name=f"dropviz-{_page_name()}-{key or 'animation'}-{at + 1}.png",
                                key=f"png.{key}", icon=":material/image:", on_click="ignore", type="tertiary",
                                help=_("Frame {frame} of {n} for slides: {width} px wide, without the play "
                                       "controls, captioned: {caption}").format(frame=at + 1, n=n, width=PNG_WIDTH,
                                                                             caption=caption))
    if csv:
        _csv_button(chart_rows(fig), csv, key=f"chart.{key}")


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def number_word(n: int, capital: bool = False) -> str:
    """``4`` -> ``"four"`` (digits above twelve): prose that counts registry entries stays right when one is added.
    In the other languages the digits ("los 4 métodos", "4 个方法", "cele 4 metode"): a number word there agrees
    with its noun (gender, Chinese measure words), which one word per number cannot do."""
    if language() != "en":
        return str(n)
    w = _WORDS[n] if 0 <= n < len(_WORDS) else str(n)
    return w.capitalize() if capital else w


PRINT_CSS = """<style>
@media print {
  /* a printed page is the lesson, not the controls: no sidebar, header, toolbar or status widget */
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  .st-key-dvshare { display: none !important; }  /* nor the share panel (ui.classroom) */
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
