"""Drift of a new batch against the reference data a run was built on: per-feature shift, each column's missing
share, class prior shift, the minority rows' own shift, concept drift (the deployed model's test-time figures
against the new batch), and a verdict (stable / watch / re-run) with the exact next step.

Binning: numbers on the reference's deciles (the nine inner cut points of the reference values, repeated cut
points merged, outer edges open to infinity), so every reference bin holds about a tenth of the rows and a shift
inside the dense part of a skewed column shows (equal-width bins put most of a log-normal column in one bin);
categories as their levels; missing values as a bin of their own. The missing share is also tested on its own,
since the KS test drops missing values.

Thresholds, defaults and why (all editable, see DriftThresholds):
- psi_watch 0.10 / psi_rerun 0.25: the credit-scoring convention for the population stability index
  (Siddiqi 2006, Yurdakul 2018): below 0.1 no meaningful change, 0.1-0.25 a moderate shift, above 0.25 a
  major shift that invalidates a model built on the old population.
- missing_watch 0.05 / missing_rerun 0.10: absolute change of a column's missing share (Fisher's exact test);
  the model fills blanks as it learned on the training part, so ten points more blanks change what it sees.
- alpha 0.05: family-wise error level of the whole check. Every test (each feature's distribution and missing
  share, the same among minority rows, the prior, recall, precision) is judged on its Holm-adjusted p-value
  (Holm 1979, step-down), so two random halves of the same data give a non-stable verdict at most 5% of the time
  whatever the dependence between tests; a shift must be both significant and large.
- prior_shift_watch 0.25 / prior_shift_rerun 0.50: relative change of the minority share |new - ref| / ref.
  The synthetic amount was set for the old share; a half-again larger or smaller minority changes it.
- recall_drop_watch 0.05 / recall_drop_rerun 0.10: absolute drop of minority recall (or precision) from its
  test-time value; ten points of minority recall is the size of gain the synthetic rows are asked to bring.
  Both are judged at the deployed decision: the run's tuned threshold (the model the card's section 8 monitors).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from enum import Enum

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm

from core.data import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    INTEGER,
    NUMERIC,
    Dataset,
    LoadedTable,
    sha256_of,
    validate_dataset,
)
from core.errors import ConfigError, DataError, SynthBalanceError
from core.validation.fidelity import _levels, _numbers, ks_test

PSI_FLOOR = 1e-4  # an empty bin's share in the PSI, so a level seen on one side only stays finite
DRIFT_BINS = 10  # numbers are cut at the reference's deciles
CORRECTION = "Holm"  # the multiple-testing correction across every test of one check
NUMBER_KINDS = (NUMERIC, INTEGER, DATETIME)
LEVEL_KINDS = (CATEGORICAL, BOOLEAN)


class Verdict(Enum):
    """The decision on a new batch; pages pick colours from it."""
    STABLE = "stable"
    WATCH = "watch"
    RERUN = "re-run"


_ORDER = {Verdict.STABLE: 0, Verdict.WATCH: 1, Verdict.RERUN: 2}
FIX_THE_FEED = "fix the feed"  # the headline when the batch lacks (or mistypes) a column the model needs
P_FLOOR = 0.001  # below it a p-value is written "< 0.001": three decimals would print 0, which no test gives


def p_text(p: float | None) -> str:
    """A p-value as a person reads it: '< 0.001' below P_FLOOR, else three decimals; '' when there is none."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return f"< {P_FLOOR:g}" if p < P_FLOOR else f"{p:.3f}"


def _p_is(p: float) -> str:
    """'p < 0.001' or 'p = 0.034', for sentences."""
    return f"p {p_text(p)}" if p < P_FLOOR else f"p = {p_text(p)}"


def _share(value: float | None) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def _number(value: float | None, pattern: str = "{:.3f}") -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else pattern.format(value)


def worst(*verdicts: Verdict) -> Verdict:
    return max(verdicts, key=_ORDER.__getitem__, default=Verdict.STABLE)


@dataclass(frozen=True)
class DriftThresholds:
    """Named limits of the drift verdict (reasons in the module docstring and in REASONS)."""
    psi_watch: float = 0.10
    psi_rerun: float = 0.25
    missing_watch: float = 0.05
    missing_rerun: float = 0.10
    alpha: float = 0.05
    prior_shift_watch: float = 0.25
    prior_shift_rerun: float = 0.50
    recall_drop_watch: float = 0.05
    recall_drop_rerun: float = 0.10

    def check(self) -> None:
        """ConfigError when a limit is out of range or a watch limit is above its re-run limit."""
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"The drift threshold '{f.name}' must be a number of 0 or more; got {value!r}.")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"The drift threshold 'alpha' must be between 0 and 1; got {self.alpha}.")
        for name in ("psi", "missing", "prior_shift", "recall_drop"):
            if getattr(self, f"{name}_watch") > getattr(self, f"{name}_rerun"):
                raise ConfigError(f"The drift threshold '{name}_watch' must not be above '{name}_rerun'.")


REASONS = {
    "psi_watch": "PSI 0.1-0.25 is a moderate shift in the credit-scoring convention",
    "psi_rerun": "PSI above 0.25 is a major shift: the model was built on another population",
    "missing_watch": "a column's missing share changed by 5 points",
    "missing_rerun": "a column's missing share changed by 10 points: the model sees other inputs than it learned on",
    "alpha": "family-wise false-alarm level over every test of the check (Holm's step-down correction)",
    "prior_shift_watch": "minority share changed by a quarter of itself",
    "prior_shift_rerun": "minority share changed by half of itself: the synthetic amount no longer fits",
    "recall_drop_watch": "minority recall or precision down 5 points from test time",
    "recall_drop_rerun": "minority recall or precision down 10 points, the size of gain asked of synthetic rows",
}


def thresholds_from_pairs(pairs: list[str], base: DriftThresholds = DriftThresholds()) -> DriftThresholds:
    """DriftThresholds from 'name=value' texts (the CLI's --threshold), checked."""
    known = {f.name for f in fields(DriftThresholds)}
    values = asdict(base)
    for pair in pairs:
        name, _, text = pair.partition("=")
        if name.strip() not in known:
            raise ConfigError(f"Unknown drift threshold '{name.strip()}'. Known: {', '.join(sorted(known))}.")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise ConfigError(f"The drift threshold '{name.strip()}' needs a number; got '{text}'.") from None
    thresholds = DriftThresholds(**values)
    thresholds.check()
    return thresholds


# ---------------------------------------------------------------------------------------------------------
# Metrics: one per function, formula in the docstring


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


# ---------------------------------------------------------------------------------------------------------
# Result objects


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
class SchemaReport:
    """How the new batch's columns differ from the reference's. retyped: column -> what is wrong;
    unseen_categories: column -> levels not in the reference (with their share of the new rows)."""
    missing_columns: tuple[str, ...]
    extra_columns: tuple[str, ...]
    retyped: dict
    unseen_categories: dict
    target_present: bool

    @property
    def unchecked(self) -> dict[str, str]:
        """Reference feature -> why the drift check could not test it (missing, or values of another kind)."""
        out = {column: "not checked: missing in the new batch" for column in self.missing_columns}
        out.update({column: f"not checked: {why}" for column, why in self.retyped.items()})
        return out

    @property
    def look_alikes(self) -> dict[str, str]:
        """Missing reference column -> the extra column that differs from it only by case or spaces."""
        extra = {" ".join(str(c).split()).lower(): c for c in self.extra_columns}
        return {c: extra[key] for c in self.missing_columns if (key := " ".join(str(c).split()).lower()) in extra}

    @property
    def messages(self) -> list[str]:
        out = []
        if self.missing_columns:
            out.append(f"Missing in the new batch: {', '.join(map(repr, self.missing_columns))} (the model needs "
                       "them; these columns are not checked, the other columns are).")
        out += [f"Column {extra!r} in the new batch differs from the reference's {column!r} only by case or spaces; "
                "rename it to check it." for column, extra in self.look_alikes.items()]
        if self.extra_columns:
            out.append(f"Not in the reference, not checked: {', '.join(map(repr, self.extra_columns))}.")
        out += [f"Column '{c}': {why}" for c, why in self.retyped.items()]
        for column, levels in self.unseen_categories.items():
            shown = ", ".join(f"'{level}' ({share:.1%})" for level, share in list(levels.items())[:5])
            out.append(f"Column '{column}' has categories the reference never had: {shown}"
                       f"{' ...' if len(levels) > 5 else ''}.")
        return out


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


# ---------------------------------------------------------------------------------------------------------
# Schema


def _level_text(values: pd.Series) -> pd.Series:
    """Levels as text, with whole numbers written without '.0' (so 1 and 1.0 from two files are one level)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        finite = numbers.dropna()
        if len(finite) and (finite == np.round(finite)).all():
            return numbers.astype("Int64").astype(object).where(numbers.notna())
    return values.astype(object).where(values.notna()).map(lambda v: v if not isinstance(v, str) else v.strip())


def _labels(values: pd.Series) -> pd.Series:
    """Class labels as validate_dataset writes them: whole floats as integers, stripped text."""
    return _level_text(values).astype(str).where(values.notna())


def conform_batch(reference: Dataset, new: pd.DataFrame) -> tuple[pd.DataFrame, SchemaReport]:
    """The new batch's frame with the reference's column kinds applied where possible, and what differs.

    Columns that cannot take the reference kind (text in a number column, non-dates) are reported and left
    out of the checks; missing columns are reported; extra columns are ignored.
    """
    if not isinstance(new, pd.DataFrame) or new.empty:
        raise DataError("The new batch has no rows.")
    features, kinds = reference.features, reference.column_types
    missing = tuple(c for c in features if c not in new.columns)
    extra = tuple(c for c in new.columns if c not in reference.frame.columns)
    if len(missing) == len(features):
        raise DataError(f"The new batch shares no feature with the reference ('{reference.name}'): expected columns "
                        f"such as {', '.join(map(repr, features[:6]))}. Is it the same kind of data?")
    converted, retyped, unseen = {}, {}, {}
    for col in [c for c in features if c in new.columns]:
        values, kind = new[col], kinds[col]
        if kind in (NUMERIC, INTEGER):
            parsed = values if pd.api.types.is_numeric_dtype(values) else pd.to_numeric(
                values.astype(str).str.strip().where(values.notna()), errors="coerce")
            bad = values[parsed.isna() & values.notna()]
            if len(bad):
                retyped[col] = (f"{kind} in the reference, but {len(bad)} of {int(values.notna().sum())} values here "
                                f"are not numbers (e.g. {str(bad.iloc[0])!r}); left out of the check.")
                continue
            infinite = int(np.isinf(parsed.astype(float)).sum())
            if infinite:
                retyped[col] = (f"{infinite} infinite values (inf) here, which no model can score; left out of the "
                                "check. Replace them with numbers or empty those cells.")
                continue
            converted[col] = parsed.astype(float)
        elif kind == DATETIME:
            parsed = pd.to_datetime(values, errors="coerce", format="mixed")
            bad = values[parsed.isna() & values.notna()]
            if len(bad):
                retyped[col] = f"dates in the reference, but {len(bad)} values here are not dates; left out."
                continue
            converted[col] = parsed
        else:
            levels = _level_text(values)
            seen = set(_level_text(reference.frame[col]).dropna().astype(str))
            shares = levels.dropna().astype(str).value_counts(normalize=False) / len(levels)
            new_levels = {str(level): float(share) for level, share in shares.items() if str(level) not in seen}
            if new_levels:
                unseen[col] = new_levels
            converted[col] = levels
    target = reference.target
    present = target in new.columns and new[target].notna().any()
    if present:
        labels = _labels(new[target])
        converted[target] = labels
        seen = set(reference.frame[target].astype(str))
        shares = labels.dropna().value_counts() / len(labels)
        new_labels = {str(level): float(share) for level, share in shares.items() if str(level) not in seen}
        if new_labels:
            unseen[target] = new_labels
    frame = pd.DataFrame(converted, index=new.index)
    if present:
        frame = frame.loc[frame[target].notna()]
    return frame, SchemaReport(missing_columns=missing, extra_columns=extra, retyped=retyped,
                               unseen_categories=unseen, target_present=present)


# ---------------------------------------------------------------------------------------------------------
# Per-feature drift


def _bins(reference: pd.Series, new: pd.Series, numeric: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(bin labels, reference counts, new counts): numbers on the reference's deciles (reference_cut_points),
    categories as levels; missing values in a bin of their own."""
    if numeric:
        cuts = reference_cut_points(_numbers(reference))
        edges = np.concatenate([[-np.inf], cuts, [np.inf]])
        labels = [f"{edges[i]:.4g} to {edges[i + 1]:.4g}" for i in range(len(edges) - 1)]

        def counts(values: pd.Series) -> np.ndarray:
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
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


def _judge_feature(drift: FeatureDrift, thresholds: DriftThresholds, p_adjusted: float,
                   missing_p_adjusted: float) -> FeatureDrift:
    """The feature's status: the worse of its distribution (Holm-significant and PSI beyond a limit) and its
    missing share (Holm-significant and changed by more than a limit)."""
    alpha = thresholds.alpha
    significant = p_adjusted < alpha
    shape = (Verdict.RERUN if significant and drift.psi >= thresholds.psi_rerun
             else Verdict.WATCH if significant and drift.psi >= thresholds.psi_watch else Verdict.STABLE)
    change = abs(drift.new_missing - drift.reference_missing)
    missing_significant = missing_p_adjusted < alpha
    missing = (Verdict.RERUN if missing_significant and change >= thresholds.missing_rerun
               else Verdict.WATCH if missing_significant and change >= thresholds.missing_watch else Verdict.STABLE)
    return replace(drift, status=worst(shape, missing), shape_status=shape, missing_status=missing,
                   p_adjusted=float(p_adjusted), missing_p_adjusted=float(missing_p_adjusted),
                   unconfirmed=bool(not significant and drift.psi >= thresholds.psi_rerun))


# ---------------------------------------------------------------------------------------------------------
# Prior shift and concept drift


def prior_shift(reference_labels: pd.Series, new_labels: pd.Series, minority: str) -> PriorShift:
    """Minority share then and now (status set by the verdict)."""
    k1, n1 = int((reference_labels.astype(str) == minority).sum()), int(len(reference_labels))
    k2, n2 = int((new_labels.astype(str) == minority).sum()), int(len(new_labels))
    reference_share, new_share = k1 / n1, (k2 / n2 if n2 else 0.0)
    return PriorShift(minority_class=minority, reference_share=reference_share,
                      reference_interval=wilson_interval(k1, n1), new_share=new_share,
                      new_interval=wilson_interval(k2, n2), difference=new_share - reference_share,
                      difference_interval=newcombe_interval(k2, n2, k1, n1),
                      p_value=two_proportion_p_value(k2, n2, k1, n1),
                      relative_change=abs(new_share - reference_share) / reference_share if reference_share else 0.0,
                      status=Verdict.STABLE)


def _rates(truth: np.ndarray, flagged: np.ndarray) -> dict[str, tuple[int, int]]:
    """(hits, trials) of minority recall and precision."""
    return {"minority recall": (int((truth & flagged).sum()), int(truth.sum())),
            "minority precision": (int((truth & flagged).sum()), int(flagged.sum()))}


def metric_shifts(test_truth: np.ndarray, test_flagged: np.ndarray, test_scores: np.ndarray, new_truth: np.ndarray,
                  new_flagged: np.ndarray, new_scores: np.ndarray) -> list[MetricShift]:
    """Minority recall and precision (with intervals), F1 and PR-AUC, test time against the new batch."""
    out = []
    before, after = _rates(test_truth, test_flagged), _rates(new_truth, new_flagged)
    for metric in before:
        (k1, n1), (k2, n2) = before[metric], after[metric]
        old, new = (k1 / n1 if n1 else 0.0), (k2 / n2 if n2 else 0.0)
        out.append(MetricShift(metric=metric, test_value=old, new_value=new, interval=newcombe_interval(k2, n2, k1, n1),
                               p_value=two_proportion_p_value(k2, n2, k1, n1), status=Verdict.STABLE,
                               sentence=_moved(metric, old, new)))
    for metric, (old, new) in {"minority F1": (_f1(test_truth, test_flagged), _f1(new_truth, new_flagged)),
                               "PR-AUC": (_pr_auc(test_truth, test_scores), _pr_auc(new_truth, new_scores))}.items():
        out.append(MetricShift(metric=metric, test_value=old, new_value=new, interval=None, p_value=None,
                               status=Verdict.STABLE, sentence=_moved(metric, old, new)))
    return out


def _moved(metric: str, old: float, new: float) -> str:
    if round(old, 2) == round(new, 2):
        return f"{metric} held at {new:.2f}"
    return f"{metric} {'dropped' if new < old else 'rose'} from {old:.2f} to {new:.2f}"


def _f1(truth: np.ndarray, flagged: np.ndarray) -> float:
    return float(skm.f1_score(truth, flagged, zero_division=0)) if len(truth) else 0.0


def _pr_auc(truth: np.ndarray, scores: np.ndarray) -> float:
    return float(skm.average_precision_score(truth, scores)) if truth.any() else float("nan")


def concept_drift(reference: Dataset, new: pd.DataFrame, minority: str, config=None, seed: int = 42) -> ConceptDrift:
    """Refit the deployed model on the reference training part (never on its test part), score the test part and
    the new batch, and flag rows at the deployed decision.

    With a RunConfig: repeat 1 of the run rebuilt (the config's split, cleaning, bounds, rules, density filter,
    dropped copies, generator and classifier), and its tuned threshold recomputed exactly as the run tunes it
    (`tune_threshold` on the training part, the generator inside the tuning fit): the model and threshold the
    card's section 8 monitors. Without: a logistic regression on a 70/30 stratified split of the reference, its
    threshold tuned the same way."""
    from core.cleaning import fill_missing_like_train
    from core.constraints import build_constraints
    from core.models import CLASSIFIERS, fit_strategy, make_strategy, strategy_proba
    from core.pipeline import prepare, sampler_for_config, synthesize
    from core.strategies import NO_GENERATION
    from core.strategies import strategy_words as label_of
    from core.thresholds import decide, tune_threshold
    from core.validation.validate import copy_mask, without_rows
    target, features, kinds = reference.target, reference.features, reference.column_types
    weight, sampler = None, None
    if config is not None and config.method in NO_GENERATION:  # a strategy without synthetic rows
        prepared = prepare(reference, config.test_size, config.seed, config.cleaning)
        training, classifier, model_seed = prepared.train, config.classifier, config.seed
        weight = "balanced" if config.method == "class_weighted" else None
        described = (f"{CLASSIFIERS.get(config.classifier, config.classifier)} on the training rows "
                     f"({label_of(config.method)}, no synthetic rows), refitted")
    elif config is not None:
        prepared = prepare(reference, config.test_size, config.seed, config.cleaning)
        constraints = build_constraints(list(reference.frame.columns), list(config.rules), config.bounds)
        synthetic = synthesize(prepared, config.method, config.amount, config.params, config.seed, constraints,
                               config.density)
        if config.drop_copies and len(synthetic.rows):
            synthetic = without_rows(synthetic, copy_mask(prepared.train, synthetic.rows, target, features, kinds,
                                                          config.seed), target)
        rows = synthetic.rows.drop(columns=["is_synthetic"], errors="ignore")
        rows = rows.set_axis(pd.RangeIndex(-len(rows), 0))
        training = pd.concat([prepared.train, rows])
        classifier, model_seed = config.classifier, config.seed
        sampler = sampler_for_config(config, reference, config.seed)
        described = (f"{CLASSIFIERS.get(config.classifier, config.classifier)} on the training rows + "
                     f"{label_of(config.method)} synthetic rows, refitted from the config")
    else:
        prepared = prepare(reference, 0.3, seed)
        training, classifier, model_seed = prepared.train, "logreg", seed
        described = (f"{CLASSIFIERS['logreg']} on a 70% stratified training part of the reference (no run config "
                     "given)")
    model = fit_strategy(make_strategy(classifier, features, kinds, model_seed, weight), training, target, features)
    try:
        threshold = tune_threshold(make_strategy(classifier, features, kinds, model_seed, weight, sampler),
                                   prepared.train, target, features, [minority], model_seed)
    except SynthBalanceError:  # as the run does: the generator could not fit the tuning split; argmax is kept
        threshold = None
    new_filled = fill_missing_like_train(prepared.cleaning, new, features, kinds)

    def scored(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        proba = strategy_proba(model, frame, features)
        score = proba[minority].to_numpy() if minority in proba.columns else np.zeros(len(frame))
        flagged = decide(proba, [minority], threshold) == minority
        return frame[target].astype(str).to_numpy() == minority, flagged, score
    shifts = metric_shifts(*scored(prepared.test), *scored(new_filled))
    decision = (f"flagged when P('{minority}') >= {threshold:.2f}, the tuned threshold" if threshold is not None
                else "the most likely class (argmax)")
    return ConceptDrift(model=described, test_rows=len(prepared.test), new_rows=len(new), metrics=tuple(shifts),
                        threshold=threshold, decision=decision)


# ---------------------------------------------------------------------------------------------------------
# The check and its verdict


def check_drift(reference: Dataset, new: pd.DataFrame, config=None, thresholds: DriftThresholds = DriftThresholds(),
                label_free: bool = False, concept: bool = True, seed: int = 42,
                config_path: str = "config.json", batch: str = "", batch_sha256: str = "") -> DriftResult:
    """Compare a new batch (a raw frame as read from a file; `batch` its file name, quoted in every verdict, and
    `batch_sha256` its content hash, so a page can tell a result from another file's) with the reference.

    reference: the validated dataset the run was built on. With a RunConfig the reference rows are the
    config's training part (split with its seed and test share); without, every reference row.
    label_free: skip everything that needs the target (also automatic when the batch has no target values).
    Every test of the check is judged on its Holm-adjusted p-value (family-wise level thresholds.alpha).
    """
    thresholds.check()
    frame, schema = conform_batch(reference, new)
    named = f"the new batch '{batch}'" if batch else "the new batch"
    target = reference.target
    if config is not None:
        from core.split import split_dataset
        reference_rows = split_dataset(reference, config.test_size, config.seed).train
        described = f"the training part of '{reference.name}' (seed {config.seed}, test share {config.test_size:.0%})"
    else:
        reference_rows = reference.frame
        described = f"every row of '{reference.name}'"
    kinds = reference.column_types
    columns = [c for c in reference.features if c in frame.columns]
    numeric = {c: kinds[c] in NUMBER_KINDS for c in columns}
    reference_rows = reference_rows.assign(**{c: _level_text(reference_rows[c]) for c in columns if not numeric[c]})
    features = [feature_drift(reference_rows[c], frame[c], numeric[c], c) for c in columns]
    with_labels = schema.target_present and not label_free
    counts = reference.class_counts
    minority = min(counts.index.astype(str), key=lambda c: (counts[c], c))
    minority_features, prior, concept_result = [], None, None
    concept_skipped = ""
    if with_labels:
        prior = prior_shift(reference_rows[target], frame[target], minority)
        ref_minority = reference_rows.loc[reference_rows[target].astype(str) == minority]
        new_minority = frame.loc[frame[target].astype(str) == minority]
        if len(new_minority):
            minority_features = [feature_drift(ref_minority[c], new_minority[c], numeric[c], c) for c in columns]
        if concept and not schema.missing_columns and not schema.retyped:
            concept_result = concept_drift(reference, frame, minority, config, seed)
        elif concept:
            concept_skipped = ("Concept drift not measured: the model needs every feature, and "
                               f"{', '.join(map(repr, schema.unchecked))} could not be read from {named}.")
    # One family of tests: each feature's distribution and missing share (whole batch, then minority rows), the
    # prior, then minority recall and precision; Holm's step-down keeps the chance of any false alarm <= alpha.
    concept_tests = [m for m in concept_result.metrics if m.p_value is not None] if concept_result else []
    raw = ([f.p_value for f in features] + [f.missing_p_value for f in features]
           + [f.p_value for f in minority_features] + [f.missing_p_value for f in minority_features]
           + ([prior.p_value] if prior is not None else []) + [m.p_value for m in concept_tests])
    adjusted = list(holm_adjusted(raw))
    n_tests = len(raw)

    def take(count: int) -> list[float]:
        taken = adjusted[:count]
        del adjusted[:count]
        return taken
    shape_p, missing_p = take(len(features)), take(len(features))
    features = [_judge_feature(f, thresholds, a, m) for f, a, m in zip(features, shape_p, missing_p)]
    shape_p, missing_p = take(len(minority_features)), take(len(minority_features))
    minority_features = [_judge_feature(f, thresholds, a, m) for f, a, m in zip(minority_features, shape_p, missing_p)]
    prior_p = take(1)[0] if prior is not None else 1.0
    concept_p = take(len(concept_tests))
    alpha = thresholds.alpha
    reasons, verdict = [], Verdict.STABLE
    if schema.missing_columns or schema.retyped:
        verdict = Verdict.RERUN
        unchecked = "; ".join(f"'{c}' ({why.removeprefix('not checked: ').rstrip('.')})"
                              for c, why in schema.unchecked.items())
        reasons.append(f"{named[0].upper()}{named[1:]} does not match the reference's columns, and these are not "
                       f"checked: {unchecked}"
                       + ". Fix the feed: the model needs these columns as it learned them.")
    if concept_skipped:
        reasons.append(concept_skipped)
    for f in features:
        reasons += _feature_reasons(f, "")
    for f in minority_features:
        reasons += _feature_reasons(f, f"Among '{minority}' rows, ")
    verdict = worst(verdict, *(f.status for f in features), *(f.status for f in minority_features))
    if prior is not None:
        significant = prior_p < alpha
        status = (Verdict.RERUN if significant and prior.relative_change >= thresholds.prior_shift_rerun
                  else Verdict.WATCH if significant and prior.relative_change >= thresholds.prior_shift_watch
                  else Verdict.STABLE)
        prior = replace(prior, status=status)
        if status != Verdict.STABLE:
            reasons.append(f"The share of '{minority}' moved from {prior.reference_share:.1%} to {prior.new_share:.1%} "
                           f"(difference 95% CI {prior.difference_interval[0]:+.1%} to "
                           f"{prior.difference_interval[1]:+.1%}).")
        verdict = worst(verdict, status)
    if concept_result is not None:
        judged, adjusted_of = [], dict(zip([m.metric for m in concept_tests], concept_p))
        for shift in concept_result.metrics:
            if shift.p_value is not None:
                drop = shift.test_value - shift.new_value
                significant = adjusted_of[shift.metric] < alpha and drop > 0
                status = (Verdict.RERUN if significant and drop >= thresholds.recall_drop_rerun
                          else Verdict.WATCH if significant and drop >= thresholds.recall_drop_watch
                          else Verdict.STABLE)
                shift = replace(shift, status=status)
                if status != Verdict.STABLE:
                    reasons.append(f"On {named}, {shift.sentence} at the deployed decision "
                                   f"({concept_result.decision}; difference 95% CI {shift.interval[0]:+.2f} "
                                   f"to {shift.interval[1]:+.2f}, {_p_is(shift.p_value)}).")
                verdict = worst(verdict, status)
            judged.append(shift)
        concept_result = replace(concept_result, metrics=tuple(judged))
    # Categories the reference never had are listed in the schema report; they change the verdict only through
    # their feature's PSI and test (a rare level that one random half lacks is not drift).
    unconfirmed = [(f, "") for f in features if f.unconfirmed and f.status == Verdict.STABLE] + [
        (f, f" among '{minority}' rows") for f in minority_features if f.unconfirmed and f.status == Verdict.STABLE]
    if unconfirmed:
        reasons.append("Not confirmed, so not called stable: " + "; ".join(
            f"'{f.column}'{where} has PSI {f.psi:.2f} from {f.new_rows:,} new rows, but the test cannot tell it "
            f"from chance (Holm-adjusted {_p_is(f.p_adjusted)})" for f, where in unconfirmed)
            + ". Check a larger batch before relying on these features.")
    if verdict == Verdict.STABLE and not unconfirmed and not concept_skipped:
        reasons.insert(0, f"No feature{'' if not with_labels else ', prior or model figure'} moved beyond its "
                          f"threshold ({n_tests} tests, Holm-corrected to a family-wise level of {alpha:.0%}).")
    elif verdict == Verdict.STABLE:
        reasons.insert(0, f"No test found a shift beyond its threshold ({n_tests} tests, Holm-corrected to a "
                          f"family-wise level of {alpha:.0%}).")
    return DriftResult(verdict=verdict, reasons=tuple(reasons),
                       next_step=next_step(verdict, config, config_path, schema, named),
                       thresholds=thresholds, schema=schema, features=tuple(features),
                       minority_features=tuple(minority_features), prior=prior, concept=concept_result,
                       label_free=not with_labels, reference_rows=int(len(reference_rows)), new_rows=int(len(frame)),
                       tests=n_tests, per_test_alpha=alpha / max(n_tests, 1), reference=described, batch=batch,
                       batch_sha256=batch_sha256)


def _feature_reasons(f: FeatureDrift, where: str) -> list[str]:
    """The verdict's sentences for one judged feature: its distribution and its missing share (empty when stable)."""
    out = []
    if f.shape_status != Verdict.STABLE:
        out.append(f"{where}'{f.column}' shifted: PSI {f.psi:.2f} ({f.statistic_name} {f.statistic:.2f}, "
                   f"Holm-adjusted {_p_is(f.p_adjusted)})"
                   + ("; the generator learned from the old minority rows." if where else "."))
    if f.missing_status != Verdict.STABLE:
        out.append(f"{where}'{f.column}' is missing in {f.new_missing:.0%} of the new rows against "
                   f"{f.reference_missing:.0%} in the reference (Holm-adjusted {_p_is(f.missing_p_adjusted)}).")
    return out


def next_step(verdict: Verdict, config=None, config_path: str = "config.json", schema: SchemaReport | None = None,
              named: str = "the new batch") -> str:
    """What to do now, in words: fix the feed when the batch lacks or mistypes a column the model needs (a re-run
    cannot help: the model needs the column); for a re-run the exact command with the config's seed and settings,
    and 'refreshed minority rows' only for a run that made synthetic rows from them."""
    if schema is not None and schema.unchecked:
        missing, retyped = schema.missing_columns, list(schema.retyped)
        parts = []
        if missing:
            parts.append(f"column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
                         f"{'are' if len(missing) > 1 else 'is'} missing from {named}")
        if retyped:
            parts.append(f"column{'s' if len(retyped) > 1 else ''} {', '.join(map(repr, retyped))} "
                         f"{'hold' if len(retyped) > 1 else 'holds'} values of another kind")
        return (f"Fix the feed: {' and '.join(parts)}. The model needs every feature it learned on; send the batch "
                "with these columns as the reference has them, then check it again.")
    if verdict == Verdict.STABLE:
        return "Keep the model; check the next batch the same way."
    if verdict == Verdict.WATCH:
        return "Keep the model, and check again on the next batch (or a larger one) before acting."
    if config is None:
        return ("Re-run the pipeline on refreshed data that includes the new batch, then compare the new run "
                "against the current one before switching.")
    from core.models import CLASSIFIERS
    from core.strategies import NO_GENERATION
    from core.strategies import strategy_words as label_of
    synthetic = config.method not in NO_GENERATION
    data = ("refreshed data, so the generator learns from refreshed minority rows" if synthetic else
            "refreshed data (this run made no synthetic rows: the model is refitted on the refreshed rows)")
    return (f"Re-run the pipeline on {data}, with the same settings: `python -m core run --config "
            f"{config_path} --data NEW_FILE --refreshed --out NEW_DIR` (seed {config.seed}, "
            f"{label_of(config.method)}, {CLASSIFIERS.get(config.classifier, config.classifier)}, "
            f"{config.repeats} repeat(s)). Compare its results.json with the stored run before switching; the "
            f"current {config_path} is the rollback.")


REFRESH_WITH_REFERENCE = "the reference table and the new batch"
REFRESH_BATCH_ONLY = "the new batch alone"


def refreshed_dataset(reference: Dataset, new: pd.DataFrame, batch: str, batch_sha256: str,
                      with_reference: bool = True) -> Dataset:
    """The data of the re-run step: the new batch's labelled rows (read with the reference's column kinds), after
    every reference row when with_reference. Its sha256 is the batch file's, or for the union one derived from
    both files' (so the refreshed config records what it was run on).

    Raises DataError, naming the columns, when the batch lacks a feature or the target, or holds values of
    another kind in a column: a re-run on such data would silently drop them."""
    frame, schema = conform_batch(reference, new)
    broken = schema.unchecked
    if broken or not schema.target_present:
        named = [f"'{c}' ({why.removeprefix('not checked: ')})" for c, why in broken.items()]
        if not schema.target_present:
            named.append(f"'{reference.target}' (the target: no labels in the batch)")
        raise DataError(f"The new batch '{batch}' cannot be used for the re-run: " + "; ".join(named) + ".")
    columns = [*reference.features, reference.target]
    rows = frame[columns].reset_index(drop=True)
    if with_reference:
        rows = pd.concat([reference.frame[columns], rows], ignore_index=True)
    identity = (sha256_of(f"{reference.sha256}+{batch_sha256}".encode()) if with_reference else batch_sha256)
    name = f"{reference.name} + {batch}" if with_reference else batch
    table = LoadedTable(frame=rows, name=name, sha256=identity, n_bytes=0,
                        column_types={c: reference.column_types[c] for c in columns})
    return validate_dataset(table, reference.target, dict(reference.column_types))


def rerun_refreshed(reference: Dataset, new: pd.DataFrame, config, batch: str, batch_sha256: str,
                    with_reference: bool = True, progress=None):
    """The re-run step in one call: the same config (settings and seed) on the refreshed data, as
    `python -m core run --config config.json --data NEW_FILE --refreshed` does; the returned ExperimentResult's
    config records the refreshed data's name and sha256. progress: (fraction, message) callback."""
    from core.pipeline import run_experiment
    dataset = refreshed_dataset(reference, new, batch, batch_sha256, with_reference)
    refreshed = replace(config, data=dataset.name, data_sha256=dataset.sha256)
    return run_experiment(dataset, refreshed, progress=progress)


def drift_dict(result: DriftResult) -> dict:
    """The drift.json content: plain JSON values (enums as their value, NaN as None)."""
    def plain(value):
        if isinstance(value, Verdict):
            return value.value
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, (np.generic,)):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    def feature(f: FeatureDrift) -> dict:
        return {"column": f.column, "kind": f.kind, "psi": f.psi, "statistic": f.statistic_name,
                "value": f.statistic, "p_value": f.p_value, "p_adjusted": f.p_adjusted, "status": f.status,
                "status_text": f.status_text, "missing_reference": f.reference_missing, "missing_new": f.new_missing,
                "missing_p_value": f.missing_p_value, "missing_p_adjusted": f.missing_p_adjusted,
                "missing_status": f.missing_status, "unconfirmed": f.unconfirmed,
                "reference_rows": f.reference_rows, "new_rows": f.new_rows}
    schema = result.schema
    out = {
        "verdict": result.verdict, "batch": result.batch, "batch_sha256": result.batch_sha256,
        "reasons": list(result.reasons),
        "next_step": result.next_step, "reference": result.reference, "correction": result.correction,
        "reference_rows": result.reference_rows, "new_rows": result.new_rows,
        "label_free": result.label_free, "tests": result.tests, "per_test_alpha": result.per_test_alpha,
        "thresholds": {**asdict(result.thresholds)},
        "threshold_reasons": REASONS,
        "schema": {"missing_columns": list(schema.missing_columns), "extra_columns": list(schema.extra_columns),
                   "retyped": schema.retyped, "unseen_categories": schema.unseen_categories,
                   "target_present": schema.target_present, "messages": schema.messages,
                   "unchecked": schema.unchecked},
        "features": [feature(f) for f in result.features],
        "minority_features": [feature(f) for f in result.minority_features],
        "prior_shift": None if result.prior is None else asdict(result.prior),
        "concept": None if result.concept is None else {
            "model": result.concept.model, "test_rows": result.concept.test_rows,
            "new_rows": result.concept.new_rows, "threshold": result.concept.threshold,
            "decision": result.concept.decision, "metrics": [asdict(m) for m in result.concept.metrics]},
    }
    return plain(out)
