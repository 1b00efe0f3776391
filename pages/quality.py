"""Quality: per-feature fidelity of synthetic rows to the real training minority, distributions, correlations."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from core.data import LEVEL_KINDS
from pages import _flow

SHAPE_FLAG, JS_FLAG = 0.8, 0.1
GROUP_COLOURS = {"real majority": "#b8c4cc", "real minority": "#2f6f8f", "synthetic": "#e07b39"}

st.title("Quality")
prepared, synthetic, result = _flow.validated()
_flow.verdict_banner(result)
fidelity = result.fidelity
c = st.columns(5)
c[0].metric("Quality score", f"{fidelity.quality_score:.3f}", help="Mean of column shapes and column pair trends "
            "(SDMetrics definitions), 0..1")
c[1].metric("Column shapes", f"{fidelity.column_shapes:.3f}")
c[2].metric("Column pair trends", f"{fidelity.column_pair_trends:.3f}")
c[3].metric("Detection AUC", "n/a" if result.detection_auc is None else f"{result.detection_auc:.3f}",
            help="Cross-validated ROC-AUC of a model telling real from synthetic rows: 0.5 is indistinguishable")
c[4].metric("Seen as their class", f"{result.representation.synthetic_share:.0%}",
            help=f"Real minority rows: {result.representation.real_share:.0%}")
st.caption(f"{result.n_synthetic:,} synthetic rows against {result.n_real_minority:,} real training minority rows.")

st.subheader("Per feature")
table = fidelity.table()
table["flag"] = ["check" if (f.shape_score < SHAPE_FLAG or f.js_divergence > JS_FLAG) else ""
                 for f in fidelity.per_feature]
shown = ["column", "kind", "shape_score", "js_divergence", "ks_statistic", "ks_pvalue", "total_variation",
         "wasserstein", "real_mean", "synthetic_mean", "real_median", "synthetic_median", "real_std",
         "synthetic_std", "flag"]
st.dataframe(table[shown], hide_index=True, width="stretch", key="fidelity_table",
             column_config={c: st.column_config.NumberColumn(format="%.3f") for c in shown[2:-1]})
st.caption(f"Flagged: shape score below {SHAPE_FLAG} or Jensen-Shannon divergence (bits) above {JS_FLAG}.")

dataset = prepared.dataset
features = [f.column for f in sorted(fidelity.per_feature, key=lambda f: f.shape_score)]
column = st.selectbox("Feature to compare (worst first)", features, key="w_quality_feature")
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
st.plotly_chart(figure, width="stretch", key="chart_feature")

st.subheader("Correlations")
st.caption(f"Pearson for number pairs, Cramér's V for category pairs (mixed pairs blank). Mean absolute "
           f"difference: {fidelity.correlation_difference:.3f}.")
left, mid, right = st.columns(3)
for box, matrix, title, scale in ((left, fidelity.correlation_real, "Real minority", "RdBu"),
                                  (mid, fidelity.correlation_synthetic, "Synthetic", "RdBu"),
                                  (right, fidelity.correlation_gap, "Difference (real - synthetic)", "PuOr")):
    box.plotly_chart(px.imshow(matrix, zmin=-1, zmax=1, color_continuous_scale=scale, title=title, aspect="auto"),
                     width="stretch", key=f"heatmap_{title}")
