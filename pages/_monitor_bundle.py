"""Monitor's deployed-model half: a model bundle (zip from Report or `python -m core export`) and a batch; the
estimated minority F1 per chunk (CBPE) on a timeline, the batch's minority share with threshold advice, and the
domain classifier's drift per chunk. Core computes; this draws."""
from __future__ import annotations

import json

import streamlit as st

from core.errors import SynthBalanceError
from core.monitor import ADJUSTMENT_NOTE, CONCEPT_DRIFT_NOTE, drift_report, monitor_batch
from core.plots import inert, monitor_timeline
from core.reading import read_table
from core.text import escape_markdown
from pages import _state

BY_ROWS, BY_DATE = "rows by count", "period of a date column"
PERIODS = {"month": "M", "week": "W", "day": "D"}


def render() -> None:
    st.caption("A deployed model bundle and a new batch: the deployed decision's minority F1 estimated without labels "
               "(NannyML's CBPE on the bundle's calibrated probabilities), the batch's minority share, and whether "
               "a classifier can tell each chunk from the reference rows.")
    bundle_upload = st.file_uploader("Model bundle (zip)", type=["zip"], key="monitor_bundle_zip")
    batch_upload = st.file_uploader("New batch (the model's columns; the target may be missing)",
                                    type=["csv", "txt", "tsv", "parquet"], key="monitor_bundle_batch")
    how = st.radio("Chunks", [BY_ROWS, BY_DATE], horizontal=True,
                   **_state.setting("monitor_chunking", BY_ROWS, [BY_ROWS, BY_DATE]))
    _state.keep("monitor_chunking", how)
    chunk_size, date_column, period = None, None, "M"
    if how == BY_ROWS:
        size = int(st.number_input("Rows a chunk (0: a tenth of the batch)", min_value=0, max_value=10_000_000,
                                   step=100, **_state.setting("monitor_chunk_size", 0)))
        _state.keep("monitor_chunk_size", size)
        chunk_size = size or None
    else:
        left, right = st.columns(2)
        date_column = left.text_input("Date column", key="w_monitor_date_column").strip() or None
        unit = right.selectbox("Period", list(PERIODS), **_state.setting("monitor_period", "month", list(PERIODS)))
        _state.keep("monitor_period", unit)
        period = PERIODS[unit]
    ready = bundle_upload is not None and batch_upload is not None
    if st.button("Check the deployed model", key="run_bundle_monitor", type="primary", disabled=not ready):
        from core.bundle import load_bundle_zip  # skops loads with the first bundle, not with the page

        try:
            bundle = load_bundle_zip(bundle_upload.getvalue())
            batch = read_table(batch_upload.getvalue(), batch_upload.name)
            with st.spinner("Scoring the batch and checking it chunk by chunk..."):
                result = monitor_batch(bundle, batch.frame, batch_upload.name, chunk_size, date_column, period,
                                       seed=_state.seed(), batch_sha256=batch.sha256)
        except SynthBalanceError as exc:
            st.error(escape_markdown(exc))
        else:
            _state.set_bundle_monitor(result)
    result = _state.bundle_monitor()
    if result is None:
        return
    named = escape_markdown(result.batch or "the batch")
    st.subheader(f"The deployed model on {named}")
    for warning in result.bundle_warnings:
        st.warning(escape_markdown(warning))
    st.caption(f"{result.batch_rows:,} rows, {len(result.chunks)} chunk(s), {escape_markdown(result.chunking)}.")
    if result.f1 is None:
        st.warning(escape_markdown(result.refused))
    else:
        f1 = result.f1
        st.plotly_chart(inert(monitor_timeline(result)), key="monitor_timeline")
        st.caption(f"Interval: the estimate +- 3 sampling errors (NannyML's); reference band: the realised minority "
                   f"F1 on {f1.reference_chunks} reference chunks of {f1.reference_chunk_rows:,} rows, mean +- 3 "
                   f"standard deviations ({f1.band_low:.3f} to {f1.band_high:.3f}). A cross marks a chunk whose "
                   "estimate left the band or that the domain classifier told apart.")
        table = f1.table()
        for other in result.performance[1:]:
            table[f"estimated {other.words}"] = [c.estimate for c in other.chunks]
        st.dataframe(table, hide_index=True)
        st.caption(escape_markdown(CONCEPT_DRIFT_NOTE))
    st.subheader("Minority share")
    st.markdown(escape_markdown(result.prevalence.sentence))
    st.caption(ADJUSTMENT_NOTE + " The share under prior shift: EM (Saerens et al. 2002) with a bootstrap interval "
               "over the batch and the reference rows; under covariate shift: the mean calibrated probability.")
    st.subheader("Multivariate drift")
    st.caption("A classifier told to separate each chunk from the reference rows: out-of-fold AUC 0.5 when they look "
               "alike; flagged at AUC 0.6 or more with a one-sided p-value below 0.01.")
    st.dataframe(result.multivariate.table(), hide_index=True)
    if result.per_feature is not None:
        features = result.per_feature
        st.subheader("Features, one at a time")
        st.markdown(f"**Verdict per feature: {escape_markdown(features.headline)}.** Each feature of {named} "
                    f"against the bundle's {features.reference_rows:,} reference rows; {features.tests} tests, "
                    "Holm-corrected.")
        for reason in features.reasons:
            st.caption(escape_markdown(reason))
        st.dataframe(features.shown(), hide_index=True)
    st.download_button("drift.json (deployed model)", json.dumps(drift_report(result), indent=2), "drift.json",
                       "application/json", key="download_bundle_monitor")
