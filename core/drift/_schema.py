"""Schema conformance of a new batch: the reference's column kinds applied to its columns where they fit, and a
SchemaReport of what differs (missing, extra, mistyped columns, categories the reference never had).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data import DATETIME, INTEGER, NUMERIC, Dataset
from core.errors import DataError
from core.numbers import to_numbers


@dataclass(frozen=True)
class SchemaReport:
    """How the new batch's columns differ from the reference's. retyped: column -> what is wrong;
    unseen_categories: column -> levels not in the reference (with their share of the new rows)."""
    missing_columns: tuple[str, ...]
    extra_columns: tuple[str, ...]
    retyped: dict
    unseen_categories: dict
    target_present: bool

    @property
    def unchecked(self) -> dict[str, str]:
        """Reference feature -> why the drift check could not test it (missing, or values of another kind)."""
        out = {column: "not checked: missing in the new batch" for column in self.missing_columns}
        out.update({column: f"not checked: {why}" for column, why in self.retyped.items()})
        return out

    @property
    def look_alikes(self) -> dict[str, str]:
        """Missing reference column -> the extra column that differs from it only by case or spaces."""
        extra = {" ".join(str(c).split()).lower(): c for c in self.extra_columns}
        return {c: extra[key] for c in self.missing_columns if (key := " ".join(str(c).split()).lower()) in extra}

    @property
    def messages(self) -> list[str]:
        out = []
        if self.missing_columns:
            out.append(f"Missing in the new batch: {', '.join(map(repr, self.missing_columns))} (the model needs "
                       "them; these columns are not checked, the other columns are).")
        out += [f"Column {extra!r} in the new batch differs from the reference's {column!r} only by case or spaces; "
                "rename it to check it." for column, extra in self.look_alikes.items()]
        if self.extra_columns:
            out.append(f"Not in the reference, not checked: {', '.join(map(repr, self.extra_columns))}.")
        out += [f"Column '{c}': {why}" for c, why in self.retyped.items()]
        for column, levels in self.unseen_categories.items():
            shown = ", ".join(f"'{level}' ({share:.1%})" for level, share in list(levels.items())[:5])
            out.append(f"Column '{column}' has categories the reference never had: {shown}"
                       f"{' ...' if len(levels) > 5 else ''}.")
        return out


def level_text(values: pd.Series) -> pd.Series:
    """Levels as text, with whole numbers written without '.0' (so 1 and 1.0 from two files are one level)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = to_numbers(values)
        finite = numbers.dropna()
        if len(finite) and (finite == np.round(finite)).all():
            return numbers.astype("Int64").astype(object).where(numbers.notna())
    return values.astype(object).where(values.notna()).map(lambda v: v if not isinstance(v, str) else v.strip())


def _labels(values: pd.Series) -> pd.Series:
    """Class labels as validate_dataset writes them: whole floats as integers, stripped text."""
    return level_text(values).astype(str).where(values.notna())


def conform_batch(reference: Dataset, new: pd.DataFrame) -> tuple[pd.DataFrame, SchemaReport]:
    """The new batch's frame with the reference's column kinds applied where possible, and what differs.

    Columns that cannot take the reference kind (text in a number column, non-dates) are reported and left
    out of the checks; missing columns are reported; extra columns are ignored.
    """
    if not isinstance(new, pd.DataFrame) or new.empty:
        raise DataError("The new batch has no rows.")
    features, kinds = reference.features, reference.column_types
    missing = tuple(c for c in features if c not in new.columns)
    extra = tuple(c for c in new.columns if c not in reference.frame.columns)
    if len(missing) == len(features):
        raise DataError(f"The new batch shares no feature with the reference ('{reference.name}'): expected columns "
                        f"such as {', '.join(map(repr, features[:6]))}. Is it the same kind of data?")
    converted, retyped, unseen = {}, {}, {}
    for col in [c for c in features if c in new.columns]:
        values, kind = new[col], kinds[col]
        if kind in (NUMERIC, INTEGER):
            parsed = values if pd.api.types.is_numeric_dtype(values) else to_numbers(
                values.astype(str).str.strip().where(values.notna()))
            bad = values[parsed.isna() & values.notna()]
            if len(bad):
                retyped[col] = (f"{kind} in the reference, but {len(bad)} of {int(values.notna().sum())} values here "
                                f"are not numbers (e.g. {str(bad.iloc[0])!r}); left out of the check.")
                continue
            infinite = int(np.isinf(parsed.astype(float)).sum())
            if infinite:
                retyped[col] = (f"{infinite} infinite values (inf) here, which no model can score; left out of the "
                                "check. Replace them with numbers or empty those cells.")
                continue
            converted[col] = parsed.astype(float)
        elif kind == DATETIME:
            parsed = pd.to_datetime(values, errors="coerce", format="mixed")
            bad = values[parsed.isna() & values.notna()]
            if len(bad):
                retyped[col] = f"dates in the reference, but {len(bad)} values here are not dates; left out."
                continue
            converted[col] = parsed
        else:
            levels = level_text(values)
            seen = set(level_text(reference.frame[col]).dropna().astype(str))
            shares = levels.dropna().astype(str).value_counts(normalize=False) / len(levels)
            new_levels = {str(level): float(share) for level, share in shares.items() if str(level) not in seen}
            if new_levels:
                unseen[col] = new_levels
            converted[col] = levels
    target = reference.target
    present = target in new.columns and new[target].notna().any()
    if present:
        labels = _labels(new[target])
        converted[target] = labels
        seen = set(reference.frame[target].astype(str))
        shares = labels.dropna().value_counts() / len(labels)
        new_labels = {str(level): float(share) for level, share in shares.items() if str(level) not in seen}
        if new_labels:
            unseen[target] = new_labels
    frame = pd.DataFrame(converted, index=new.index)
    if present:
        frame = frame.loc[frame[target].notna()]
    return frame, SchemaReport(missing_columns=missing, extra_columns=extra, retyped=retyped,
                               unseen_categories=unseen, target_present=present)
