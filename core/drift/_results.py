"""The drift check's result objects: the verdict enum (stable / watch / re-run), one feature's drift, the prior
shift, a metric's shift, the concept drift, and the whole check (DriftResult) with its tables as a person reads them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import pandas as pd

from core.drift._schema import SchemaReport
from core.drift._stats import p_text
from core.drift._thresholds import DriftThresholds


class Verdict(Enum):
    """The decision on a new batch; pages pick colours from it."""
    STABLE = "stable"
    WATCH = "watch"
    RERUN = "re-run"


_ORDER = {Verdict.STABLE: 0, Verdict.WATCH: 1, Verdict.RERUN: 2}
FIX_THE_FEED = "fix the feed"  # the headline when the batch lacks (or mistypes) a column the model needs
CORRECTION = "Holm"  # the multiple-testing correction across every test of one check


def _share(value: float | None) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def _number(value: float | None, pattern: str = "{:.3f}") -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else pattern.format(value)


def worst(*verdicts: Verdict) -> Verdict:
    return max(verdicts, key=_ORDER.__getitem__, default=Verdict.STABLE)


def tiered(significant: bool, size: float, rerun: float, watch: float) -> Verdict:
    """The one drift rule for a tested change: re-run when it is significant and its size reaches the re-run
    limit, watch when significant and at the watch limit, stable otherwise."""
    if significant and size >= rerun:
        return Verdict.RERUN
    return Verdict.WATCH if significant and size >= watch else Verdict.STABLE


@dataclass(frozen=True)
class FeatureDrift:
    """One feature, reference against new. statistic: KS D for numbers, total variation distance over the PSI's
    bins for categories, missing values a level (both 0..1, 0 identical); p_value of the KS test (numbers) or the
    chi-square test of homogeneity (categories).
    bins / reference_shares / new_shares: the PSI's bins and each side's shares, for the overlay chart.
    reference_missing / new_missing: each side's share of missing values (0..1), tested on their own with Fisher's
    exact test (missing_p_value). p_adjusted / missing_p_adjusted: Holm-adjusted over every test of the check.
    unconfirmed: the PSI is at or above the re-run limit but the test cannot confirm it (too few rows): the
    feature is not called stable in the table, and the reasons ask for a larger batch."""
    column: str
    kind: str
    psi: float
    statistic_name: str
    statistic: float
    p_value: float
    reference_rows: int
    new_rows: int
    bins: tuple[str, ...]
    reference_shares: tuple[float, ...]
    new_shares: tuple[float, ...]
    status: Verdict
    reference_missing: float = 0.0
    new_missing: float = 0.0
    missing_p_value: float = 1.0
    p_adjusted: float = 1.0
    missing_p_adjusted: float = 1.0
    shape_status: Verdict = Verdict.STABLE
    missing_status: Verdict = Verdict.STABLE
    unconfirmed: bool = False

    @property
    def status_text(self) -> str:
        """The status as the tables show it: the verdict's value, or that a large PSI could not be confirmed."""
        if self.status == Verdict.STABLE and self.unconfirmed:
            return "unconfirmed: large PSI, too few rows to tell"
        return self.status.value


@dataclass(frozen=True)
class PriorShift:
    """The minority class's share in the reference and the new batch, with 95% Wilson intervals, the Newcombe
    interval of the difference (new - reference), Fisher's exact p-value and the relative change."""
    minority_class: str
    reference_share: float
    reference_interval: tuple[float, float]
    new_share: float
    new_interval: tuple[float, float]
    difference: float
    difference_interval: tuple[float, float]
    p_value: float
    relative_change: float
    status: Verdict


@dataclass(frozen=True)
class MetricShift:
    """A minority metric at test time and on the new batch; for recall and precision (proportions) the 95%
    Newcombe interval of new - test and Fisher's exact p-value (None for F1 and PR-AUC)."""
    metric: str
    test_value: float
    new_value: float
    interval: tuple[float, float] | None
    p_value: float | None
    status: Verdict
    sentence: str


@dataclass(frozen=True)
class ConceptDrift:
    """The model refitted on the reference training part, scored on its test part and on the new batch at the
    deployed decision: threshold on P(minority) (the run's tuned threshold, as in the card's section 8), or None
    for argmax (multi-class, or a threshold that could not be tuned); decision says which, in words."""
    model: str
    test_rows: int
    new_rows: int
    metrics: tuple[MetricShift, ...]
    threshold: float | None = None
    decision: str = "argmax"


@dataclass(frozen=True)
class DriftResult:
    """The whole check. tests: how many tests the verdict counted; per_test_alpha = alpha / tests."""
    verdict: Verdict
    reasons: tuple[str, ...]
    next_step: str
    thresholds: DriftThresholds
    schema: SchemaReport
    features: tuple[FeatureDrift, ...]
    minority_features: tuple[FeatureDrift, ...]
    prior: PriorShift | None
    concept: ConceptDrift | None
    label_free: bool
    reference_rows: int
    new_rows: int
    tests: int
    per_test_alpha: float
    reference: str
    batch: str = ""
    correction: str = CORRECTION
    batch_sha256: str = ""

    @property
    def about(self) -> str:
        """What the verdict is about, in words: the batch's file name when it has one."""
        return f"the new batch '{self.batch}'" if self.batch else "the new batch"

    def table(self, minority: bool = False) -> pd.DataFrame:
        """One row per reference feature: column, kind, psi, statistic, value, p_value, p_adjusted (Holm),
        missing_reference, missing_new (shares 0..1), status (the verdict's value, 'unconfirmed: ...', or for the
        whole batch 'not checked: why' for a column the batch lacks or holds values of another kind in)."""
        rows = self.minority_features if minority else self.features
        columns = ["column", "kind", "psi", "statistic", "value", "p_value", "p_adjusted", "missing_reference",
                   "missing_new", "status"]
        records = [{"column": f.column, "kind": f.kind, "psi": f.psi, "statistic": f.statistic_name,
                    "value": f.statistic, "p_value": f.p_value, "p_adjusted": f.p_adjusted,
                    "missing_reference": f.reference_missing, "missing_new": f.new_missing, "status": f.status_text}
                   for f in rows]
        if not minority:
            records += [{"column": column, "status": why} for column, why in self.schema.unchecked.items()]
        return pd.DataFrame(records, columns=columns)

    @property
    def headline(self) -> str:
        """The verdict as a banner opens with it: 'fix the feed' when the batch lacks or mistypes a column the model
        needs (no re-run helps until the feed sends it), else the verdict's value."""
        return FIX_THE_FEED if self.schema.unchecked else self.verdict.value

    def shown(self, minority: bool = False) -> pd.DataFrame:
        """table() as a person reads it: headers in words, p-values as p_text ('< 0.001', never 0), shares as
        percentages, a blank (never 'None') where a column could not be checked."""
        rows = self.minority_features if minority else self.features
        records = [{"feature": f.column, "kind": f.kind, "PSI": _number(f.psi), "test": f.statistic_name,
                    "statistic": _number(f.statistic), "p-value": p_text(f.p_value),
                    "p-value (Holm-adjusted)": p_text(f.p_adjusted), "missing, reference": _share(f.reference_missing),
                    "missing, new batch": _share(f.new_missing), "status": f.status_text} for f in rows]
        if not minority:
            records += [{"feature": column, "status": why} for column, why in self.schema.unchecked.items()]
        columns = ["feature", "kind", "PSI", "test", "statistic", "p-value", "p-value (Holm-adjusted)",
                   "missing, reference", "missing, new batch", "status"]
        return pd.DataFrame(records, columns=columns).fillna("")

    def concept_shown(self) -> pd.DataFrame:
        """The concept drift's metrics as a person reads them (empty without a concept check)."""
        if self.concept is None:
            return pd.DataFrame()
        return pd.DataFrame([{"metric": m.metric, "at build time (test rows)": _number(m.test_value),
                              "new batch": _number(m.new_value),
                              "difference, 95% CI": "" if m.interval is None else
                              f"{m.interval[0]:+.3f} to {m.interval[1]:+.3f}",
                              "p-value": p_text(m.p_value), "status": m.status.value}
                             for m in self.concept.metrics])

    @property
    def drifted(self) -> list[FeatureDrift]:
        """Features (whole batch) whose status is not stable, largest PSI first."""
        return sorted([f for f in self.features if f.status != Verdict.STABLE], key=lambda f: -f.psi)
