"""The data's vocabulary and its validation: the column kinds, a table as read (LoadedTable), a validated table
with its target (Dataset) and the checks that make one, the data's identity (sha256), look-alike target labels,
and a stratified sample of a large table.

Every problem with the data becomes a DataError whose message tells the analyst what to change.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.errors import DataError
from core.numbers import to_numbers

NUMERIC, INTEGER, CATEGORICAL, BOOLEAN, DATETIME, IDENTIFIER, CONSTANT = (
    "numeric", "integer", "categorical", "boolean", "datetime", "identifier", "constant")
COLUMN_KINDS = (NUMERIC, INTEGER, CATEGORICAL, BOOLEAN, DATETIME, IDENTIFIER, CONSTANT)
EXCLUDED_KINDS = (IDENTIFIER, CONSTANT)  # never given to a generator
NUMBER_KINDS = (NUMERIC, INTEGER, DATETIME)  # handled as numbers by generators
LEVEL_KINDS = (CATEGORICAL, BOOLEAN)  # handled as a fixed set of observed values


@dataclass(frozen=True)
class LoadedTable:
    """A table as read from a file, before a target is chosen.

    mixed_columns: columns holding both numbers and text (they must be typed categorical or fixed in the file).
    """
    frame: pd.DataFrame
    name: str
    sha256: str
    n_bytes: int
    column_types: dict[str, str]
    notes: tuple[str, ...] = ()
    mixed_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    """A validated table with its target: labels are strings, rows with a missing label are gone."""
    frame: pd.DataFrame
    target: str
    column_types: dict[str, str]
    name: str
    sha256: str
    dropped_missing_labels: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def features(self) -> list[str]:
        """Columns a generator and a classifier use: everything but the target, identifiers and constants."""
        return [c for c in self.frame.columns
                if c != self.target and self.column_types.get(c) not in EXCLUDED_KINDS]

    @property
    def class_counts(self) -> pd.Series:
        """Rows per class label, largest first (ties by label for a stable order)."""
        counts = self.frame[self.target].value_counts()
        return counts.sort_index().sort_values(ascending=False, kind="stable")


def sha256_of(raw: bytes) -> str:
    """Hex SHA-256 of the file's bytes: the data's identity in configs and caches."""
    return hashlib.sha256(raw).hexdigest()


def _apply_kind(values: pd.Series, kind: str, col: str) -> pd.Series:
    """Convert a column's storage so it matches the kind the user chose; DataError if it cannot."""
    if kind in (NUMERIC, INTEGER) and not pd.api.types.is_numeric_dtype(values):
        parsed = to_numbers(values.astype(str).str.strip().where(values.notna()))
        bad = values[parsed.isna() & values.notna()]
        if len(bad):
            raise DataError(f"Column '{col}' cannot be {kind}: {len(bad)} values are not numbers "
                            f"(e.g. {bad.astype(str).iloc[0]!r}). Keep it categorical or fix those cells.")
        values = parsed
    if kind == INTEGER:
        finite = values.dropna()
        if not (finite == np.round(finite)).all():
            raise DataError(f"Column '{col}' cannot be integer: it has fractional values "
                            f"(e.g. {finite[finite != np.round(finite)].iloc[0]}). Choose numeric instead.")
    if kind == DATETIME and not pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        bad = values[parsed.isna() & values.notna()]
        if len(bad):
            raise DataError(f"Column '{col}' cannot be a date: {len(bad)} values are not dates "
                            f"(e.g. {bad.astype(str).iloc[0]!r}).")
        values = parsed
    return values


def validate_dataset(table: LoadedTable, target: str, column_types: dict[str, str] | None = None) -> Dataset:
    """Check the table against the target and the chosen column kinds; drop rows with a missing label.

    Raises DataError for: unknown target, one class, a class under 2 rows, text in a numeric column,
    infinite values, unknown kinds.
    """
    frame = table.frame
    if target not in frame.columns:
        shown = ", ".join(map(repr, list(frame.columns)[:12]))
        raise DataError(f"The target column '{target}' is not in the file. Columns are: {shown}"
                        f"{' ...' if frame.shape[1] > 12 else ''}.")
    kinds = dict(table.column_types)
    kinds.update(column_types or {})
    unknown = {c: k for c, k in kinds.items() if k not in COLUMN_KINDS}
    if unknown:
        col, kind = next(iter(unknown.items()))
        raise DataError(f"Column '{col}' has an unknown type '{kind}'. Choose one of: {', '.join(COLUMN_KINDS)}.")
    missing_label = frame[target].isna()
    notes = list(table.notes)
    if missing_label.all():
        raise DataError(f"The target '{target}' is empty in every row. Choose the column that holds the classes.")
    if missing_label.any():
        notes.append(f"{int(missing_label.sum())} rows with no '{target}' label were dropped.")
    frame = frame.loc[~missing_label].reset_index(drop=True)
    labels = frame[target]
    if pd.api.types.is_float_dtype(labels) and (labels == np.round(labels)).all():
        labels = labels.astype("int64")  # 0.0/1.0 targets become 0/1 labels
    frame = frame.assign(**{target: labels.astype(str).str.strip()})
    counts = frame[target].value_counts()
    if len(counts) < 2:
        raise DataError(f"The target '{target}' has only one class ('{counts.index[0]}'). "
                        "Imbalance needs at least two classes: choose another target column.")
    if len(counts) > 50 and len(counts) > 0.5 * len(frame):
        raise DataError(f"The target '{target}' has {len(counts)} distinct values: it looks like an identifier or "
                        "a measurement, not a class label. Choose a column with a few classes.")
    look_alike = similar_labels(table.frame.loc[~missing_label.to_numpy(), target])
    if look_alike:
        notes.append(similar_labels_message(look_alike, target))
    if counts.min() < 2:
        tiny = [str(label) for label, n in counts.items() if n < 2]
        raise DataError(f"Class {', '.join(map(repr, tiny))} of '{target}' has a single row. At least 2 rows per "
                        "class are needed (one to learn from, one to test on): add rows, merge it into another "
                        "class, or remove it." + (f" {similar_labels_message(look_alike, target)}" if look_alike
                                                   else ""))
    kinds[target] = CATEGORICAL
    mixed = [c for c in table.mixed_columns if c != target and kinds.get(c) not in (CATEGORICAL, *EXCLUDED_KINDS)]
    if mixed:
        col = mixed[0]
        values = frame[col].dropna().astype(str)
        text = values[to_numbers(values).isna()]
        raise DataError(f"Column '{col}' mixes numbers and text ({len(text)} of {len(values)} values are text, "
                        f"e.g. {text.iloc[0]!r}). Fix or empty those cells, or set the column's type to categorical.")
    converted = {}
    for col, kind in kinds.items():
        if col == target or kind in EXCLUDED_KINDS:
            continue
        converted[col] = _apply_kind(frame[col], kind, col)
    frame = frame.assign(**converted).copy() if converted else frame  # copy: one block, not one per column
    for col, values in converted.items():
        if pd.api.types.is_float_dtype(values):
            infinite = np.isinf(values.to_numpy())
            if infinite.any():
                raise DataError(f"Column '{col}' holds {int(infinite.sum())} infinite values (inf). Replace them "
                                "with a number, or empty those cells to mark them missing.")
    return Dataset(frame=frame, target=target, column_types=kinds, name=table.name, sha256=table.sha256,
                   dropped_missing_labels=int(missing_label.sum()), notes=tuple(notes))


def unresolved_mixed_columns(table: LoadedTable, target: str, column_types: dict[str, str] | None = None) -> list[str]:
    """Every column mixing numbers and text that is still typed as a number (not categorical, not left out).

    validate_dataset stops at the first of them; the Data page lists them all, each with its one-click fix."""
    kinds = {**table.column_types, **(column_types or {})}
    return [c for c in table.mixed_columns if c != target and kinds.get(c) not in (CATEGORICAL, *EXCLUDED_KINDS)]


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def similar_labels(values: pd.Series) -> list[tuple[str, ...]]:
    """Groups of distinct labels that differ only by case or spaces ('positive', 'Positive ', ' POSITIVE'), each
    sorted, largest group first; an empty list when every label is distinct in its own right."""
    labels = pd.Series(values.dropna().astype(str).unique())
    groups = labels.groupby(labels.map(_label_key), sort=True).agg(lambda g: tuple(sorted(g)))
    found = [group for group in groups if len(group) > 1]
    return sorted(found, key=lambda group: (-len(group), group))


def similar_labels_message(groups: list[tuple[str, ...]], target: str) -> str:
    """One line naming every group of look-alike labels of the target, and the two ways to merge them."""
    shown = "; ".join(", ".join(map(repr, group)) for group in groups[:5])
    more = f" (and {len(groups) - 5} more groups)" if len(groups) > 5 else ""
    return (f"In '{target}' these labels differ only by case or spaces: {shown}{more}. They are not merged unless "
            "you ask: merge them on the Data page, or with --merge-similar-labels.")


def merge_similar_labels(table: LoadedTable, target: str) -> LoadedTable:
    """The table with each group of look-alike target labels written as its most frequent spelling (spaces
    trimmed; a tie goes to the first in sort order). Only the analyst's request calls this: nothing merges them
    silently. The result's identity (sha256) is derived from the file's and the target."""
    if target not in table.frame.columns:
        raise DataError(f"The target column '{target}' is not in the file.")
    values = table.frame[target]
    text = values.astype(str).where(values.notna())
    groups = similar_labels(values)
    if not groups:
        return table
    counts = text.value_counts()
    renamed, parts = {}, []
    for group in groups:
        keep = " ".join(max(group, key=lambda label: (counts.get(label, 0), [-ord(c) for c in label])).split())
        renamed.update({label: keep for label in group})
        parts.append(f"{', '.join(map(repr, group))} -> {keep!r}")
    merged = table.frame.assign(**{target: text.map(lambda v: renamed.get(v, v)).where(values.notna())})
    note = f"Labels of '{target}' that differ only by case or spaces were merged (as you asked): {'; '.join(parts)}."
    identity = sha256_of(f"{table.sha256}:merge-similar-labels:{target}".encode())
    return replace(table, frame=merged, sha256=identity, notes=table.notes + (note,))


def table_for_config(table: LoadedTable, target: str, sha256: str) -> LoadedTable | None:
    """The table a config with this data_sha256 was made from: the file as read, or the file with its look-alike
    target labels merged (a run made after the merge records the merged table's derived identity); None when
    neither matches."""
    if table.sha256 == sha256:
        return table
    if target in table.frame.columns:
        merged = merge_similar_labels(table, target)
        if merged is not table and merged.sha256 == sha256:
            return merged
    return None


def default_target(table: LoadedTable) -> str:
    """A sensible first guess for the target: the last column with 2-20 classes, else the last column."""
    for col in reversed(list(table.frame.columns)):
        n = table.frame[col].nunique()
        if 2 <= n <= 20 and table.column_types.get(col) not in (NUMERIC, IDENTIFIER):
            return col
    return str(table.frame.columns[-1])


LARGE_TABLE_ROWS = 200_000  # above this the app offers a stratified sample before any analysis


def is_large(table: LoadedTable) -> bool:
    """More rows than the app analyses comfortably on 2 cores."""
    return len(table.frame) > LARGE_TABLE_ROWS


def stratified_sample(table: LoadedTable, target: str, rows: int = LARGE_TABLE_ROWS, seed: int = 42) -> LoadedTable:
    """About `rows` rows drawn per class in proportion (at least 2 per class, or all of a smaller class), seeded.

    The sample's identity (sha256) is derived from the source file's, the target, the size and the seed.
    """
    if target not in table.frame.columns:
        raise DataError(f"The target column '{target}' is not in the file.")
    frame = table.frame
    share = min(1.0, rows / len(frame))
    labels = frame[target].astype(str).where(frame[target].notna(), "<missing>")
    picked = []
    for label, index in frame.groupby(labels, sort=True, observed=True).groups.items():
        n = min(len(index), max(2, int(round(len(index) * share))))
        picked.append(pd.Series(index).sample(n=n, random_state=seed).to_numpy())
    chosen = np.sort(np.concatenate(picked))
    sample = frame.loc[chosen].reset_index(drop=True)
    identity = sha256_of(f"{table.sha256}:{target}:{rows}:{seed}".encode())
    note = f"Stratified sample of {len(sample):,} of {len(frame):,} rows (by '{target}', seed {seed})."
    return LoadedTable(frame=sample, name=table.name, sha256=identity, n_bytes=table.n_bytes,
                       column_types=table.column_types, notes=table.notes + (note,), mixed_columns=table.mixed_columns)
