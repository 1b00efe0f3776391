"""The fast formula-safe export equals the cell-by-cell rule it replaced, on every dtype it handles, and the
streamed CSV writer writes to_csv_text's bytes."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import core.export
from core.export import is_formula, neutralise_formulas, to_csv_text, write_csv

FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cell_by_cell(frame: pd.DataFrame) -> pd.DataFrame:
    """neutralise_formulas as it was (main, 8 December): is_formula asked once per cell."""
    out = frame.copy()
    out.columns = [("'" + c) if is_formula(c) else c for c in out.columns]
    for position in range(out.shape[1]):
        values = out.iloc[:, position]
        dtype = values.dtype
        if (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype)
                or pd.api.types.is_timedelta64_dtype(dtype)):
            continue
        values = values.astype(object)
        formula = values.map(is_formula).to_numpy(dtype=bool)
        if formula.any():
            values = values.where(~formula, "'" + values.astype(str))
        out.isetitem(position, values)
    return out


def cell_by_cell_csv(frame: pd.DataFrame, kinds=None) -> str:
    if kinds:
        frame = core.export.integers_as_whole_numbers(frame, kinds)
    return cell_by_cell(frame).to_csv(index=False, lineterminator="\r\n")


def assert_same(frame: pd.DataFrame) -> None:
    fast, slow = neutralise_formulas(frame), cell_by_cell(frame)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    for col in range(fast.shape[1]):  # the same Python objects, not only equal ones (a str, not an np.str_ ...)
        assert [type(v) for v in fast.iloc[:, col]] == [type(v) for v in slow.iloc[:, col]]
    assert to_csv_text(frame) == cell_by_cell_csv(frame)


FORMULA_TEXT = st.text(alphabet=st.sampled_from(list("=+-@\t\r\n0123456789.eE ,'\"a٣xé") + ["\u0660", "\U0001d7ce"]),
                       max_size=8)
CELL = st.one_of(FORMULA_TEXT, st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                 st.none(), st.just(np.nan), st.just(pd.NA), st.just(np.str_("-1 to 0")), st.just(b"=bytes"),
                 st.just(dt.date(2024, 1, 2)), st.just(pd.Timestamp("2024-01-02")))


@FEW
@given(cells=st.lists(CELL, min_size=1, max_size=40), repeats=st.integers(1, 3))
@example(cells=["-3\n", "+1.5e3", "-\u0663", "=1", "\r", "1", 1, None], repeats=1)
def test_object_columns_with_any_cells_equal_the_cell_by_cell_rule(cells, repeats):
    """Mixed objects, missing values of every kind, numbers that look like text; repeats make the levels path."""
    assert_same(pd.DataFrame({"mixed": pd.Series(cells * repeats, dtype=object)}))


@FEW
@given(texts=st.lists(st.one_of(FORMULA_TEXT, st.none()), min_size=1, max_size=40), repeats=st.integers(1, 3))
@example(texts=["-3\n", "-\u0663", "=\U0001d7ce", "@", None], repeats=2)
def test_text_columns_of_every_text_dtype_equal_the_cell_by_cell_rule(texts, repeats):
    """All-text columns take Arrow's kernels: object, category, pandas string (python and pyarrow storage)."""
    values = texts * repeats
    frame = pd.DataFrame({"object": pd.Series(values, dtype=object),
                          "category": pd.Series(values, dtype="category"),
                          "string": pd.Series(values, dtype="string"),
                          "arrow": pd.Series(values, dtype="string[pyarrow]")})
    assert_same(frame)


def test_every_dtype_and_formula_like_names_equal_the_cell_by_cell_rule():
    n = 30
    frame = pd.DataFrame({
        "=name": ["=1", "a", "-2"] * 10,
        "+numbers": np.arange(n, dtype=float),
        "ints": np.arange(n),
        "nullable": pd.array([1, None, 3] * 10, dtype="Int64"),
        "bools": [True, False, True] * 10,
        "dates": pd.date_range("2024-01-01", periods=n),
        "dates_tz": pd.date_range("2024-01-01", periods=n, tz="UTC"),
        "deltas": pd.to_timedelta(np.arange(n), unit="D"),
        "periods": pd.period_range("2024-01", periods=n, freq="M"),
        "category_numbers": pd.Series([1, 2, None] * 10, dtype="category"),
        "category_text": pd.Series(["=x", "-1 to 0", None] * 10, dtype="category"),
        "unused_levels": pd.Categorical(["b"] * n, categories=["=unused", "b"]),
        "string": pd.Series(["@a", pd.NA, "-5"] * 10, dtype="string"),
        "mixed": pd.Series(["=a", 1, 2.5, None, np.nan, pd.NA, True, "-1e3", b"=b", "\t"] * 3, dtype=object),
        "intervals": pd.interval_range(0, n),
    })
    assert_same(frame)
    assert_same(frame.iloc[:0])  # no rows


@pytest.mark.parametrize("unique", [False, True])
def test_a_column_longer_than_the_sample_equals_the_cell_by_cell_rule(unique):
    """Both paths past LEVELS_SAMPLE rows: repeated levels (grouped) and unique IDs (cell by cell)."""
    n = core.export.LEVELS_SAMPLE + 5_000
    if unique:
        cells = [f"-ID{i}" if i % 3 else (i if i % 2 else f"=ID{i}") for i in range(n)]
    else:
        cells = [["=a", "-1", "b", None, 2, "@c"][i % 6] for i in range(n)]
    assert_same(pd.DataFrame({"c": pd.Series(cells, dtype=object)}))


def test_formula_levels_are_judged_once_per_distinct_value(monkeypatch):
    """is_formula is asked once per distinct text starting with a formula character (the mixed path, where Arrow
    cannot take the column), not once per cell."""
    asked = []

    def counting(value):
        asked.append(value)
        return is_formula(value)
    monkeypatch.setattr(core.export, "is_formula", counting)
    cells = pd.Series(["=a", "-1 to 0", "b", 3, None] * 20_000, dtype=object)
    out = neutralise_formulas(pd.DataFrame({"c": cells}))
    assert sorted(asked) == ["-1 to 0", "=a", "c"]  # the two formula-like levels, and the column's name
    assert (out["c"] == "'=a").sum() == 20_000


def test_write_csv_writes_to_csv_texts_bytes_in_chunks(tmp_path, monkeypatch):
    """The streamed file (chunks of 7 rows here) has the bytes Path.write_text(to_csv_text(...)) wrote, and
    those of the cell-by-cell rule: header once, formulas, integers stored as float, missing values, CRLF."""
    monkeypatch.setattr(core.export, "CSV_CHUNK_ROWS", 7)
    n = 50
    frame = pd.DataFrame({
        "=id": [f"-ID{i}" for i in range(n)],
        "age": [float(i) if i % 5 else np.nan for i in range(n)],
        "purpose": pd.Series(["radio/TV", "=HYPERLINK(\"x\")", "a\r\nb", None, "-1 to 0"] * 10, dtype="category"),
        "amount": np.linspace(-1, 1, n) / 3,
        "decision": [bool(i % 2) for i in range(n)],
    })
    kinds = {"age": "integer", "amount": "numeric"}
    for rows in (frame, frame.iloc[:7], frame.iloc[:1], frame.iloc[:0]):
        write_csv(rows, tmp_path / "streamed.csv", kinds)
        (tmp_path / "whole.csv").write_text(to_csv_text(rows, kinds))
        assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
        assert (tmp_path / "streamed.csv").read_bytes() == cell_by_cell_csv(rows, kinds).encode()
