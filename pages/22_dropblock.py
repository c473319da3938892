"""DropBlock and Max-Drop on the feature maps: blocks, nominal vs actual rate, and the maxima Max-Drop removes."""

import streamlit as st

from dropviz import imaging, methods, ui
from dropviz.demos import conv as conv_demo
from dropviz.figures import conv as figs

ui.app_shell()

st.title("DropBlock and Max-Drop")
st.markdown(
    "Two structured alternatives to pixel dropout on the feature maps of the picture. **DropBlock** drops "
    "contiguous squares, so a whole part of the object disappears from a map. **Max-Drop** targets each map's "
    "strongest response: with probability p it zeroes the map's maximum (or a window around it)."
)
ui.methods_facts((methods.get("dropblock"), methods.get("maxdrop")),
                 "The two methods: what is masked, shared axes, test time, paper")
img = ui.image_source()
seed, device = ui.seed(), ui.device()
p = ui.p_slider(default=0.3)
TILE = 225  # four feature maps to a row


@st.fragment
def dropblock_panel() -> None:
    st.subheader("DropBlock: blocks on the feature maps")
    bs = ui.bound_slider("Block size", 1, 31, 9, 1, key="block_size",
                         help="bs = 1 is pixel dropout. On a square map, bs = the map size is SpatialDropout; "
                              "the cat's maps are not square, so the largest block (the shorter side) still leaves "
                              "a strip kept.")
    d = ui.compute(conv_demo.dropblock_demo, image=img, p=p, seed=seed, block_size=bs, device=device)
    st.image(figs.map_tiles(d.maps, d.dropped_at), caption=[f.name for f in imaging.FILTERS], width=TILE)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Nominal p", f"{d.p:.0%}")
    m2.metric("Expected actual", f"{d.expected:.1%}", help="mean over positions of 1 − (1−γ)^(seeds covering it)")
    m3.metric("This draw", f"{d.actual:.1%}", help=f"{d.n_seeds} seeds over the 8 maps")
    m4.metric("Seed rate γ", f"{d.gamma:.4g}", help="γ = p·H·W / (bs²·(H−bs+1)(W−bs+1))")
    ui.plot(figs.dropblock_rate_figure(d), key="rate")
    st.caption(f"γ counts each {d.block_size}×{d.block_size} block as if it never overlapped another; overlapping "
               "blocks share positions, so fewer positions are dropped than p, and more so as p grows. Kept values "
               "are rescaled by count/count_ones (torchvision's normalisation).")
    h, w = d.maps.shape[1:]
    ui.show_claims(only="dropblock", p=p, seed=seed, block_size=bs, height=h, width=w,
                   device=device)


@st.fragment
def maxdrop_panel() -> None:
    st.subheader("Max-Drop: the maxima it removes")
    k = ui.bound_slider("Window", 1, 15, 1, 2, key="maxdrop_window",
                        help="1 (the authors' default) drops only the maximum; k drops the k×k square around it.")
    d = ui.compute(conv_demo.maxdrop_demo, image=img, p=p, seed=seed, window=k, device=device)
    ui.plot(figs.maxdrop_figure(d, imaging.FILTERS), key="maxdrop")
    m1, m2, m3 = st.columns(3)
    m1.metric("Maps that lost their maximum", f"{int(d.hit.sum())} of {d.hit.size}")
    m2.metric(f"Rate over {d.n_maps:,} maps", f"{d.hit_rate:.3f}", f"p = {p:g}", delta_color="off", delta_arrow="off")
    m3.metric("Rescale of every kept value", f"×{d.scale:.5f}", help="1 / (1 − p·k²/(H·W)), as in the authors' code")
    st.caption("Ringed: each map's maximum (kept). Crossed in red: a maximum Max-Drop dropped in this draw. This is "
               "Park & Kwak's stochastic Max-Drop from their Caffe code, not the deterministic 2020 'MaxDropout'.")
    ui.show_claims(only="maxdrop", p=p, seed=seed, window=d.window, image=img, device=device)


dropblock_panel()
maxdrop_panel()
