"""Per-feature and pairwise fidelity of synthetic rows to the real training minority.

Column Shapes and Column Pair Trends follow SDMetrics' Quality Report definitions (KSComplement,
TVComplement, CorrelationSimilarity, ContingencySimilarity), so the figures agree with SDMetrics on the
same data. Missing values are left out of numeric metrics and form their own level for categories.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

MISSING = "<missing>"
PAIR_BINS = 10  # SDMetrics discretises numbers into 10 bins for mixed pairs
JS_BINS = 20


def ks_complement(real: pd.Series, synthetic: pd.Series) -> float:
    """KSComplement = 1 - D, D the two-sample Kolmogorov-Smirnov statistic (max gap of the ECDFs).

    Range 0..1, 1 best."""
    r, s = _numbers(real), _numbers(synthetic)
    if len(r) == 0 or len(s) == 0:
        return 0.0
    return float(1 - stats.ks_2samp(r, s).statistic)


def ks_test(real: pd.Series, synthetic: pd.Series) -> tuple[float, float]:
    """(statistic D, p-value) of the two-sample KS test; D in 0..1, 0 identical."""
    r, s = _numbers(real), _numbers(synthetic)
    if len(r) == 0 or len(s) == 0:
        return 1.0, 0.0
    result = stats.ks_2samp(r, s)
    return float(result.statistic), float(result.pvalue)


def total_variation(real: pd.Series, synthetic: pd.Series) -> float:
    """TVD = 1/2 * sum over categories |P_real(c) - P_synthetic(c)|. Range 0..1, 0 identical."""
    p, q = _shares(real, synthetic)
    return float(0.5 * np.abs(p - q).sum())


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
class FidelityResult:
    """Column Shapes, Column Pair Trends, their mean (quality_score), and the per-feature and matrix detail.

    correlation_real / correlation_synthetic: feature x feature matrices (Pearson for number pairs,
    Cramér's V for category pairs, NaN for mixed pairs); correlation_difference: mean |real - synthetic|.
    """
    quality_score: float
    column_shapes: float
    column_pair_trends: float
    per_feature: list[FeatureFidelity]
    correlation_real: pd.DataFrame
    correlation_synthetic: pd.DataFrame
    correlation_difference: float

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([vars(f) for f in self.per_feature])

    @property
    def correlation_gap(self) -> pd.DataFrame:
        """Real minus synthetic association, feature x feature (NaN for mixed pairs)."""
        return self.correlation_real - self.correlation_synthetic


def feature_fidelity(real: pd.Series, synthetic: pd.Series, numeric: bool, column: str) -> FeatureFidelity:
    """Every per-feature figure for one column."""
    if numeric:
        r, s = _numbers(real), _numbers(synthetic)
        d, p = ks_test(real, synthetic)
        return FeatureFidelity(
            column=column, kind="numeric", shape_score=1 - d, js_divergence=js_divergence(real, synthetic, True),
            kl_divergence=kl_divergence(real, synthetic, True), ks_statistic=d, ks_pvalue=p, total_variation=None,
            wasserstein=wasserstein_normalised(real, synthetic), real_mean=_stat(r, np.mean),
            synthetic_mean=_stat(s, np.mean), real_median=_stat(r, np.median), synthetic_median=_stat(s, np.median),
            real_std=_stat(r, np.std), synthetic_std=_stat(s, np.std))
    tv = total_variation(real, synthetic)
    return FeatureFidelity(
        column=column, kind="categorical", shape_score=1 - tv, js_divergence=js_divergence(real, synthetic, False),
        kl_divergence=kl_divergence(real, synthetic, False), ks_statistic=None, ks_pvalue=None, total_variation=tv,
        wasserstein=None, real_mean=None, synthetic_mean=None, real_median=None, synthetic_median=None,
        real_std=None, synthetic_std=None)


def pair_trend(real: pd.DataFrame, synthetic: pd.DataFrame, a: str, b: str, numeric: dict[str, bool]) -> float:
    """The SDMetrics Column Pair Trends score of one pair: correlation for two numbers, else contingency
    similarity with numbers cut into 10 bins on the real data's edges."""
    if numeric[a] and numeric[b]:
        return correlation_similarity(real, synthetic, a, b)
    r, s = real[[a, b]].copy(), synthetic[[a, b]].copy()
    for col in (a, b):
        if numeric[col]:
            r[col], s[col] = _discretise(real[col], synthetic[col])
        else:
            r[col], s[col] = _levels(real[col]), _levels(synthetic[col])
    return contingency_similarity(r, s, a, b)


def fidelity(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: dict[str, bool]) -> FidelityResult:
    """Compare real (training minority) and synthetic rows over the columns in `numeric` (column -> is number)."""
    columns = list(numeric)
    per_feature = [feature_fidelity(real[c], synthetic[c], numeric[c], c) for c in columns]
    shapes = float(np.mean([f.shape_score for f in per_feature])) if per_feature else 0.0
    pairs = list(combinations(columns, 2))
    corr_real, corr_syn = association_matrix(real, numeric), association_matrix(synthetic, numeric)
    scores = [1 - abs(corr_real.loc[a, b] - corr_syn.loc[a, b]) / 2 if numeric[a] and numeric[b]
              else pair_trend(real, synthetic, a, b, numeric) for a, b in pairs]  # Pearson pairs from the matrices
    trends = float(np.mean(scores)) if pairs else shapes
    difference = (corr_real - corr_syn).abs().to_numpy()
    off_diagonal = difference[~np.eye(len(columns), dtype=bool)] if columns else np.array([])
    finite = off_diagonal[np.isfinite(off_diagonal)]
    return FidelityResult(quality_score=(shapes + trends) / 2, column_shapes=shapes, column_pair_trends=trends,
                          per_feature=per_feature, correlation_real=corr_real, correlation_synthetic=corr_syn,
                          correlation_difference=float(finite.mean()) if finite.size else 0.0)


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
    for a, b in combinations(levels, 2):
        matrix.loc[a, b] = matrix.loc[b, a] = cramers_v(_levels(frame[a]), _levels(frame[b]))
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
    """SDMetrics' discretisation: 10 equal-width bins on the real values, the outer edges opened to infinity."""
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
