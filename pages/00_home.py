"""Landing page: what dropout is, and a live gallery of every registered method."""

import streamlit as st

from dropviz import i18n, methods, ui
from dropviz.figures.theme import thumbnail_image
from dropviz.i18n import N_, _

ui.app_shell()

st.title("DropViz")
ui.prose("intro")  # dropviz/i18n/prose/<lang>/home.md

p = ui.p_slider(N_("Drop probability p for the gallery"))
seed = ui.seed()

for family in methods.FAMILIES:
    members = methods.by_family(family)
    if not members:
        continue
    st.subheader(_(methods.FAMILY_TITLES[family]))
    if f"gallery-{family}" in i18n.prose_sections("home", "en"):  # what each thumbnail of the family shows
        st.caption(i18n.prose("home", f"gallery-{family}"))
    cols = st.columns(4)
    for i, m in enumerate(members):
        with cols[i % 4].container(border=True):
            st.markdown(f"**{_(m.name)}**")
            shown = ui.compute(m.thumbnail, p=p, seed=seed)
            st.image(thumbnail_image(shown), width="stretch")
            st.caption(methods.gallery_caption(m.id, shown))
            st.caption(_(m.summary))
            st.page_link(m.page, label=_("Open the page"), icon=":material/arrow_forward:")
