"""Column Pair Trends' figures, one per function with its formula: SDMetrics' CorrelationSimilarity and
ContingencySimilarity with their real-association thresholds, Cramer's V, and the columns of both sides coded once
(_Coded: a float block of the numbers, each level column's codes) with every column's contingency codes, from which
core.validation.fidelity scores all pairs at once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from core.numbers import to_numbers
from core.validation.column_pairs import NUMBER_CODES, number_codes, pearson_matrix
from core.validation.column_shapes import _level_codes, _LevelCodes

REAL_CORRELATION_THRESHOLD = 0.5  # SDMetrics' DEFAULT_REAL_CORRELATION_THRESHOLD
REAL_ASSOCIATION_THRESHOLD = 0.3  # SDMetrics' DEFAULT_REAL_ASSOCIATION_THRESHOLD


def correlation_similarity(real: pd.DataFrame, synthetic: pd.DataFrame, a: str, b: str) -> float:
    """CorrelationSimilarity = 1 - |Pearson_real(a,b) - Pearson_synthetic(a,b)| / 2. Range 0..1, 1 best."""
    return float(1 - abs(_pearson(real, a, b) - _pearson(synthetic, a, b)) / 2)


def contingency_similarity(real: pd.DataFrame, synthetic: pd.DataFrame, a: str, b: str) -> float:
    """ContingencySimilarity = 1 - 1/2 * sum over (x, y) |P_real(x, y) - P_synthetic(x, y)|. Range 0..1, 1 best."""
    r = real[[a, b]].astype(str).value_counts(normalize=True)
    s = synthetic[[a, b]].astype(str).value_counts(normalize=True)
    joint = r.index.union(s.index)
    return float(1 - 0.5 * np.abs(r.reindex(joint, fill_value=0) - s.reindex(joint, fill_value=0)).sum())


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Cramér's V = sqrt(chi2 / (n * (min(rows, columns) - 1))) of the contingency table, 0..1 (no bias correction)."""
    table = pd.crosstab(a.astype(str), b.astype(str))
    if min(table.shape) < 2:
        return 0.0
    chi2 = stats.chi2_contingency(table.to_numpy(), correction=False)[0]
    return float(np.sqrt(chi2 / (table.to_numpy().sum() * (min(table.shape) - 1))))


def _pearson(frame: pd.DataFrame, a: str, b: str) -> float:
    pair = frame[[a, b]].apply(to_numbers).dropna()
    if len(pair) < 2 or pair[a].std() == 0 or pair[b].std() == 0:
        return 0.0
    return float(np.corrcoef(pair[a], pair[b])[0, 1])


@dataclass(frozen=True)
class _Coded:
    """The columns of both sides read once: the number columns as one float block per side (columns x rows,
    text that is not a number as NaN, as _numbers reads it), each side's finite values sorted, and each level
    column's codes (_LevelCodes)."""
    columns: list[str]
    numbers: list[str]
    numbers_real: np.ndarray
    numbers_synthetic: np.ndarray
    sorted_real: list[np.ndarray]
    sorted_synthetic: list[np.ndarray]
    levels: dict[str, _LevelCodes]
    rows_real: int
    rows_synthetic: int

    @classmethod
    def of(cls, real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool]) -> _Coded:
        numbers = [c for c in numeric if numeric[c]]
        block_real, block_synthetic = _number_block(real, numbers), _number_block(synthetic, numbers)
        return cls(list(numeric), numbers, block_real, block_synthetic, _finite_sorted(block_real),
                   _finite_sorted(block_synthetic),
                   {c: _level_codes(real[c], synthetic[c]) for c in numeric if not numeric[c]}, len(real),
                   len(synthetic))

    def finite(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """The column's finite values on each side, sorted."""
        j = self.numbers.index(column)
        return self.sorted_real[j], self.sorted_synthetic[j]


def _finite_sorted(block: np.ndarray) -> list[np.ndarray]:
    return [np.sort(values[np.isfinite(values)]) for values in block]


def _number_block(frame: pd.DataFrame, numbers: list[str]) -> np.ndarray:
    """The number columns as one float array (columns x rows), text that is not a number as NaN (as _numbers)."""
    if not numbers:
        return np.zeros((0, len(frame)))
    block = frame[numbers]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in block.dtypes):
        return np.ascontiguousarray(block.to_numpy(dtype=float, na_value=np.nan).T)
    return np.vstack([to_numbers(block[c]).to_numpy(dtype=float) for c in numbers])


def _pearson_matrix(frame: pd.DataFrame, numbers: list[str]) -> pd.DataFrame:
    """core.validation.column_pairs.pearson_matrix of frame's number columns, labelled."""
    return pd.DataFrame(pearson_matrix(_number_block(frame, numbers)), index=numbers, columns=numbers)


def _pair_codes(coded: _Coded) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of every column for contingency tables (columns x rows per side) and the codes per column:
    numbers as SDMetrics bins them (column_pairs.number_codes, on each side's own values), levels on the union of
    both sides' values with missing as the last code."""
    columns = coded.columns
    codes_real = np.empty((len(columns), coded.rows_real), dtype=np.int32)  # int32: half the memory traffic
    codes_synthetic = np.empty((len(columns), coded.rows_synthetic), dtype=np.int32)
    sizes = np.empty(len(columns), dtype=np.int64)
    for i, c in enumerate(columns):
        if c in coded.levels:
            level = coded.levels[c]
            codes_real[i], codes_synthetic[i], sizes[i] = level.real, level.synthetic, level.size
        else:
            j = coded.numbers.index(c)
            codes_real[i] = number_codes(coded.numbers_real[j], coded.sorted_real[j])
            codes_synthetic[i] = number_codes(coded.numbers_synthetic[j], coded.sorted_synthetic[j])
            sizes[i] = NUMBER_CODES
    return codes_real, codes_synthetic, sizes
