"""SynthBalance: navigation and sidebar only; every page lives in pages/, every computation in core/."""
from __future__ import annotations

import streamlit as st

from core.errors import SynthBalanceError
from core.text import escape_markdown
from pages import _flow, _longjob, _state

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
    "Deploy": [
        st.Page("pages/monitor.py", title="Monitor", icon=":material/monitor_heart:"),
    ],
}


def sidebar_status() -> tuple:
    """What the sidebar states: table, target, an upload that was not loaded, and which steps are done."""
    table = _state.table()
    dataset = _flow.dataset_check()[0]
    prepared = dataset is not None and _state.is_prepared(dataset)  # no recomputation in the sidebar
    steps = (("Data loaded", dataset is not None), ("Split and cleaned", prepared),
             ("Method chosen", _state.method_chosen()),
             ("Synthetic rows", prepared and _state.synthetic_is_current()),
             ("Validated", _state.validation() is not None), ("Compared", _state.experiment() is not None))
    failed = (_state.failed_upload() or {}).get("name")
    return table.name if table else None, _state.target(), _state.target_guessed(), failed, steps


def sidebar(status: tuple) -> None:
    """Dataset, target, seed, and which workflow steps are done."""
    name, target, guessed, failed, steps = status
    with st.sidebar:
        st.markdown("### SynthBalance")
        st.caption(f"Data: **{escape_markdown(name) if name else 'none'}**")
        if failed:
            st.caption(f":orange[:material/warning: **{escape_markdown(failed)}** was not loaded]")
        st.caption(f"Target: **{escape_markdown(target or 'not chosen')}**" + (" (guessed)" if guessed else ""))
        _state.keep("seed", int(st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1,
                                                **_state.setting("seed", _state.DEFAULT_SEED),
                                                help="One seed drives the split and every generator.")))
        cluster_choice()
        st.markdown("\n".join(f"- {':material/check_circle:' if done else ':material/radio_button_unchecked:'} "
                              f"{step}" for step, done in steps))


def cluster_choice() -> None:
    """Where long jobs run: this machine, or one of the clusters the server configures (hidden when none)."""
    try:
        clusters = _state.clusters()
    except SynthBalanceError as exc:
        st.error(f"Cluster configuration: {escape_markdown(str(exc))}")
        return
    if not clusters:
        _state.keep("cluster", None)
        return
    names = [None, *clusters]  # a remembered name no longer configured falls back to the first: this machine
    chosen = _state.keep("cluster", st.selectbox(
        "Run long jobs on", names, **_state.setting("cluster", None, names),
        format_func={None: "This machine", **{name: name for name in clusters}}.get,  # a dict's: state must pickle
        help="The race, repeats, leaderboard and privacy sweep run there; same seed, same figures. "
             "The server's owner sets which clusters are offered."))
    if chosen:
        st.caption(f"Dask scheduler: `{clusters[chosen]}`")


_flow.ensure_table()
navigation = st.navigation(PAGES)
_longjob.settle(navigation.title)  # a long job the last run stopped: a toast if the user left its page
drawn = sidebar_status()
sidebar(drawn)
navigation.run()
if sidebar_status() != drawn:
    st.rerun()  # the page changed what the sidebar states (upload, target, split, method): redraw it at once
