"""The statistics of the drift check, one per function with its formula: the population stability index, Wilson
and Newcombe intervals of proportions, Fisher's exact and the chi-square homogeneity p-values, Holm's step-down
adjustment, the reference's decile cut points, and a p-value written as a person reads it.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

PSI_FLOOR = 1e-4  # an empty bin's share in the PSI, so a level seen on one side only stays finite
DRIFT_BINS = 10  # numbers are cut at the reference's deciles
P_FLOOR = 0.001  # below it a p-value is written "< 0.001": three decimals would print 0, which no test gives


def p_text(p: float | None) -> str:
    """A p-value as a person reads it: '< 0.001' below P_FLOOR, else three decimals; '' when there is none."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return f"< {P_FLOOR:g}" if p < P_FLOOR else f"{p:.3f}"


def p_is(p: float) -> str:
    """'p < 0.001' or 'p = 0.034', for sentences."""
    return f"p {p_text(p)}" if p < P_FLOOR else f"p = {p_text(p)}"


def population_stability_index(reference: np.ndarray, new: np.ndarray, floor: float = PSI_FLOOR) -> float:
    """PSI = sum over bins (q_i - p_i) * ln(q_i / p_i), p the reference shares and q the new shares.

    Shares of 0 are raised to `floor` (1e-4) so a bin seen on one side only stays finite. Range 0..inf,
    0 identical; symmetric in p and q.
    """
    p = np.maximum(np.asarray(reference, dtype=float), floor)
    q = np.maximum(np.asarray(new, dtype=float), floor)
    return float(np.sum((q - p) * np.log(q / p)))


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (scipy.stats.binomtest); (0, 1) when there are no trials."""
    if trials == 0:
        return 0.0, 1.0
    interval = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


def newcombe_interval(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (1998, method 10) of p1 - p2 from the two Wilson intervals:
    lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2), d = p1 - p2."""
    p1, p2 = (k1 / n1 if n1 else 0.0), (k2 / n2 if n2 else 0.0)
    (l1, u1), (l2, u2) = wilson_interval(k1, n1, confidence), wilson_interval(k2, n2, confidence)
    d = p1 - p2
    return float(d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)), float(d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def two_proportion_p_value(k1: int, n1: int, k2: int, n2: int) -> float:
    """Fisher's exact test (two-sided) that two proportions are equal; 1.0 when either side is empty."""
    if n1 == 0 or n2 == 0:
        return 1.0
    return float(stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


def homogeneity_p_value(reference_counts: np.ndarray, new_counts: np.ndarray) -> float:
    """Chi-square test of homogeneity of two count vectors over the same levels (levels empty on both sides
    dropped); 1.0 with fewer than two levels."""
    table = np.vstack([reference_counts, new_counts]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0
    return float(stats.chi2_contingency(table).pvalue)


def holm_adjusted(p_values) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values: with p_(1) <= ... <= p_(m) sorted,
    adjusted_(i) = max over j <= i of min(1, (m - j + 1) * p_(j)). A test is significant at family-wise level
    alpha when its adjusted p-value is below alpha (the chance of any false alarm is then at most alpha, under
    any dependence between the tests). NaN p-values count as 1."""
    p = np.nan_to_num(np.asarray(p_values, dtype=float), nan=1.0)
    if p.size == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (p.size - np.arange(p.size)) * p[order])
    adjusted = np.empty(p.size)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def reference_cut_points(reference_numbers: np.ndarray, bins: int = DRIFT_BINS) -> np.ndarray:
    """The inner cut points of the drift bins: the reference values' quantiles at 1/bins .. (bins-1)/bins (the
    deciles), repeated ones merged (a value held by many rows gets one bin). Empty without reference values."""
    values = np.asarray(reference_numbers, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.array([])
    return np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
