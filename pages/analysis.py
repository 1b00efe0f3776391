"""Imbalance analysis: classes, the minority's shape, missing data, then the split and the cleaning of the
training part with their effect on the minority."""
from __future__ import annotations

import math

import pandas as pd
import plotly.express as px
import streamlit as st

from core.cleaning import DUPLICATE_STRATEGIES, MISSING_STRATEGIES, OUTLIER_ACTIONS, OUTLIER_METHODS, CleaningPlan
from core.imbalance import TYPOLOGY
from core.plots import inert
from core.text import escape_markdown
from pages import _flow, _state

LOG_SCALE_ABOVE = 20  # imbalance ratio above which the split chart's row axis is logarithmic
TYPOLOGY_COLOURS = {"safe": "#3a8d6e", "borderline": "#e0a43a", "rare": "#d0674a", "outlier": "#7a3b69"}
LABELS = {"none": "leave as is", "drop_rows": "drop rows with gaps", "median_mode": "median / most frequent",
          "knn": "k-NN imputation", "keep": "keep", "drop_exact": "drop exact duplicates",
          "drop_conflicting": "drop exact and conflicting duplicates", "iqr": "IQR rule (1.5 x IQR)",
          "isolation_forest": "IsolationForest", "flag": "flag only", "remove": "remove"}

st.title("Imbalance analysis")
dataset = _flow.need(_flow.current_dataset(), "Load a table and choose a target first.", "pages/data.py", "Go to Data")
_flow.working_on(dataset)
profile = _flow.current_profile(dataset)

st.info(escape_markdown(profile.summary))
cols = st.columns(4)
cols[0].metric("Minority class", escape_markdown(profile.minority_class))
cols[1].metric("Minority rows", f"{profile.minority_count:,}",
               f"{profile.class_shares[profile.minority_class]:.1%} of rows", delta_color="off", delta_arrow="off")
cols[2].metric("Imbalance ratio", f"{profile.imbalance_ratio:,.1f} : 1")
cols[3].metric("Missing cells", f"{profile.missing_share:.1%}")

left, right = st.columns(2)
classes = pd.DataFrame({"class": list(profile.class_counts), "rows": list(profile.class_counts.values())})
classes["role"] = ["majority" if c == profile.majority_class else "minority" for c in classes["class"]]
left.plotly_chart(inert(px.bar(classes, x="class", y="rows", color="role", text="rows", title="Rows per class",
                         color_discrete_map={"majority": "#9aa9b2", "minority": "#2f6f8f"})),
                  width="stretch", key="chart_classes")
typology = profile.typology.melt(id_vars="class", value_vars=list(TYPOLOGY), var_name="type", value_name="rows")
right.plotly_chart(inert(px.bar(typology, x="class", y="rows", color="type", barmode="stack",
                          color_discrete_map=TYPOLOGY_COLOURS,
                          title="Minority rows by neighbourhood, whole table (5 nearest neighbours)")),
                   width="stretch", key="chart_typology")
st.caption("Safe: 4-5 of 5 neighbours share the class; borderline: 2-3; rare: 1; outlier: 0 "
           "(Napierala & Stefanowski). Many non-safe rows mean the classes overlap and generators must be careful. "
           "This chart describes the whole table; the method advice reads the same figure computed on the training "
           "part only.")

st.subheader("Features and missing data")
kinds = ", ".join(f"{n} {k}" for k, n in profile.feature_kinds.items())
st.write(f"{profile.n_features} features used: {kinds}.")
if profile.high_dimensional:
    st.warning("Many features for the number of minority rows: nearest-neighbour methods and the typology get "
               "less reliable.")
missing = profile.missing_by_feature.loc[profile.missing_by_feature["missing"] > 0]
if missing.empty:
    st.success("No missing values in the features.")
else:
    share_columns = [c for c in missing.columns if c.startswith("share_")]
    long = missing.melt(id_vars="feature", value_vars=share_columns, var_name="class", value_name="missing share")
    long["class"] = long["class"].str.removeprefix("share_")
    st.plotly_chart(inert(px.bar(long, x="feature", y="missing share", color="class", barmode="group",
                           title="Missing share per feature and class")), width="stretch", key="chart_missing")

st.subheader("Train / test split")
test_size = _state.keep("test_size", st.slider("Test share", 0.1, 0.5, step=0.05,
                                               **_state.setting("test_size", _state.DEFAULT_TEST_SIZE)))
st.caption(f"Stratified by class, seed {_state.seed()} (set in the sidebar). The test rows are set aside now: "
           "no cleaning fit, generator or validation model ever sees them.")

st.subheader("Cleaning of the training part")
c1, c2, c3, c4 = st.columns(4)
plan = CleaningPlan(
    missing=c1.selectbox("Missing values", MISSING_STRATEGIES, format_func=LABELS.get,
                         **_state.setting("missing", "none", MISSING_STRATEGIES)),
    duplicates=c2.selectbox("Duplicates", DUPLICATE_STRATEGIES, format_func=LABELS.get,
                            **_state.setting("duplicates", "keep", DUPLICATE_STRATEGIES)),
    outliers=c3.selectbox("Outliers", OUTLIER_METHODS, format_func=LABELS.get,
                          **_state.setting("outliers", "none", OUTLIER_METHODS)),
    outlier_action=c4.selectbox("Outlier action", OUTLIER_ACTIONS, format_func=LABELS.get,
                                **_state.setting("outlier_action", "flag", OUTLIER_ACTIONS)))
for name in ("missing", "duplicates", "outliers", "outlier_action"):
    _state.keep(name, getattr(plan, name))
_state.set_cleaning_plan(plan)

prepared = _flow.current_prepared(name_table=False)  # named at the top of this page already
if prepared is None:
    st.stop()
distribution = prepared.split.class_distribution.copy()
distribution["train after cleaning"] = pd.Series(prepared.train_class_counts).reindex(distribution.index).fillna(0)
distribution = distribution.astype(int)
left, right = st.columns([2, 3])
left.dataframe(distribution, width="stretch")
long = distribution.reset_index(names="class").melt(id_vars="class", var_name="part", value_name="rows")
log_scale = profile.imbalance_ratio > LOG_SCALE_ABOVE
split_chart = px.bar(long, x="part", y="rows", color="class", barmode="group", log_y=log_scale, text="rows",
                     title="Class distribution: original, train, test, train after cleaning"
                           + (" (log scale)" if log_scale else ""))
split_chart.update_traces(textposition="outside", cliponaxis=False)  # small counts stay readable as numbers
split_chart.update_yaxes(title_text="rows (log scale)" if log_scale else "rows")
if log_scale:  # one grid line per power of ten, from 1 row, so even the smallest bar shows
    split_chart.update_yaxes(dtick=1, range=[0, math.log10(max(2, int(long["rows"].max()))) + 0.3])
right.plotly_chart(inert(split_chart), width="stretch", key="chart_split")
if log_scale:
    right.caption(f"Log scale because the imbalance ratio is above {LOG_SCALE_ABOVE}: each grid line is ten times "
                  "the one below, so the minority's bars stay visible. The counts are printed on the bars.")
cleaning = prepared.cleaning
st.caption(f"Training part: {prepared.cleaning.exact_duplicates:,} exact duplicate rows, "
           f"{cleaning.conflicting_duplicates:,} rows whose features repeat with another label.")
if cleaning.steps:
    st.dataframe(cleaning.impact_table(), width="stretch", hide_index=True,
                 column_config={"completeness before": st.column_config.NumberColumn(format="percent"),
                                "completeness after": st.column_config.NumberColumn(format="percent")})
    for step in cleaning.steps:
        if step.warning:
            st.warning(escape_markdown(step.warning))
else:
    st.caption("No cleaning step is selected: the training part is used as loaded. Generators fill gaps for "
               "their own use only.")
_flow.next_link("pages/method.py", "Next: choose a method")
