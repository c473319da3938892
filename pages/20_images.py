"""Dropout on images: the cat (or your photo) and its feature maps under every conv method, same p and seed."""

import streamlit as st

from dropviz import imaging, layers, masks, methods, ui
from dropviz.demos import conv as conv_demo
from dropviz.figures import conv as figs
from dropviz.i18n import _

ui.app_shell()

TILE = 148  # px per feature map in the grid (four to a row beside the picture)
CHANNELS = {"all (the paper)": None, "one": 1, "two": 2}  # the URL's values (English in every language)

st.title(_("Dropout on images"))
ui.prose("intro")
conv = methods.by_family("conv")
ui.methods_facts(conv, _("The {n} methods: what is masked, shared axes, test time, paper").format(n=len(conv)))
img = ui.image_source()
seed, device = ui.seed(), ui.device()
p, bs, k = ui.controls(
    lambda: ui.p_slider(default=0.3),
    lambda: ui.bound_slider(_("DropBlock block size"), 1, 31, 9, 2, key="block"),
    lambda: ui.bound_slider(_("Max-Drop window"), 1, 31, 9, 2, key="window",
                            help=_("The authors' default is 1 (only the maximum itself); larger is easier to see.")),
    widths=[2, 1, 1],
)
with st.expander(_("Cutout options: shape, number of holes, channels"), icon=":material/crop_square:"):
    o1, o2, o3 = st.columns(3)
    with o1:
        kind = ui.bound_select(_("Shape"), masks.CUTOUT_SHAPES, "square", key="shape",
                               format_func=figs.option_label)
    with o2:
        holes = ui.bound_slider(_("Holes"), 1, 8, 1, 1, key="holes")
    with o3:
        chans = ui.bound_select(_("Channels per hole"), tuple(CHANNELS), "all (the paper)", key="channels",
                                format_func=figs.option_label)
    st.caption(_("Cutout has no p of its own: DropViz sizes the holes so that together their nominal area is p of "
                 "the picture (all shapes have the same area, L²). Clipping at the border and overlap make it less."))
settings = layers.Settings(block_size=bs, cutout_kind=kind, cutout_holes=holes, cutout_channels=CHANNELS[chans],
                         maxdrop_window=k)

st.subheader(_("1 · Every method, same p, same seed"))
demo = ui.compute(conv_demo.image_demo, image=img, p=p, seed=seed, settings=settings, device=device)
for tiles, captions in [figs.clean_row(demo), *(figs.method_row(v, demo.filters) for v in demo.views)]:
    left, right = st.columns([1, 2], vertical_alignment="center")
    left.image(tiles[0], caption=captions[0], width="stretch", output_format="JPEG")
    right.image(tiles[1:], caption=captions[1:], width=TILE)
st.caption(_("Feature maps: Viridis, each on the scale of its clean map; **light grey = dropped**. Pictures show the "
             "kept values without the 1/(1−p) rescale, so brightness stays comparable; there a dropped value is a "
             "colour channel set to 0, so **a pixel that lost one or two of its channels takes a colour cast** (lost "
             "blue: yellow, lost green: magenta, lost red: green-blue) and only a pixel that lost all three is black.")
           + " " + figs.filters_legend(demo.filters))


@st.fragment
def animation_panel() -> None:
    st.subheader(_("2 · Training iterations: a fresh mask every step"))
    a1, a2 = st.columns([2, 1])
    with a1:
        names = ("the picture", *(f.name for f in imaging.FILTERS))
        what = ui.bound_select(_("Animate"), names, names[0], key="animate", format_func=figs.option_label)
    with a2:
        frames = ui.bound_slider(_("Iterations"), 2, 16, 6, 1, key="frames")
    original = img.pixels if what == names[0] else demo.maps[names.index(what) - 1]
    ui.plot(ui.figure(figs.animation_figure, conv_demo.animation, original, image=img, p=p, seed=seed,
                      settings=settings, target=names.index(what) - 1, n_frames=frames, device=device),
            key="animation")
    st.caption(_("Press ▶ Play or drag the iteration slider. Max-pooling dropout is left out: its output is "
                 "smaller."))


animation_panel()


@st.fragment
def information_panel() -> None:
    st.subheader(_("3 · How much information did each method remove?"))
    draws = ui.bound_slider(_("Masks averaged"), 1, 16, 4, 1, key="draws")
    info = ui.compute(conv_demo.information_removed, image=img, p=p, seed=seed, settings=settings, n_draws=draws,
                      device=device)
    st.markdown(_("Fill every dropped value from its kept neighbours (a simple push-pull inpainting) and compare "
                  "with the original: PSNR in dB, higher is closer. What inpainting recovers was not really removed."))
    ui.plot(figs.information_figure(info), key="information", csv="psnr-per-method")
    st.caption(_("Light blue: pixel dropout removing as many values as that method actually did. At large p the "
                 "block methods drop far fewer values than p (clipping, overlap), so compare at the same actual "
                 "fraction too."))
    columns = st.columns(len(info.methods))
    for col, m, masked, filled, db in zip(columns, info.methods, info.masked, info.inpainted, info.psnr_inpainted,
                                          strict=True):
        col.image(masked, caption=_("{method}, masked").format(method=figs.label(m)), width="stretch",
                  output_format="JPEG")
        col.image(filled, caption=_("inpainted: {db} dB").format(db=f"{db:.1f}"), width="stretch",
                  output_format="JPEG")


information_panel()
h, w = img.size
ui.show_claims(p=p, seed=seed, block_size=bs, image=img, height=h, width=w, device=device)
