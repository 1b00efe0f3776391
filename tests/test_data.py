"""Validating tables (core.data): the sample sets' kinds and counts, overrides, labels, the default target; every bad
input gives a DataError that says what to do (reading: test_reading.py; kinds: test_column_kinds.py)."""
from __future__ import annotations

import pytest

from core.data import (
    BOOLEAN,
    CATEGORICAL,
    INTEGER,
    NUMERIC,
    default_target,
    validate_dataset,
)
from core.errors import DataError
from core.reading import read_table
from tests.conftest import sample_path, table


def test_german_credit_types_and_counts(datasets):
    ds = datasets["german_credit"]
    assert ds.frame.shape == (1000, 21)
    assert ds.class_counts.to_dict() == {"good": 700, "bad": 300}
    kinds = ds.column_types
    assert kinds["duration_months"] == INTEGER and kinds["credit_amount"] == INTEGER
    assert kinds["purpose"] == CATEGORICAL
    assert kinds["foreign_worker"] == BOOLEAN  # yes/no
    assert len(ds.features) == 20


def test_hypothyroid_reads_empty_cells_as_missing(datasets):
    ds = datasets["hypothyroid"]
    assert ds.class_counts.to_dict() == {"negative": 3012, "hypothyroid": 151}
    assert ds.column_types["TSH"] == NUMERIC and ds.column_types["on_thyroxine"] == BOOLEAN
    assert ds.frame["TBG"].isna().sum() == 2903
    assert ds.frame["age"].isna().sum() == 446


def test_user_can_override_a_type():
    t = table("code,label\n" + "".join(f"{i % 3},{'ab'[i % 2]}\n" for i in range(30)))
    assert t.column_types["code"] == INTEGER
    ds = validate_dataset(t, "label", {"code": CATEGORICAL})
    assert ds.column_types["code"] == CATEGORICAL


def test_float_target_becomes_integer_labels():
    ds = validate_dataset(table("x,y\n1,0.0\n2,1.0\n3,0.0\n4,1.0\n"), "y")
    assert sorted(ds.class_counts.index) == ["0", "1"]


def test_missing_labels_are_dropped_and_counted():
    ds = validate_dataset(table("x,y\n1,a\n2,\n3,b\n4,a\n5,b\n"), "y")
    assert ds.dropped_missing_labels == 1 and len(ds.frame) == 4
    assert any("1 rows with no 'y' label were dropped" in n for n in ds.notes)


BAD_INPUTS = [
    ("empty file", b"", None, "empty"),
    ("header only", b"a,b,label\n", None, "no data rows"),
    ("binary bytes", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", None, "binary"),
    ("one column", b"label\na\nb\n", None, "Only one column"),
    ("duplicated names", b"a,a,label\n1,2,x\n3,4,y\n", None, "more than once"),
    ("target missing", b"a,b\n1,x\n2,y\n", "label", "not in the file"),
    ("one class", b"a,label\n1,x\n2,x\n3,x\n", "label", "only one class"),
    ("all labels missing", b"a,label\n1,\n2,\n", "label", "empty in every row"),
    ("minority of one row", b"a,label\n1,x\n2,x\n3,x\n4,y\n", "label", "single row"),
    ("mixed numbers and text", b"a,label\n1,x\n2,y\n3,x\nabc,y\n5,x\n", "label", "mixes numbers and text"),
    ("infinities", b"a,label\n1,x\ninf,y\n3,x\n4,y\n", "label", "infinite"),
]


@pytest.mark.parametrize("case,raw,target,message", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gives_a_clear_data_error(case, raw, target, message):
    with pytest.raises(DataError, match=message):
        loaded = read_table(raw, "bad.csv")
        validate_dataset(loaded, target or "label")


def test_mixed_column_is_fine_when_typed_categorical():
    t = read_table(b"a,label\n1,x\n2,y\n3,x\nabc,y\n5,x\n", "m.csv")
    ds = validate_dataset(t, "label", {"a": CATEGORICAL})
    assert ds.frame["a"].tolist() == ["1", "2", "3", "abc", "5"]


def test_default_target_is_last_class_column():
    assert default_target(read_table(sample_path("german_credit").read_bytes(), "g.csv")) == "credit_risk"
