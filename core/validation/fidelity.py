"""Per-feature and pairwise fidelity of synthetic rows to the real training minority.

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
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.stats import contingency

from core.validation.column_pairs import NUMBER_CODES, PAIR_BINS, contingency_pairs, number_codes, pearson_matrix

MISSING = "<missing>"
JS_BINS = 20
SDMETRICS_REFERENCE = "SDMetrics 0.32.0 QualityReport (pair definition of SDMetrics 0.27+)"
REAL_CORRELATION_THRESHOLD = 0.5  # SDMetrics' DEFAULT_REAL_CORRELATION_THRESHOLD
REAL_ASSOCIATION_THRESHOLD = 0.3  # SDMetrics' DEFAULT_REAL_ASSOCIATION_THRESHOLD
KS_DECIMALS = 14  # SDMetrics' KSComplement rounds values to sys.float_info.dig - 1 decimals
TV_REGULARISATION = 1e-6  # SDMetrics adds this count to real levels seen only in synthetic rows


def ks_complement(real: pd.Series, synthetic: pd.Series) -> float:
    """KSComplement = 1 - D, D the two-sample Kolmogorov-Smirnov statistic (max gap of the ECDFs), on values
    rounded to 14 decimals as SDMetrics does. Range 0..1, 1 best; NaN when a side has no values."""
    r, s = _numbers(real), _numbers(synthetic)
    if len(r) == 0 or len(s) == 0:
        return float("nan")
    return 1.0 - ks_statistic(np.round(r, KS_DECIMALS), np.round(s, KS_DECIMALS))


def ks_statistic(real: np.ndarray, synthetic: np.ndarray) -> float:
    """The two-sample KS statistic D = max over x |F_real(x) - F_synthetic(x)| (scipy's ks_2samp statistic,
    computed the same way without the p-value, which costs most of ks_2samp's time)."""
    r, s = np.sort(real), np.sort(synthetic)
    both = np.concatenate([r, s])
    gaps = np.searchsorted(r, both, side="right") / len(r) - np.searchsorted(s, both, side="right") / len(s)
    return float(np.max(np.abs(gaps)))


def ks_test(real: pd.Series, synthetic: pd.Series) -> tuple[float, float]:
    """(statistic D, p-value) of the two-sample KS test; D in 0..1, 0 identical."""
    r, s = _numbers(real), _numbers(synthetic)
    if len(r) == 0 or len(s) == 0:
        return 1.0, 0.0
    result = stats.ks_2samp(r, s)
    return float(result.statistic), float(result.pvalue)


def total_variation(real: pd.Series, synthetic: pd.Series) -> float:
    """TVD = 1/2 * sum over categories |P_real(c) - P_synthetic(c)|, missing values left out (SDMetrics'
    TVComplement; a level seen only in synthetic rows gets a real count of 1e-6). Range 0..1, 0 identical;
    NaN when a side has no values."""
    return _total_variation_counts(real.dropna().astype(str).value_counts(),
                                   synthetic.dropna().astype(str).value_counts())


def tv_complement(real: pd.Series, synthetic: pd.Series) -> float:
    """TVComplement = 1 - TVD. Range 0..1, 1 best."""
    return 1.0 - total_variation(real, synthetic)


def js_divergence(real: pd.Series, synthetic: pd.Series, numeric: bool) -> float:
    """Jensen-Shannon divergence in bits (base 2), so 0..1, 0 identical.

    JS = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2; numbers are binned on 20 shared bins spanning both samples.
    scipy's jensenshannon returns the distance (the square root), so it is squared here.
    """
    p, q = _histograms(real, synthetic) if numeric else _shares(real, synthetic)
    if p.sum() == 0 or q.sum() == 0:
        return 1.0
    return float(jensenshannon(p, q, base=2) ** 2)


def kl_divergence(real: pd.Series, synthetic: pd.Series, numeric: bool, smoothing: float = 1e-6) -> float:
    """KL(P_real || P_synthetic) in bits, with `smoothing` added to every bin so empty synthetic bins stay finite."""
    p, q = _histograms(real, synthetic) if numeric else _shares(real, synthetic)
    return float(stats.entropy(p + smoothing, q + smoothing, base=2))


def wasserstein_normalised(real: pd.Series, synthetic: pd.Series) -> float:
    """Earth mover's distance between the samples divided by the real range (0 identical; 1 = a full range apart)."""
    r, s = _numbers(real), _numbers(synthetic)
    if len(r) == 0 or len(s) == 0:
        return 1.0
    spread = float(r.max() - r.min())
    return float(stats.wasserstein_distance(r, s) / spread) if spread > 0 else float(abs(r.mean() - s.mean()) > 0)


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


@dataclass(frozen=True)
class FeatureFidelity:
    """One feature's figures; kind is 'numeric' or 'categorical'. shape_score: KSComplement or TVComplement."""
    column: str
    kind: str
    shape_score: float
    js_divergence: float
    kl_divergence: float
    ks_statistic: float | None
    ks_pvalue: float | None
    total_variation: float | None
    wasserstein: float | None
    real_mean: float | None
    synthetic_mean: float | None
    real_median: float | None
    synthetic_median: float | None
    real_std: float | None
    synthetic_std: float | None


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


def feature_fidelity(real: pd.Series, synthetic: pd.Series, numeric: bool, column: str) -> FeatureFidelity:
    """Every per-feature figure for one column: the same figures as ks_complement, ks_test, js_divergence,
    kl_divergence, wasserstein_normalised and total_variation, with each side's values read, cleaned and sorted
    (or counted) once for all of them."""
    if numeric:
        r, s = _numbers(real), _numbers(synthetic)
        if not len(r) or not len(s):
            return _feature_fidelity_empty(real, synthetic, column)
        return _number_features([np.sort(r)], [np.sort(s)], [column])[0]
    return _level_feature(_level_codes(real, synthetic), column)


def _number_features(reals: list[np.ndarray], synthetics: list[np.ndarray],
                     columns: list[str]) -> list[FeatureFidelity]:
    """feature_fidelity of number columns from each side's finite values, sorted, neither side empty: each
    column's two sides merged once for the KS statistics, the Wasserstein distance and the histograms, and the
    large samples' KS p-values in one call."""
    merged = [_Merged.of(r, s) for r, s in zip(reals, synthetics)]
    tests = _ks_tests(reals, synthetics, [m.ks_statistic() for m in merged])
    figures = []
    for r, s, m, column, (statistic, pvalue) in zip(reals, synthetics, merged, columns, tests):
        p, q = m.histograms(JS_BINS)
        figures.append(FeatureFidelity(
            column=column, kind="numeric", shape_score=1.0 - m.ks_statistic(KS_DECIMALS),
            js_divergence=float(jensenshannon(p, q, base=2) ** 2), kl_divergence=_kl(p, q),
            ks_statistic=statistic, ks_pvalue=pvalue, total_variation=None,
            wasserstein=m.wasserstein_normalised(), real_mean=float(np.mean(r)), synthetic_mean=float(np.mean(s)),
            real_median=float(np.median(r)), synthetic_median=float(np.median(s)), real_std=float(np.std(r)),
            synthetic_std=float(np.std(s))))
    return figures


@dataclass(frozen=True)
class _Merged:
    """Two sorted, non-empty samples merged in order (a real value before an equal synthetic one), with each
    side's empirical CDF at every merged position: scipy's ks_2samp and wasserstein_distance read the same CDFs
    from a binary search of every value in each side; a merge gives them in one pass."""
    real: np.ndarray
    synthetic: np.ndarray
    values: np.ndarray  # both samples, sorted
    gaps: np.ndarray  # F_real - F_synthetic after each merged value (exact only at a run of equal values' end)

    @classmethod
    def of(cls, real: np.ndarray, synthetic: np.ndarray) -> _Merged:
        total = len(real) + len(synthetic)
        at = np.searchsorted(real, synthetic, side="right") + np.arange(len(synthetic))  # synthetic positions
        is_synthetic = np.zeros(total, dtype=bool)
        is_synthetic[at] = True
        values = np.empty(total)
        values[at], values[~is_synthetic] = synthetic, real
        synthetic_below = np.cumsum(is_synthetic, dtype=np.int32)  # bool to int32 is the fast cumsum
        real_below = np.arange(1, total + 1) - synthetic_below
        return cls(real, synthetic, values, real_below / len(real) - synthetic_below / len(synthetic))

    def ks_statistic(self, decimals: int | None = None) -> float:
        """max |F_real - F_synthetic| over the values (ks_2samp's statistic), the values rounded to `decimals`
        first when given (rounding keeps the order, so only the runs of equal values change)."""
        values = self.values if decimals is None else np.round(self.values, decimals)
        run_end = np.append(values[1:] != values[:-1], True)
        return float(np.max(np.abs(self.gaps[run_end])))

    def wasserstein_normalised(self) -> float:
        """wasserstein_normalised: scipy's sum over the merged values of |F_real - F_synthetic| times the step to
        the next value (0 inside a run of equal values, where the gap is not yet exact), over the real range."""
        distance = float(np.sum(np.abs(self.gaps[:-1]) * np.diff(self.values)))
        spread = float(self.real[-1] - self.real[0])
        return distance / spread if spread > 0 else float(abs(self.real.mean() - self.synthetic.mean()) > 0)

    def histograms(self, bins: int) -> tuple[np.ndarray, np.ndarray]:
        """_histograms: each side's shares in `bins` equal-width bins spanning both samples (np.histogram's
        counts, the last edge inclusive, read off the sorted values)."""
        edges = np.histogram_bin_edges(self.values[[0, -1]], bins=bins)
        p, q = _counts_between(self.real, edges), _counts_between(self.synthetic, edges)
        return p / max(p.sum(), 1), q / max(q.sum(), 1)


def _counts_between(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """np.histogram(values, edges)[0] as floats for sorted values (its own search of the sorted values)."""
    below = np.concatenate([values.searchsorted(edges[:-1], "left"), values.searchsorted(edges[-1:], "right")])
    return np.diff(below).astype(float)


KS_EXACT_MAX_N = 10_000  # scipy's ks_2samp(method="auto") computes the exact p-value up to this many values a side


def _ks_tests(reals: list[np.ndarray], synthetics: list[np.ndarray],
              statistics: list[float]) -> list[tuple[float, float]]:
    """(D, p-value) of the two-sided two-sample KS test of each pair of samples as scipy's ks_2samp
    (method="auto") gives them: by ks_2samp itself up to 10,000 values a side (its exact p-value, which also
    rounds D to a multiple of 1/lcm(m, n)), otherwise the merged samples' D and Smirnov's asymptotic
    kstwo.sf(D, round(m n / (m + n))), computed for all such columns in one call."""
    tests = [(float("nan"), float("nan"))] * len(statistics)
    large = []
    for i, (r, s) in enumerate(zip(reals, synthetics)):
        if max(len(r), len(s)) <= KS_EXACT_MAX_N:
            test = stats.ks_2samp(r, s, _no_deco=True)  # finite values: scipy's NaN-policy wrapper is most of its time
            tests[i] = (float(test.statistic), float(test.pvalue))
        else:
            large.append(i)
    if large:
        sizes = [sorted([float(len(reals[i])), float(len(synthetics[i]))], reverse=True) for i in large]
        effective = np.round([m * n / (m + n) for m, n in sizes])
        tail = np.clip(stats.kstwo.sf(np.array([statistics[i] for i in large]), effective), 0, 1)
        for i, value in zip(large, np.atleast_1d(tail)):
            tests[i] = (statistics[i], float(value))
    return tests


@dataclass(frozen=True)
class _LevelCodes:
    """One level column of both sides coded once. real / synthetic: each row's code over the raw values (as
    SDMetrics groups them), missing as the last code (size - 1); text_real / text_synthetic: each row's code over
    the values as text (_levels: missing spelled MISSING), whose words are `texts`."""
    real: np.ndarray
    synthetic: np.ndarray
    size: int
    text_real: np.ndarray
    text_synthetic: np.ndarray
    texts: np.ndarray

    def text_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Each side's count per text level (float)."""
        return (np.bincount(self.text_real, minlength=len(self.texts)).astype(float),
                np.bincount(self.text_synthetic, minlength=len(self.texts)).astype(float))

    def missing_counts(self) -> tuple[int, int]:
        return int(np.count_nonzero(self.real == self.size - 1)), int(np.count_nonzero(self.synthetic == self.size - 1))


def _level_codes(real: pd.Series, synthetic: pd.Series) -> _LevelCodes:
    """_LevelCodes of one column: one factorize of both sides' values; the text codes follow from the few distinct
    values when they are text already, else from the rows' text (1 and 1.0 are one value but two words)."""
    values = np.concatenate([real.to_numpy(dtype=object), synthetic.to_numpy(dtype=object)])
    codes, uniques = pd.factorize(values)  # None, NaN, NA and NaT: -1
    codes = np.where(codes < 0, len(uniques), codes)
    if all(isinstance(u, str) for u in uniques):
        text_of, texts = pd.factorize(np.array([*uniques, MISSING], dtype=object))
        text = text_of[codes]
    else:
        text, texts = pd.factorize(_levels(pd.Series(values)))
    texts = np.asarray(texts, dtype=object)
    return _LevelCodes(codes[:len(real)], codes[len(real):], len(uniques) + 1, text[:len(real)], text[len(real):],
                       texts)


def _level_feature(codes: _LevelCodes, column: str) -> FeatureFidelity:
    """feature_fidelity of a level column from its codes: levels in text order (as Index.union sorts them)."""
    real_counts, synthetic_counts = codes.text_counts()
    order = np.argsort(codes.texts.astype(str), kind="stable")
    real_counts, synthetic_counts, texts = real_counts[order], synthetic_counts[order], codes.texts[order]
    seen = (real_counts + synthetic_counts) > 0
    p = real_counts[seen] / real_counts.sum() if real_counts.sum() else real_counts[seen]
    q = synthetic_counts[seen] / synthetic_counts.sum() if synthetic_counts.sum() else synthetic_counts[seen]
    missing = texts == MISSING
    real_missing, synthetic_missing = codes.missing_counts()
    real_counts[missing] -= real_missing  # a real level spelled MISSING keeps its own count
    synthetic_counts[missing] -= synthetic_missing
    tv = _total_variation_arrays(real_counts, synthetic_counts)
    return FeatureFidelity(
        column=column, kind="categorical", shape_score=1 - tv,
        js_divergence=float(jensenshannon(p, q, base=2) ** 2) if p.sum() and q.sum() else 1.0,
        kl_divergence=_kl(p, q), ks_statistic=None, ks_pvalue=None, total_variation=tv,
        wasserstein=None, real_mean=None, synthetic_mean=None, real_median=None, synthetic_median=None,
        real_std=None, synthetic_std=None)


def _total_variation_arrays(real_counts: np.ndarray, synthetic_counts: np.ndarray) -> float:
    """total_variation from each side's counts over the same levels, missing values left out (NaN when a side has
    none): the levels neither side has dropped, a real level seen only in synthetic rows counted 1e-6."""
    if not real_counts.sum() or not synthetic_counts.sum():
        return float("nan")
    seen = (real_counts > 0) | (synthetic_counts > 0)
    r, s = real_counts[seen].copy(), synthetic_counts[seen]
    r[r == 0] = TV_REGULARISATION
    return float(0.5 * np.abs(s / s.sum() - r / r.sum()).sum())


def _feature_fidelity_empty(real: pd.Series, synthetic: pd.Series, column: str) -> FeatureFidelity:
    """A number column with no value on a side: the figures' own conventions (NaN shape, D 1, p 0, JS 1)."""
    r, s = _numbers(real), _numbers(synthetic)
    d, p = ks_test(real, synthetic)
    return FeatureFidelity(
        column=column, kind="numeric", shape_score=ks_complement(real, synthetic),
        js_divergence=js_divergence(real, synthetic, True),
        kl_divergence=kl_divergence(real, synthetic, True), ks_statistic=d, ks_pvalue=p, total_variation=None,
        wasserstein=wasserstein_normalised(real, synthetic), real_mean=_stat(r, np.mean),
        synthetic_mean=_stat(s, np.mean), real_median=_stat(r, np.median), synthetic_median=_stat(s, np.median),
        real_std=_stat(r, np.std), synthetic_std=_stat(s, np.std))


def _kl(p: np.ndarray, q: np.ndarray, smoothing: float = 1e-6) -> float:
    """kl_divergence from the two sides' shares (scipy's entropy, without its NaN-policy wrapper)."""
    return float(stats.entropy(p + smoothing, q + smoothing, base=2, _no_deco=True))


def _total_variation_counts(r: pd.Series, s: pd.Series) -> float:
    """total_variation from the level counts of each side (missing values left out)."""
    if r.empty or s.empty:
        return float("nan")
    levels = r.index.union(s.index)
    r = r.reindex(levels, fill_value=0).astype(float)
    r[r == 0] = TV_REGULARISATION
    s = s.reindex(levels, fill_value=0).astype(float)
    return float(0.5 * np.abs(s / s.sum() - r / r.sum()).sum())


def pair_trend(real: pd.DataFrame, synthetic: pd.DataFrame, a: str, b: str, numeric: dict[str, bool]) -> float:
    """The SDMetrics Column Pair Trends score of one pair, whatever its real association (NaN when undefined)."""
    scored = quality_score(real[[a, b]], synthetic[[a, b]], {a: numeric[a], b: numeric[b]})
    return float(scored.pairs["score"].iloc[0])


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


def _number_block(frame: pd.DataFrame, numbers: list[str]) -> np.ndarray:
    """The number columns as one float array (columns x rows), text that is not a number as NaN (as _numbers)."""
    if not numbers:
        return np.zeros((0, len(frame)))
    block = frame[numbers]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in block.dtypes):
        return np.ascontiguousarray(block.to_numpy(dtype=float, na_value=np.nan).T)
    return np.vstack([pd.to_numeric(block[c], errors="coerce").to_numpy(dtype=float) for c in numbers])


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


def association_matrix(frame: pd.DataFrame, numeric: dict[str, bool]) -> pd.DataFrame:
    """Pearson for number pairs, Cramér's V for category pairs, NaN for mixed pairs; 1 on the diagonal."""
    columns = list(numeric)
    matrix = pd.DataFrame(np.nan, index=columns, columns=columns)
    numbers = [c for c in columns if numeric[c]]
    if numbers:
        values = frame[numbers].astype(float)
        pearson = (values.corr() if not values.isna().any().any() else values.corr(min_periods=2)).fillna(0.0)
        matrix.loc[numbers, numbers] = pearson.to_numpy()  # a constant column correlates 0, as in _pearson
    levels = [c for c in columns if not numeric[c]]
    codes = {c: pd.factorize(_levels(frame[c]))[0] for c in levels}
    for a, b in combinations(levels, 2):  # Cramér's V from integer codes (as cramers_v, without a crosstab per pair)
        size_b = int(codes[b].max()) + 1 if len(codes[b]) else 1
        cells = np.bincount(codes[a] * size_b + codes[b], minlength=(int(codes[a].max()) + 1) * size_b
                            if len(codes[a]) else 0).reshape(-1, size_b) if len(codes[a]) else np.zeros((0, 0))
        matrix.loc[a, b] = matrix.loc[b, a] = (float(contingency.association(cells, method="cramer"))
                                               if min(cells.shape) >= 2 else 0.0)
    for c in columns:
        matrix.loc[c, c] = 1.0
    return matrix


def _numbers(values: pd.Series) -> np.ndarray:
    array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return array[np.isfinite(array)]


def _levels(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), MISSING).astype(str)


def _shares(real: pd.Series, synthetic: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    r, s = _levels(real).value_counts(normalize=True), _levels(synthetic).value_counts(normalize=True)
    categories = r.index.union(s.index)
    return r.reindex(categories, fill_value=0).to_numpy(), s.reindex(categories, fill_value=0).to_numpy()


def _histograms(real: pd.Series, synthetic: pd.Series, bins: int = JS_BINS) -> tuple[np.ndarray, np.ndarray]:
    r, s = _numbers(real), _numbers(synthetic)
    both = np.concatenate([r, s])
    if both.size == 0:
        return np.zeros(1), np.zeros(1)
    edges = np.histogram_bin_edges(both, bins=bins)
    p = np.histogram(r, edges)[0].astype(float)
    q = np.histogram(s, edges)[0].astype(float)
    return p / max(p.sum(), 1), q / max(q.sum(), 1)


def _discretise(real: pd.Series, synthetic: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both sides cut on the real values' 10 equal-width bins, the outer edges opened to infinity (SDMetrics'
    discretisation for pair trends; the drift check bins on the reference's deciles instead, core.drift)."""
    r = _numbers(real)
    edges = np.histogram_bin_edges(r, bins=PAIR_BINS) if r.size else np.array([0.0, 1.0])
    bins = np.unique(np.concatenate([[-np.inf], edges[1:-1], [np.inf]]))

    def cut(values: pd.Series) -> pd.Series:
        return pd.cut(pd.to_numeric(values, errors="coerce"), bins, labels=False).astype("Int64").astype(str)
    return cut(real), cut(synthetic)


def _pearson(frame: pd.DataFrame, a: str, b: str) -> float:
    pair = frame[[a, b]].apply(pd.to_numeric, errors="coerce").dropna()
    if len(pair) < 2 or pair[a].std() == 0 or pair[b].std() == 0:
        return 0.0
    return float(np.corrcoef(pair[a], pair[b])[0, 1])


def _stat(values: np.ndarray, function) -> float | None:
    return float(function(values)) if len(values) else None
