"""Landing page: what dropout is, and a live gallery of every registered method."""

import streamlit as st

from dropviz import methods, ui
from dropviz.figures.theme import thumbnail_image

ui.app_shell()

st.title("DropViz")
st.markdown(
    "**Dropout** trains a neural network while randomly switching off parts of it: at every training step "
    "each unit (or weight, channel, block, …) is dropped with probability *p*, so the network cannot rely "
    "on any one part being there. At test time nothing is dropped, and the scales are matched so that, on "
    "average, every unit sees what it saw in training: in the classic form the outputs are multiplied by 1−p at "
    "test time; in the inverted form (the default everywhere, PyTorch and DropViz included) the kept units are "
    "divided by 1−p during training, and test time is the identity. Every picture and number in DropViz is computed "
    "live from the seed in the sidebar, and every claim on a page is measured as you watch."
)

GALLERY_INPUT = {
    "dense": "Each thumbnail is the same positive 8 × 16 input (examples × units) after the method's mask: "
    "light grey cells were dropped. Standout ignores p: its keep probability comes from each unit's own drive.",
    "conv": "Each thumbnail is the cat after the method, kept values without the rescale: a dropped value is a "
    "colour channel set to 0, so a pixel that lost one or two colours takes a colour cast and one that lost all "
    "three is black. Max-pooling dropout shows its pooled output (half the size).",
    "recurrent": "Recurrent thumbnails are units × time steps of one sequence (embedding dropout: sequences × "
    "tokens), so a mask reused over time shows as a stripe.",
    "bayesian": "Monte Carlo dropout draws the standard mask at test time too (this is one of its T passes); the "
    "Sparse VD thumbnail is variational dropout's multiplicative N(1, α) noise at α = p/(1−p), which Sparse VD "
    "learns per weight instead of fixing.",
}
p = ui.p_slider("Drop probability p for the gallery")
seed = ui.seed()

for family in methods.FAMILIES:
    members = methods.by_family(family)
    if not members:
        continue
    st.subheader(methods.FAMILY_TITLES[family])
    if family in GALLERY_INPUT:
        st.caption(GALLERY_INPUT[family])
    cols = st.columns(4)
    for i, m in enumerate(members):
        with cols[i % 4].container(border=True):
            st.markdown(f"**{m.name}**")
            shown = ui.compute(m.thumbnail, p=p, seed=seed)
            st.image(thumbnail_image(shown), width="stretch")
            st.caption(methods.gallery_caption(m.id, shown))
            st.caption(m.summary)
            st.page_link(m.page, label="Open the page", icon=":material/arrow_forward:")
