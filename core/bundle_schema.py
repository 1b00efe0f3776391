"""The input schema of a model bundle: what the training rows looked like (column order, kinds, levels, ranges,
missing values), and rows to score brought to that form, with what they hold that training did not.

A missing column or a column of another type is one SynthBalanceError before anything is scored; unseen levels,
values outside the training range and missing values where training had none are counted and named.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data import DATETIME, INTEGER, LEVEL_KINDS, NUMBER_KINDS, NUMERIC
from core.encoding import model_frame
from core.errors import SynthBalanceError
from core.export import is_formula
from core.numbers import to_numbers

MAX_LEVELS = 1000  # levels listed per column in the schema (a wider column is listed as 'many')


def input_schema(rows: pd.DataFrame, features: list[str], kinds: dict[str, str]) -> list[dict]:
    """The input schema of the training rows: per feature (in model order) its kind, levels (as the model reads
    them) or range (numbers; dates as ISO text), and whether missing values were seen."""
    seen = model_frame(rows, features, kinds)
    columns = []
    for col in features:
        kind, values = kinds[col], seen[col]
        entry = {"name": col, "kind": kind, "missing_allowed": bool(values.isna().any())}
        if kind in NUMBER_KINDS:
            finite = values.dropna()
            low, high = (float(finite.min()), float(finite.max())) if len(finite) else (None, None)
            if kind == DATETIME and low is not None:
                low, high = (pd.Timestamp(low * 1e9).isoformat(), pd.Timestamp(high * 1e9).isoformat())
            entry.update(min=low, max=high)
        else:
            levels = sorted(set(values.dropna().astype(str)))
            entry["levels"] = levels if len(levels) <= MAX_LEVELS else "many"
        columns.append(entry)
    return columns


@dataclass(frozen=True)
class SchemaNotes:
    """What the scored rows hold that the training rows did not: per column, rows with an unseen level (and up
    to 3 of those levels), rows below / above the training range, and missing values where training had none."""
    unseen_levels: tuple[tuple[str, int, tuple[str, ...]], ...] = ()
    out_of_range: tuple[tuple[str, int, int], ...] = ()
    unexpected_missing: tuple[tuple[str, int], ...] = ()

    @property
    def messages(self) -> list[str]:
        out = [f"'{c}': {n} row(s) with a level not seen in training ({', '.join(map(repr, shown))})"
               for c, n, shown in self.unseen_levels]
        out += [f"'{c}': {low} row(s) below and {high} above the training range" for c, low, high in self.out_of_range]
        out += [f"'{c}': {n} missing value(s), none in training" for c, n in self.unexpected_missing]
        return out


def _refuse_infinite(col: str, count: int) -> None:
    """No model reads an infinite value (scikit-learn refuses it mid-predict): one refusal naming the column."""
    if count:
        raise SynthBalanceError(f"Column '{col}' holds {count} infinite value(s) ('inf'); a model reads finite "
                                "numbers only. Replace them with a number or leave the cell empty.")


def _as_kind(values: pd.Series, kind: str, col: str) -> pd.Series:
    """The column in the storage its kind needs; a value that cannot be read so is a schema refusal."""
    if kind in (NUMERIC, INTEGER):
        if pd.api.types.is_bool_dtype(values):
            raise SynthBalanceError(f"Column '{col}' should hold numbers ({kind}) but holds true/false values.")
        parsed = values if pd.api.types.is_numeric_dtype(values) else to_numbers(
            values.astype(str).str.strip().where(values.notna()))
        bad = values[parsed.isna() & values.notna()]
        if len(bad):
            raise SynthBalanceError(f"Column '{col}' should hold numbers ({kind}) but {len(bad)} value(s) are not "
                                    f"numbers (e.g. {str(bad.iloc[0])!r}).")
        parsed = parsed.astype(float)
        _refuse_infinite(col, int(np.isinf(parsed.to_numpy()).sum()))
        return parsed
    if kind == DATETIME:
        if pd.api.types.is_datetime64_any_dtype(values):
            return values
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        bad = values[parsed.isna() & values.notna()]
        if len(bad):
            raise SynthBalanceError(f"Column '{col}' should hold dates but {len(bad)} value(s) are not dates "
                                    f"(e.g. {str(bad.iloc[0])!r}).")
        return parsed
    return values


def _level_text(values: pd.Series, levels: set[str]) -> pd.Series:
    """Levels as the model reads them; a whole number written '1.0' in one file and '1' in another is one level,
    and so is a level that looks like a formula ('-1 to 0') and the same level with the apostrophe a formula-safe
    CSV export puts before it ("'-1 to 0": the app's own exports, a scored file scored again)."""
    text = values.astype(object).where(values.isna(), values.astype(str))
    unique = pd.unique(text.dropna())
    remap = {}
    for level in unique:
        if level not in levels and isinstance(level, str) and level.startswith("'") and level[1:] in levels \
                and is_formula(level[1:]):
            remap[level] = level[1:]
        elif level not in levels:
            number = to_numbers(pd.Series([level])).iloc[0]
            for other in ((str(int(number)), f"{float(number)}") if pd.notna(number) and float(number).is_integer()
                          else ()):
                if other in levels:
                    remap[level] = other
    return text.replace(remap) if remap else text


def conform(frame: pd.DataFrame, schema: list[dict]) -> tuple[pd.DataFrame, SchemaNotes]:
    """The frame's feature columns in model order and storage, and the schema notes. A missing column or a
    column of another type is one SynthBalanceError naming it (checked before anything is scored)."""
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise SynthBalanceError("The data to score has no rows.")
    names = [c["name"] for c in schema]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        shown = ", ".join(repr(n) for n in missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise SynthBalanceError(f"The data to score lacks {len(missing)} column(s) the model needs: {shown}.")
    columns, unseen, outside, empty = {}, [], [], []
    dtypes = dict(frame.dtypes.items())
    ready = [spec for spec in schema if spec["kind"] in (NUMERIC, INTEGER)
             and pd.api.types.is_numeric_dtype(dtypes[spec["name"]]) and not pd.api.types.is_bool_dtype(
                 dtypes[spec["name"]])]
    if ready:  # number columns already stored as numbers: checked as one block (a column loop costs as much as
        names_ready = [spec["name"] for spec in ready]  # the model's own predict_proba on 100,000 rows)
        block = frame[names_ready].to_numpy(dtype=float, na_value=np.nan)
        absent = np.isnan(block).sum(axis=0)
        low = np.array([np.nan if spec.get("min") is None else spec["min"] for spec in ready], dtype=float)
        high = np.array([np.nan if spec.get("max") is None else spec["max"] for spec in ready], dtype=float)
        # rows are counted only in the columns whose smallest / largest value is outside (one pass otherwise)
        smallest, largest = np.fmin.reduce(block, axis=0), np.fmax.reduce(block, axis=0)
        for position in np.flatnonzero(np.isinf(smallest) | np.isinf(largest)):  # no extra pass when all finite
            _refuse_infinite(names_ready[position], int(np.isinf(block[:, position]).sum()))
        below, above = np.zeros(len(ready), dtype=int), np.zeros(len(ready), dtype=int)
        for position in np.flatnonzero(smallest < low):
            below[position] = int((block[:, position] < low[position]).sum())
        for position in np.flatnonzero(largest > high):
            above[position] = int((block[:, position] > high[position]).sum())
        for position, spec in enumerate(ready):
            if absent[position] and not spec["missing_allowed"]:
                empty.append((spec["name"], int(absent[position])))
            if below[position] or above[position]:
                outside.append((spec["name"], int(below[position]), int(above[position])))
        if len(ready) == len(schema):
            return (pd.DataFrame(block, index=frame.index, columns=pd.Index(names_ready, dtype=object)),
                    SchemaNotes((), tuple(outside), tuple(empty)))
        columns.update(pd.DataFrame(block, index=frame.index, columns=pd.Index(names_ready, dtype=object)).items())
    done = {spec["name"] for spec in ready}
    for spec in schema:
        col, kind = spec["name"], spec["kind"]
        if col in done:
            continue
        values = _as_kind(frame[col], kind, col)
        absent = int(values.isna().sum())
        if absent and not spec["missing_allowed"]:
            empty.append((col, absent))
        if kind in LEVEL_KINDS and isinstance(spec.get("levels"), list):
            levels = set(spec["levels"])
            values = _level_text(values, levels)
            new = values.notna() & ~values.isin(levels)
            if new.any():
                unseen.append((col, int(new.sum()), tuple(str(v) for v in pd.unique(values[new])[:3])))
        elif kind in NUMBER_KINDS and spec.get("min") is not None:
            numbers = (values.astype("int64").astype(float) / 1e9).where(values.notna()) if kind == DATETIME \
                else values
            low = pd.Timestamp(spec["min"]).value / 1e9 if kind == DATETIME else spec["min"]
            high = pd.Timestamp(spec["max"]).value / 1e9 if kind == DATETIME else spec["max"]
            below, above = int((numbers < low).sum()), int((numbers > high).sum())
            if below or above:
                outside.append((col, below, above))
        columns[col] = values
    return (pd.DataFrame({name: columns[name] for name in names}, index=frame.index),
            SchemaNotes(tuple(unseen), tuple(outside), tuple(empty)))
