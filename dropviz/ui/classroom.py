"""For the classroom, on every page through app.py and the shared helpers (a page adds no code):

- **presenter mode** (``?present=true``, or the toggle in the share panel): larger type and chart fonts for a
  projector at 1280×720, the sidebar and the Streamlit header hidden, the Plotly toolbar hidden (``ui.plot``);
- **lesson links** (``?hide=p,seed``): the "share this view" panel builds a link with the current value of every
  URL-bound control and lets the teacher tick which ones the students see; the others are drawn disabled and
  hidden (:func:`dropviz.ui.widgets._control`), so the link fixes them. A ``hide`` naming a control the page does
  not have, or garbage, is reported by the one rule for a bad link value (``widgets._bad_link``).

TensorFlow Playground's lesson links (per-control ``_hide`` flags) are the model.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from dropviz.i18n import _
from dropviz.ui.widgets import HIDE, _bad_link, hidden_keys, seen_controls

PRESENT = "present"
TITLE_PX = 22  # chart titles in presenter mode (the screenshot test checks them against this)
H1_PX = 44  # the page title in presenter mode

HIDDEN_CSS = """<style>
/* a control a lesson link hides: drawn disabled (its value fixed at the link's) and not shown */
div[class*="st-key-dvhidden_"] { display: none !important; }
</style>"""

PRESENTER_CSS = f"""<style>
/* presenter mode: a projector at 1280x720 read from the back of the room */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] {{ display: none !important; }}
[data-testid="stMain"] {{ margin-left: 0 !important; }}
[data-testid="stMainBlockContainer"] {{ max-width: 100% !important; padding: 1rem 2rem 3rem !important; }}
[data-testid="stMain"] h1 {{ font-size: {H1_PX}px !important; }}
[data-testid="stMain"] h2, [data-testid="stMain"] h3 {{ font-size: 30px !important; }}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stWidgetLabel"] p, [data-testid="stCaptionContainer"] {{ font-size: 21px !important; }}
</style>"""


def presenting() -> bool:
    """Presenter mode: the toggle's value (the share panel), else the link's ``?present=true``."""
    if PRESENT in st.session_state:
        return bool(st.session_state[PRESENT])
    return st.query_params.get(PRESENT, "").lower() == "true"


def styles() -> None:
    """The classroom CSS for this run (style-only ``st.html`` takes no space): hidden controls, presenter mode."""
    st.html(HIDDEN_CSS + (PRESENTER_CSS if presenting() else ""))


def _as_params(key: str, value) -> list[tuple[str, str]]:
    if isinstance(value, bool):
        return [(key, "true" if value else "false")]
    if isinstance(value, float):
        return [(key, f"{value:g}")]
    if isinstance(value, (tuple, list)):
        return [(key, str(v)) for v in value]
    return [(key, str(value))]


def lesson_link(url_path: str, values: dict, *, visible: tuple[str, ...] | None = None, present: bool = False,
                base: str = "") -> str:
    """``/standard?p=0.3&seed=7&present=true&hide=seed``: every control's value, the controls not in ``visible``
    hidden (None: all visible), presenter mode on request. ``base`` is ``scheme://host[/base path]``."""
    params = [kv for key, value in values.items() for kv in _as_params(key, value)]
    if present:
        params.append((PRESENT, "true"))
    hide = [k for k in values if visible is not None and k not in visible]
    if hide:
        params.append((HIDE, ",".join(hide)))
    return f"{base}/{url_path}?{urlencode(params, safe=',')}"


def _base() -> str:
    from streamlit import config

    url = st.context.url
    if not url:
        return ""
    parts = urlsplit(url)
    path = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"{parts.scheme}://{parts.netloc}" + (f"/{path}" if path else "")


def after_page(slot, url_path: str) -> None:
    """Run by app.py once the page has drawn its controls: check the link's ``hide`` against them and draw the
    share panel into ``slot`` (a container at the top of the page)."""
    controls = seen_controls()
    with slot:
        known = tuple(controls)
        _bad_link(HIDE, (_("`{key}` must be a comma-separated list of this page's controls ({controls}); the others "
                           "are ignored.").format(key=HIDE, controls=", ".join(known)) if known else
                         _("`{key}` must name this page's controls, and this page has none; it is ignored.").format(
                             key=HIDE)),
                  lambda raw: bool(raw) and all(n.strip() in known for n in raw.split(",")))
        _bad_link(PRESENT, _("`{key}` must be true or false.").format(key=PRESENT),
                  lambda v: v.lower() in ("true", "false"))
        with st.container(key="dvshare"), st.expander(_("Share this view · lesson link · presenter mode"),
                                                        icon=":material/share:"):
            st.toggle(_("Presenter mode: large type, no sidebar, no chart toolbar"), key=PRESENT, bind="query-params",
                      help=_("Readable on a projector at 1280×720; the same as opening the link with "
                             "?present=true."))
            if not known:
                st.caption(_("This page has no controls to fix: its link is its address."))
                return
            labels = {k: label for k, (label, _) in controls.items()}
            hidden = hidden_keys()
            visible = st.multiselect(
                _("Controls the students see (the others are hidden and fixed at their current value)"), known,
                default=[k for k in known if k not in hidden], format_func=lambda k: f"{labels[k]} ({k})",
                key=f"_share.visible.{url_path}")
            present = st.checkbox(_("The link opens in presenter mode"), value=True, key=f"_share.present.{url_path}")
            link = lesson_link(url_path, {k: v for k, (_, v) in controls.items()}, visible=tuple(visible),
                               present=present, base=_base())
            st.caption(_("Lesson link (copy it with the button at its right):"))
            st.code(link, language=None, wrap_lines=True)
            st.link_button(_("Open the lesson link"), link, icon=":material/open_in_new:")
