"""Who the synthetic rows represent: each group of a sensitive attribute, its share among the real training
minority rows and among the synthetic rows, and per group the copies of training rows and the distance to the
closest training record (are some groups memorised more?), next to the per-group model figures.

Default and why: REPRESENTATION_LIMIT 0.10 -- a group whose share among synthetic rows is ten points above or
below its share among the real minority rows is flagged (over- or under-represented): at that size the augmented
training data tells the model a different story about who the minority is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.data import DATETIME, INTEGER, NUMERIC
from core.errors import DataError
from core.numbers import to_numbers

if TYPE_CHECKING:
    from core.pipeline import ExperimentResult

REPRESENTATION_LIMIT = 0.10
NUMERIC_GROUPS = 4  # numbers are cut at the real minority's quartiles
MISSING_GROUP = "<missing>"
OVER, UNDER = "over-represented", "under-represented"


@dataclass(frozen=True)
class GroupShare:
    """One group. difference = synthetic_share - real_share; flag: OVER, UNDER or '' within the limit.
    copies: synthetic rows of the group that are exact or near copies of a training row (None without privacy
    figures); median_dcr: their median distance to the closest training row (standardised one-hot space)."""
    group: str
    real_rows: int
    real_share: float
    synthetic_rows: int
    synthetic_share: float
    difference: float
    flag: str
    copies: int | None
    copy_share: float | None
    median_dcr: float | None


@dataclass(frozen=True)
class GroupRepresentation:
    """Group shares for one attribute (numbers binned at the real minority's quartiles), and, for a run, the
    per-group model figures of the comparison (core.evaluation.fairness on the test rows, baseline and augmented)."""
    attribute: str
    binned: bool
    limit: float
    groups: tuple[GroupShare, ...]
    performance: pd.DataFrame | None = None

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([vars(g) for g in self.groups])

    @property
    def flagged(self) -> list[GroupShare]:
        return [g for g in self.groups if g.flag]


def group_edges(real: pd.Series, groups: int = NUMERIC_GROUPS) -> np.ndarray:
    """Cut points for a number: the real values' quantiles, the outer edges opened to infinity."""
    values = to_numbers(real).dropna().to_numpy(dtype=float)
    if values.size == 0:
        return np.array([-np.inf, np.inf])
    inner = np.quantile(values, np.linspace(0, 1, groups + 1)[1:-1])
    return np.unique(np.concatenate([[-np.inf], inner, [np.inf]]))


def group_labels(values: pd.Series, edges: np.ndarray | None) -> pd.Series:
    """Each row's group: its level (categories) or its bin 'low to high' (numbers, edges given); missing
    values form a group of their own."""
    if edges is None:
        return values.astype(object).where(values.notna(), MISSING_GROUP).astype(str)
    numbers = to_numbers(values)
    names = [f"{edges[i]:.4g} to {edges[i + 1]:.4g}" for i in range(len(edges) - 1)]
    codes = pd.cut(numbers, edges, labels=False, right=False)
    return pd.Series([names[int(c)] if pd.notna(c) else MISSING_GROUP for c in codes], index=values.index,
                     dtype=object)


def group_representation(real_minority: pd.DataFrame, synthetic: pd.DataFrame, attribute: str, numeric: bool,
                         copy_mask: np.ndarray | None = None, dcr: np.ndarray | None = None,
                         dcr_rows: np.ndarray | None = None,
                         limit: float = REPRESENTATION_LIMIT) -> GroupRepresentation:
    """Shares of each group of `attribute` among the real training minority rows and the synthetic rows.

    copy_mask: one flag per synthetic row (exact or near copy); dcr: distances to the closest training row for
    the synthetic rows at positions dcr_rows (all rows when None).
    """
    if attribute not in real_minority.columns or attribute not in synthetic.columns:
        raise DataError(f"The sensitive attribute '{attribute}' is not a column of the training rows.")
    if not 0 < limit < 1:
        raise DataError(f"The representation limit must be between 0 and 1; got {limit}.")
    edges = group_edges(real_minority[attribute]) if numeric else None
    real_groups = group_labels(real_minority[attribute], edges)
    synthetic_groups = group_labels(synthetic[attribute], edges).to_numpy()
    real_counts = real_groups.value_counts()
    order = list(real_counts.index) + sorted(set(synthetic_groups) - set(real_counts.index))
    if dcr is not None:
        positions = np.arange(len(synthetic)) if dcr_rows is None else np.asarray(dcr_rows)
        dcr_groups = synthetic_groups[positions]
    groups = []
    for group in order:
        inside = synthetic_groups == group
        n_real, n_synthetic = int(real_counts.get(group, 0)), int(inside.sum())
        real_share = n_real / max(len(real_groups), 1)
        synthetic_share = n_synthetic / max(len(synthetic_groups), 1)
        difference = synthetic_share - real_share
        flag = OVER if difference > limit else UNDER if difference < -limit else ""
        copies = int(np.asarray(copy_mask)[inside].sum()) if copy_mask is not None else None
        distances = np.asarray(dcr)[dcr_groups == group] if dcr is not None else np.array([])
        groups.append(GroupShare(group=group, real_rows=n_real, real_share=real_share, synthetic_rows=n_synthetic,
                                 synthetic_share=synthetic_share, difference=difference, flag=flag, copies=copies,
                                 copy_share=(copies / n_synthetic if copies is not None and n_synthetic else None),
                                 median_dcr=float(np.median(distances)) if distances.size else None))
    return GroupRepresentation(attribute=attribute, binned=numeric, limit=limit, groups=tuple(groups))


def run_representation(result: ExperimentResult, attribute: str,
                       limit: float = REPRESENTATION_LIMIT) -> GroupRepresentation:
    """Group representation of a run's synthetic rows (copies and DCR from its validation when it ran), with the
    per-group model figures of repeat 1 on the same groups."""
    from core.diagnostics import fairness
    dataset, synthetic = result.prepared.dataset, result.synthetic
    if synthetic is None:
        raise DataError("This run made no synthetic rows (a strategy without generation), so there is no one they "
                        "could over- or under-represent; the per-group model figures are on the Comparison page.")
    if attribute not in dataset.features:
        raise DataError(f"'{attribute}' is not one of the features; choose a column the model uses.")
    target, train = dataset.target, result.prepared.train
    generated = set(synthetic.rows[target].astype(str))
    real_minority = train.loc[train[target].astype(str).isin(generated)]
    numeric = dataset.column_types[attribute] in (NUMERIC, INTEGER, DATETIME)
    privacy = result.validation.privacy if result.validation is not None else None
    shares = group_representation(real_minority, synthetic.rows, attribute, numeric,
                                  copy_mask=privacy.copy_mask if privacy is not None else None,
                                  dcr=privacy.dcr if privacy is not None else None,
                                  dcr_rows=privacy.probed if privacy is not None else None, limit=limit)
    edges = group_edges(real_minority[attribute]) if numeric else None
    test = result.prepared.test
    grouped = test.assign(**{attribute: group_labels(test[attribute], edges)})
    profile = result.profile
    minority = [c for c in profile.minority_classes if c in synthetic.produced] or profile.minority_classes
    performance, _ = fairness(grouped, result.runs[0], target, minority, attribute)
    return GroupRepresentation(attribute=shares.attribute, binned=shares.binned, limit=shares.limit,
                               groups=shares.groups, performance=performance)
