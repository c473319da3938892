"""The only Streamlit code in dropviz, split by concern: ``nav`` (page list, navigation, seed and device),
``widgets`` (URL-bound controls, one rule for a bad link value), ``cache`` (shared vs per-session results),
``upload`` (the cat or the user's own picture), ``training`` (the job queue seen from a page) and ``render``
(headers, claims panels, charts). Pages use the names re-exported here: ``ui.p_slider(...)``."""

from dropviz.ui import prewarm
from dropviz.ui.cache import PRIVATE_ENTRIES, compute, figure
from dropviz.ui.classroom import after_page as share_panel
from dropviz.ui.classroom import lesson_link, presenting
from dropviz.ui.classroom import styles as classroom_styles
from dropviz.ui.experiment import trained_or_button
from dropviz.ui.language import bad_language_link, choose_language, language_selector, prose
from dropviz.ui.nav import (
    HOME,
    PAGES,
    SEED_MAX,
    PageSpec,
    all_pages,
    app_shell,
    current_page,
    device,
    navigation,
    page_not_found,
    requested_path,
    sections,
    seed,
    sidebar,
)
from dropviz.ui.render import (
    PLOT_CONFIG,
    ask,
    chart_rows,
    method_facts,
    method_header,
    methods_facts,
    number_word,
    page_claims,
    plot,
    plot_config,
    print_styles,
    show_claim_results,
    show_claims,
    table,
)
from dropviz.ui.training import (
    KEEP_RESULTS,
    MAX_QUEUED,
    MAX_TRAININGS,
    capacity,
    in_progress,
    queue,
    train_job,
    trained,
)
from dropviz.ui.upload import image_source
from dropviz.ui.widgets import (
    bound_select,
    bound_slider,
    choice,
    choices,
    controls,
    flag,
    forget_controls,
    hidden_keys,
    p_slider,
    page_key,
    seen_controls,
    warn_bad_params,
)

__all__ = [
    "HOME", "KEEP_RESULTS", "MAX_QUEUED", "MAX_TRAININGS", "PAGES", "PLOT_CONFIG", "PRIVATE_ENTRIES", "PageSpec",
    "SEED_MAX", "all_pages", "app_shell", "bound_select", "bound_slider", "capacity",
    "choice", "choices", "compute",
    "controls", "current_page", "device", "figure", "flag", "image_source", "in_progress", "method_facts",
    "method_header", "methods_facts", "navigation", "number_word", "p_slider", "page_claims", "page_key",
    "page_not_found", "plot", "prewarm", "print_styles", "queue", "requested_path", "sections", "seed",
    "show_claim_results", "show_claims", "sidebar", "train_job", "trained", "trained_or_button", "warn_bad_params",
    "ask", "chart_rows", "plot_config", "table", "share_panel",
    "lesson_link", "presenting", "classroom_styles", "forget_controls", "hidden_keys", "seen_controls",
    "bad_language_link", "choose_language", "language_selector", "prose",
]
