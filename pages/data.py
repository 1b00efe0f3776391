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
    read_table,
    sha256_of,
    stratified_sample,
)
from core.errors import SynthBalanceError
from core.samples import SAMPLES
from core.text import escape_markdown
from pages import _cached, _flow, _state

st.title("Data")
st.caption("Load a table whose class of interest is rare. Nothing leaves this machine.")

source = _state.keep("source", st.radio("Source", ["Bundled sample", "Upload a file"], horizontal=True,
                                         key=_state.prime("source", "Bundled sample")))
if source == "Bundled sample":
    titles = {f: title for f, (title, _) in SAMPLES.items()}
    choice = _state.keep("sample", st.selectbox("Sample dataset", list(SAMPLES), format_func=titles.get,
                                                 key=_state.prime("sample", "german_credit.csv")))
    if _state.origin() != f"sample:{choice}":
        _state.set_table(_cached.sample_table(choice), f"sample:{choice}", SAMPLES[choice][1])
    st.caption("Real UCI data (CC BY 4.0); see sample_data/README.md for the attribution.")
else:
    upload = st.file_uploader("CSV (comma, semicolon, tab or |) or Parquet", type=["csv", "txt", "tsv", "parquet"],
                              key="upload")
    if upload is not None:
        raw = upload.getvalue()
        digest = sha256_of(raw)
        if not (_state.origin() or "").startswith(f"upload:{digest}"):
            try:
                loaded = read_table(raw, upload.name)
            except SynthBalanceError as exc:
                st.error(escape_markdown(f"{upload.name}: {exc}"))
                if _state.table() is not None:
                    st.caption(f"The previous table, {escape_markdown(_state.table().name)}, is still loaded.")
            else:
                _state.set_table(loaded, f"upload:{digest}", default_target(loaded))

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
for note in table.notes:
    st.info(escape_markdown(note))

columns = list(frame.columns)
current_target = _state.target() if _state.target() in columns else default_target(table)
target_key = _state.prime(f"target_{table.sha256[:12]}", current_target)
target = st.selectbox("Target column (the class to balance)", columns, key=target_key)
_state.set_target(target)

dataset = _flow.current_dataset()
left, mid, right, last = st.columns(4)
left.metric("Rows", f"{len(frame):,}")
mid.metric("Columns", f"{frame.shape[1]:,}")
right.metric("Features used", f"{len(dataset.features):,}" if dataset else "-")
last.metric("Classes", f"{frame[target].nunique():,}")
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
    st.page_link("pages/analysis.py", label="Next: imbalance analysis", icon=":material/arrow_forward:")
