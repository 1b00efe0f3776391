"""Baseline vs augmented: identical classifiers judged on the untouched test rows, against class weighting and
a tuned threshold, over repeated splits, with the verdict on top."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from core.config import MAX_REPEATS, build_run_config
from core.data import LEVEL_KINDS
from core.decision import decision_record
from core.diagnostics import SWEEP_NOTE
from core.errors import SynthBalanceError
from core.evaluation import ARMS, HEADLINE, Decision, Targets, headline_gain, pair_arms
from core.identity import prepared_key
from core.judgement import MIN_REPEATS, no_interval_text
from core.models import CLASSIFIERS
from core.pipeline import run_experiment, with_race
from core.plots import inert
from core.strategies import ARM_LABELS, NO_GENERATION, PICK_ORDER, choice_words
from core.text import escape_markdown
from pages import _cached, _flow, _longjob, _state

DECISION_BOX = {Decision.EARNED: st.success, Decision.CANNOT_TELL: st.warning, Decision.WORSE: st.error,
                Decision.NO_GENERATION: st.info}

METRIC_HEADERS = {"minority_f1": "minority F1", "minority_precision": "precision", "minority_recall": "recall",
                  "roc_auc": "ROC-AUC", "pr_auc": "PR-AUC", "balanced_accuracy": "bal. accuracy", "mcc": "MCC"}


st.title("Comparison")
prepared = _flow.need(_flow.current_prepared(), "Prepare the data first.", "pages/analysis.py",
                      "Go to Imbalance analysis")
settings = _state.generation_settings() or {}
dataset = prepared.dataset
has_rows = _state.synthetic() is not None and _state.synthetic_matches(prepared)
options = ([settings.get("method")] if has_rows and settings.get("method") else []) + list(PICK_ORDER)
wanted = _state.comparison_strategy()
if wanted not in options:
    race_used = _state.kept_race(prepared)  # only a race on these inputs recommends anything here
    if wanted is not None and wanted not in NO_GENERATION and race_used is not None \
            and race_used.recommended == wanted:
        st.info("The measured recommendation is a generator: generate its rows first.")
    wanted = options[0]
strategy_labels = {m: choice_words(m) for m in options}
strategy = st.selectbox("Strategy to judge", options, index=options.index(wanted),
                        format_func=strategy_labels.get,  # a dict's method: session state must pickle
                        key="w_strategy", help="Generate rows on the Generation page to judge a generator; the "
                                               "Method page's measurement can recommend a strategy without them.")
_state.set_comparison_strategy(strategy)
if not has_rows:
    st.caption("No synthetic rows yet: generate them on the Generation page to judge a generator here.")
if strategy not in NO_GENERATION:
    synthetic = _flow.current_synthetic(prepared)

c1, c2, c3, c4 = st.columns(4)
classifier = c1.selectbox("Classifier", list(CLASSIFIERS), format_func=CLASSIFIERS.get,
                          **_state.setting("classifier", "logreg", list(CLASSIFIERS)))
repeats = c2.slider("Repeated splits", 1, MAX_REPEATS, **_state.setting("repeats", 5),
                    help="Each repeat splits, cleans and generates again with seed + i. 1 is a fast mode.")
gain = c3.number_input("Minority F1 gain you need", 0.0, 1.0, step=0.01, format="%.2f",
                       **_state.setting("target_gain", 0.05))
levels = ["(none)"] + [c for c in dataset.features if dataset.column_types[c] in LEVEL_KINDS]
sensitive = c4.selectbox("Sensitive attribute (fairness)", levels, **_state.setting("sensitive", "(none)", levels))
for name, value in (("classifier", classifier), ("repeats", repeats), ("target_gain", gain), ("sensitive", sensitive)):
    _state.keep(name, value)
st.caption("Every arm uses the same classifier and hyperparameters, and is also scored at a decision threshold "
           "tuned on its own training part; the test rows are only scored."
           + (" Generator settings: those used on the Generation page." if strategy not in NO_GENERATION else ""))

_longjob.stopped_notice("comparison")
_longjob.estimate_note(_cached.experiment_estimate(prepared, prepared_key(prepared), strategy,
                                                  settings.get("params") or {}, int(repeats), classifier,
                                                  _state.n_jobs()), "The comparison")
if st.button("Run the comparison", type="primary", key="run_comparison"):
    try:  # what the user kept on the Generation and privacy pages travels in the config
        kept = settings if strategy not in NO_GENERATION else None  # no generator settings without synthetic rows
        config = build_run_config(dataset.target, strategy, data=dataset.name, data_sha256=dataset.sha256,
                                  generation=kept, column_types=_state.type_overrides(),
                                  cleaning=_state.cleaning_plan(), test_size=_state.test_size(), seed=_state.seed(),
                                  thresholds=_state.thresholds(), classifier=classifier, repeats=int(repeats),
                                  targets=Targets(float(gain)),
                                  sensitive_attribute=None if sensitive == "(none)" else sensitive)
    except SynthBalanceError as exc:
        st.error(escape_markdown(exc))
        st.stop()
    seconds = _cached.experiment_estimate(prepared, prepared_key(prepared), strategy,
                                          settings.get("params") or {}, int(repeats), classifier, _state.n_jobs())
    with _longjob.running("comparison", "The comparison", seconds, "Comparison") as job:
        result = run_experiment(dataset, config, progress=job.progress, n_jobs=_state.n_jobs(),
                                scheduler=_state.scheduler())
    if job.finished:
        _state.set_experiment(with_race(result, _state.kept_race(prepared)))  # the race is part of the record
        st.rerun()  # redraw with the sidebar's progress up to date

result = _state.experiment()
if result is None:
    st.stop()
stale = _state.experiment_staleness(prepared)
if stale:
    st.warning(escape_markdown(stale))
comparison, detail_view = result.comparison, result.detail
DECISION_BOX[comparison.decision](escape_markdown(comparison.verdict))
headline = headline_gain(comparison)  # the same number as the Summary, the model card and results.json
st.metric("Minority F1 gain", f"{headline.gain.mean:+.3f}", f"against {headline.reference_words}",
          delta_color="off", delta_arrow="off",
          help=f"At tuned thresholds; target {headline.target:+.2f}: {headline.verdict.words} "
               f"({headline.judgement.interval_text}).")
st.caption(f"Kept: {escape_markdown(decision_record(result).kept.sentence)} Classifier: "
           f"{CLASSIFIERS[comparison.classifier]}.")

st.subheader("Metrics on the test rows")
shown = [arm for arm in ARMS if arm in comparison.arms]
tuned_first = [a for a in shown if a.endswith("_tuned")] + [a for a in shown if not a.endswith("_tuned")]
rows = []
for arm in tuned_first:
    row = {"arm": ARM_LABELS[arm], "threshold": "tuned" if arm.endswith("_tuned") else "0.5 / argmax"}
    for metric in HEADLINE:
        s_ = comparison.arms[arm][metric]
        row[metric] = f"{s_.mean:.3f}" + (s_.compact_interval() if comparison.repeats >= MIN_REPEATS else "")
    rows.append(row)
# short headers and 'mean ± half-width' cells keep every column inside a 1400 px screen
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="metrics_table",
             column_config={m: st.column_config.TextColumn(METRIC_HEADERS.get(m, m)) for m in HEADLINE})
st.caption(f"Mean over {comparison.repeats} split(s)" + (
    f" ± half the width of the 95% interval by the {comparison.correction}, which widens the plain interval "
    "because repeated splits share most of their training rows; intervals are cut to the metric's scale (F1 and "
    "PR-AUC in [0, 1], their differences in [-1, 1]), a cut one shown as [low, high]."
    if comparison.repeats >= MIN_REPEATS else f". {no_interval_text(comparison.repeats)}")
    + " The tuned arms come first: they are the fair comparison; the untuned arms are a secondary view.")
differences = pd.DataFrame([{"comparison": " vs ".join(ARM_LABELS[p] for p in pair_arms(name)),
                             "metric": METRIC_HEADERS.get(metric, metric), "mean": d.mean, "ci low": d.ci_low,
                             "ci high": d.ci_high, "p (corrected t-test)": d.p_value}
                            for name, metrics in comparison.differences.items() for metric, d in metrics.items()
                            if metric in ("minority_f1", "pr_auc", "roc_auc")])
st.dataframe(differences, hide_index=True, width="stretch", key="differences_table")
st.caption(f"p: two-sided corrected resampled t-test; none (and no interval) under {MIN_REPEATS} repeats.")

st.subheader("Confusion matrices (first split)")
columns = st.columns(3)
judged = "augmented_tuned" if "augmented_tuned" in result.runs[0] else comparison.subject
for box, arm in zip(columns, dict.fromkeys(("baseline", "threshold_tuned", judged))):
    matrix = result.runs[0][arm].confusion
    box.plotly_chart(inert(px.imshow(matrix, text_auto=True, color_continuous_scale="Blues", title=ARM_LABELS[arm],
                               labels={"x": "predicted", "y": "true"})), width="stretch", key=f"confusion_{arm}")
left, right = st.columns(2)
per_class = detail_view.roc["class"].nunique() > 1
labelled = {"arm": ARM_LABELS}  # legends in the analyst's words, not internal ids
roc_curves = detail_view.roc.replace(labelled)
pr_curves = detail_view.pr.replace(labelled)
left.plotly_chart(inert(px.line(roc_curves, x="fpr", y="tpr", color="arm", line_dash="class" if per_class else None,
                          title="ROC curve (first split" + (", one-vs-rest per class)" if per_class else ")"))),
                  width="stretch", key="roc")
right.plotly_chart(inert(px.line(pr_curves, x="recall", y="precision", color="arm",
                           line_dash="class" if per_class else None,
                           title="Precision-recall curve (first split" + (", per class)" if per_class else ")"))),
                   width="stretch", key="pr")
sweep = detail_view.sweep.replace(labelled).melt(id_vars=["arm", "class", "threshold"], var_name="metric",
                                                 value_name="value")
st.plotly_chart(inert(px.line(sweep, x="threshold", y="value", color="metric", line_dash="arm",
                        facet_col="class" if per_class else None,
                        title="Test rows: precision, recall and F1 against the threshold (descriptive)")),
                width="stretch", key="sweep")
st.caption(SWEEP_NOTE)

st.subheader(f"Errors of the model judged ({ARM_LABELS[comparison.subject]}, first split)")
a, b = st.columns(2)
a.caption(f"{len(detail_view.missed):,} minority test rows still missed")
a.dataframe(detail_view.missed.head(200), width="stretch", key="missed")
b.caption(f"{len(detail_view.new_false_positives):,} new false positives (the baseline did not flag them)")
b.dataframe(detail_view.new_false_positives.head(200), width="stretch", key="new_false_positives")
if detail_view.fairness is not None:
    st.subheader(f"Fairness by {escape_markdown(result.config.sensitive_attribute)}")
    st.dataframe(detail_view.fairness, hide_index=True, width="stretch", key="fairness")
    st.dataframe(pd.DataFrame(detail_view.fairness_gaps).T, width="stretch", key="fairness_gaps")
_flow.next_link("pages/leaderboard.py", "Next: compare generators side by side")
