"""DropBlock and Max-Drop on the feature maps: blocks, nominal vs actual rate, and the maxima Max-Drop removes."""

import streamlit as st

from dropviz import i18n, imaging, methods, ui
from dropviz.demos import conv as conv_demo
from dropviz.figures import conv as figs
from dropviz.i18n import _, ngettext

ui.app_shell()

st.title(_("DropBlock and Max-Drop"))
ui.prose("intro")
ui.methods_facts((methods.get("dropblock"), methods.get("maxdrop")),
                 _("The two methods: what is masked, shared axes, test time, paper"))
img = ui.image_source()
seed, device = ui.seed(), ui.device()
p = ui.p_slider(default=0.3)
TILE = 225  # four feature maps to a row


@st.fragment
def dropblock_panel() -> None:
    st.subheader(_("DropBlock: blocks on the feature maps"))
    bs = ui.bound_slider(_("Block size"), 1, 31, 9, 1, key="block_size",
                         help=_("bs = 1 is pixel dropout. On a square map, bs = the map size is SpatialDropout; the "
                                "cat's maps are not square, so the largest block (the shorter side) still leaves a "
                                "strip kept."))
    d = ui.compute(conv_demo.dropblock_demo, image=img, p=p, seed=seed, block_size=bs, device=device)
    st.image(figs.map_tiles(d.maps, d.dropped_at), caption=[figs.filter_name(f.name) for f in imaging.FILTERS],
             width=TILE)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(_("Nominal p"), f"{d.p:.0%}")
    m2.metric(_("Expected actual"), f"{d.expected:.1%}",
              help=_("mean over positions of 1 − (1−γ)^(seeds covering it)"))
    m3.metric(_("This draw"), f"{d.actual:.1%}",
              help=ngettext("{n} seed over the 8 maps", "{n} seeds over the 8 maps", d.n_seeds).format(n=d.n_seeds))
    m4.metric(_("Seed rate γ"), f"{d.gamma:.4g}", help="γ = p·H·W / (bs²·(H−bs+1)(W−bs+1))")
    ui.plot(figs.dropblock_rate_figure(d), key="rate")
    st.caption(_("γ counts each {bs}×{bs} block as if it never overlapped another; overlapping blocks share "
                 "positions, so fewer positions are dropped than p, and more so as p grows. Kept values are rescaled "
                 "by count/count_ones (torchvision's normalisation).").format(bs=d.block_size))
    h, w = d.maps.shape[1:]
    ui.show_claims(only="dropblock", p=p, seed=seed, block_size=bs, height=h, width=w,
                   device=device)


@st.fragment
def maxdrop_panel() -> None:
    st.subheader(_("Max-Drop: the maxima it removes"))
    k = ui.bound_slider(_("Window"), 1, 15, 1, 2, key="maxdrop_window",
                        help=_("1 (the authors' default) drops only the maximum; k drops the k×k square around it."))
    d = ui.compute(conv_demo.maxdrop_demo, image=img, p=p, seed=seed, window=k, device=device)
    ui.plot(figs.maxdrop_figure(d, imaging.FILTERS), key="maxdrop")
    m1, m2, m3 = st.columns(3)
    m1.metric(_("Maps that lost their maximum"), _("{k} of {n}").format(k=int(d.hit.sum()), n=d.hit.size))
    m2.metric(_("Rate over {n} maps").format(n=i18n.fmt(d.n_maps, 0)), f"{d.hit_rate:.3f}", f"p = {p:g}",
              delta_color="off", delta_arrow="off")
    m3.metric(_("Rescale of every kept value"), f"×{d.scale:.5f}",
              help=_("1 / (1 − p·k²/(H·W)), as in the authors' code"))
    st.caption(_("Ringed: each map's maximum (kept). Crossed in red: a maximum Max-Drop dropped in this draw. This is "
                 "Park & Kwak's stochastic Max-Drop from their Caffe code, not the deterministic 2020 "
                 "'MaxDropout'."))
    ui.show_claims(only="maxdrop", p=p, seed=seed, window=d.window, image=img, device=device)


dropblock_panel()
maxdrop_panel()
