"""Quality: per-feature fidelity of synthetic rows to the real training minority, distributions, correlations."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from core.data import LEVEL_KINDS
from core.plots import inert
from core.summary import GROUP_COLOURS
from core.text import escape_markdown
from pages import _flow, _state

SHAPE_FLAG, JS_FLAG = 0.8, 0.1


def _score(value: float | None) -> str:
    return "not measured" if value is None or value != value else f"{value:.3f}"


st.title("Quality")
prepared, synthetic, result = _flow.validated()
_flow.verdict_banner(result)
fidelity = result.fidelity
c = st.columns(5)
c[0].metric("Quality score", _score(result.quality_score), help="Mean of column shapes and column pair trends, "
            f"0..1, as {fidelity.reference}" + ("; the per-class scores' weighted mean" if result.multiclass else ""))
c[1].metric("Column shapes", _score(fidelity.column_shapes))
c[2].metric("Column pair trends", _score(fidelity.column_pair_trends),
            help="Mean over the pairs whose real association is strong (|Pearson| > 0.5, Cramér's V > 0.3)")
detected = result.detection
interval = (None if detected is None or detected.low is None or result.multiclass  # the pooled model's interval
            else f"95% CI {detected.low:.2f}-{detected.high:.2f}")
c[3].metric("Detection AUC", _score(result.detection_auc), interval,
            delta_color="off", delta_arrow="off",
            help="Cross-validated ROC-AUC of a model telling real from synthetic rows: 0.5 is indistinguishable; "
                 "the interval is over the folds")
c[4].metric("Seen as their class", f"{result.representation.synthetic_share:.0%}",
            help=f"Real minority rows: {result.representation.real_share:.0%}")
st.caption(f"{result.n_synthetic:,} synthetic rows against {result.n_real_minority:,} real training minority rows. "
           f"Figures follow {fidelity.reference}. Over every pair (the definition before SDMetrics 0.27): column "
           f"pair trends {_score(fidelity.column_pair_trends_all_pairs)}, quality score "
           f"{_score(fidelity.quality_score_all_pairs)}."
           + (f" Detection: {detected.note}." if detected and detected.note else ""))
st.caption(" ".join(escape_markdown(r.sentence) for r in result.readings if r.figure == "detection_auc"))
if result.multiclass:
    st.subheader("Per class")
    st.caption("Each synthesised class judged alone (its real training rows against its synthetic rows); the "
               f"headline quality score and the verdict's precision are weighted means, {result.weights_text}. "
               f"The pooled figures below mix the classes (pooled quality score {_score(fidelity.quality_score)}).")
    st.dataframe(pd.DataFrame([vars(c) for c in result.per_class]), hide_index=True, width="stretch",
                 key="per_class")

st.subheader("Per feature")
table = fidelity.table()
table["flag"] = ["check" if (f.shape_score < SHAPE_FLAG or f.js_divergence > JS_FLAG) else ""
                 for f in fidelity.per_feature]
# numbers and categories have different metrics: one table each, so no column is a wall of empty cells
METRIC_COLUMNS = {
    "numeric": ["column", "shape_score", "js_divergence", "ks_statistic", "ks_pvalue", "wasserstein", "real_mean",
                "synthetic_mean", "real_median", "synthetic_median", "real_std", "synthetic_std", "flag"],
    "categorical": ["column", "shape_score", "js_divergence", "total_variation", "flag"]}
HEADERS = {"shape_score": "shape", "js_divergence": "JS (bits)", "ks_statistic": "KS", "ks_pvalue": "KS p",
           "wasserstein": "Wasserstein", "total_variation": "TV distance", "real_mean": "mean real",
           "synthetic_mean": "mean synth.", "real_median": "median real", "synthetic_median": "median synth.",
           "real_std": "sd real", "synthetic_std": "sd synth."}  # short headers: the table fits without scrolling
for kind, shown in METRIC_COLUMNS.items():
    rows = table.loc[table["kind"] == kind, shown]
    if rows.empty:
        continue
    st.markdown(f"**{'Number' if kind == 'numeric' else 'Category'} columns** ({len(rows)})")
    st.dataframe(rows, hide_index=True, width="stretch", key=f"fidelity_table_{kind}",
                 column_config={c: st.column_config.NumberColumn(HEADERS.get(c, c), format="%.3f")
                                for c in shown[1:-1]})
st.caption(f"Flagged: shape score below {SHAPE_FLAG} or Jensen-Shannon divergence (bits) above {JS_FLAG}. "
           "Number columns: shape score = 1 - KS statistic; category columns: 1 - total variation distance.")

dataset = prepared.dataset
features = [f.column for f in sorted(fidelity.per_feature, key=lambda f: f.shape_score)]
column = st.selectbox("Feature to compare (worst first)", features,
                      **_state.setting("quality_feature", features[0], features))
target = dataset.target
classes = set(synthetic.rows[target].astype(str))
train = prepared.train
groups = pd.concat([
    train.loc[train[target].astype(str).isin(classes), [column]].assign(group="real minority"),
    synthetic.rows[[column]].assign(group="synthetic"),
    train.loc[~train[target].astype(str).isin(classes), [column]].assign(group="real majority")], ignore_index=True)
if dataset.column_types[column] in LEVEL_KINDS:
    figure = px.histogram(groups.astype({column: str}), x=column, color="group", barmode="group", histnorm="percent",
                          color_discrete_map=GROUP_COLOURS, title=f"{column}: share of rows per value")
else:
    figure = px.histogram(groups, x=column, color="group", barmode="overlay", histnorm="probability density",
                          opacity=0.55, nbins=40, color_discrete_map=GROUP_COLOURS, title=f"{column}: distribution")
st.plotly_chart(inert(figure), width="stretch", key="chart_feature")  # column names and levels as text

st.subheader("Correlations")
st.caption(f"Pearson for number pairs, Cramér's V for category pairs (mixed pairs blank). Mean absolute "
           f"difference: {fidelity.correlation_difference:.3f}.")
heatmaps = ((fidelity.correlation_real, "Real minority", "RdBu"), (fidelity.correlation_synthetic, "Synthetic", "RdBu"),
            (fidelity.correlation_gap, "Difference (real - synthetic)", "PuOr"))
for tab, (matrix, title, scale) in zip(st.tabs([title for _, title, _ in heatmaps]), heatmaps):
    labels = [str(c) for c in matrix.columns]
    heatmap = px.imshow(matrix.to_numpy(), x=labels, y=labels, zmin=-1, zmax=1, color_continuous_scale=scale,
                        title=title, aspect="auto", labels={"color": "association"})
    # every feature named on both axes (dtick 1), the value and the pair on hover; the height grows with the features
    heatmap.update_xaxes(dtick=1, tickangle=-45)
    heatmap.update_yaxes(dtick=1)
    heatmap.update_traces(hovertemplate="%{y} and %{x}: %{z:.2f}<extra></extra>")
    heatmap.update_layout(height=max(450, 22 * len(labels) + 200))
    tab.plotly_chart(inert(heatmap), width="stretch", key=f"heatmap_{title}")
_flow.next_link("pages/coverage.py", "Next: coverage of the minority region")
