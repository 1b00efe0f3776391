"""Monitor: a new batch against the data the run was built on: per-feature drift, the class prior, the minority
rows' own drift, concept drift, and a verdict (stable / watch / re-run) with the next step."""
from __future__ import annotations

import json
from dataclasses import fields

import pandas as pd
import streamlit as st

from core.config import config_json
from core.data import sha256_of
from core.drift import (
    P_FLOOR,
    REASONS,
    REFRESH_BATCH_ONLY,
    REFRESH_WITH_REFERENCE,
    DriftThresholds,
    Verdict,
    check_drift,
    drift_dict,
    p_text,
    refreshed_dataset,
    rerun_refreshed,
)
from core.errors import SynthBalanceError
from core.estimates import check_run_cost
from core.models import CLASSIFIERS
from core.plots import drift_feature, inert
from core.reading import read_table
from core.results import results_dict
from core.strategies import NO_GENERATION
from core.strategies import strategy_words as label_of
from core.text import escape_markdown
from pages import _flow, _state

st.title("Monitor")
st.caption("Compare a new batch with the data the model was built on, and learn whether to keep it, watch it, or "
           "re-run the pipeline on refreshed data.")
AGAINST_RUN, AGAINST_BUNDLE = "the run or the loaded table", "a deployed model bundle"
against = st.radio("Check against", [AGAINST_RUN, AGAINST_BUNDLE], horizontal=True,
                   **_state.setting("monitor_against", AGAINST_RUN, [AGAINST_RUN, AGAINST_BUNDLE]))
_state.keep("monitor_against", against)
if against == AGAINST_BUNDLE:
    from pages._monitor_bundle import render
    render()
    st.stop()

experiment = _state.experiment()
if experiment is not None:
    from core.decision import decision_record, monitored_config
    reference, config = experiment.prepared.dataset, monitored_config(experiment)  # the model that goes forward
    st.info(f"Reference: the training part of the current run ({label_of(config.method)}, seed {config.seed}): "
            f"{escape_markdown(decision_record(experiment).kept.monitored_sentence)} Concept drift refits that "
            "model from its config on the same training rows.")
else:
    reference = _flow.need(_flow.current_dataset(), "Load a table and choose its target first.", "pages/data.py",
                           "Go to Data")
    config = None
    st.info("No run yet: the reference is every row of the loaded table, and concept drift uses a logistic "
            "regression fitted on 70% of it. Run the comparison first to monitor the run itself.")

upload = st.file_uploader("New batch (same columns as the reference; the target may be missing)",
                          type=["csv", "txt", "tsv", "parquet"], key="drift_upload")
upload_sha256 = sha256_of(upload.getvalue()) if upload is not None else None
previous = _state.drift()
if previous is not None and upload_sha256 is not None and previous.batch_sha256 != upload_sha256:
    _state.set_drift(None)  # another file: the previous file's verdict (and its re-run) no longer applies
    st.info(f"A new file: the verdict on '{escape_markdown(previous.batch)}' was cleared. Press Check drift to "
            f"check '{escape_markdown(upload.name)}'.")
label_free = st.checkbox("Label-free: ignore the target even when the batch has it",
                         **_state.setting("drift_label_free", False))
_state.keep("drift_label_free", label_free)
defaults = DriftThresholds()
values = {}
with st.expander("Thresholds"):
    columns = st.columns(4)
    for index, field in enumerate(fields(DriftThresholds)):
        default = getattr(defaults, field.name)
        values[field.name] = float(columns[index % 4].number_input(
            field.name.replace("_", " "), min_value=0.0, max_value=10.0, step=0.01, format="%.3f",
            **_state.setting(f"drift_{field.name}", default), help=f"Default {default}: {REASONS[field.name]}."))
        _state.keep(f"drift_{field.name}", values[field.name])

if st.button("Check drift", key="run_drift", type="primary", disabled=upload is None):
    try:
        batch = read_table(upload.getvalue(), upload.name)
        thresholds = DriftThresholds(**values)
        with st.spinner("Comparing the new batch with the reference and refitting the model..."):
            result = check_drift(reference, batch.frame, config, thresholds, label_free=label_free,
                                 seed=_state.seed(), batch=upload.name, batch_sha256=batch.sha256)
    except SynthBalanceError as exc:
        st.error(escape_markdown(exc))
    else:
        _state.set_drift(result)

drift = _state.drift()
if drift is None:
    st.stop()

banner = {Verdict.STABLE: st.success, Verdict.WATCH: st.warning, Verdict.RERUN: st.error}[drift.verdict]
about = escape_markdown(drift.about)  # the file the verdict is about, in every verdict shown
banner(f"**Verdict on {about}: {drift.headline}.** {escape_markdown(drift.next_step)}")  # core's words
if upload is None:
    st.caption(f"This verdict is about {about}, checked earlier; upload it again to re-run from it.")
st.markdown("\n".join(f"- {escape_markdown(reason)}" for reason in drift.reasons))
for message in drift.schema.messages:
    st.warning(escape_markdown(message))
st.caption(f"{drift.new_rows:,} new rows of {about} against {drift.reference_rows:,} reference rows "
           f"({escape_markdown(drift.reference)}); {drift.tests} tests with {drift.correction}'s correction, so the "
           f"whole check's false-alarm level is {drift.thresholds.alpha:.0%}. Numbers are binned on the reference's "
           "deciles; each column's missing share is tested on its own.")
st.download_button("drift.json", json.dumps(drift_dict(drift), indent=2), "drift.json", "application/json",
                   key="download_drift")

st.subheader(f"Features of {escape_markdown(drift.batch or 'the new batch')}")
st.dataframe(drift.shown(), hide_index=True)
for index, feature in enumerate(drift.drifted):
    st.plotly_chart(inert(drift_feature(feature)), key=f"drift_chart_{index}")

if drift.label_free:
    st.caption("Label-free check: the class prior, the minority's own drift and concept drift need the target.")
else:
    prior = drift.prior
    st.subheader("Class prior")
    c1, c2, c3 = st.columns(3)
    c1.metric(f"'{escape_markdown(prior.minority_class)}' share, reference", f"{prior.reference_share:.1%}")
    c2.metric(f"'{escape_markdown(prior.minority_class)}' share, new batch", f"{prior.new_share:.1%}",
              f"{prior.difference:+.1%}", delta_color="off")
    c3.metric("Prior status", prior.status.value)
    st.caption(f"95% Wilson intervals {prior.reference_interval[0]:.1%}-{prior.reference_interval[1]:.1%} and "
               f"{prior.new_interval[0]:.1%}-{prior.new_interval[1]:.1%}; difference 95% CI (Newcombe) "
               f"{prior.difference_interval[0]:+.1%} to {prior.difference_interval[1]:+.1%}, Fisher p "
               f"{'' if prior.p_value < P_FLOOR else '= '}{p_text(prior.p_value)}.")
    st.subheader("Minority rows' own drift")
    st.caption("The generator learned from the reference's minority rows: their features, reference against new.")
    st.dataframe(drift.shown(minority=True), hide_index=True)
    if drift.concept is not None:
        st.subheader("Concept drift")
        st.caption(f"Model: {escape_markdown(drift.concept.model)}; decision: "
                   f"{escape_markdown(drift.concept.decision)} (the "
                   f"deployed model's); {drift.concept.test_rows:,} test rows at build time, "
                   f"{drift.concept.new_rows:,} new rows.")
        st.dataframe(drift.concept_shown(), hide_index=True)

st.subheader("Re-run on refreshed data")
if config is None:
    st.caption("The re-run repeats a run's config on refreshed data: run the comparison first.")
elif drift.label_free:
    st.caption("The re-run needs labelled rows: this batch was checked without its target.")
elif drift.schema.unchecked:
    st.caption("Fix the feed first: a re-run needs every column the model learned on, as the reference has it.")
else:
    st.caption(f"The same config ({label_of(config.method)}"
               f"{', no synthetic rows' if config.method in NO_GENERATION else ''}, "
               f"{CLASSIFIERS.get(config.classifier, config.classifier)}, seed {config.seed}, {config.repeats} "
               "repeat(s)) on refreshed data, as `python -m core run --config config.json --data NEW_FILE "
               "--refreshed` does. Compare the refreshed run with the current one before switching; the current "
               "config.json is the rollback.")
    source = st.radio("Refreshed data", [REFRESH_WITH_REFERENCE, REFRESH_BATCH_ONLY], horizontal=True,
                      **_state.setting("drift_refresh_source", REFRESH_WITH_REFERENCE,
                                       [REFRESH_WITH_REFERENCE, REFRESH_BATCH_ONLY]))
    _state.keep("drift_refresh_source", source)
    if st.button("Re-run with the same config", key="rerun_refreshed", disabled=upload is None,
                 help="Upload the batch again to re-run from it." if upload is None else None):
        bar = st.progress(0.0, text="Starting the refreshed run")
        try:
            batch = read_table(upload.getvalue(), upload.name)
            check_run_cost(config, refreshed_dataset(reference, batch.frame, upload.name, batch.sha256,
                                                     source == REFRESH_WITH_REFERENCE))  # before it starts
            refreshed = rerun_refreshed(reference, batch.frame, config, upload.name, batch.sha256,
                                        source == REFRESH_WITH_REFERENCE,
                                        progress=lambda done, text: bar.progress(min(max(done, 0.0), 1.0),
                                                                                 text=escape_markdown(text)))
        except SynthBalanceError as exc:
            st.error(escape_markdown(exc))
        else:
            _state.set_drift_rerun(refreshed)
    rerun = _state.drift_rerun()
    if rerun is not None:
        subject = rerun.comparison.subject
        current, fresh = experiment.comparison.arms[subject], rerun.comparison.arms[subject]
        rows = len(rerun.prepared.dataset.frame)
        st.markdown(f"**Refreshed run on {escape_markdown(rerun.config.data)}** ({rows:,} rows, seed "
                    f"{rerun.config.seed}): {escape_markdown(rerun.comparison.verdict)}")
        st.dataframe(pd.DataFrame([{"metric": words, "current run": current[name].mean,
                                    "refreshed run": fresh[name].mean}
                                   for name, words in (("minority_f1", "minority F1"), ("minority_recall",
                                                       "minority recall"), ("minority_precision",
                                                       "minority precision"), ("pr_auc", "PR-AUC"))]),
                     hide_index=True)
        left, right = st.columns(2)
        left.download_button("Refreshed config.json", config_json(rerun.config), "config.json", "application/json",
                             key="download_rerun_config")
        right.download_button("Refreshed results.json", json.dumps(results_dict(rerun), indent=2, default=str),
                              "results.json", "application/json", key="download_rerun_results")
