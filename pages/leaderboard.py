"""Compare generators: several methods on the same data, splits and classifier, side by side."""
from __future__ import annotations

import plotly.express as px
import streamlit as st

from core.config import RunConfig
from core.export import to_csv_text
from core.generators.amount import Amount
from core.generators.registry import METHOD_LABELS, METHOD_NAMES
from core.leaderboard import build_leaderboard, default_methods
from core.models import CLASSIFIERS
from pages import _flow, _state

st.title("Compare generators")
prepared = _flow.need(_flow.current_prepared(), "Prepare the data first.", "pages/analysis.py",
                      "Go to Imbalance analysis")
dataset, profile = prepared.dataset, prepared.profile
advice = _flow.current_advice(prepared)
usable = [r.method for r in advice.ranked if r.usable]
methods = st.multiselect("Generators", METHOD_NAMES, default=default_methods(usable), format_func=METHOD_LABELS.get,
                         key="w_board_methods")
c1, c2, c3 = st.columns(3)
classifier = c1.selectbox("Classifier", list(CLASSIFIERS), format_func=CLASSIFIERS.get, key="w_board_classifier")
repeats = c2.slider("Repeated splits", 1, 10, value=3, key="w_board_repeats")
epochs = c3.number_input("CTGAN / TVAE epochs", 1, 1000, value=100, key="w_board_epochs")
st.caption("Same splits (seed + i), same amount (ratio 1.0), same classifier for every method; numbers-only "
           "methods on mixed tables fail with their reason in their row.")

if st.button("Run the comparison of generators", type="primary", key="run_board", disabled=not methods):
    config = RunConfig(target=dataset.target, method=methods[0], data=dataset.name, data_sha256=dataset.sha256,
                       column_types=_state.type_overrides(), cleaning=_state.cleaning_plan(),
                       test_size=_state.test_size(), seed=_state.seed(), amount=Amount("ratio", 1.0),
                       classifier=classifier, repeats=int(repeats))
    bar = st.progress(0.0, text="Starting...")
    deep = {"epochs": int(epochs)}
    board = build_leaderboard(dataset, config, methods,
                              progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                              params_for=lambda m: deep if m in ("ctgan", "tvae") else {})
    _state.set_leaderboard(board)

board = _state.leaderboard()
if board is None:
    st.stop()
if board.best:
    st.success(f"Best under the validation thresholds: **{METHOD_LABELS[board.best]}** (largest minority F1 gain "
               "among methods not rejected by validation).")
else:
    st.warning("No method both ran and passed validation without a rejection.")
table = board.rows.copy()
table.insert(0, "best", ["*" if m == board.best else "" for m in table["method"]])
st.dataframe(table, hide_index=True, width="stretch", key="board_table",
             column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns
                            if c not in ("best", "method", "decision", "error", "exact_copies", "near_copies")})
ran = board.rows.loc[board.rows["error"] == ""]
if not ran.empty:
    st.plotly_chart(px.scatter(ran, x="dcr_share_vs_holdout", y="minority_f1_gain", text="method", color="decision",
                               error_y=ran["minority_f1_gain_ci_high"] - ran["minority_f1_gain"],
                               error_y_minus=ran["minority_f1_gain"] - ran["minority_f1_gain_ci_low"],
                               title="Utility (minority F1 gain) against privacy risk "
                                     "(DCR share vs holdout, 0.5 ideal)"),
                    width="stretch", key="board_scatter")
st.download_button("Download the leaderboard (CSV)", to_csv_text(board.rows), "leaderboard.csv", "text/csv",
                   key="download_board")
