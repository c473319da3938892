"""The only dropviz module that imports Streamlit: the page list, shared widgets, cached wrappers and the
small rendering helpers every page uses (method header, claims panel, charts).

URL state: widgets that define a view are bound to query parameters (``bind="query-params"``), so a
shared link such as ``/standard?p=0.3&seed=7`` opens exactly that view. A malformed parameter is ignored
by Streamlit; :func:`warn_bad_params` tells the user so on the page.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable

import streamlit as st

from dropviz import claims, images
from dropviz.device import available_devices, default_device, describe
from dropviz.images import WorkingImage
from dropviz.methods import Method

SEED_MAX = 2**31 - 1


# -- pages ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the repository root (where app.py lives)
    title: str
    icon: str
    url_path: str


HOME = PageSpec("pages/00_home.py", "Home", ":material/home:", "home")
SECTIONS: dict[str, tuple[PageSpec, ...]] = {
    "Dense layers": (
        PageSpec("pages/10_standard.py", "Standard dropout", ":material/scatter_plot:", "standard"),
        PageSpec("pages/11_gaussian.py", "Bernoulli vs Gaussian", ":material/bar_chart:", "gaussian"),
        PageSpec("pages/12_dropconnect.py", "DropConnect", ":material/grid_on:", "dropconnect"),
        PageSpec("pages/13_standout.py", "Standout", ":material/tune:", "standout"),
    ),
    "Convolutional layers": (
        PageSpec("pages/20_images.py", "Dropout on images", ":material/image:", "images"),
        PageSpec("pages/21_maxpool.py", "Max-pooling dropout", ":material/grid_view:", "maxpool"),
        PageSpec("pages/22_dropblock.py", "DropBlock and Max-Drop", ":material/select_all:", "dropblock"),
    ),
    "Recurrent layers": (
        PageSpec("pages/30_rnn-masks.py", "Masks through time", ":material/animation:", "rnn-masks"),
        PageSpec("pages/31_rnn-memory.py", "Does it remember?", ":material/memory:", "rnn-memory"),
    ),
}


def all_pages() -> list[PageSpec]:
    return [HOME, *(p for pages in SECTIONS.values() for p in pages)]


def app_shell() -> None:
    """First line of every page: make sure the page runs inside app.py (page config, navigation, sidebar).

    When ``pages/`` sits next to app.py, Streamlit runs the very first script of a fresh server process (and
    every AppTest run) with its legacy multipage runner, which executes a deep-linked page file on its own.
    Page files are named so that the legacy runner finds them under the same URL as ``st.navigation``
    (``pages/10_standard.py`` -> ``/standard``), so it starts the right page; this guard then switches the
    process to ``st.navigation`` for good and reruns, now through app.py. Without it the first visitor of a
    shared link after a restart got a "Page not found" dialog, and AppTest never saw app.py's sidebar."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy runner: nothing to do
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets on its first call
        st.rerun()


def navigation():
    """``st.navigation`` over every page, grouped in sidebar sections."""
    def page(spec: PageSpec, default: bool = False):
        return st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=default)

    nav: dict[str, list] = {"": [page(HOME, default=True)]}
    for section, specs in SECTIONS.items():
        nav[section] = [page(s) for s in specs]
    return st.navigation(nav)


# -- global settings: seed and device ---------------------------------------------------------------


def sidebar() -> None:
    """The global controls, rendered once by app.py on every page."""
    with st.sidebar:
        warn_bad_params({"seed": (int, 0, SEED_MAX)})
        st.number_input(
            "Seed", min_value=0, max_value=SEED_MAX, value=0, step=1, key="seed", bind="query-params",
            help="Every mask on every page is drawn from this seed: the same seed (on the same device) "
            "shows the same masks, so a class can follow along.",
        )
        devices = available_devices()
        st.selectbox(
            "Device", devices, index=devices.index(default_device()), key="device",
            help="Auto-detected: CUDA, then Apple MPS, then CPU. Masks are reproducible per device.",
        )
        st.caption(f"Computing on **{describe(device())}**")


def seed() -> int:
    return int(st.session_state.get("seed", 0))


def device() -> str:
    d = st.session_state.get("device")
    return d if d in available_devices() else default_device()


# -- URL parameters ---------------------------------------------------------------------------------


def _parse(raw: str, kind: type, lo: float, hi: float) -> Any:
    value = kind(float(raw)) if kind is int and float(raw).is_integer() else kind(raw)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError
    if not lo <= value <= hi:
        raise ValueError
    return value


def _bad_link(key: str, requirement: str, ok: Callable[[str], bool]) -> bool:
    """If the link gives ``key`` a value that ``ok`` rejects (or gives it twice), say so on the page."""
    values = st.query_params.get_all(key)
    if not values or (len(values) == 1 and ok(values[0])):
        return False
    shown = "&".join(f"{key}={v}" for v in values)[:80]
    st.warning(f"Ignored the link's `{shown}`: `{key}` must be {requirement}", icon=":material/link_off:")
    return True


def _parses(raw: str, kind: type, lo: float, hi: float) -> bool:
    try:
        _parse(raw, kind, lo, hi)
    except (ValueError, OverflowError):
        return False
    return True


def warn_bad_params(spec: dict[str, tuple[type, float, float]]) -> None:
    """Show a clear message for each URL parameter in ``spec`` (name -> (type, min, max)) that does not
    parse or is out of range; the bound widget then falls back to its default."""
    for name, (kind, lo, hi) in spec.items():
        what = "a whole number" if kind is int else "a number"
        _bad_link(name, f"{what} from {lo:,} to {hi:,}; the control below shows the value in use.",
                  lambda raw, kind=kind, lo=lo, hi=hi: _parses(raw, kind, lo, hi))


def p_slider(
    label: str = "Drop probability p",
    *,
    key: str = "p",
    default: float = 0.5,
    lo: float = 0.0,
    hi: float = 1.0,
    step: float = 0.05,
    help: str | None = "DropViz's p is always the DROP probability (PyTorch/Keras convention).",
) -> float:
    """A probability slider bound to the URL (``?p=0.3``)."""
    warn_bad_params({key: (float, lo, hi)})
    return float(st.slider(label, lo, hi, default, step, key=key, bind="query-params", help=help))


def bound_select(label: str, options: tuple[str, ...], default: str, *, key: str, help: str | None = None,
                 horizontal: bool = True) -> str:
    """A choice that defines the view, bound to the URL under ``key`` (``?shape=circle``). An unknown value
    in the link is reported and replaced by the default."""
    _bad_link(key, f"one of {', '.join(options)}. Showing the default instead.", options.__contains__)
    value = st.radio(label, options, index=options.index(default), key=key, bind="query-params", help=help,
                     horizontal=horizontal)
    return value if value in options else default


def bound_slider(label: str, lo, hi, default, step, *, key: str, help: str | None = None):
    """Any numeric slider that defines the view, bound to the URL under ``key``."""
    warn_bad_params({key: (type(default), lo, hi)})
    return st.slider(label, lo, hi, default, step, key=key, bind="query-params", help=help)


def choice(label: str, options: tuple[str, ...], default: str, *, key: str, help: str | None = None) -> str:
    """A segmented control over ``options`` bound to the URL (``?method=rnndrop``); an unknown value in the
    link gets a clear message and the default. The options are their own labels (Streamlit writes a bound
    widget's *label* into the URL, so ids make the shareable links)."""
    if _bad_link(key, f"one of {', '.join(options)}. Showing the default instead.", options.__contains__):
        del st.query_params[key]
    picked = st.segmented_control(label, options, default=default, required=True, key=key, bind="query-params",
                                  help=help)
    return picked if picked in options else default


def flag(label: str, *, key: str, help: str | None = None, disabled: bool = False) -> bool:
    """A toggle bound to the URL (``?untied=true``); anything but true/false in the link gets a message."""
    if _bad_link(key, "true or false. Showing the default instead.", lambda v: v.lower() in ("true", "false")):
        del st.query_params[key]
    return bool(st.toggle(label, key=key, bind="query-params", help=help, disabled=disabled))


# -- computation ------------------------------------------------------------------------------------

# A WorkingImage is keyed by its pixels' digest (hashing the dataclass would pickle every pixel).
_cache = st.cache_data(max_entries=128, show_spinner=False, hash_funcs={WorkingImage: lambda im: im.digest})
_PRIVATE = "_dropviz_private_results"  # session_state key of the per-session cache
PRIVATE_ENTRIES = 24  # results kept per session for its own uploaded image


def _is_private(kwargs: dict[str, Any]) -> bool:
    return any(isinstance(v, WorkingImage) and v.private for v in kwargs.values())


def _session_cached(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """A small LRU cache in this session's own state: for results computed from a user's upload."""
    store: OrderedDict = st.session_state.setdefault(_PRIVATE, OrderedDict())
    key = (fn.__module__, fn.__qualname__,
           tuple(sorted((k, v.digest if isinstance(v, WorkingImage) else v) for k, v in kwargs.items())))
    if key in store:
        store.move_to_end(key)
        return store[key]
    value = store[key] = fn(**kwargs)
    while len(store) > PRIVATE_ENTRIES:
        store.popitem(last=False)
    return value


def compute(fn: Callable[..., Any], /, **kwargs) -> Any:
    """Call a pure dropviz function through a cache keyed by the function and its arguments.

    Public inputs (sliders, seeds, the bundled cat) go through Streamlit's cross-session cache: their results
    are arrays and numbers anyone could compute, so sharing them is safe. An argument that is a user's
    upload (a private :class:`WorkingImage`) sends the call to this session's own cache instead, so nothing
    computed from it is ever stored where another session could reach it."""
    if _is_private(kwargs):
        return _session_cached(fn, kwargs)
    return _cache(fn)(**kwargs)


def _run_claim(claim_id: str, params: tuple[tuple[str, Any], ...]) -> claims.ClaimResult:
    return claims.run(claim_id, **dict(params))


_claim = _cache(_run_claim)  # public parameters: one measurement shared by every session


# -- the picture the convolutional pages work on ----------------------------------------------------

_IMAGE = "dropviz_image"  # session_state: this session's uploaded WorkingImage (absent: the cat)
_IMAGE_MSG = "dropviz_image_message"  # session_state: why the last upload was refused


def _load_from(widget_key: str) -> None:
    """on_change of the uploader / camera: decode once, keep the result (or the reason) in this session."""
    f = st.session_state.get(widget_key)
    st.session_state.pop(_IMAGE_MSG, None)
    if f is None:  # the user removed the file: back to the cat
        st.session_state.pop(_IMAGE, None)
        return
    try:
        st.session_state[_IMAGE] = images.load_upload(f.getvalue(), f.name)
    except images.ImageLoadError as e:
        st.session_state.pop(_IMAGE, None)
        st.session_state[_IMAGE_MSG] = str(e)


def _back_to_cat() -> None:
    st.session_state.pop(_IMAGE, None)
    st.session_state.pop(_IMAGE_MSG, None)


def image_source() -> WorkingImage:
    """The picture of the convolutional pages: the bundled cat, or this session's own upload or webcam photo
    (it replaces the cat on every conv page of this session only). A file that cannot be used gets a clear
    message and the page carries on with the cat."""
    current: WorkingImage | None = st.session_state.get(_IMAGE)
    with st.expander("Your own image: upload a PNG, JPEG or WebP, or take a webcam photo", icon=":material/upload:",
                     expanded=current is not None or _IMAGE_MSG in st.session_state):
        st.file_uploader(
            "Upload an image", type=["png", "jpg", "jpeg", "webp"], key="upload_image",
            on_change=_load_from, args=("upload_image",),
            help=f"Up to {images.MAX_BYTES // 2**20} MB and {images.MAX_PIXELS // 10**6} megapixels; "
            f"it is downscaled to {images.WORKING_SIZE} px on its longest side and stays in this session.",
        )
        if st.toggle("Use the webcam", key="use_camera"):
            st.camera_input("Take a photo", key="camera_image", on_change=_load_from, args=("camera_image",))
        if current is not None:
            st.button("Back to the cat", on_click=_back_to_cat, icon=":material/pets:")
    if _IMAGE_MSG in st.session_state:
        st.warning(st.session_state[_IMAGE_MSG], icon=":material/broken_image:")
    if current is None:
        st.caption(f"The picture: {images.CAT_CREDIT}, at {_size_text(images.cat())}.")
        return images.cat()
    st.caption(f"The picture: **{current.name}** (yours, this session only), at {_size_text(current)}"
               + (f"; {current.note}" if current.note else "") + ".")
    return current


def _size_text(image: WorkingImage) -> str:
    h, w = image.size
    return f"{w} × {h} pixels"


# -- live training: at most MAX_TRAININGS at once per server, results kept for every session ----------

MAX_TRAININGS = 1  # 2 shared cores, and torch's CPU thread setting (dropviz.train) is process-wide
WAIT_S = 180  # how long a session waits for a free trainer before giving up with a message
KEEP_RESULTS = 32  # trained results kept (least recently used dropped first); each is a few kB


@dataclass
class _Trainers:
    slots: threading.BoundedSemaphore
    lock: threading.Lock
    results: OrderedDict  # frozen config -> result


@st.cache_resource
def _trainers() -> _Trainers:
    """One per server process, shared by every session."""
    return _Trainers(threading.BoundedSemaphore(MAX_TRAININGS), threading.Lock(), OrderedDict())


def trained(config: Hashable) -> Any | None:
    """The result already trained for this frozen config by any session, or None."""
    t = _trainers()
    with t.lock:
        if config in t.results:
            t.results.move_to_end(config)
            return t.results[config]
    return None


def train(fn: Callable[..., Any], config: Hashable, *, what: str = "Training") -> Any | None:
    """``fn(config, on_step=...)`` with a progress bar, at most MAX_TRAININGS at once in this server; the
    result is kept for every session under ``config``. While all trainers are busy this session says so and
    waits (pages that do not train are never blocked); after WAIT_S it gives up and returns None."""
    t = _trainers()
    done = trained(config)
    if done is not None:
        return done
    bar = st.progress(0.0, text=f"{what}: starting…")
    if not t.slots.acquire(blocking=False):
        note = st.info("Waiting for a free trainer: another session is training right now "
                       f"(at most {MAX_TRAININGS} at a time on this server).", icon=":material/hourglass_top:")
        deadline = time.monotonic() + WAIT_S
        while not t.slots.acquire(timeout=0.5):
            if time.monotonic() > deadline:
                note.empty()
                bar.empty()
                st.warning("All trainers stayed busy; nothing was trained. Press the button again in a minute.",
                           icon=":material/hourglass_disabled:")
                return None
        note.empty()
    try:
        result = trained(config)  # another session may have trained it while we waited
        if result is None:
            shown = [-1]

            def on_step(n: int, total: int, label: str) -> None:
                pct = int(100 * n / total)
                if pct != shown[0]:  # one message per percent, not per step
                    shown[0] = pct
                    bar.progress(n / total, text=f"{what}: {label}, step {n:,} of {total:,}")

            result = fn(config, on_step=on_step)
            with t.lock:
                t.results[config] = result
                while len(t.results) > KEEP_RESULTS:
                    t.results.popitem(last=False)
    finally:
        t.slots.release()
    bar.empty()
    return result


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


def show_claims(claim_ids: list[str], **params) -> list[claims.ClaimResult]:
    """Each claim measured now, at this page's parameters (each claim gets the ones it takes), with its number
    and a pass mark. Claims about a user's upload are computed in (and cached for) that session only, like
    :func:`compute`."""
    results = []
    for cid in claim_ids:
        mine = claims.get(cid).accepted(params)  # a page passes all its parameters; each claim takes its own
        key = tuple(sorted(mine.items()))
        results.append(_session_cached(_run_claim, dict(claim_id=cid, params=key)) if _is_private(mine)
                       else _claim(cid, key))
    show_claim_results(results)
    return results


def show_claim_results(results: list[claims.ClaimResult]) -> None:
    """The claims panel for results measured elsewhere (e.g. on a model this page just trained)."""
    with st.container(border=True):
        st.markdown("**Claims on this page, measured live**")
        for r in results:
            mark = {"PASS": ":green[✔ PASS]", "FAIL": ":red[✘ FAIL]", "N/A": ":gray[– N/A]"}[r.status]
            value = "" if r.status == "N/A" else f" — measured **{r.value:.4g}**"
            st.markdown(f"{mark} {r.text}{value}  \n:small[:gray[`{r.id}` · {r.criterion}]]")


PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def plot(fig, *, key: str | None = None) -> None:
    """A Plotly chart with our own theme (projector-friendly) at full container width."""
    st.plotly_chart(fig, theme=None, width="stretch", config=PLOT_CONFIG, key=key)
