"""Per-column fidelity of synthetic rows to real ones, one figure per function with its formula: SDMetrics'
KSComplement and TVComplement (the Column Shapes scores), the KS test, Jensen-Shannon and Kullback-Leibler
divergences, the normalised Wasserstein distance, and FeatureFidelity, every figure of one column computed from
each side's values read once (numbers sorted and merged, levels coded).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from core.numbers import to_numbers

MISSING = "<missing>"
JS_BINS = 20
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


def _numbers(values: pd.Series) -> np.ndarray:
    array = to_numbers(values).to_numpy(dtype=float)
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


def _stat(values: np.ndarray, function) -> float | None:
    return float(function(values)) if len(values) else None
