"""Tables written for people: CSV text safe to open in a spreadsheet, and the augmented training table."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import INTEGER

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)  # each start is one character: v[:1] in it == v.startswith(FORMULA_STARTS)
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def is_formula(value: object) -> bool:
    """True for text a spreadsheet would run as a formula: it starts with = + - @ tab or carriage return.

    Text that is only a number ('-3', '+1.5e3') is not a formula and is kept as written.
    """
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value)


# is_formula's plain-number rule for ASCII text in RE2 (Arrow's regex engine): Python's `$` also matches before a
# final newline (hence \n?), and on ASCII text its \d is [0-9]. Text with other characters is asked in Python.
_PLAIN_NUMBER_ASCII = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\n?$"


def _formula_text(cells: np.ndarray) -> np.ndarray | None:
    """is_formula over cells that are all text or missing, in Arrow's compute kernels (one pass in C, not one
    Python call per cell); None when a cell is something else (a number, bytes) or Arrow cannot take the text."""
    if pd.api.types.infer_dtype(cells, skipna=True) != "string":
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    try:
        text = pa.array(cells, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError, TypeError, ValueError):
        return None
    starts = pc.is_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=pa.array(list(FORMULA_STARTS)))
    ascii_text = pc.string_is_ascii(text)
    plain = pc.match_substring_regex(text, _PLAIN_NUMBER_ASCII)
    mask = pc.and_(starts, pc.invert(plain)).fill_null(False).to_numpy(zero_copy_only=False)
    other = np.flatnonzero(pc.and_(starts, pc.invert(ascii_text)).fill_null(False).to_numpy(zero_copy_only=False))
    if len(other):  # a formula start and a non-ASCII character: Python's own rule (its \d is any Unicode digit)
        mask[other] = [is_formula(cell) for cell in cells[other]]
    return mask


def _formula_mask(cells: np.ndarray) -> np.ndarray:
    """is_formula over an object array (a bool array). All text (or missing): Arrow's kernels (_formula_text).
    Mixed cells: is_formula is asked once per distinct text that starts with a formula character (a text never
    equals a number, None or NaN, so grouping equal values is safe; a cell that is not text or starts otherwise
    is not a formula without asking)."""
    mask = _formula_text(cells)
    if mask is not None:
        return mask
    starts = _FORMULA_FIRST
    candidates = np.fromiter((isinstance(v, str) and v[:1] in starts for v in cells), dtype=bool, count=len(cells))
    mask = np.zeros(len(cells), dtype=bool)
    if candidates.any():
        positions = np.flatnonzero(candidates)
        texts = cells[positions]
        answers = {text: is_formula(text) for text in pd.unique(texts)}
        mask[positions] = [answers[text] for text in texts]
    return mask


LEVELS_SAMPLE = 10_000  # cells looked at to tell a column of repeated levels from one of mostly unique values


def _neutralised_cells(values: pd.Series) -> np.ndarray:
    """The column as an object array with an apostrophe before every formula cell ("'" + str(cell), as
    is_formula marks them). Repeated levels (a category column, or a sample of mostly repeated values) are
    judged and prefixed once per distinct value and spread back by their codes; mostly unique values (IDs)
    cell by cell, where grouping would only add a hash table."""
    cells = values.astype(object).to_numpy(dtype=object, copy=True)
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, levels = values.cat.codes.to_numpy(), values.cat.categories.to_numpy(dtype=object)
    elif len(pd.unique(cells[:LEVELS_SAMPLE])) <= min(len(cells), LEVELS_SAMPLE) // 2:
        codes, levels = pd.factorize(cells)  # equal values share a code; missing values get -1
        levels = np.asarray(levels, dtype=object)
    else:
        positions = np.flatnonzero(_formula_mask(cells))
        cells[positions] = ["'" + str(cell) for cell in cells[positions]]
        return cells
    formula_levels = _formula_mask(levels)
    if formula_levels.any():
        prefixed = np.array(["'" + str(level) if formula else level
                             for level, formula in zip(levels, formula_levels)] + [None], dtype=object)
        positions = np.flatnonzero(np.append(formula_levels, False)[codes])  # code -1 reads the appended False
        cells[positions] = prefixed[codes[positions]]
    return cells


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells and column names that a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV
    injection), whatever the column's dtype (object, category, pandas string); numeric, boolean and datetime
    columns hold no text and are left as they are, text columns come back as object columns. is_formula's rule
    is applied once per distinct value or in Arrow's kernels, not as one Python call per cell
    (_neutralised_cells); tests/test_export_speed.py holds it equal to the cell-by-cell rule."""
    out = frame.copy()
    out.columns = [("'" + c) if is_formula(c) else c for c in out.columns]
    for position in range(out.shape[1]):
        values = out.iloc[:, position]
        dtype = values.dtype
        if (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype)
                or pd.api.types.is_timedelta64_dtype(dtype)):
            continue
        out.isetitem(position, pd.Series(_neutralised_cells(values), index=values.index, name=values.name,
                                         dtype=object))
    return out


def integers_as_whole_numbers(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Integer columns stored as float (because of missing values) written as 35, not 35.0."""
    out = frame.copy()
    for col in out.columns:
        if kinds.get(col) == INTEGER and pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round().astype("Int64")
    return out


def to_csv_text(frame: pd.DataFrame, kinds: dict[str, str] | None = None) -> str:
    """CSV text for download or disk (synthetic rows, augmented table, leaderboard, any table): formulas
    neutralised, no index; with the column kinds, integer columns are written as whole numbers.

    Lines end in CRLF (RFC 4180): the csv writer then quotes every cell holding a carriage return, which a
    spreadsheet would otherwise read as the end of a row.
    """
    if kinds:
        frame = integers_as_whole_numbers(frame, kinds)
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n")


CSV_CHUNK_ROWS = 100_000  # rows neutralised and written at a time by write_csv


def write_csv(frame: pd.DataFrame, path: str | Path, kinds: dict[str, str] | None = None) -> None:
    """to_csv_text(frame, kinds) written to path (opened as Path.write_text opens it), CSV_CHUNK_ROWS rows at a
    time: the same bytes, without the whole table's text (and its formula-safe copy) in memory at once. A big
    scored file (`predict`) is written this way; tests/test_export_speed.py compares the bytes."""
    if kinds:
        frame = integers_as_whole_numbers(frame, kinds)
    with open(path, "w") as handle:
        for start in range(0, max(len(frame), 1), CSV_CHUNK_ROWS):
            part = neutralise_formulas(frame.iloc[start:start + CSV_CHUNK_ROWS])
            part.to_csv(handle, index=False, header=start == 0, lineterminator="\r\n")


def augmented_training(train: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Training rows then synthetic rows, with an `is_synthetic` column (False / True)."""
    real = train.assign(is_synthetic=False)
    fake = synthetic.assign(is_synthetic=True)
    return pd.concat([real, fake], ignore_index=True)
