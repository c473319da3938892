"""The page list and navigation (st.navigation over pages/), the deep-link guard every page starts with, and
the global controls every page shares (seed, device)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st

from dropviz.bench.load import BENCH_FLOOR_ENV
from dropviz.bench.load import FLOOR as BENCH_FLOOR_URL
from dropviz.device import available_devices, default_device, describe
from dropviz.i18n import N_, _
from dropviz.methods import FAMILY_TITLES
from dropviz.ui.widgets import _control, _record, warn_bad_params

SEED_MAX = 2**31 - 1


# -- pages ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the repository root (where app.py lives)
    title: str  # in English, marked with N_ (shown translated: ``_(spec.title)``)
    icon: str
    url_path: str
    family: str | None = None  # the sidebar section: a family of dropviz.methods (None: top level)
    claims: tuple[str, ...] = ()  # the claim ids this page shows, declared once (ui.show_claims, the tests)
    trains: bool = False  # its default experiment trains on the first visit (the prewarm leaves it alone)


HOME = PageSpec("pages/00_home.py", N_("Home"), ":material/home:", "home")
PAGES: tuple[PageSpec, ...] = (
    HOME,
    PageSpec("pages/10_standard.py", N_("Standard dropout"), ":material/scatter_plot:", "standard", "dense",
             ("standard.keep_rate", "standard.expectation_preserved", "standard.classic_matches_inverted")),
    PageSpec("pages/11_gaussian.py", N_("Bernoulli vs Gaussian"), ":material/bar_chart:", "gaussian", "dense",
             ("gaussian.mean_one", "gaussian.std_matches", "gaussian.matches_bernoulli_variance")),
    PageSpec("pages/12_dropconnect.py", N_("DropConnect"), ":material/grid_on:", "dropconnect", "dense",
             ("dropconnect.gaussian_inference_beats_weight_scaling",)),
    PageSpec("pages/13_standout.py", N_("Standout"), ":material/tune:", "standout", "dense",
             ("standout.keep_prob_increases_with_drive", "standout.test_time_is_expectation")),
    PageSpec("pages/20_images.py", N_("Dropout on images"), ":material/image:", "images", "conv",
             ("pixel.independent_drops", "pixel.less_information_removed_than_blocks", "spatial.whole_channels",
              "cutout.region_geometry")),
    PageSpec("pages/21_maxpool.py", N_("Max-pooling dropout"), ":material/grid_view:", "maxpool", "conv",
             ("maxpool.pwp_matches_training_expectation",)),
    PageSpec("pages/22_dropblock.py", N_("DropBlock and Max-Drop"), ":material/select_all:", "dropblock", "conv",
             ("dropblock.actual_rate_below_nominal", "maxdrop.drops_maxima")),
    PageSpec("pages/30_rnn-masks.py", N_("Masks through time"), ":material/animation:", "rnn-masks", "recurrent",
             ("rnn.per_sequence_masks_constant", "rnn.no_dropout_matches_nn_lstm")),
    PageSpec("pages/31_rnn-memory.py", N_("Does it remember?"), ":material/memory:", "rnn-memory", "recurrent",
             ("rnn.naive_dropout_forgets",), trains=True),
    PageSpec("pages/40_lab.py", N_("Training lab"), ":material/model_training:", "lab", "training",
             ("training.dropout_reduces_overfitting",), trains=True),
    PageSpec("pages/41_backprop.py", N_("The mask in backprop"), ":material/undo:", "backprop", "training",
             ("backprop.same_mask_forward_backward", "backprop.minibatch_update_nonzero")),
    PageSpec("pages/42_per-sample.py", N_("One mask per sample or per batch"), ":material/view_week:", "per-sample",
             "training", ("minibatch.shared_mask_higher_grad_variance",), trains=True),
    PageSpec("pages/43_placement.py", N_("Where to put dropout"), ":material/place_item:", "placement", "training",
             ("placement.bn_variance_shift",), trains=True),
    PageSpec("pages/44_frameworks.py", N_("What your framework's dropout does"), ":material/code:", "frameworks",
             "training", ("frameworks.torch_lstm_dropout_not_variational",)),
    PageSpec("pages/50_mc-dropout.py", N_("Monte Carlo dropout"), ":material/blur_on:", "mc-dropout", "bayesian",
             ("mc.uncertainty_higher_off_data", "mc.ood_entropy_higher", "mc.better_calibrated"), trains=True),
    PageSpec("pages/51_sparse-vd.py", N_("Compression by variational dropout"), ":material/compress:", "sparse-vd",
             "bayesian", ("sparsevd.prunes_most_weights", "sparsevd.kl_approximation"), trains=True),
    PageSpec("pages/52_weight-norm.py", N_("Weight normalization"), ":material/straighten:", "weight-norm", "bayesian",
             ("weightnorm.grad_v_orthogonal", "weightnorm.matches_torch_parametrization",
              "weightnorm.faster_convergence"), trains=True),
)


def all_pages() -> list[PageSpec]:
    return list(PAGES)


def sections() -> dict[str, tuple[PageSpec, ...]]:
    """The sidebar sections, titled by family (:data:`dropviz.methods.FAMILY_TITLES`, in English: shown with
    ``_(section)``), in family order."""
    return {FAMILY_TITLES[f]: tuple(p for p in PAGES if p.family == f) for f in FAMILY_TITLES
            if any(p.family == f for p in PAGES)}


_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BY_FILE = {os.path.join(_ROOT, p.path): p for p in PAGES}


def current_page() -> PageSpec | None:
    """The spec of the page file whose code is running (found on the call stack), or None outside a page."""
    frame = sys._getframe(1)  # walk the frames directly: inspect.stack() would read every source file
    while frame is not None:
        spec = _BY_FILE.get(os.path.abspath(frame.f_code.co_filename))
        if spec is not None:
            return spec
        frame = frame.f_back
    return None


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
        return st.Page(spec.path, title=_(spec.title), icon=spec.icon, url_path=spec.url_path, default=default)

    nav: dict[str, list] = {"": [page(HOME, default=True)]}
    for section, specs in sections().items():
        nav[_(section)] = [page(s) for s in specs]
    if os.environ.get(BENCH_FLOOR_ENV) == "1":  # only on a server the load benchmark starts
        nav["Benchmark"] = [st.Page(bench_floor, title="Benchmark floor", icon=":material/speed:",
                                    url_path=BENCH_FLOOR_URL)]
    return st.navigation(nav, expanded=True)  # every section listed: 14 pages passed the default fold of 10


# -- the load benchmark's floor page --------------------------------------------------------------



def bench_floor() -> None:
    """The trivial page ``python -m dropviz.bench load`` compares every page with, in the same run: one slider
    and one 32×32 Plotly heatmap, through the same app.py, sidebar and chart settings as every page."""
    import numpy as np
    import plotly.graph_objects as go

    from dropviz.ui.render import plot

    st.title("Benchmark floor")
    v = st.slider("Value", 0.0, 1.0, 0.5, 0.05, key="p")
    z = np.random.default_rng(0).random((32, 32)) * v  # (32, 32)
    plot(go.Figure(go.Heatmap(z=z, zmin=0.0, zmax=1.0)), key="floor")


# -- global settings: seed and device ---------------------------------------------------------------


def sidebar() -> None:
    """The global controls, rendered once by app.py on every page."""
    with st.sidebar:
        warn_bad_params({"seed": (int, 0, SEED_MAX)})
        with _control("seed", _("Seed")) as hide:  # a lesson link may fix it (``?hide=seed``)
            value = st.number_input(
                _("Seed"), min_value=0, max_value=SEED_MAX, value=0, step=1, key="seed", bind="query-params",
                help=_("Every mask on every page is drawn from this seed: the same seed (on the same device) "
                       "shows the same masks, so a class can follow along."), disabled=hide,
            )
        _record("seed", int(value))
        devices = available_devices()
        st.selectbox(
            _("Device"), devices, index=devices.index(default_device()), key="device",
            help=_("Auto-detected: CUDA, then Apple MPS, then CPU. Masks are reproducible per device."),
        )
        st.caption(_("Computing on **{device}**").format(device=describe(device())))
        from dropviz.ui.language import language_selector

        language_selector()


def seed() -> int:
    return int(st.session_state.get("seed", 0))


def device() -> str:
    d = st.session_state.get("device")
    return d if d in available_devices() else default_device()




def requested_path(url: str | None, base_url_path: str = "") -> str | None:
    """The page part of the browser's URL (``http://host/course/standard`` with base path ``course`` ->
    ``"standard"``; the home page -> ``""``), or None when the URL is unknown (no browser, e.g. AppTest)."""
    if not url:
        return None
    path = urlsplit(url).path.strip("/")
    base = base_url_path.strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base):].strip("/")
    return path


def page_not_found(page) -> bool:
    """st.navigation runs the default (home) page for a URL that names no page. Compare the path the browser
    asked for with the page that runs, and when they differ say so at the top of the page, with a link to
    every page. Returns whether it said so."""
    from streamlit import config

    asked = requested_path(st.context.url, config.get_option("server.baseUrlPath") or "")
    if asked is None or asked == page.url_path or (page.url_path == "" and asked == HOME.url_path):
        return False
    with st.container(border=True):
        st.error(_("**Page not found:** DropViz has no page at `/{asked}`, so this is the home page. "
                   "Every page is listed here and in the sidebar:").format(asked=asked), icon=":material/search_off:")
        groups = {N_("Start"): (HOME,), **sections()}
        for col, (section, specs) in zip(st.columns(len(groups)), groups.items(), strict=True):
            col.markdown(f"**{_(section)}**")
            for spec in specs:
                col.page_link(spec.path, label=_(spec.title), icon=spec.icon)
    return True
