"""Baseline vs augmented: identical classifiers judged on the untouched test rows, against class weighting and
a tuned threshold, over repeated splits, with the verdict on top."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from core.config import MAX_REPEATS, RunConfig
from core.data import LEVEL_KINDS
from core.errors import GenerationCancelled, SynthBalanceError
from core.evaluation import ARMS, HEADLINE, Targets
from core.generators.amount import Amount
from core.generators.density import DensityFilter
from core.models import CLASSIFIERS
from core.pipeline import run_experiment
from core.text import escape_markdown
from pages import _flow, _state

ARM_LABELS = {"baseline": "baseline", "class_weighted": "class weights", "threshold_tuned": "tuned threshold",
              "augmented": "augmented", "tstr": "synthetic only (TSTR)"}

st.title("Comparison")
prepared = _flow.need(_flow.current_prepared(), "Prepare the data first.", "pages/analysis.py",
                      "Go to Imbalance analysis")
synthetic = _flow.current_synthetic(prepared)
settings = _state.generation_settings() or {}
dataset = prepared.dataset

c1, c2, c3, c4 = st.columns(4)
classifier = c1.selectbox("Classifier", list(CLASSIFIERS), format_func=CLASSIFIERS.get,
                          key=_state.prime("classifier", "logreg"))
repeats = c2.slider("Repeated splits", 1, MAX_REPEATS, key=_state.prime("repeats", 5),
                    help="Each repeat splits, cleans and generates again with seed + i. 1 is a fast mode.")
gain = c3.number_input("Minority F1 gain you need", 0.0, 1.0, step=0.01, format="%.2f",
                       key=_state.prime("target_gain", 0.05))
levels = ["(none)"] + [c for c in dataset.features if dataset.column_types[c] in LEVEL_KINDS]
sensitive = c4.selectbox("Sensitive attribute (fairness)", levels, key=_state.prime("sensitive", "(none)"))
for name, value in (("classifier", classifier), ("repeats", repeats), ("target_gain", gain), ("sensitive", sensitive)):
    _state.keep(name, value)
st.caption(f"Method {settings.get('method')} with the settings used on the Generation page; every arm uses the same "
           "classifier and hyperparameters; the test rows are only scored.")

if st.button("Run the comparison", type="primary", key="run_comparison"):
    amount = settings.get("amount", {"rule": "ratio", "value": 1.0})
    density = settings.get("density")
    config = RunConfig(target=dataset.target, method=settings.get("method", synthetic.method), data=dataset.name,
                       data_sha256=dataset.sha256, column_types=_state.type_overrides(),
                       cleaning=_state.cleaning_plan(), test_size=_state.test_size(), seed=_state.seed(),
                       amount=Amount(amount["rule"], amount["value"]), params=settings.get("params", {}),
                       rules=tuple(settings.get("constraints", {}).get("rules", [])),
                       density=DensityFilter(**density) if density else None, classifier=classifier,
                       repeats=int(repeats), targets=Targets(float(gain)),
                       sensitive_attribute=None if sensitive == "(none)" else sensitive)
    bar = st.progress(0.0, text="Starting...")
    try:
        result = run_experiment(dataset, config, progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
    except GenerationCancelled as exc:
        st.warning(escape_markdown(exc))
    except SynthBalanceError as exc:
        st.error(escape_markdown(exc))
    else:
        _state.set_experiment(result)
        st.rerun()  # redraw with the sidebar's progress up to date

result = _state.experiment()
if result is None:
    st.stop()
comparison, detail_view = result.comparison, result.detail
verdict_box = st.success if "earned their place" in comparison.verdict and "did not" not in comparison.verdict \
    else st.warning
verdict_box(escape_markdown(comparison.verdict))

st.subheader("Metrics on the test rows")
rows = []
for arm in ARMS:
    row = {"arm": ARM_LABELS[arm]}
    for metric in HEADLINE:
        s = comparison.arms[arm][metric]
        row[metric] = f"{s.mean:.3f}" + (f" [{s.ci_low:.3f}, {s.ci_high:.3f}]" if comparison.repeats > 1 else "")
    if arm != "baseline":
        base = comparison.arms["baseline"]["minority_f1"].mean
        row["minority F1 vs baseline"] = f"{comparison.arms[arm]['minority_f1'].mean - base:+.3f}"
    rows.append(row)
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="metrics_table")
st.caption(f"Mean over {comparison.repeats} split(s)" + (" with 95% confidence intervals." if comparison.repeats > 1
                                                          else "."))
differences = pd.DataFrame([{"comparison": name.replace("_", " "), "metric": metric, "mean": d.mean,
                             "ci low": d.ci_low, "ci high": d.ci_high, "Wilcoxon p": d.p_value}
                            for name, metrics in comparison.differences.items() for metric, d in metrics.items()
                            if metric in ("minority_f1", "pr_auc", "roc_auc")])
st.dataframe(differences, hide_index=True, width="stretch", key="differences_table")

st.subheader("Confusion matrices (first split)")
columns = st.columns(3)
for box, arm in zip(columns, ("baseline", "threshold_tuned", "augmented")):
    matrix = result.runs[0][arm].confusion
    box.plotly_chart(px.imshow(matrix, text_auto=True, color_continuous_scale="Blues", title=ARM_LABELS[arm],
                               labels={"x": "predicted", "y": "true"}), width="stretch", key=f"confusion_{arm}")
left, right = st.columns(2)
left.plotly_chart(px.line(detail_view.roc, x="fpr", y="tpr", color="arm", title="ROC curve (first split)"),
                  width="stretch", key="roc")
right.plotly_chart(px.line(detail_view.pr, x="recall", y="precision", color="arm",
                           title="Precision-recall curve (first split)"), width="stretch", key="pr")
sweep = detail_view.sweep.melt(id_vars=["arm", "threshold"], var_name="metric", value_name="value")
st.plotly_chart(px.line(sweep, x="threshold", y="value", color="metric", line_dash="arm",
                        title="Minority precision, recall and F1 against the decision threshold"),
                width="stretch", key="sweep")

st.subheader("Errors of the augmented model (first split)")
a, b = st.columns(2)
a.caption(f"{len(detail_view.missed):,} minority test rows still missed")
a.dataframe(detail_view.missed.head(200), width="stretch", key="missed")
b.caption(f"{len(detail_view.new_false_positives):,} new false positives (the baseline did not flag them)")
b.dataframe(detail_view.new_false_positives.head(200), width="stretch", key="new_false_positives")
if detail_view.fairness is not None:
    st.subheader(f"Fairness by {escape_markdown(result.config.sensitive_attribute)}")
    st.dataframe(detail_view.fairness, hide_index=True, width="stretch", key="fairness")
    st.dataframe(pd.DataFrame(detail_view.fairness_gaps).T, width="stretch", key="fairness_gaps")
