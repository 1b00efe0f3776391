"""Per-feature drift, reference against new batch: the PSI on the reference's bins, a KS or total-variation
statistic with its p-value, each side's missing share with Fisher's exact p-value, and the feature's status once
the check knows its Holm-adjusted p-values.

Binning: numbers on the reference's deciles (the nine inner cut points of the reference values, repeated cut
points merged, outer edges open to infinity), so every reference bin holds about a tenth of the rows and a shift
inside the dense part of a skewed column shows (equal-width bins put most of a log-normal column in one bin);
categories as their levels; missing values as a bin of their own. The missing share is also tested on its own,
since the KS test drops missing values.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.drift._results import FeatureDrift, Verdict, tiered, worst
from core.drift._stats import (
    homogeneity_p_value,
    population_stability_index,
    reference_cut_points,
    two_proportion_p_value,
)
from core.drift._thresholds import DriftThresholds
from core.numbers import to_numbers
from core.validation.column_shapes import _levels, _numbers, ks_test


def _bins(reference: pd.Series, new: pd.Series, numeric: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(bin labels, reference counts, new counts): numbers on the reference's deciles (reference_cut_points),
    categories as levels; missing values in a bin of their own."""
    if numeric:
        cuts = reference_cut_points(_numbers(reference))
        edges = np.concatenate([[-np.inf], cuts, [np.inf]])
        labels = [f"{edges[i]:.4g} to {edges[i + 1]:.4g}" for i in range(len(edges) - 1)]

        def counts(values: pd.Series) -> np.ndarray:
            numbers = to_numbers(values).to_numpy(dtype=float)
            present = ~np.isnan(numbers)
            placed = np.bincount(np.searchsorted(cuts, numbers[present], side="right"), minlength=len(labels))
            return np.append(placed, (~present).sum()).astype(float)
        r_counts, n_counts = counts(reference), counts(new)
        if not (r_counts[-1] or n_counts[-1]):  # no missing value on either side: no missing bin
            return labels, r_counts[:-1], n_counts[:-1]
        return [*labels, "missing"], r_counts, n_counts
    r_levels, n_levels = _levels(reference), _levels(new)
    r_counts, n_counts = r_levels.value_counts(), n_levels.value_counts()
    keep = list(r_counts.index) + [level for level in n_counts.index if level not in r_counts.index]
    return (list(keep), np.array([r_counts.get(b, 0) for b in keep], dtype=float),
            np.array([n_counts.get(b, 0) for b in keep], dtype=float))


def feature_drift(reference: pd.Series, new: pd.Series, numeric: bool, column: str) -> FeatureDrift:
    """PSI on the reference-decile bins, plus KS (numbers, missing values left out) or TV distance with a
    chi-square p-value (categories), and each side's missing share with Fisher's exact p-value. The statuses are
    set later by the verdict, which knows every test of the check."""
    if numeric and (pd.api.types.is_datetime64_any_dtype(reference) or pd.api.types.is_datetime64_any_dtype(new)):
        reference, new = _as_number(reference), _as_number(new)
    labels, r_counts, n_counts = _bins(reference, new, numeric)
    p = r_counts / max(r_counts.sum(), 1)
    q = n_counts / max(n_counts.sum(), 1)
    psi = population_stability_index(p, q)
    if numeric and _numbers(reference).size and _numbers(new).size:
        statistic, p_value = ks_test(reference, new)
        name = "KS"
    else:
        # total variation over the same bins as the PSI and the chi-square test (missing values a level of their own)
        statistic, p_value = 0.5 * float(np.abs(p - q).sum()), homogeneity_p_value(r_counts, n_counts)
        name = "TV"
    r_missing, n_missing = int(reference.isna().sum()), int(new.isna().sum())
    return FeatureDrift(column=column, kind="numeric" if numeric else "categorical", psi=psi, statistic_name=name,
                        statistic=float(statistic), p_value=float(p_value), reference_rows=int(len(reference)),
                        new_rows=int(len(new)), bins=tuple(labels), reference_shares=tuple(float(v) for v in p),
                        new_shares=tuple(float(v) for v in q), status=Verdict.STABLE,
                        reference_missing=r_missing / max(len(reference), 1), new_missing=n_missing / max(len(new), 1),
                        missing_p_value=two_proportion_p_value(n_missing, len(new), r_missing, len(reference)))


def _as_number(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Series(values.astype("int64").where(values.notna()), index=values.index, dtype=float)
    return values


def judge_feature(drift: FeatureDrift, thresholds: DriftThresholds, p_adjusted: float,
                   missing_p_adjusted: float) -> FeatureDrift:
    """The feature's status: the worse of its distribution (Holm-significant and PSI beyond a limit) and its
    missing share (Holm-significant and changed by more than a limit)."""
    alpha = thresholds.alpha
    significant = p_adjusted < alpha
    shape = tiered(significant, drift.psi, thresholds.psi_rerun, thresholds.psi_watch)
    change = abs(drift.new_missing - drift.reference_missing)
    missing_significant = missing_p_adjusted < alpha
    missing = tiered(missing_significant, change, thresholds.missing_rerun, thresholds.missing_watch)
    return replace(drift, status=worst(shape, missing), shape_status=shape, missing_status=missing,
                   p_adjusted=float(p_adjusted), missing_p_adjusted=float(missing_p_adjusted),
                   unconfirmed=bool(not significant and drift.psi >= thresholds.psi_rerun))
