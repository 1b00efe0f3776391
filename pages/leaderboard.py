"""Compare generators: several methods on the same data, splits and classifier, side by side."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from core.config import build_run_config
from core.errors import SynthBalanceError
from core.export import to_csv_text
from core.generators.registry import METHOD_LABELS, METHOD_NAMES
from core.leaderboard import build_leaderboard, default_methods
from core.models import CLASSIFIERS
from core.text import escape_markdown
from pages import _flow, _palette, _state

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
st.caption("Same splits (seed + i), the amount, row rules, ranges, density filter, dropped copies and verdict "
           "thresholds kept on the Generation and privacy pages (ratio 1.0 before any generation), and the same "
           "classifier for every strategy; numbers-only methods on mixed tables fail with their reason in their row.")

if st.button("Run the comparison of generators", type="primary", key="run_board", disabled=not methods):
    settings = _state.generation_settings() or {}  # ratio, rules, bounds, density as kept on the Generation page
    config = build_run_config(dataset.target, methods[0], data=dataset.name, data_sha256=dataset.sha256,
                              generation={k: v for k, v in settings.items() if k not in ("method", "params")},
                              column_types=_state.type_overrides(), cleaning=_state.cleaning_plan(),
                              test_size=_state.test_size(), seed=_state.seed(), thresholds=_state.thresholds(),
                              classifier=classifier, repeats=int(repeats))
    bar = st.progress(0.0, text="Starting...")
    deep = {"epochs": int(epochs)}
    try:
        board = build_leaderboard(dataset, config, methods,
                                  progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                                  params_for=lambda m: deep if m in ("ctgan", "tvae") else {},
                                  n_jobs=_state.n_jobs(), scheduler=_state.scheduler())
    except SynthBalanceError as exc:
        st.error(escape_markdown(exc))
    else:
        _state.set_leaderboard(board)

board = _state.leaderboard()
if board is None:
    _flow.next_link("pages/report.py", "Next: the report")
    st.stop()
if board.best:
    from core.race import label_of

    st.success(f"Best on the training folds: **{label_of(board.best)}**. How it was chosen: {board.chosen_on}. "
               "Nothing here was chosen on a test row.")
    if board.pick_test_minority_f1 is not None:
        st.caption(f"Each repeat's own pick, scored on that repeat's test part: minority F1 "
                   f"{board.pick_test_minority_f1:.3f} on average (picks: "
                   f"{', '.join(label_of(p) for p in board.picks)}).")
    if board.race is not None:
        st.caption(escape_markdown(board.race.explanation))


def interval(mean: float, low: float, high: float) -> str:
    """A gain with its 95% interval in one cell: '+0.052 [+0.010, +0.094]' ('(one split)' without an interval)."""
    if pd.isna(mean):
        return ""
    return f"{mean:+.3f} (one split)" if low == high else f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]"


rows = board.rows
ran = rows.loc[rows["error"] == ""]
labels = [("* " if m == board.best else "") + label for m, label in zip(ran["method"], ran["label"])]
# two tables of 5-6 columns, one under the other, instead of one of 17 (no side scrolling at 1400 px); labels
# instead of ids; each gain and its interval in one cell; failed methods listed under the tables with the reason
utility = pd.DataFrame({
    "method": labels,
    "folds: minority F1 [95% CI]": [interval(*v).replace("+", "") for v in ran[[
        "fold_minority_f1", "fold_minority_f1_ci_low", "fold_minority_f1_ci_high"]].to_numpy()],
    "decision": ["no synthetic rows" if k == "no_generation" else _palette.DECISION_LABELS.get(d, "not validated")
                 for k, d in zip(ran["kind"], ran["decision"])],
    "minority F1 gain [95% CI]": [interval(*v) for v in ran[["minority_f1_gain", "minority_f1_gain_ci_low",
                                                             "minority_f1_gain_ci_high"]].to_numpy()],
    "PR-AUC gain [95% CI]": [interval(*v) for v in ran[["pr_auc_gain", "pr_auc_gain_ci_low",
                                                        "pr_auc_gain_ci_high"]].to_numpy()],
    "seconds": ran["seconds"].to_numpy()})
fidelity = pd.DataFrame({
    "method": labels, "quality": ran["quality_score"].to_numpy(), "detection AUC": ran["detection_auc"].to_numpy(),
    "coverage": ran["coverage"].to_numpy(),
    "copies (exact / near)": [("" if pd.isna(e) else f"{int(e)} / {int(n)}")
                              for e, n in ran[["exact_copies", "near_copies"]].to_numpy()],
    "DCR share": ran["dcr_share_vs_holdout"].to_numpy()})


def colour_decision(value: str) -> str:
    colour = _palette.LABEL_COLOURS.get(value)
    return f"color: white; background-color: {colour}" if colour else ""


st.markdown("**Utility: chosen on the training folds, checked on the test rows** (* marks the best; test gains are "
            "over the strongest tuned reference without synthetic rows, corrected 95% intervals)")
st.dataframe(utility.style.map(colour_decision, subset=["decision"]), hide_index=True, width="stretch",
             key="board_table", column_config={"seconds": st.column_config.NumberColumn(format="%.1f")})
st.markdown("**Fidelity and privacy of the synthetic rows**")
st.dataframe(fidelity, hide_index=True, width="stretch", key="board_validation", column_config={
    "quality": st.column_config.NumberColumn(format="%.3f"),
    "detection AUC": st.column_config.NumberColumn(format="%.3f", help="0.5: synthetic rows cannot be told apart"),
    "coverage": st.column_config.NumberColumn(format="%.3f"),
    "DCR share": st.column_config.NumberColumn(format="%.2f", help="0.5 is ideal; near 1: memorization")})
for row in rows.loc[rows["error"] != ""].itertuples():
    st.warning(f"**{row.label}** did not run: {escape_markdown(row.error)}")
plotted = ran["dcr_share_vs_holdout"].notna().to_numpy()  # strategies without synthetic rows have no point
if plotted.any():
    points = ran.loc[plotted].assign(label=[label.removeprefix("* ") for label, keep in zip(labels, plotted) if keep],
                                     verdict=ran.loc[plotted, "decision"].map(_palette.DECISION_LABELS)
                                     .fillna("not validated"))
    # methods landing on the same point (SMOTE on mixed data runs as SMOTE-NC) share one label
    spot = points["dcr_share_vs_holdout"].round(3).astype(str) + "|" + points["minority_f1_gain"].round(3).astype(str)
    joined = points.groupby(spot)["label"].transform(" / ".join)
    points["label"] = joined.where(~spot.duplicated(), "")
    scatter = px.scatter(points, x="dcr_share_vs_holdout", y="minority_f1_gain", text="label", color="verdict",
                         color_discrete_map=_palette.LABEL_COLOURS,
                         category_orders={"verdict": _palette.LABEL_ORDER},
                         error_y=points["minority_f1_gain_ci_high"] - points["minority_f1_gain"],
                         error_y_minus=points["minority_f1_gain"] - points["minority_f1_gain_ci_low"],
                         labels={"dcr_share_vs_holdout": "DCR share vs holdout (0.5 ideal, near 1: memorization)",
                                 "minority_f1_gain": "minority F1 gain (95% CI)", "verdict": "validation"},
                         title="Utility against privacy risk, one point per method")
    scatter.update_traces(textposition="middle right", marker_size=12, cliponaxis=False,
                          textfont={"size": 13})
    low, high = float(points["dcr_share_vs_holdout"].min()), float(points["dcr_share_vs_holdout"].max())
    pad = max(0.05, (high - low) * 0.25)  # room for the labels at the right end
    scatter.update_xaxes(range=[low - pad / 2, high + 2 * pad])
    scatter.update_layout(height=520, margin={"t": 80, "r": 40})
    st.plotly_chart(scatter, width="stretch", key="board_scatter")
st.download_button("Download the leaderboard (CSV)", to_csv_text(board.rows), "leaderboard.csv", "text/csv",
                   key="download_board")
_flow.next_link("pages/report.py", "Next: the report")
