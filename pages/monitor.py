"""Monitor: a new batch against the data the run was built on: per-feature drift, the class prior, the minority
rows' own drift, concept drift, and a verdict (stable / watch / re-run) with the next step."""
from __future__ import annotations

import json
from dataclasses import asdict, fields

import pandas as pd
import streamlit as st

from core.data import read_table
from core.drift import REASONS, DriftThresholds, Verdict, check_drift, drift_dict
from core.errors import SynthBalanceError
from core.plots import drift_feature
from core.report import _escape_markdown
from pages import _flow, _state

st.title("Monitor")
st.caption("Compare a new batch with the data the model was built on, and learn whether to keep it, watch it, or "
           "re-run the pipeline on refreshed data.")

experiment = _state.experiment()
if experiment is not None:
    reference, config = experiment.prepared.dataset, experiment.config
    st.info(f"Reference: the training part of the current run ({config.method}, seed {config.seed}). Concept drift "
            "refits that run's model from its config on the same training rows.")
else:
    reference = _flow.need(_flow.current_dataset(), "Load a table and choose its target first.", "pages/data.py",
                           "Go to Data")
    config = None
    st.info("No run yet: the reference is every row of the loaded table, and concept drift uses a logistic "
            "regression fitted on 70% of it. Run the comparison first to monitor the run itself.")

upload = st.file_uploader("New batch (same columns as the reference; the target may be missing)",
                          type=["csv", "txt", "tsv", "parquet"], key="drift_upload")
label_free = st.checkbox("Label-free: ignore the target even when the batch has it",
                         key=_state.prime("drift_label_free", False))
_state.keep("drift_label_free", label_free)
defaults = DriftThresholds()
values = {}
with st.expander("Thresholds"):
    columns = st.columns(4)
    for index, field in enumerate(fields(DriftThresholds)):
        default = getattr(defaults, field.name)
        values[field.name] = float(columns[index % 4].number_input(
            field.name.replace("_", " "), min_value=0.0, max_value=10.0, step=0.01, format="%.3f",
            key=_state.prime(f"drift_{field.name}", default), help=f"Default {default}: {REASONS[field.name]}."))
        _state.keep(f"drift_{field.name}", values[field.name])

if st.button("Check drift", key="run_drift", type="primary", disabled=upload is None):
    try:
        batch = read_table(upload.getvalue(), upload.name)
        thresholds = DriftThresholds(**values)
        with st.spinner("Comparing the new batch with the reference and refitting the model..."):
            result = check_drift(reference, batch.frame, config, thresholds, label_free=label_free,
                                 seed=_state.seed())
    except SynthBalanceError as exc:
        st.error(_escape_markdown(exc))
    else:
        _state.set_drift(result)

drift = _state.drift()
if drift is None:
    st.stop()

banner = {Verdict.STABLE: st.success, Verdict.WATCH: st.warning, Verdict.RERUN: st.error}[drift.verdict]
banner(f"**Verdict: {drift.verdict.value}.** {drift.next_step}")  # core's own words: method, seed, file name
st.markdown("\n".join(f"- {_escape_markdown(reason)}" for reason in drift.reasons))
for message in drift.schema.messages:
    st.warning(_escape_markdown(message))
st.caption(f"{drift.new_rows:,} new rows against {drift.reference_rows:,} reference rows "
           f"({_escape_markdown(drift.reference)}); "
           f"{drift.tests} tests, each at {drift.per_test_alpha:.4f} so the whole check's false-alarm level is "
           f"{drift.thresholds.alpha:.0%}.")
st.download_button("drift.json", json.dumps(drift_dict(drift), indent=2), "drift.json", "application/json",
                   key="download_drift")

st.subheader("Features")
st.dataframe(drift.table(), hide_index=True)
for index, feature in enumerate(drift.drifted):
    st.plotly_chart(drift_feature(feature), key=f"drift_chart_{index}")

if drift.label_free:
    st.caption("Label-free check: the class prior, the minority's own drift and concept drift need the target.")
else:
    prior = drift.prior
    st.subheader("Class prior")
    c1, c2, c3 = st.columns(3)
    c1.metric(f"'{_escape_markdown(prior.minority_class)}' share, reference", f"{prior.reference_share:.1%}")
    c2.metric(f"'{_escape_markdown(prior.minority_class)}' share, new batch", f"{prior.new_share:.1%}",
              f"{prior.difference:+.1%}", delta_color="off")
    c3.metric("Prior status", prior.status.value)
    st.caption(f"95% Wilson intervals {prior.reference_interval[0]:.1%}-{prior.reference_interval[1]:.1%} and "
               f"{prior.new_interval[0]:.1%}-{prior.new_interval[1]:.1%}; difference 95% CI (Newcombe) "
               f"{prior.difference_interval[0]:+.1%} to {prior.difference_interval[1]:+.1%}, Fisher p = "
               f"{prior.p_value:.3g}.")
    st.subheader("Minority rows' own drift")
    st.caption("The generator learned from the reference's minority rows: their features, reference against new.")
    st.dataframe(drift.table(minority=True), hide_index=True)
    if drift.concept is not None:
        st.subheader("Concept drift")
        st.caption(f"Model: {drift.concept.model}; {drift.concept.test_rows:,} test rows at build time, "
                   f"{drift.concept.new_rows:,} new rows.")
        st.dataframe(pd.DataFrame([{**asdict(m), "status": m.status.value,
                                    "interval": None if m.interval is None else
                                    f"{m.interval[0]:+.3f} to {m.interval[1]:+.3f}"} for m in drift.concept.metrics]),
                     hide_index=True)
