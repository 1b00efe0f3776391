"""Tables written for people: CSV text safe to open in a spreadsheet, and the augmented training table."""
from __future__ import annotations

import re

import pandas as pd

from core.data import INTEGER

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def is_formula(value: object) -> bool:
    """True for text a spreadsheet would run as a formula: it starts with = + - @ tab or carriage return.

    Text that is only a number ('-3', '+1.5e3') is not a formula and is kept as written.
    """
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells and column names that a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV
    injection), whatever the column's dtype (object, category, pandas string); numeric, boolean and datetime
    columns hold no text and are left as they are."""
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


def augmented_training(train: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Training rows then synthetic rows, with an `is_synthetic` column (False / True)."""
    real = train.assign(is_synthetic=False)
    fake = synthetic.assign(is_synthetic=True)
    return pd.concat([real, fake], ignore_index=True)
