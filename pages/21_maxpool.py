"""Max-pooling dropout: the mask inside each pooling window, and which test-time rule gets the expectation."""

import streamlit as st

from dropviz import i18n, imaging, methods, ui
from dropviz.demos import conv as conv_demo
from dropviz.figures import conv as figs
from dropviz.i18n import _

ui.app_shell()

ui.method_header(methods.get("maxpool"), intro=i18n.prose("maxpool", "intro"))
img = ui.image_source()
seed, device = ui.seed(), ui.device()
names = tuple(f.name for f in imaging.FILTERS)
p, pool, fmap = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider(_("Pooling window"), 2, 3, 2, 1, key="pool",
                            help=_("Non-overlapping pool × pool windows.")),
    lambda: st.selectbox(_("Feature map"), names, index=1, key=ui.page_key("fmap"), format_func=figs.filter_name,
                         help=_("The crop is where this map's pooling windows vary most inside.")),
    widths=[2, 1, 1],
)

st.subheader(_("One training pass, zoomed in"))
d = ui.compute(conv_demo.maxpool_demo, image=img, p=p, seed=seed, pool=pool, filter_index=names.index(fmap),
               n_mc=2000, device=device)
ui.plot(figs.maxpool_grid_figure(d), key="grid")
st.caption(_("Activations of the {map} map from row {row}, column {col} (relative to the map's robust maximum). A "
             "small ✕ in a cell's corner: dropped in this pass; no rescaling is applied.").format(
    map=figs.filter_name(fmap), row=d.origin[0], col=d.origin[1]))


@st.fragment
def test_time_panel() -> None:
    st.subheader(_("At test time: max vs scaled max vs probabilistic weighted pooling"))
    n_mc = ui.bound_slider(_("Training passes averaged"), 100, 50_000, conv_demo.MAXPOOL_PASSES, 100, key="passes")
    e = ui.compute(conv_demo.maxpool_demo, image=img, p=p, seed=seed, pool=pool, filter_index=names.index(fmap),
                   n_mc=n_mc, device=device)
    ui.plot(figs.maxpool_rules_figure(e), key="rules")
    m1, m2, m3 = st.columns(3)
    m1.metric(_("Max pooling error"), f"{e.error(e.max_out):.4f}",
              help=_("mean |max − Monte Carlo mean|: overestimates"))
    m2.metric(_("Scaled max (1−p)·max error"), f"{e.error(e.scaled_out):.4f}", help=_("underestimates"))
    m3.metric(_("PWP error"), f"{e.error(e.pwp_out):.4f}", help=_("only Monte Carlo noise is left"))
    st.markdown(_("PWP: s = Σᵢ q(1−q)^(n−i)·a₍ᵢ₎ over each window's n = {n} activations sorted ascending. It is "
                  "exactly the expected training output for non-negative (post-ReLU) inputs; as p → 0 it becomes max "
                  "pooling.").format(n=pool * pool))
    ui.plot(figs.window_distribution_figure(e), key="distribution")
    ui.show_claims(p=p, seed=seed, pool=pool, n_mc=n_mc,
                   filter_index=names.index(fmap), image=img, device=device)


test_time_panel()
