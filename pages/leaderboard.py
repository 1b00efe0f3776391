"""Compare generators: several methods on the same data, splits and classifier, side by side."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from core.config import build_run_config
from core.data import LEVEL_KINDS, NUMBER_KINDS
from core.errors import SynthBalanceError
from core.export import to_csv_text
from core.generators.registry import METHOD_LABELS, METHOD_NAMES, resolve_method
from core.identity import prepared_key
from core.leaderboard import build_leaderboard, default_methods
from core.models import CLASSIFIERS
from core.text import escape_markdown
from pages import _cached, _flow, _longjob, _palette, _state

st.title("Compare generators")
prepared = _flow.need(_flow.current_prepared(), "Prepare the data first.", "pages/analysis.py",
                      "Go to Imbalance analysis")
dataset, profile = prepared.dataset, prepared.profile
advice = _flow.current_advice(prepared)
usable = [r.method for r in advice.ranked if r.usable]
kinds = [dataset.column_types[c] for c in dataset.features]
n_numbers, n_levels = sum(k in NUMBER_KINDS for k in kinds), sum(k in LEVEL_KINDS for k in kinds)


def swapped(method: str) -> str | None:
    """Why the method would not run as itself on these columns (None when it would, or makes no rows)."""
    if method not in METHOD_NAMES:  # the strategies without synthetic rows
        return None
    try:
        return resolve_method(method, n_numbers, n_levels)[1]
    except SynthBalanceError as exc:
        return str(exc)


methods = st.multiselect("Generators", METHOD_NAMES, default=[m for m in default_methods(usable) if not swapped(m)],
                         format_func=METHOD_LABELS.get, key="w_board_methods")
for method in methods:  # chosen by hand: said, never swapped silently
    if swapped(method):
        st.warning(f"**{METHOD_LABELS[method]}**: {escape_markdown(swapped(method))}")
c1, c2, c3 = st.columns(3)
classifier = c1.selectbox("Classifier", list(CLASSIFIERS), format_func=CLASSIFIERS.get,
                     **_state.setting("board_classifier", "logreg", list(CLASSIFIERS)))
repeats = c2.slider("Repeated splits", 1, 10, **_state.setting("board_repeats", 3))
epochs = c3.number_input("CTGAN / TVAE epochs", 1, 1000, **_state.setting("board_epochs", 100))
st.caption("Same splits (seed + i), the amount, row rules, ranges, density filter, dropped copies and verdict "
           "thresholds kept on the Generation and privacy pages (ratio 1.0 before any generation), and the same "
           "classifier for every strategy; numbers-only methods on mixed tables fail with their reason in their row.")

deep = {"epochs": int(epochs)}
_longjob.stopped_notice("leaderboard")
# one figure for the caption and the bar: the same call, the same arguments (the repeats included)
seconds = _cached.leaderboard_estimate(prepared, prepared_key(prepared), tuple(methods), int(epochs),
                                       classifier, _state.n_jobs(), int(repeats)) if methods else None
_longjob.estimate_note(seconds, "The comparison of generators")
if st.button("Run the comparison of generators", type="primary", key="run_board", disabled=not methods):
    settings = _state.generation_settings() or {}  # ratio, rules, bounds, density as kept on the Generation page
    config = build_run_config(dataset.target, methods[0], data=dataset.name, data_sha256=dataset.sha256,
                              generation={k: v for k, v in settings.items() if k not in ("method", "params")},
                              column_types=_state.type_overrides(), cleaning=_state.cleaning_plan(),
                              test_size=_state.test_size(), seed=_state.seed(), thresholds=_state.thresholds(),
                              classifier=classifier, repeats=int(repeats))
    with _longjob.running("leaderboard", "The comparison of generators", seconds, "Compare generators") as job:
        board = build_leaderboard(dataset, config, methods, progress=job.progress,
                                  params_for=lambda m: deep if m in ("ctgan", "tvae") else {},
                                  n_jobs=_state.n_jobs(), scheduler=_state.scheduler())
    if job.finished:
        _state.set_leaderboard(board)

board = _state.leaderboard()
if board is None:
    _flow.next_link("pages/report.py", "Next: the report")
    st.stop()
if board.best:
    from core.strategies import strategy_words

    st.success(f"Best on the training folds: **{strategy_words(board.best)}**. How it was chosen: "
               f"{escape_markdown(board.chosen_on)}. "
               "Nothing here was chosen on a test row.")
    if board.pick_test_minority_f1 is not None:
        st.caption(f"Each repeat's own pick, scored on that repeat's test part: minority F1 "
                   f"{board.pick_test_minority_f1:.3f} on average (picks: "
                   f"{', '.join(strategy_words(p) for p in board.picks)}).")
    if board.race is not None:
        st.caption(escape_markdown(board.race.explanation))


rows = board.rows
ran = rows.loc[rows["error"] == ""].reset_index(drop=True)
numbers = [str(i + 1) for i in range(len(ran))]  # the chart's point labels: short, so they do not overlap
labels = [("* " if m == board.best else "") + label + (" (ran as another method)" if swapped(m) else "")
          for m, label in zip(ran["method"], ran["label"])]
# colours mean one thing on this page: what the test gain's interval says (helps / cannot tell / hurts)
GAIN_COLOURS = {"helps (interval above 0)": "#2e7d4f", "could not tell apart from 0": "#8a99a6",
                "hurts (interval below 0)": "#c0392b", "no interval (under 3 repeats)": "#5b7083"}


def gain_reading(mean: float, low: float, high: float) -> str:
    """Which GAIN_COLOURS category a gain and its 95% interval fall in."""
    if pd.isna(mean):
        return ""
    if pd.isna(low) or low == high:  # core gives no interval under 3 repeats (core.judgement)
        return "no interval (under 3 repeats)"
    return ("helps (interval above 0)" if low > 0 else "hurts (interval below 0)" if high < 0
            else "could not tell apart from 0")


readings = [gain_reading(*v) for v in ran[["minority_f1_gain", "minority_f1_gain_ci_low",
                                           "minority_f1_gain_ci_high"]].to_numpy()]


def interval(mean: float, low: float, high: float) -> str:
    """A gain with its 95% interval in one cell: '+0.052 [+0.010, +0.094]' ('(one split)' without an interval)."""
    if pd.isna(mean):
        return ""
    return f"{mean:+.3f} (no interval)" if pd.isna(low) or low == high else f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]"


# two tables of 5-6 columns, one under the other, instead of one of 17 (no side scrolling at 1400 px); labels
# instead of ids; each gain and its interval in one cell; failed methods listed under the tables with the reason
utility = pd.DataFrame({
    "#": numbers, "method": labels,
    "folds: minority F1 [95% CI]": [interval(*v).replace("+", "") for v in ran[[
        "fold_minority_f1", "fold_minority_f1_ci_low", "fold_minority_f1_ci_high"]].to_numpy()],
    "minority F1 gain [95% CI]": [interval(*v) for v in ran[["minority_f1_gain", "minority_f1_gain_ci_low",
                                                             "minority_f1_gain_ci_high"]].to_numpy()],
    "gain reads": readings,
    "PR-AUC gain [95% CI]": [interval(*v) for v in ran[["pr_auc_gain", "pr_auc_gain_ci_low",
                                                        "pr_auc_gain_ci_high"]].to_numpy()],
    "seconds": ran["seconds"].to_numpy()})
def shown(values, pattern: str) -> list[str]:
    """Numbers as text in `pattern`, a blank where a strategy has none (no synthetic rows: nothing to measure),
    never a 'None' cell."""
    return ["" if pd.isna(v) else pattern.format(v) for v in values]


fidelity = pd.DataFrame({
    "#": numbers, "method": labels,
    "validation of the rows": ["no synthetic rows" if k == "no_generation" else
                               _palette.DECISION_LABELS.get(d, "not validated")
                               for k, d in zip(ran["kind"], ran["decision"])],
    "quality": shown(ran["quality_score"], "{:.3f}"), "detection AUC": shown(ran["detection_auc"], "{:.3f}"),
    "coverage": shown(ran["coverage"], "{:.3f}"),
    "copies (exact / near)": [("" if pd.isna(e) else f"{int(e)} / {int(n)}")
                              for e, n in ran[["exact_copies", "near_copies"]].to_numpy()],
    "DCR share": shown(ran["dcr_share_vs_holdout"], "{:.2f}")})


def colour_gain(value: str) -> str:
    colour = GAIN_COLOURS.get(value)
    return f"color: white; background-color: {colour}" if colour else ""


st.markdown("**Utility: chosen on the training folds, checked on the test rows** (* marks the best; test gains are "
            "over the strongest tuned reference without synthetic rows, corrected 95% intervals; the colour says "
            "what the gain's interval reads, green: helps, grey: could not tell apart from 0, red: hurts)")
st.dataframe(utility.style.map(colour_gain, subset=["gain reads"]), hide_index=True, width="stretch",
             key="board_table", column_config={"seconds": st.column_config.NumberColumn(format="%.1f")})
st.markdown("**Fidelity and privacy of the synthetic rows**")
st.dataframe(fidelity, hide_index=True, width="stretch", key="board_validation", column_config={
    "detection AUC": st.column_config.TextColumn(help="0.5: synthetic rows cannot be told apart"),
    "DCR share": st.column_config.TextColumn(help="0.5 is ideal; near 1: memorization")})
for row in rows.loc[rows["error"] != ""].itertuples():
    st.warning(f"**{row.label}** did not run: {escape_markdown(row.error)}")
plotted = ran["dcr_share_vs_holdout"].notna().to_numpy()  # strategies without synthetic rows have no point
if plotted.any():
    points = ran.loc[plotted].assign(number=[n for n, keep in zip(numbers, plotted) if keep],
                                     method_label=[label for label, keep in zip(labels, plotted) if keep],
                                     reads=[r for r, keep in zip(readings, plotted) if keep])
    scatter = px.scatter(points, x="dcr_share_vs_holdout", y="minority_f1_gain", text="number", color="reads",
                         color_discrete_map=GAIN_COLOURS, category_orders={"reads": list(GAIN_COLOURS)},
                         hover_name="method_label",
                         error_y=points["minority_f1_gain_ci_high"] - points["minority_f1_gain"],
                         error_y_minus=points["minority_f1_gain"] - points["minority_f1_gain_ci_low"],
                         labels={"dcr_share_vs_holdout": "DCR share vs holdout (0.5 ideal, near 1: memorization)",
                                 "minority_f1_gain": "minority F1 gain (95% CI)", "reads": "the gain"},
                         title="Utility against privacy risk, one point per method (numbers: rows of the tables)")
    scatter.update_traces(textposition="top center", marker_size=13, cliponaxis=False, textfont={"size": 12})
    # 0 on this axis is the reference every gain is measured against: a horizontal line, inside the range below
    scatter.add_hline(y=0, line_dash="dot", line_color="#5b7083", line_width=1)
    best = ran.loc[ran["method"] == board.best]
    if len(best) and plotted[best.index[0]]:  # a star around the best point
        scatter.add_scatter(x=best["dcr_share_vs_holdout"], y=best["minority_f1_gain"], mode="markers",
                            name=f"* best: {best['label'].iloc[0]}", hoverinfo="skip",
                            marker={"symbol": "star-open", "size": 26, "color": "#1f2d3a", "line": {"width": 2}})
    elif len(best):  # the best makes no rows, so it has no point (and no gain over itself): said above the chart
        scatter.add_annotation(xref="paper", yref="paper", x=0, y=1.0, xanchor="left", yanchor="bottom",
                               showarrow=False, align="left",
                               text=f"* best: {best['label'].iloc[0]} (no synthetic rows, so no point here; the "
                                    "dotted line at 0 is the strongest tuned strategy without synthetic rows)")
    low, high = float(points["dcr_share_vs_holdout"].min()), float(points["dcr_share_vs_holdout"].max())
    pad = max(0.05, (high - low) * 0.15)
    scatter.update_xaxes(range=[low - pad, high + pad])
    # the y range from the points' intervals and 0, set here: a marker never stretches it
    bottom = min(0.0, float(points[["minority_f1_gain", "minority_f1_gain_ci_low"]].min().min()))
    top = max(0.0, float(points[["minority_f1_gain", "minority_f1_gain_ci_high"]].max().max()))
    room = max(0.02, (top - bottom) * 0.12)
    scatter.update_yaxes(range=[bottom - room, top + room])
    scatter.update_layout(height=520, margin={"t": 100, "r": 40}, legend_title_text="the gain")
    st.plotly_chart(scatter, width="stretch", key="board_scatter")
st.download_button("Download the leaderboard (CSV)", to_csv_text(board.rows), "leaderboard.csv", "text/csv",
                   key="download_board")
_flow.next_link("pages/report.py", "Next: the report")
