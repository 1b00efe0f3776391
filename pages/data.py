"""Data: pick a bundled sample or upload a file, choose the target, correct column types."""
from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core.data import (
    COLUMN_KINDS,
    EXCLUDED_KINDS,
    LARGE_TABLE_ROWS,
    default_target,
    is_large,
    merge_similar_labels,
    sha256_of,
    similar_labels,
    similar_labels_message,
    stratified_sample,
    unresolved_mixed_columns,
)
from core.errors import SynthBalanceError
from core.reading import read_table
from core.samples import SAMPLES
from core.text import escape_markdown
from pages import _cached, _flow, _state

MANY_TARGET_VALUES = 20  # a numeric target with more distinct values is more likely a measurement than a class

st.title("Data")
st.caption("Load a table whose class of interest is rare. Nothing leaves this machine.")

source = _state.keep("source", st.radio("Source", ["Bundled sample", "Upload a file"], horizontal=True,
                                         **_state.setting("source", "Bundled sample",
                                                          ["Bundled sample", "Upload a file"])))
if source == "Bundled sample":
    titles = {f: title for f, (title, _) in SAMPLES.items()}
    choice = _state.keep("sample", st.selectbox("Sample dataset", list(SAMPLES), format_func=titles.get,
                                                 **_state.setting("sample", "german_credit.csv", list(SAMPLES))))
    _state.clear_failed_upload()
    if _state.origin() != f"sample:{choice}":
        _state.set_table(_cached.sample_table(choice), f"sample:{choice}", SAMPLES[choice][1])
    st.caption("Real UCI data (CC BY 4.0); see sample_data/README.md for the attribution.")
else:
    upload = st.file_uploader("CSV (comma, semicolon, tab or |) or Parquet", type=["csv", "txt", "tsv", "parquet"],
                              key="upload")
    if upload is not None:
        raw = upload.getvalue()
        digest = sha256_of(raw)
        failed = _state.failed_upload()
        if failed and failed["digest"] == digest:
            pass  # this exact file already failed: show its reason below without reading it again
        elif not (_state.origin() or "").startswith(f"upload:{digest}"):
            try:
                loaded = read_table(raw, upload.name)
            except SynthBalanceError as exc:
                _state.set_failed_upload(upload.name, digest, str(exc))
            else:
                _state.set_table(loaded, f"upload:{digest}", default_target(loaded), guessed=True)
    elif _state.failed_upload():
        _state.clear_failed_upload()  # the failed file was removed from the uploader

failed = _state.failed_upload()
if failed:
    st.error(f"**{escape_markdown(failed['name'])}** was not loaded: {escape_markdown(failed['message'])}")
    if _state.table() is not None:
        st.warning(f"Still in use: **{escape_markdown(_state.table().name)}** (the table loaded before). Every "
                   "later page works on it until another file loads.")

table = _state.table()
if table is None:
    st.stop()
if is_large(table):
    st.warning(f"{escape_markdown(table.name)} has {len(table.frame):,} rows. Profiling, generation and the "
               f"comparison on all of them take minutes on this machine; a stratified sample of "
               f"{LARGE_TABLE_ROWS:,} rows keeps every class's share and answers in seconds.")
    sample_target = _state.target() if _state.target() in table.frame.columns else default_target(table)
    if st.button(f"Work on a stratified sample of {LARGE_TABLE_ROWS:,} rows (by '{escape_markdown(sample_target)}')",
                 key="use_sample", type="primary"):
        _state.set_table(stratified_sample(table, sample_target, seed=_state.seed()),
                         f"{_state.origin()}:sample", sample_target)
        st.rerun()
frame = table.frame
st.markdown(f"**Table in use:** {escape_markdown(table.name)} ({len(frame):,} rows, {frame.shape[1]:,} columns)")
for note in table.notes:
    st.info(escape_markdown(note))

columns = list(frame.columns)
current_target = _state.target() if _state.target() in columns else default_target(table)
target_widget = _state.setting(f"target_{table.sha256[:12]}", current_target, columns)
target = st.selectbox("Target column (the class to balance)", columns, **target_widget)
_state.set_target(target)

if _state.target_guessed() and target == _state.target():
    st.info(f"The target **{escape_markdown(target)}** was guessed when the file loaded, not chosen. Check it: "
            "choose the column that holds the classes to balance, or keep this one.")
    if st.button(f"Keep '{escape_markdown(target)}' as the target", key="confirm_target"):
        _state.confirm_target()  # the sidebar's "(guessed)" goes
        st.rerun()
distinct = frame[target].nunique()
if pd.api.types.is_numeric_dtype(frame[target]) and distinct > MANY_TARGET_VALUES:
    st.warning(f"**{escape_markdown(target)}** is a number column with {distinct:,} different values: each value "
               "would be a class of its own. A class target usually has a few values; choose the column that "
               "holds the classes, or bin this one in the file first.")
look_alike = similar_labels(frame[target])
if look_alike:
    st.warning(escape_markdown(similar_labels_message(look_alike, target)))
    if st.button("Merge them (each group into its most frequent spelling)", key="merge_similar_labels"):
        overrides = _state.type_overrides()
        _state.set_table(merge_similar_labels(table, target), f"{_state.origin()}:merged-labels", target)
        _state.set_type_overrides(overrides)  # the analyst's column types survive the merge
        st.rerun()
mixed = unresolved_mixed_columns(table, target, _state.type_overrides())
dataset, problem = _flow.dataset_check()
left, mid, right, last = st.columns(4)
left.metric("Rows", f"{len(frame):,}")
mid.metric("Columns", f"{frame.shape[1]:,}")
right.metric("Features used", f"{len(dataset.features):,}" if dataset else "-")
last.metric("Classes", f"{frame[target].nunique():,}")
if mixed:
    if len(mixed) == 1 and problem:
        st.error(escape_markdown(problem))  # core's sentence for one column: how many values are text, an example
    else:
        st.error(f"{len(mixed)} columns mix numbers and text: {escape_markdown(', '.join(mixed))}. Fix those cells "
                 "in the file, or treat the columns as categorical (each value becomes a level).")
    fix_columns = st.columns(min(4, len(mixed) + 1))
    for i, col in enumerate(mixed):
        if fix_columns[i % len(fix_columns)].button(f"Treat '{escape_markdown(col)}' as categorical",
                                                    key=f"fix_mixed_{col}"):
            _state.set_type_overrides({**_state.type_overrides(), col: "categorical"})
            st.rerun()
    if len(mixed) > 1 and fix_columns[len(mixed) % len(fix_columns)].button(
            f"Treat all {len(mixed)} as categorical", key="fix_mixed_all", type="primary"):
        _state.set_type_overrides({**_state.type_overrides(), **{c: "categorical" for c in mixed}})
        st.rerun()
elif problem:
    st.error(f"This table cannot be used with '{escape_markdown(target)}' as the target yet: "
             f"{escape_markdown(problem)}")
if dataset is not None:
    for note in dataset.notes[len(table.notes):]:
        st.info(escape_markdown(note))

st.subheader("Column types")
st.caption("Identifiers (unique per row) and constants are left out of generation. Change any type here.")
effective = {**table.column_types, **_state.type_overrides()}
types = pd.DataFrame({
    "column": columns,
    "detected": [table.column_types[c] for c in columns],
    "type": [effective[c] for c in columns],
    "missing": [f"{frame[c].isna().mean():.1%}" for c in columns],
    "distinct": [int(frame[c].nunique()) for c in columns],
    "example": [str(frame[c].dropna().iloc[0])[:40] if frame[c].notna().any() else "" for c in columns],
})
version = hashlib.sha1(repr(sorted(_state.type_overrides().items())).encode()).hexdigest()[:8]
edited = st.data_editor(
    types, key=f"w_types_{table.sha256[:12]}_{version}", hide_index=True, width="stretch",
    disabled=["column", "detected", "missing", "distinct", "example"],
    column_config={"type": st.column_config.SelectboxColumn("type", options=list(COLUMN_KINDS), required=True)})
overrides = {row.column: row.type for row in edited.itertuples() if row.type != row.detected}
if overrides != _state.type_overrides():
    _state.set_type_overrides(overrides)
    st.rerun()
excluded = [c for c in columns if effective[c] in EXCLUDED_KINDS and c != target]
if excluded:
    st.caption(f"Left out of generation: {escape_markdown(', '.join(excluded))}.")

st.subheader("Preview")
st.dataframe(frame.head(200), width="stretch", height=320)
if dataset is not None:
    _flow.next_link("pages/analysis.py", "Next: imbalance analysis")
else:
    st.caption("The next steps open once the table passes the checks above.")
