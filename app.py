"""DropViz: dropout and its variants, shown and proven live.  Run: ``streamlit run app.py``."""

import streamlit as st

from dropviz import ui
from dropviz.i18n import _

ui.choose_language()  # ?lang=, else the browser's language: before any text is drawn
st.set_page_config(
    page_title=_("DropViz: dropout, shown and proven"),
    page_icon=":material/grain:",
    layout="wide",
    initial_sidebar_state="expanded",
    menu_items={"About": _("DropViz shows how dropout and its variants work, and proves each claim live.")},
)
page = ui.navigation()
ui.print_styles()
ui.classroom_styles()  # hidden controls of a lesson link; presenter mode
ui.forget_controls()  # the URL-bound controls drawn from here on are this run's (the share panel lists them)
ui.bad_language_link()  # before the selector, which drops a value it cannot use from the URL
ui.sidebar()
ui.prewarm.start()  # once per server: every page's p steps computed in the background
ui.page_not_found(page)
share = st.container()  # the share panel, at the top, drawn once the page has drawn its controls
page.run()
ui.share_panel(share, page.url_path)
