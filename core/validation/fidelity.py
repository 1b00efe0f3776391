"""Per-feature and pairwise fidelity of synthetic rows to the real training minority.

The quality score follows SDMetrics 0.32.0's single-table QualityReport (the definition in force since
SDMetrics 0.27), and the test suite checks it against that package to 1e-9:
- Column Shapes: mean over columns of KSComplement (numbers, values rounded to 14 decimals) or TVComplement
  (levels); missing values are left out, as SDMetrics does.
- Column Pair Trends: mean over the pairs whose REAL association is strong (|Pearson| > 0.5 for two numbers,
  Cramer's V > 0.3 otherwise) of CorrelationSimilarity (two numbers) or ContingencySimilarity (otherwise; a
  number is cut into 10 equal-width bins on its own side's range, real and synthetic each on their own edges,
  and a missing value is a level of its own). A pair whose association is undefined (a constant column, too
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

MISSING = "<missing>"
PAIR_BINS = 10  # SDMetrics discretises numbers into 10 bins for mixed pairs
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
        return _number_feature(np.sort(r), np.sort(s), column)
    return _level_feature(real, synthetic, column)


def _number_feature(r: np.ndarray, s: np.ndarray, column: str) -> FeatureFidelity:
    """feature_fidelity of a number column from each side's finite values, sorted, neither side empty."""
    test = stats.ks_2samp(r, s, _no_deco=True)  # finite values: scipy's NaN-policy wrapper is most of its time
    p, q = _normalised_histograms(r, s)
    return FeatureFidelity(
        column=column, kind="numeric",
        shape_score=1.0 - _ks_sorted(np.round(r, KS_DECIMALS), np.round(s, KS_DECIMALS)),
        js_divergence=float(jensenshannon(p, q, base=2) ** 2), kl_divergence=_kl(p, q),
        ks_statistic=float(test.statistic), ks_pvalue=float(test.pvalue), total_variation=None,
        wasserstein=_wasserstein_sorted(r, s), real_mean=float(np.mean(r)), synthetic_mean=float(np.mean(s)),
        real_median=float(np.median(r)), synthetic_median=float(np.median(s)), real_std=float(np.std(r)),
        synthetic_std=float(np.std(s)))


def _level_feature(real: pd.Series, synthetic: pd.Series, column: str) -> FeatureFidelity:
    """feature_fidelity of a level column."""
    real_counts, synthetic_counts = _levels(real).value_counts(), _levels(synthetic).value_counts()
    tv = _total_variation_counts(_without_missing(real_counts, real), _without_missing(synthetic_counts, synthetic))
    p, q = _shares_of(real_counts, synthetic_counts)
    return FeatureFidelity(
        column=column, kind="categorical", shape_score=1 - tv,
        js_divergence=float(jensenshannon(p, q, base=2) ** 2) if p.sum() and q.sum() else 1.0,
        kl_divergence=_kl(p, q), ks_statistic=None, ks_pvalue=None, total_variation=tv,
        wasserstein=None, real_mean=None, synthetic_mean=None, real_median=None, synthetic_median=None,
        real_std=None, synthetic_std=None)


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


def _ks_sorted(r: np.ndarray, s: np.ndarray) -> float:
    """ks_statistic on already sorted values."""
    both = np.concatenate([r, s])
    gaps = np.searchsorted(r, both, side="right") / len(r) - np.searchsorted(s, both, side="right") / len(s)
    return float(np.max(np.abs(gaps)))


def _wasserstein_sorted(r: np.ndarray, s: np.ndarray) -> float:
    """wasserstein_normalised on sorted, non-empty values: scipy's formula (sum over the merged values of
    |F_real - F_synthetic| times the gap to the next value) over the real range."""
    both = np.sort(np.concatenate([r, s]))
    gaps = np.diff(both)
    below = both[:-1]
    distance = float(np.sum(np.abs(np.searchsorted(r, below, side="right") / len(r)
                                   - np.searchsorted(s, below, side="right") / len(s)) * gaps))
    spread = float(r[-1] - r[0])
    return distance / spread if spread > 0 else float(abs(r.mean() - s.mean()) > 0)


def _normalised_histograms(r: np.ndarray, s: np.ndarray, bins: int = JS_BINS) -> tuple[np.ndarray, np.ndarray]:
    """_histograms on finite, non-empty values."""
    edges = np.histogram_bin_edges(np.concatenate([r, s]), bins=bins)
    p = np.histogram(r, edges)[0].astype(float)
    q = np.histogram(s, edges)[0].astype(float)
    return p / max(p.sum(), 1), q / max(q.sum(), 1)


def _kl(p: np.ndarray, q: np.ndarray, smoothing: float = 1e-6) -> float:
    """kl_divergence from the two sides' shares (scipy's entropy, without its NaN-policy wrapper)."""
    return float(stats.entropy(p + smoothing, q + smoothing, base=2, _no_deco=True))


def _without_missing(counts: pd.Series, values: pd.Series) -> pd.Series:
    """Level counts (from _levels) without the missing values' count (a real level spelled MISSING stays)."""
    missing = int(values.isna().sum())
    if not missing:
        return counts
    left = counts.copy()
    left[MISSING] -= missing
    return left[left > 0]


def _total_variation_counts(r: pd.Series, s: pd.Series) -> float:
    """total_variation from the level counts of each side (missing values left out)."""
    if r.empty or s.empty:
        return float("nan")
    levels = r.index.union(s.index)
    r = r.reindex(levels, fill_value=0).astype(float)
    r[r == 0] = TV_REGULARISATION
    s = s.reindex(levels, fill_value=0).astype(float)
    return float(0.5 * np.abs(s / s.sum() - r / r.sum()).sum())


def _shares_of(r: pd.Series, s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """_shares from the level counts of each side (all zero for a side without rows)."""
    categories = r.index.union(s.index)
    r, s = (r / r.sum() if r.sum() else r.astype(float)), (s / s.sum() if s.sum() else s.astype(float))
    return r.reindex(categories, fill_value=0).to_numpy(), s.reindex(categories, fill_value=0).to_numpy()


def pair_trend(real: pd.DataFrame, synthetic: pd.DataFrame, a: str, b: str, numeric: dict[str, bool]) -> float:
    """The SDMetrics Column Pair Trends score of one pair, whatever its real association (NaN when undefined)."""
    scored = quality_score(real[[a, b]], synthetic[[a, b]], {a: numeric[a], b: numeric[b]})
    return float(scored.pairs["score"].iloc[0])


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool],
                  correlation_threshold: float = REAL_CORRELATION_THRESHOLD,
                  association_threshold: float = REAL_ASSOCIATION_THRESHOLD) -> QualityScore:
    """SDMetrics' quality score of synthetic rows against real rows over the columns in `numeric`
    (column -> is number; numbers as floats, levels as strings, NaN for missing). Vectorised: one Pearson
    matrix per side scores every number pair at once, and one bincount each the other pairs, so it runs in a
    fraction of SDMetrics' time."""
    return _quality(real, synthetic, numeric, None, correlation_threshold, association_threshold)[0]


def _quality(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool],
             shapes: dict[str, float] | None, correlation_threshold: float = REAL_CORRELATION_THRESHOLD,
             association_threshold: float = REAL_ASSOCIATION_THRESHOLD):
    """(QualityScore, Pearson matrix of the real rows, of the synthetic rows, Cramer's V of each level pair on each
    side); shapes: the Column Shapes scores when already computed (fidelity's per-feature figures)."""
    columns = list(numeric)
    if shapes is None:
        shapes = {c: ks_complement(real[c], synthetic[c]) if numeric[c] else tv_complement(real[c], synthetic[c])
                  for c in columns}
    shape_values = np.array([v for v in shapes.values() if np.isfinite(v)])
    column_shapes = float(shape_values.mean()) if shape_values.size else float("nan")
    numbers = [c for c in columns if numeric[c]]
    pearson_real, pearson_synthetic = _pearson_matrix(real, numbers), _pearson_matrix(synthetic, numbers)
    first, second = np.triu_indices(len(columns), k=1)  # every pair (a, b), a before b, in column order
    is_number = np.array([numeric[c] for c in columns], dtype=bool)
    number_pair = is_number[first] & is_number[second] if len(columns) else np.zeros(0, dtype=bool)
    position = np.full(len(columns), -1)
    position[is_number] = np.arange(len(numbers))
    score, association = np.full(len(first), np.nan), np.full(len(first), np.nan)
    r = pearson_real.to_numpy()[position[first[number_pair]], position[second[number_pair]]]
    synthetic_r = pearson_synthetic.to_numpy()[position[first[number_pair]], position[second[number_pair]]]
    with np.errstate(invalid="ignore"):
        score[number_pair] = np.where(np.isfinite(r) & np.isfinite(synthetic_r), 1 - np.abs(r - synthetic_r) / 2,
                                      np.nan)
    association[number_pair] = np.abs(r)
    coded = columns if not is_number.all() else []  # codes only serve pairs with a level column
    codes_real, codes_synthetic, sizes = _pair_codes(real, synthetic, coded, numeric)
    cramer = {}
    for k in np.flatnonzero(~number_pair):
        a, b = columns[first[k]], columns[second[k]]
        score[k], association[k], synthetic_v = _contingency(codes_real[a], codes_real[b], codes_synthetic[a],
                                                              codes_synthetic[b], sizes[a], sizes[b])
        if not numeric[a] and not numeric[b]:
            cramer[a, b] = (association[k], synthetic_v)
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
    return (QualityScore(quality_score=_mean_of(column_shapes, trends), column_shapes=column_shapes,
                         column_pair_trends=trends, quality_score_all_pairs=_mean_of(column_shapes, trends_all),
                         column_pair_trends_all_pairs=trends_all, shape_scores=shapes, pairs=pairs),
            pearson_real, pearson_synthetic, cramer)


def fidelity(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool]) -> FidelityResult:
    """Compare real (training minority) and synthetic rows over the columns in `numeric` (column -> is number).

    Everything the Quality page shows, each piece computed once: the per-feature figures give the Column Shapes
    scores, and the quality score's Pearson matrices and Cramer's V give the association matrices."""
    columns = list(numeric)
    per_feature = _per_feature(real, synthetic, numeric)
    shapes = {f.column: f.shape_score for f in per_feature}
    score, pearson_real, pearson_synthetic, cramer = _quality(real, synthetic, numeric, shapes)
    corr_real = _association(columns, numeric, pearson_real, {pair: v[0] for pair, v in cramer.items()})
    corr_syn = _association(columns, numeric, pearson_synthetic, {pair: v[1] for pair, v in cramer.items()})
    difference = (corr_real - corr_syn).abs().to_numpy()
    off_diagonal = difference[~np.eye(len(columns), dtype=bool)] if columns else np.array([])
    finite = off_diagonal[np.isfinite(off_diagonal)]
    return FidelityResult(quality_score=score.quality_score, column_shapes=score.column_shapes,
                          column_pair_trends=score.column_pair_trends, per_feature=per_feature,
                          correlation_real=corr_real, correlation_synthetic=corr_syn,
                          correlation_difference=float(finite.mean()) if finite.size else 0.0,
                          quality_score_all_pairs=score.quality_score_all_pairs,
                          column_pair_trends_all_pairs=score.column_pair_trends_all_pairs, pairs=score.pairs)


def _per_feature(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool]) -> list[FeatureFidelity]:
    """feature_fidelity of every column, the number columns read as one float block per side (a wide table
    would otherwise pay a column lookup and a conversion per column and side)."""
    numbers = [c for c in numeric if numeric[c]]
    real_block = _number_block(real, numbers)
    synthetic_block = _number_block(synthetic, numbers)
    figures = {}
    for j, c in enumerate(numbers):
        r, s = real_block[:, j], synthetic_block[:, j]
        r, s = r[np.isfinite(r)], s[np.isfinite(s)]
        figures[c] = (_number_feature(np.sort(r), np.sort(s), c) if len(r) and len(s)
                      else _feature_fidelity_empty(real[c], synthetic[c], c))
    return [figures[c] if numeric[c] else _level_feature(real[c], synthetic[c], c) for c in numeric]


def _number_block(frame: pd.DataFrame, numbers: list[str]) -> np.ndarray:
    """The number columns as one float array (rows x columns), text that is not a number as NaN (as _numbers)."""
    block = frame[numbers]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in block.dtypes):
        return block.to_numpy(dtype=float, na_value=np.nan)
    return np.column_stack([pd.to_numeric(block[c], errors="coerce").to_numpy(dtype=float) for c in numbers]) \
        if numbers else np.zeros((len(frame), 0))


def _association(columns: list[str], numeric: dict[str, bool], pearson: pd.DataFrame,
                 cramer: dict[tuple[str, str], float]) -> pd.DataFrame:
    """association_matrix from figures already computed: the Pearson matrix (NaN for a constant column, shown 0)
    and Cramer's V of each level pair (NaN when a side has one level, shown 0)."""
    matrix = np.full((len(columns), len(columns)), np.nan)
    is_number = np.array([numeric[c] for c in columns], dtype=bool)
    if is_number.any():
        matrix[np.ix_(is_number, is_number)] = pearson.fillna(0.0).to_numpy()
    index = {c: i for i, c in enumerate(columns)}
    for (a, b), value in cramer.items():
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = value if np.isfinite(value) else 0.0
    np.fill_diagonal(matrix, 1.0)
    return pd.DataFrame(matrix, index=columns, columns=columns)


def _mean_of(shapes: float, trends: float) -> float:
    """SDMetrics' overall score: the mean of the property scores that could be computed."""
    values = [v for v in (shapes, trends) if np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def _pearson_matrix(frame: pd.DataFrame, numbers: list[str]) -> pd.DataFrame:
    """Pearson on pairwise-complete rows; NaN where a column is constant (SDMetrics refuses constant data)."""
    values = frame[numbers].astype(float)
    array = values.to_numpy()
    if numbers and len(array) >= 2 and not np.isnan(array).any():  # no gaps: one BLAS product, not a loop of pairs
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = pd.DataFrame(np.corrcoef(array, rowvar=False).reshape(len(numbers), len(numbers)),
                                  index=numbers, columns=numbers)
        constant = pd.Series(array.max(axis=0) == array.min(axis=0), index=numbers)
    else:
        matrix = values.corr(min_periods=2)
        constant = values.nunique() == 1
    matrix.loc[constant, :] = np.nan
    matrix.loc[:, constant] = np.nan
    return matrix


def _pair_codes(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str], numeric: dict[str, bool]):
    """Integer codes per column for contingency tables: numbers as SDMetrics bins them (np.digitize on 10
    equal-width bins of each side's own values; a missing value falls in code 11), levels coded on the union of
    both sides' levels with missing as the last code. Returns (real codes, synthetic codes, codes per column)."""
    codes_real, codes_synthetic, sizes = {}, {}, {}
    for c in columns:
        if numeric[c]:
            r, s = real[c].to_numpy(dtype=float), synthetic[c].to_numpy(dtype=float)
            codes_real[c] = np.digitize(r, np.histogram_bin_edges(r[~np.isnan(r)], bins=PAIR_BINS))
            codes_synthetic[c] = np.digitize(s, np.histogram_bin_edges(s[~np.isnan(s)], bins=PAIR_BINS))
            sizes[c] = PAIR_BINS + 2
        else:
            both = pd.concat([real[c], synthetic[c]], ignore_index=True)
            codes, levels = pd.factorize(both.astype(object).where(both.notna(), None), use_na_sentinel=True)
            codes = np.where(codes < 0, len(levels), codes)
            codes_real[c], codes_synthetic[c] = codes[:len(real)], codes[len(real):]
            sizes[c] = len(levels) + 1
    return codes_real, codes_synthetic, sizes


def _contingency(real_a: np.ndarray, real_b: np.ndarray, synthetic_a: np.ndarray, synthetic_b: np.ndarray,
                 size_a: int, size_b: int) -> tuple[float, float, float]:
    """(ContingencySimilarity, Cramer's V of the real table, Cramer's V of the synthetic table) from integer codes;
    a V is NaN when its table has under two observed levels on a side (a constant column)."""
    cells = size_a * size_b
    real_counts = np.bincount(real_a * size_b + real_b, minlength=cells).astype(float)
    synthetic_counts = np.bincount(synthetic_a * size_b + synthetic_b, minlength=cells).astype(float)
    if not len(real_a) or not len(synthetic_a):
        return float("nan"), float("nan"), float("nan")
    score = 1 - 0.5 * np.abs(real_counts / len(real_a) - synthetic_counts / len(synthetic_a)).sum()
    return (float(score), _cramer(real_counts.reshape(size_a, size_b)),
            _cramer(synthetic_counts.reshape(size_a, size_b)))


def _cramer(table: np.ndarray) -> float:
    """Cramer's V = sqrt(chi2 / (n (min(rows, columns) - 1))) of a contingency table of counts, its empty rows and
    columns left out (scipy.stats.contingency.association's formula, without its per-call checks); NaN when under
    two levels remain on a side."""
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    table = table[rows > 0][:, columns > 0]
    if min(table.shape) < 2:
        return float("nan")
    rows, columns = rows[rows > 0], columns[columns > 0]
    total = table.sum()
    expected = np.outer(rows, columns) / total
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / total / (min(table.shape) - 1)))


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
