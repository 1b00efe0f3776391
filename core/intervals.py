"""The statistics of repeated splits, used by the race, the Comparison, Compare generators and the privacy dial.

A mean over J overlapping splits (repeated train/test splits, or the K x r folds of repeated K-fold) has
correlated per-split values, so the plain Student-t interval is too narrow. Every interval here is the corrected
resampled t-test: Nadeau & Bengio (2003) for repeated splits (variance x (1/J + n_test/n_train)), which over K x r
folds is Bouckaert & Frank's (2004) corrected repeated k-fold test (n_test/n_train = 1/(K - 1), K r - 1 degrees of
freedom); the power calculation behind "the smallest difference these splits could detect" uses the same
variance. Intervals are cut to the metric's scale and say so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from core.judgement import POWER

CORRECTION = "corrected resampled t-test (Nadeau & Bengio 2003)"


@dataclass(frozen=True)
class Summary:
    """Mean over repeats with a 95% interval (equal to the mean for one repeat), and the per-repeat values.
    The interval is the corrected resampled one (see `corrected_interval`) when `test_train_ratio` > 0."""
    mean: float
    ci_low: float
    ci_high: float
    values: list[float]
    clipped: bool = False  # the interval was cut to the scale's range (e.g. F1 in [0, 1])

    def compact_interval(self) -> str:
        """' ± 0.051' for a symmetric 95% interval, else ' [low, high]' (compact, for a table cell after the
        mean)."""
        half = (self.ci_high - self.ci_low) / 2
        if abs((self.mean - self.ci_low) - half) < 1e-9:
            return f" ± {half:.3f}"
        return f" [{self.ci_low:.3f}, {self.ci_high:.3f}]"


@dataclass(frozen=True)
class Difference:
    """Paired difference (one arm minus another, per repeat): mean, 95% interval and two-sided p-value of the
    corrected resampled t-test (None for fewer than 2 repeats; 1.0 when every difference is zero). `test`
    names the test; a t-test can reach any p-value from 2 repeats on, unlike Wilcoxon (p >= 0.0625 at 5)."""
    mean: float
    ci_low: float
    ci_high: float
    p_value: float | None
    test: str = CORRECTION
    clipped: bool = False  # the interval was cut to the scale's range (a difference of F1 in [-1, 1])


def corrected_interval(values: list[float], test_train_ratio: float, level: float = 0.95) -> tuple[float, float,
                                                                                                   float, float]:
    """(mean, low, high, p-value for mean = 0) of the corrected resampled t-test over J overlapping splits.

    Nadeau & Bengio (2003): the variance of the mean is s^2 x (1/J + n_test/n_train) instead of s^2 / J, where
    s^2 is the sample variance (ddof=1) of the J per-split values; t has J - 1 degrees of freedom. For K-fold
    cross-validation n_test/n_train = 1/(K - 1) (Bouckaert & Frank 2004). test_train_ratio = 0 gives the plain
    Student-t interval. One value: (value, value, value, nan).
    """
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return float("nan"), float("nan"), float("nan"), float("nan")
    mean = float(array.mean())
    if array.size < 2:
        return mean, mean, mean, float("nan")
    variance = float(array.var(ddof=1))
    if variance == 0:
        return mean, mean, mean, (1.0 if mean == 0 else 0.0)
    scale = np.sqrt(variance * (1 / array.size + test_train_ratio))
    half = float(stats.t.ppf(0.5 + level / 2, array.size - 1) * scale)
    p_value = float(2 * stats.t.sf(abs(mean) / scale, array.size - 1))
    return mean, mean - half, mean + half, p_value


def _clip(low: float, high: float, bounds: tuple[float, float] | None) -> tuple[float, float, bool]:
    if bounds is None or np.isnan(low):
        return low, high, False
    clipped_low, clipped_high = max(low, bounds[0]), min(high, bounds[1])
    return clipped_low, clipped_high, (clipped_low, clipped_high) != (low, high)


def summarise(values: list[float], test_train_ratio: float = 0.0,
              bounds: tuple[float, float] | None = None) -> Summary:
    """Mean and 95% interval over repeats (corrected for overlapping training sets when the ratio is > 0),
    cut to `bounds` (e.g. (0, 1) for F1) when given; `clipped` says whether it was cut."""
    mean, low, high, _ = corrected_interval(values, test_train_ratio)
    low, high, clipped = _clip(low, high, bounds)
    return Summary(mean, low, high, [float(v) for v in values], clipped)


def paired_difference(a: list[float], b: list[float], test_train_ratio: float = 0.0,
                      bounds: tuple[float, float] | None = None) -> Difference:
    """a - b per repeat: mean, 95% interval and p-value of the corrected resampled t-test (interval cut to
    `bounds`, e.g. (-1, 1) for a difference of F1, when given)."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    mean, low, high, p_value = corrected_interval(list(diff), test_train_ratio)
    low, high, clipped = _clip(low, high, bounds)
    if diff.size < 2:
        return Difference(mean, low, high, None, clipped=clipped)
    if np.allclose(diff, 0):
        p_value = 1.0
    return Difference(mean, low, high, p_value, clipped=clipped)


def repeated_cv_ratio(folds: int) -> float:
    """n_test / n_train of one K-fold split: 1 / (K - 1). With the K x r values of r repeats of K-fold,
    `corrected_interval` is Bouckaert & Frank's (2004) corrected repeated k-fold test: variance of the mean
    s^2 x (1/(K r) + n_test/n_train), K r - 1 degrees of freedom."""
    return 1 / (folds - 1)


def detectable_difference(differences: list[float], test_train_ratio: float, level: float = 0.95,
                          power: float = POWER) -> float:
    """The smallest mean difference these splits would detect at `power` (80%) with a two-sided test at
    `level`: (t(1 - alpha/2, J - 1) + t(power, J - 1)) x sqrt(s^2 x (1/J + n_test/n_train)), from the variance
    s^2 of the J paired differences (the usual t approximation of a power calculation; nan for fewer than 2)."""
    array = np.asarray(differences, dtype=float)
    array = array[~np.isnan(array)]
    if array.size < 2:
        return float("nan")
    scale = np.sqrt(float(array.var(ddof=1)) * (1 / array.size + test_train_ratio))
    return float((stats.t.ppf(0.5 + level / 2, array.size - 1) + stats.t.ppf(power, array.size - 1)) * scale)


def metric_bounds(metric: str, difference: bool = False) -> tuple[float, float]:
    """The scale of a metric of METRICS ([0, 1]; MCC [-1, 1]) or of a difference of two ([-1, 1]; MCC [-2, 2])."""
    low, high = (-1.0, 1.0) if metric == "mcc" else (0.0, 1.0)
    return (low - high, high - low) if difference else (low, high)
