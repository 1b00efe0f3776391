"""Infer each column's kind (numeric, integer, categorical, boolean, datetime, identifier, constant) from its
values, the analyst's first guess to override; and find the columns that mix numbers and text, telling a set of
levels (car doors 2, 3, 4, '5more') from stray text in a number column.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core.data import BOOLEAN, CATEGORICAL, CONSTANT, DATETIME, IDENTIFIER, INTEGER, NUMERIC
from core.numbers import to_numbers

_BOOLEAN_WORDS = {"0", "1", "true", "false", "t", "f", "y", "n", "yes", "no"}
_DATE_PATTERN = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*$")


def _numeric_share(values: pd.Series) -> float:
    parsed = to_numbers(values)
    return float(parsed.notna().mean()) if len(values) else 0.0


def find_mixed_columns(frame: pd.DataFrame) -> list[str]:
    """Text columns where at least half the values are numbers but some are not (a typo or a stray marker)."""
    mixed = []
    for col in frame.columns:
        if frame[col].dtype != object:
            continue
        values = frame[col].dropna().astype(str).str.strip()
        share = _numeric_share(values)
        if 0.5 <= share < 1.0:
            mixed.append(col)
    return mixed


MAX_MIXED_LEVELS = 20  # a mixed column with at most this many distinct values is a set of levels (car 'doors')
MIN_TEXT_SHARE = 0.05  # ... when its text values are this common; rarer text is stray junk in a number column
MIN_TEXT_REPEATS = 2  # ... and each text value repeats (a level, not a one-off typo)


def text_values(values: pd.Series) -> pd.Series:
    present = values.dropna().astype(str).str.strip()
    return present[to_numbers(present).isna()]


def looks_like_levels(values: pd.Series) -> bool:
    """A column of mostly numbers with a few text levels (doors = 2, 3, 4, '5more'): few distinct values, and the
    text ones common enough not to be typos. Such a column is categorical; a number column with stray text is
    not (validation then names the text cells)."""
    present = values.dropna().astype(str).str.strip()
    if present.empty or present.nunique() > MAX_MIXED_LEVELS:
        return False
    text = text_values(values)
    return len(text) >= MIN_TEXT_SHARE * len(present) and int(text.value_counts().min()) >= MIN_TEXT_REPEATS


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(200)
    if sample.empty:
        return False
    return sample.str.match(_DATE_PATTERN).mean() >= 0.95


def infer_column_kind(values: pd.Series, name: str = "") -> str:
    """One of COLUMN_KINDS for a column, from its values (the user can override it)."""
    present = values.dropna()
    n_levels = present.nunique()
    if n_levels <= 1:
        return CONSTANT
    if pd.api.types.is_bool_dtype(values):
        return BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(values):
        return DATETIME
    if n_levels == 2 and {str(v).strip().lower() for v in present.unique()} <= _BOOLEAN_WORDS:
        return BOOLEAN
    if pd.api.types.is_numeric_dtype(values):
        finite = present[np.isfinite(present.astype(float))]
        is_integer = bool((finite == np.round(finite)).all())
        if is_integer and n_levels == len(values) and len(values) >= 20 and (
                re.search(r"(^|_|\b)id$|^id|_id$|index", name.lower()) or finite.is_monotonic_increasing):
            return IDENTIFIER
        return INTEGER if is_integer else NUMERIC
    if _looks_like_dates(present):
        return DATETIME
    if len(present) >= 20 and (n_levels == len(present) or (n_levels > 50 and n_levels > 0.5 * len(present))):
        return IDENTIFIER
    return CATEGORICAL


def _number_kind(values: np.ndarray, name: str) -> str:
    """infer_column_kind for a column of plain numpy numbers (int, unsigned, float), in numpy: the same answer
    without pandas' cost per call, which dominated reading a table of thousands of number columns."""
    present = values[~np.isnan(values)] if values.dtype.kind == "f" else values
    levels = np.unique(present)
    if len(levels) <= 1:
        return CONSTANT
    if len(levels) == 2 and {str(v).strip().lower() for v in levels} <= _BOOLEAN_WORDS:
        return BOOLEAN
    finite = present[np.isfinite(present.astype(float))]
    is_integer = bool((finite == np.round(finite)).all())
    if is_integer and len(levels) == len(values) and len(values) >= 20 and (
            re.search(r"(^|_|\b)id$|^id|_id$|index", name.lower()) or bool(np.all(finite[1:] >= finite[:-1]))):
        return IDENTIFIER
    return INTEGER if is_integer else NUMERIC


def infer_column_types(frame: pd.DataFrame) -> dict[str, str]:
    """Kinds for every column of the frame, keyed by column name."""
    return {col: _number_kind(values.to_numpy(), str(col)) if isinstance(values.dtype, np.dtype)
            and values.dtype.kind in "iuf" else infer_column_kind(values, col) for col, values in frame.items()}
