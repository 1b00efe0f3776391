"""SynthBalance: navigation and sidebar only; every page lives in pages/, every computation in core/."""
from __future__ import annotations

import streamlit as st

from core.text import escape_markdown
from pages import _flow, _state

st.set_page_config(page_title="SynthBalance", page_icon=":material/balance:", layout="wide")

PAGES = {
    "Prepare": [
        st.Page("pages/data.py", title="Data", icon=":material/table_view:", default=True),
        st.Page("pages/analysis.py", title="Imbalance analysis", icon=":material/bar_chart:"),
    ],
    "Generate": [
        st.Page("pages/method.py", title="Method", icon=":material/recommend:"),
        st.Page("pages/generation.py", title="Generation", icon=":material/auto_awesome:"),
    ],
    "Validate": [
        st.Page("pages/quality.py", title="Quality", icon=":material/insights:"),
        st.Page("pages/coverage.py", title="Coverage", icon=":material/scatter_plot:"),
        st.Page("pages/privacy.py", title="Duplicates & privacy", icon=":material/shield:"),
    ],
    "Evaluate": [
        st.Page("pages/comparison.py", title="Comparison", icon=":material/compare_arrows:"),
        st.Page("pages/leaderboard.py", title="Compare generators", icon=":material/leaderboard:"),
        st.Page("pages/report.py", title="Report", icon=":material/description:"),
    ],
}


def sidebar() -> None:
    """Dataset, target, seed, and which workflow steps are done."""
    with st.sidebar:
        st.markdown("### SynthBalance")
        table = _state.table()
        st.caption(f"Data: **{escape_markdown(table.name) if table else 'none'}**")
        st.caption(f"Target: **{escape_markdown(_state.target() or 'not chosen')}**")
        _state.keep("seed", int(st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1,
                                                key=_state.prime("seed", _state.DEFAULT_SEED),
                                                help="One seed drives the split and every generator.")))
        dataset = _flow.current_dataset(show_error=False)
        prepared = dataset is not None and _state.is_prepared(dataset)  # no recomputation in the sidebar
        steps = [("Data loaded", dataset is not None), ("Split and cleaned", prepared),
                 ("Method chosen", _state.chosen_method() is not None),
                 ("Synthetic rows", prepared and _state.synthetic_is_current()),
                 ("Validated", _state.validation() is not None), ("Compared", _state.experiment() is not None)]
        st.markdown("\n".join(f"- {':material/check_circle:' if done else ':material/radio_button_unchecked:'} "
                              f"{name}" for name, done in steps))


_flow.ensure_table()
navigation = st.navigation(PAGES)
sidebar()
navigation.run()
