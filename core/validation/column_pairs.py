"""Every column pair's SDMetrics trend figures from one coding of the columns, instead of one pandas pass per pair.

SDMetrics' Column Pair Trends scores each pair on its own (CorrelationSimilarity: scipy's pearsonr on the pair's
complete rows; ContingencySimilarity: a groupby per pair). The same figures come from the columns coded once:
- number pairs: one Pearson matrix per side (one matrix product when no value is missing, pairwise-complete
  rows otherwise, as the per-pair dropna does);
- every other pair: the joint counts of all the pairs that share a level column from one bincount per side, the
  number columns cut as SDMetrics cuts them (np.digitize on np.histogram_bin_edges' 10 equal-width bins of each
  side's own values, a missing number landing in the last code, beside the maximum, exactly as np.digitize puts
  it), a missing level a level of its own.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PAIR_BINS = 10  # SDMetrics discretises numbers into 10 bins for mixed pairs
NUMBER_CODES = PAIR_BINS + 2  # np.digitize on 11 edges returns 0..11


def number_codes(values: np.ndarray, finite_sorted: np.ndarray | None = None) -> np.ndarray:
    """One number column's bin codes for contingency tables: np.digitize on the 10 equal-width bins of its own
    non-missing values (SDMetrics' ColumnPairTrends._discretize_column; np.digitize on rising edges is
    searchsorted(edges, values, side="right")). finite_sorted: the column's finite values, sorted, when already at
    hand (their first and last give the same edges without another pass)."""
    if finite_sorted is None or len(finite_sorted) == 0 or np.isinf(values).any():
        edges = np.histogram_bin_edges(values[~np.isnan(values)], bins=PAIR_BINS)
    else:
        edges = np.histogram_bin_edges(finite_sorted[[0, -1]], bins=PAIR_BINS)
    return np.searchsorted(edges, values, side="right")


def pearson_matrix(values: np.ndarray) -> np.ndarray:
    """Pearson correlation of every pair of rows of values (columns x rows of the table, NaN for missing) on the
    table rows where both are present; NaN where a column is constant (SDMetrics refuses constant data) or under
    two rows remain."""
    columns = len(values)
    if columns and values.shape[1] >= 2 and not np.isnan(values).any():  # no gaps: one matrix product
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = np.corrcoef(values).reshape(columns, columns)
        constant = values.max(axis=1) == values.min(axis=1)
    else:
        frame = pd.DataFrame(values.T)
        matrix = frame.corr(min_periods=2).to_numpy()
        constant = (frame.nunique() == 1).to_numpy()
    matrix[constant, :] = np.nan
    matrix[:, constant] = np.nan
    return matrix


def contingency_pairs(codes_real: np.ndarray, codes_synthetic: np.ndarray, sizes: np.ndarray,
                      first: np.ndarray, second: np.ndarray, is_level: np.ndarray):
    """ContingencySimilarity and Cramer's V of each side for the pairs (first[i], second[i]).

    codes_*: columns x rows integer codes in 0..sizes[column]-1 (int32 is enough: keys widen when needed);
    every pair has a level column (is_level).
    Returns (score, Cramer's V of the real rows, of the synthetic rows), one entry per pair: score = 1 - 1/2 sum
    over cells |P_real - P_synthetic|; V = sqrt(chi2 / (n (min(rows, columns) - 1))) over the table's non-empty
    rows and columns (scipy.stats.contingency.association), NaN when a side has under two of them. All NaN
    when a side has no rows.
    """
    pairs = len(first)
    score, v_real, v_synthetic = np.full(pairs, np.nan), np.full(pairs, np.nan), np.full(pairs, np.nan)
    n_real, n_synthetic = codes_real.shape[1], codes_synthetic.shape[1]
    if not pairs or not n_real or not n_synthetic:
        return score, v_real, v_synthetic
    anchor = np.where(is_level[second], second, first)  # the level column that the pair's table is counted on
    partner = np.where(anchor == second, first, second)
    for column in np.unique(anchor):
        for chosen in _batches(np.flatnonzero(anchor == column), sizes[partner] * sizes[column]):
            partners = partner[chosen]
            real_table = _joint_counts(codes_real, column, partners, sizes)
            synthetic_table = _joint_counts(codes_synthetic, column, partners, sizes)
            starts = np.concatenate([[0], np.cumsum(sizes[partners])[:-1]])
            gap = np.abs(real_table / n_real - synthetic_table / n_synthetic).sum(axis=1)
            score[chosen] = 1 - 0.5 * np.add.reduceat(gap, starts)
            v_real[chosen] = _cramers_v(real_table, starts, n_real)
            v_synthetic[chosen] = _cramers_v(synthetic_table, starts, n_synthetic)
    return score, v_real, v_synthetic


CELLS_PER_BATCH = 4_000_000  # cells of the stacked tables counted at once (memory: a few times 8 bytes each)


def _batches(pairs: np.ndarray, cells: np.ndarray) -> list[np.ndarray]:
    """pairs split into consecutive groups of at most CELLS_PER_BATCH table cells (cells[pair] each; a larger
    table alone), so that wide tables of many-level columns are counted in bounded memory."""
    groups, current, held = [], [], 0
    for pair in pairs:
        if current and held + cells[pair] > CELLS_PER_BATCH:
            groups.append(np.array(current))
            current, held = [], 0
        current.append(pair)
        held += int(cells[pair])
    return [*groups, np.array(current)] if current else groups


def _joint_counts(codes: np.ndarray, column: int, partners: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The contingency tables of column against each partner, stacked: (sum of the partners' sizes) x
    sizes[column] counts, the rows of partner i starting after those of partners 0..i-1."""
    width = int(sizes[column])
    cells = int(sizes[partners].sum()) * width
    dtype = codes.dtype if cells < 2**31 else np.int64
    row_offsets = np.concatenate([[0], np.cumsum(sizes[partners])[:-1]]).astype(dtype)
    keys = codes[partners].astype(dtype, copy=False)  # a copy (fancy indexing), then worked on in place
    keys += row_offsets[:, None]
    keys *= width
    keys += codes[column]
    return np.bincount(keys.ravel(), minlength=cells).reshape(-1, width).astype(float)


def _cramers_v(table: np.ndarray, starts: np.ndarray, total: int) -> np.ndarray:
    """Cramer's V of each stacked table (rows of table i from starts[i]), each over all `total` rows."""
    row_sums = table.sum(axis=1)
    column_sums = np.add.reduceat(table, starts, axis=0)  # one row of column sums per table
    which = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(table))))
    expected = row_sums[:, None] * column_sums[which] / total
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)
    chi2 = np.add.reduceat(terms.sum(axis=1), starts)
    smaller = np.minimum(np.add.reduceat((row_sums > 0).astype(int), starts), (column_sums > 0).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(smaller >= 2, np.sqrt(chi2 / total / (smaller - 1)), np.nan)
