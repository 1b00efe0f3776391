"""The fidelity report of synthetic rows against the real training minority: SDMetrics' quality score (Column
Shapes and Column Pair Trends, each column coded once) and the per-feature and association detail the Quality page
shows. The per-column figures live in core.validation.column_shapes, the per-pair ones in
core.validation.pair_trends; this module assembles them.

The quality score follows SDMetrics 0.32.0's single-table QualityReport (the definition in force since
SDMetrics 0.27), and the test suite checks it against that package to 1e-12:
- Column Shapes: mean over columns of KSComplement (numbers, values rounded to 14 decimals) or TVComplement
  (levels); missing values are left out, as SDMetrics does.
- Column Pair Trends: mean over the pairs whose REAL association is strong (|Pearson| > 0.5 for two numbers,
  Cramer's V > 0.3 otherwise) of CorrelationSimilarity (two numbers) or ContingencySimilarity (otherwise; a
  number is cut into 10 equal-width bins on its own side's range, real and synthetic each on their own edges,
  by np.digitize's codes: a missing number shares the top code with the column's largest value, as in
  SDMetrics; a missing level is a level of its own). Every pair comes from the columns coded once
  (core.validation.column_pairs). A pair whose association is undefined (a constant column, too
  few rows) is left out, not scored 0.
- Quality score: mean of the two (Column Shapes alone when no pair is strong).
The all-pairs average (SDMetrics before 0.27) is kept as a second, labelled figure.
The per-feature JS and KL divergences treat a missing category as a level of its own.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.validation.column_pairs import contingency_pairs, pearson_matrix
from core.validation.column_shapes import (
    KS_DECIMALS,
    MISSING,
    FeatureFidelity,
    _feature_fidelity_empty,
    _level_feature,
    _Merged,
    _number_features,
    _total_variation_arrays,
    ks_complement,
)
from core.validation.pair_trends import (
    REAL_ASSOCIATION_THRESHOLD,
    REAL_CORRELATION_THRESHOLD,
    _Coded,
    _pair_codes,
)

SDMETRICS_REFERENCE = "SDMetrics 0.32.0 QualityReport (pair definition of SDMetrics 0.27+)"


@dataclass(frozen=True)
class QualityScore:
    """SDMetrics' quality score and its parts (see the module docstring for the definition).

    column_pair_trends: mean over strong pairs (NaN when no pair is strong); column_pair_trends_all_pairs: mean
    over every pair with a defined association (SDMetrics before 0.27). pairs: one row per column pair with
    column_1, column_2, metric ('correlation' or 'contingency'), score, real_association (|Pearson| or Cramer's V
    of the real rows; NaN when undefined), strong (counted in column_pair_trends).
    """
    quality_score: float
    column_shapes: float
    column_pair_trends: float
    quality_score_all_pairs: float
    column_pair_trends_all_pairs: float
    shape_scores: dict[str, float]
    pairs: pd.DataFrame
    reference: str = SDMETRICS_REFERENCE


@dataclass(frozen=True)
class FidelityResult:
    """Column Shapes, Column Pair Trends, their mean (quality_score), and the per-feature and matrix detail.

    quality_score / column_pair_trends follow SDMetrics 0.32.0 (strong pairs only); the *_all_pairs figures
    average every pair. correlation_real / correlation_synthetic: feature x feature matrices (Pearson for
    number pairs, Cramér's V for category pairs, NaN for mixed pairs); correlation_difference: mean
    |real - synthetic|. pairs: the per-pair table of QualityScore.pairs.
    """
    quality_score: float
    column_shapes: float
    column_pair_trends: float
    per_feature: list[FeatureFidelity]
    correlation_real: pd.DataFrame
    correlation_synthetic: pd.DataFrame
    correlation_difference: float
    quality_score_all_pairs: float = float("nan")
    column_pair_trends_all_pairs: float = float("nan")
    pairs: pd.DataFrame | None = None
    reference: str = SDMETRICS_REFERENCE

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([vars(f) for f in self.per_feature])

    @property
    def correlation_gap(self) -> pd.DataFrame:
        """Real minus synthetic association, feature x feature (NaN for mixed pairs)."""
        return self.correlation_real - self.correlation_synthetic


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool],
                  correlation_threshold: float = REAL_CORRELATION_THRESHOLD,
                  association_threshold: float = REAL_ASSOCIATION_THRESHOLD) -> QualityScore:
    """SDMetrics' quality score of synthetic rows against real rows over the columns in `numeric`
    (column -> is number; numbers as floats, levels as strings, NaN for missing). Vectorised: the columns are
    coded once, one Pearson matrix per side scores every number pair and one bincount per level column and side
    every other pair (core.validation.column_pairs), so it runs in a small fraction of SDMetrics' time."""
    coded = _Coded.of(real, synthetic, numeric)
    shapes = {}
    for c in coded.columns:
        if c in coded.levels:
            real_counts, synthetic_counts = coded.levels[c].text_counts()
            missing = coded.levels[c].texts == MISSING
            real_missing, synthetic_missing = coded.levels[c].missing_counts()
            real_counts[missing] -= real_missing
            synthetic_counts[missing] -= synthetic_missing
            shapes[c] = 1 - _total_variation_arrays(real_counts, synthetic_counts)
        else:
            r, s = coded.finite(c)
            shapes[c] = (1.0 - _Merged.of(r, s).ks_statistic(KS_DECIMALS) if len(r) and len(s)
                         else ks_complement(real[c], synthetic[c]))
    return _quality(coded, shapes, correlation_threshold, association_threshold).score


@dataclass(frozen=True)
class _Pairs:
    """_quality's result: the score, each side's Pearson matrix of the number columns (columns x columns, NaN
    for a constant column) and each pair's Cramer's V on each side (NaN for number pairs), in pairs' order."""
    score: QualityScore
    pearson_real: np.ndarray
    pearson_synthetic: np.ndarray
    cramer_real: np.ndarray
    cramer_synthetic: np.ndarray


def _quality(coded: _Coded, shapes: dict[str, float], correlation_threshold: float = REAL_CORRELATION_THRESHOLD,
             association_threshold: float = REAL_ASSOCIATION_THRESHOLD) -> _Pairs:
    """The quality score from the coded columns and the Column Shapes scores."""
    columns = coded.columns
    shape_values = np.array([v for v in shapes.values() if np.isfinite(v)])
    column_shapes = float(shape_values.mean()) if shape_values.size else float("nan")
    pearson_real, pearson_synthetic = pearson_matrix(coded.numbers_real), pearson_matrix(coded.numbers_synthetic)
    first, second = np.triu_indices(len(columns), k=1)  # every pair (a, b), a before b, in column order
    is_number = np.array([c not in coded.levels for c in columns], dtype=bool)
    number_pair = is_number[first] & is_number[second] if len(columns) else np.zeros(0, dtype=bool)
    position = np.full(len(columns), -1)
    position[is_number] = np.arange(int(is_number.sum()))
    score, association = np.full(len(first), np.nan), np.full(len(first), np.nan)
    r = pearson_real[position[first[number_pair]], position[second[number_pair]]]
    synthetic_r = pearson_synthetic[position[first[number_pair]], position[second[number_pair]]]
    with np.errstate(invalid="ignore"):
        score[number_pair] = np.where(np.isfinite(r) & np.isfinite(synthetic_r), 1 - np.abs(r - synthetic_r) / 2,
                                      np.nan)
    association[number_pair] = np.abs(r)
    cramer_real, cramer_synthetic = np.full(len(first), np.nan), np.full(len(first), np.nan)
    table_pair = ~number_pair
    if table_pair.any():
        codes_real, codes_synthetic, sizes = _pair_codes(coded)
        found = contingency_pairs(codes_real, codes_synthetic, sizes, first[table_pair], second[table_pair],
                                  ~is_number)
        score[table_pair], cramer_real[table_pair], cramer_synthetic[table_pair] = found
        association[table_pair] = cramer_real[table_pair]
    threshold = np.where(number_pair, correlation_threshold, association_threshold)
    defined = np.isfinite(association) & np.isfinite(score)
    with np.errstate(invalid="ignore"):
        strong = defined & (association > threshold)
    names = np.array(columns, dtype=object)
    pairs = pd.DataFrame({"column_1": names[first], "column_2": names[second],
                          "metric": np.where(number_pair, "correlation", "contingency").astype(object),
                          "score": np.where(defined, score, np.nan), "real_association": association,
                          "strong": strong})
    strong_scores, every_score = score[strong], score[defined]
    trends = float(strong_scores.mean()) if len(strong_scores) else float("nan")
    trends_all = float(every_score.mean()) if len(every_score) else float("nan")
    quality = QualityScore(quality_score=_mean_of(column_shapes, trends), column_shapes=column_shapes,
                           column_pair_trends=trends, quality_score_all_pairs=_mean_of(column_shapes, trends_all),
                           column_pair_trends_all_pairs=trends_all, shape_scores=shapes, pairs=pairs)
    return _Pairs(quality, pearson_real, pearson_synthetic, cramer_real, cramer_synthetic)


def fidelity(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool]) -> FidelityResult:
    """Compare real (training minority) and synthetic rows over the columns in `numeric` (column -> is number).

    Everything the Quality page shows, each piece computed once: the columns are coded once (_Coded), the
    per-feature figures give the Column Shapes scores, and the quality score's Pearson matrices and Cramer's V
    give the association matrices."""
    columns = list(numeric)
    coded = _Coded.of(real, synthetic, numeric)
    per_feature = _per_feature(real, synthetic, coded)
    shapes = {f.column: f.shape_score for f in per_feature}
    found = _quality(coded, shapes)
    first, second = np.triu_indices(len(columns), k=1)
    level_pair = np.array([columns[a] in coded.levels and columns[b] in coded.levels
                           for a, b in zip(first, second)], dtype=bool)
    corr_real = _association(columns, coded, found.pearson_real, first[level_pair], second[level_pair],
                             found.cramer_real[level_pair])
    corr_syn = _association(columns, coded, found.pearson_synthetic, first[level_pair], second[level_pair],
                            found.cramer_synthetic[level_pair])
    difference = (corr_real - corr_syn).abs().to_numpy()
    off_diagonal = difference[~np.eye(len(columns), dtype=bool)] if columns else np.array([])
    finite = off_diagonal[np.isfinite(off_diagonal)]
    score = found.score
    return FidelityResult(quality_score=score.quality_score, column_shapes=score.column_shapes,
                          column_pair_trends=score.column_pair_trends, per_feature=per_feature,
                          correlation_real=corr_real, correlation_synthetic=corr_syn,
                          correlation_difference=float(finite.mean()) if finite.size else 0.0,
                          quality_score_all_pairs=score.quality_score_all_pairs,
                          column_pair_trends_all_pairs=score.column_pair_trends_all_pairs, pairs=score.pairs)


def _per_feature(real: pd.DataFrame, synthetic: pd.DataFrame, coded: _Coded) -> list[FeatureFidelity]:
    """feature_fidelity of every column from the coded columns."""
    both = [j for j, _ in enumerate(coded.numbers) if len(coded.sorted_real[j]) and len(coded.sorted_synthetic[j])]
    figures = dict(zip([coded.numbers[j] for j in both],
                       _number_features([coded.sorted_real[j] for j in both],
                                        [coded.sorted_synthetic[j] for j in both], [coded.numbers[j] for j in both])))
    for c in coded.numbers:
        if c not in figures:
            figures[c] = _feature_fidelity_empty(real[c], synthetic[c], c)
    return [_level_feature(coded.levels[c], c) if c in coded.levels else figures[c] for c in coded.columns]


def _association(columns: list[str], coded: _Coded, pearson: np.ndarray, first: np.ndarray, second: np.ndarray,
                 cramer: np.ndarray) -> pd.DataFrame:
    """association_matrix from figures already computed: the Pearson matrix (NaN for a constant column, shown 0)
    and Cramer's V of each level pair (first[i], second[i]) (NaN when a side has one level, shown 0)."""
    matrix = np.full((len(columns), len(columns)), np.nan)
    is_number = np.array([c not in coded.levels for c in columns], dtype=bool)
    if is_number.any():
        matrix[np.ix_(is_number, is_number)] = np.nan_to_num(pearson, nan=0.0)
    shown = np.where(np.isfinite(cramer), cramer, 0.0)
    matrix[first, second] = shown
    matrix[second, first] = shown
    np.fill_diagonal(matrix, 1.0)
    return pd.DataFrame(matrix, index=columns, columns=columns)


def _mean_of(shapes: float, trends: float) -> float:
    """SDMetrics' overall score: the mean of the property scores that could be computed."""
    values = [v for v in (shapes, trends) if np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")
