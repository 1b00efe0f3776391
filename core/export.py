"""Tables written for people: CSV text safe to open in a spreadsheet, and the augmented training table."""
from __future__ import annotations

import pandas as pd

from core.data import INTEGER

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV injection)."""
    out = frame.copy()
    out.columns = [("'" + c) if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object:
            values = out[col]
            text = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
            out[col] = values.where(~text, "'" + values.astype(str))
    return out


def integers_as_whole_numbers(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Integer columns stored as float (because of missing values) written as 35, not 35.0."""
    out = frame.copy()
    for col in out.columns:
        if kinds.get(col) == INTEGER and pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round().astype("Int64")
    return out


def to_csv_text(frame: pd.DataFrame, kinds: dict[str, str]) -> str:
    """CSV text for download or disk: whole integers, formulas neutralised, no index."""
    return neutralise_formulas(integers_as_whole_numbers(frame, kinds)).to_csv(index=False)


def augmented_training(train: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Training rows then synthetic rows, with an `is_synthetic` column (False / True)."""
    real = train.assign(is_synthetic=False)
    fake = synthetic.assign(is_synthetic=True)
    return pd.concat([real, fake], ignore_index=True)
