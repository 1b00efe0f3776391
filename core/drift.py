"""Drift of a new batch against the reference data a run was built on: per-feature shift, class prior shift,
the minority rows' own shift, concept drift (the model's test-time figures against the new batch), and a
verdict (stable / watch / re-run) with the exact next step.

Binning is the validation's (core.validation.fidelity): numbers on 10 equal-width bins of the reference values
with the outer edges opened to infinity, categories as their levels, missing values as a level of their own.

Thresholds, defaults and why (all editable, see DriftThresholds):
- psi_watch 0.10 / psi_rerun 0.25: the credit-scoring convention for the population stability index
  (Siddiqi 2006, Yurdakul 2018): below 0.1 no meaningful change, 0.1-0.25 a moderate shift, above 0.25 a
  major shift that invalidates a model built on the old population.
- alpha 0.05: family-wise error level of the whole check. Every test (each feature, each minority feature,
  the prior, recall, precision) is judged at alpha / number of tests (Bonferroni), so two random halves of
  the same data give a non-stable verdict at most 5% of the time; a shift must be both significant and large.
- prior_shift_watch 0.25 / prior_shift_rerun 0.50: relative change of the minority share |new - ref| / ref.
  The synthetic amount was set for the old share; a half-again larger or smaller minority changes it.
- recall_drop_watch 0.05 / recall_drop_rerun 0.10: absolute drop of minority recall (or precision) from its
  test-time value; ten points of minority recall is the size of gain the synthetic rows are asked to bring.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from enum import Enum

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm

from core.data import BOOLEAN, CATEGORICAL, DATETIME, INTEGER, NUMERIC, Dataset
from core.errors import ConfigError, DataError
from core.validation.fidelity import PAIR_BINS, _discretise, _levels, _numbers, ks_test, total_variation

PSI_FLOOR = 1e-4  # an empty bin's share in the PSI, so a level seen on one side only stays finite
NUMBER_KINDS = (NUMERIC, INTEGER, DATETIME)
LEVEL_KINDS = (CATEGORICAL, BOOLEAN)


class Verdict(Enum):
    """The decision on a new batch; pages pick colours from it."""
    STABLE = "stable"
    WATCH = "watch"
    RERUN = "re-run"


_ORDER = {Verdict.STABLE: 0, Verdict.WATCH: 1, Verdict.RERUN: 2}


def worst(*verdicts: Verdict) -> Verdict:
    return max(verdicts, key=_ORDER.__getitem__, default=Verdict.STABLE)


@dataclass(frozen=True)
class DriftThresholds:
    """Named limits of the drift verdict (reasons in the module docstring and in REASONS)."""
    psi_watch: float = 0.10
    psi_rerun: float = 0.25
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
        for name in ("psi", "prior_shift", "recall_drop"):
            if getattr(self, f"{name}_watch") > getattr(self, f"{name}_rerun"):
                raise ConfigError(f"The drift threshold '{name}_watch' must not be above '{name}_rerun'.")


REASONS = {
    "psi_watch": "PSI 0.1-0.25 is a moderate shift in the credit-scoring convention",
    "psi_rerun": "PSI above 0.25 is a major shift: the model was built on another population",
    "alpha": "family-wise false-alarm level; each test at alpha / number of tests (Bonferroni)",
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


# ---------------------------------------------------------------------------------------------------------
# Result objects


@dataclass(frozen=True)
class FeatureDrift:
    """One feature, reference against new. statistic: KS D for numbers, total variation distance for categories
    (both 0..1, 0 identical); p_value of the KS test (numbers) or the chi-square test of homogeneity (categories).
    bins / reference_shares / new_shares: the PSI's bins and each side's shares, for the overlay chart."""
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
    """The model refitted on the reference training part, scored on its test part and on the new batch."""
    model: str
    test_rows: int
    new_rows: int
    metrics: tuple[MetricShift, ...]


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
    def messages(self) -> list[str]:
        out = []
        if self.missing_columns:
            out.append(f"Missing in the new batch: {', '.join(map(repr, self.missing_columns))} (the model needs "
                       "them; drift is checked on the other columns).")
        if self.extra_columns:
            out.append(f"Not in the reference, ignored: {', '.join(map(repr, self.extra_columns))}.")
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

    def table(self, minority: bool = False) -> pd.DataFrame:
        """One row per feature: column, kind, psi, statistic, p_value, status (the verdict's value)."""
        rows = self.minority_features if minority else self.features
        return pd.DataFrame([{"column": f.column, "kind": f.kind, "psi": f.psi, "statistic": f.statistic_name,
                              "value": f.statistic, "p_value": f.p_value, "status": f.status.value}
                             for f in rows], columns=["column", "kind", "psi", "statistic", "value", "p_value",
                                                      "status"])

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
    """The validation's binning: (bin labels, reference counts, new counts)."""
    if numeric:
        r_codes, n_codes = _discretise(reference, new)
        r_numbers = _numbers(reference)
        edges = np.histogram_bin_edges(r_numbers, bins=PAIR_BINS) if r_numbers.size else np.array([0.0, 1.0])
        cuts = np.unique(np.concatenate([[-np.inf], edges[1:-1], [np.inf]]))
        names = {str(i): f"{cuts[i]:.4g} to {cuts[i + 1]:.4g}" for i in range(len(cuts) - 1)}
        order = [*names, "<NA>"]
        r_counts = r_codes.value_counts()
        n_counts = n_codes.value_counts()
        keep = [b for b in order if r_counts.get(b, 0) or n_counts.get(b, 0) or b in names]
        labels = [names.get(b, "missing") for b in keep]
    else:
        r_levels, n_levels = _levels(reference), _levels(new)
        r_counts, n_counts = r_levels.value_counts(), n_levels.value_counts()
        keep = list(r_counts.index) + [level for level in n_counts.index if level not in r_counts.index]
        labels = list(keep)
    return (labels, np.array([r_counts.get(b, 0) for b in keep], dtype=float),
            np.array([n_counts.get(b, 0) for b in keep], dtype=float))


def feature_drift(reference: pd.Series, new: pd.Series, numeric: bool, column: str) -> FeatureDrift:
    """PSI on the validation's bins, plus KS (numbers) or TV distance with a chi-square p-value (categories).
    The status is set later by the verdict, which knows how many tests were run."""
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
        statistic, p_value = (total_variation(reference, new) if not numeric else 0.5 * float(np.abs(p - q).sum()),
                              homogeneity_p_value(r_counts, n_counts))
        name = "TV"
    return FeatureDrift(column=column, kind="numeric" if numeric else "categorical", psi=psi, statistic_name=name,
                        statistic=float(statistic), p_value=float(p_value), reference_rows=int(len(reference)),
                        new_rows=int(len(new)), bins=tuple(labels), reference_shares=tuple(float(v) for v in p),
                        new_shares=tuple(float(v) for v in q), status=Verdict.STABLE)


def _as_number(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Series(values.astype("int64").where(values.notna()), index=values.index, dtype=float)
    return values


def _judge_feature(drift: FeatureDrift, thresholds: DriftThresholds, alpha: float) -> FeatureDrift:
    significant = drift.p_value < alpha
    status = (Verdict.RERUN if significant and drift.psi >= thresholds.psi_rerun
              else Verdict.WATCH if significant and drift.psi >= thresholds.psi_watch else Verdict.STABLE)
    return FeatureDrift(**{**{f.name: getattr(drift, f.name) for f in fields(drift)}, "status": status})


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
    """Refit the run's model on the reference training part (never on its test part) and score the test part
    and the new batch. With a RunConfig: the config's split, cleaning, generator and classifier (the augmented
    model, argmax decision). Without: a logistic regression on a 70/30 stratified split of the reference."""
    from core.cleaning import fill_missing_like_train
    from core.constraints import build_constraints
    from core.evaluation import NO_GENERATION
    from core.models import fit_classifier, make_classifier, predict_proba
    from core.pipeline import prepare, synthesize
    target, features, kinds = reference.target, reference.features, reference.column_types
    weight = None
    if config is not None and config.method in NO_GENERATION:  # a strategy without synthetic rows
        prepared = prepare(reference, config.test_size, config.seed, config.cleaning)
        training, classifier, model_seed = prepared.train, config.classifier, config.seed
        weight = "balanced" if config.method == "class_weighted" else None
        described = f"{config.classifier} on training rows ({config.method}, no synthetic rows), refitted"
    elif config is not None:
        prepared = prepare(reference, config.test_size, config.seed, config.cleaning)
        constraints = build_constraints(list(reference.frame.columns), list(config.rules))
        synthetic = synthesize(prepared, config.method, config.amount, config.params, config.seed, constraints,
                               config.density)
        rows = synthetic.rows.drop(columns=["is_synthetic"], errors="ignore")
        rows = rows.set_axis(pd.RangeIndex(-len(rows), 0))
        training = pd.concat([prepared.train, rows])
        classifier, model_seed = config.classifier, config.seed
        described = f"{config.classifier} on training rows + {config.method} synthetic rows, refitted from the config"
    else:
        prepared = prepare(reference, 0.3, seed)
        training, classifier, model_seed = prepared.train, "logreg", seed
        described = "logreg on a 70% stratified training part of the reference (no run config given)"
    model = fit_classifier(make_classifier(classifier, features, kinds, model_seed, weight), training, target,
                           features, kinds)
    new_filled = fill_missing_like_train(prepared.cleaning, new, features, kinds)

    def scored(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        proba = predict_proba(model, frame, features, kinds)
        score = proba[minority].to_numpy() if minority in proba.columns else np.zeros(len(frame))
        flagged = proba.idxmax(axis=1).to_numpy() == minority
        return frame[target].astype(str).to_numpy() == minority, flagged, score
    shifts = metric_shifts(*scored(prepared.test), *scored(new_filled))
    return ConceptDrift(model=described, test_rows=len(prepared.test), new_rows=len(new), metrics=tuple(shifts))


# ---------------------------------------------------------------------------------------------------------
# The check and its verdict


def check_drift(reference: Dataset, new: pd.DataFrame, config=None, thresholds: DriftThresholds = DriftThresholds(),
                label_free: bool = False, concept: bool = True, seed: int = 42,
                config_path: str = "config.json") -> DriftResult:
    """Compare a new batch (a raw frame as read from a file) with the reference.

    reference: the validated dataset the run was built on. With a RunConfig the reference rows are the
    config's training part (split with its seed and test share); without, every reference row.
    label_free: skip everything that needs the target (also automatic when the batch has no target values).
    """
    thresholds.check()
    frame, schema = conform_batch(reference, new)
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
    if with_labels:
        prior = prior_shift(reference_rows[target], frame[target], minority)
        ref_minority = reference_rows.loc[reference_rows[target].astype(str) == minority]
        new_minority = frame.loc[frame[target].astype(str) == minority]
        if len(new_minority):
            minority_features = [feature_drift(ref_minority[c], new_minority[c], numeric[c], c) for c in columns]
        if concept and not schema.missing_columns and not schema.retyped:
            concept_result = concept_drift(reference, frame, minority, config, seed)
    n_tests = len(features) + len(minority_features) + (prior is not None) + (2 if concept_result else 0)
    alpha = thresholds.alpha / max(n_tests, 1)
    features = [_judge_feature(f, thresholds, alpha) for f in features]
    minority_features = [_judge_feature(f, thresholds, alpha) for f in minority_features]
    reasons, verdict = [], Verdict.STABLE
    if schema.missing_columns or schema.retyped:
        verdict = Verdict.RERUN
        reasons.append("The new batch does not match the reference's columns: "
                       + " ".join(schema.messages[:3]) + " Fix the feed, or re-run the pipeline on data with these "
                       "columns as they are now.")
    for f in features:
        if f.status != Verdict.STABLE:
            reasons.append(f"'{f.column}' shifted: PSI {f.psi:.2f} ({f.statistic_name} {f.statistic:.2f}, "
                           f"p = {f.p_value:.2g}).")
    for f in minority_features:
        if f.status != Verdict.STABLE:
            reasons.append(f"Among '{minority}' rows, '{f.column}' shifted: PSI {f.psi:.2f} (p = {f.p_value:.2g}); "
                           "the generator learned from the old minority rows.")
    verdict = worst(verdict, *(f.status for f in features), *(f.status for f in minority_features))
    if prior is not None:
        significant = prior.p_value < alpha
        status = (Verdict.RERUN if significant and prior.relative_change >= thresholds.prior_shift_rerun
                  else Verdict.WATCH if significant and prior.relative_change >= thresholds.prior_shift_watch
                  else Verdict.STABLE)
        prior = PriorShift(**{**{f.name: getattr(prior, f.name) for f in fields(prior)}, "status": status})
        if status != Verdict.STABLE:
            reasons.append(f"The share of '{minority}' moved from {prior.reference_share:.1%} to {prior.new_share:.1%} "
                           f"(difference 95% CI {prior.difference_interval[0]:+.1%} to "
                           f"{prior.difference_interval[1]:+.1%}).")
        verdict = worst(verdict, status)
    if concept_result is not None:
        judged = []
        for shift in concept_result.metrics:
            if shift.p_value is not None:
                drop = shift.test_value - shift.new_value
                significant = shift.p_value < alpha and drop > 0
                status = (Verdict.RERUN if significant and drop >= thresholds.recall_drop_rerun
                          else Verdict.WATCH if significant and drop >= thresholds.recall_drop_watch
                          else Verdict.STABLE)
                shift = MetricShift(**{**{f.name: getattr(shift, f.name) for f in fields(shift)}, "status": status})
                if status != Verdict.STABLE:
                    reasons.append(f"On the new batch, {shift.sentence} (difference 95% CI {shift.interval[0]:+.2f} "
                                   f"to {shift.interval[1]:+.2f}, p = {shift.p_value:.2g}).")
                verdict = worst(verdict, status)
            judged.append(shift)
        concept_result = ConceptDrift(concept_result.model, concept_result.test_rows, concept_result.new_rows,
                                      tuple(judged))
    # Categories the reference never had are listed in the schema report; they change the verdict only through
    # their feature's PSI and test (a rare level that one random half lacks is not drift).
    if not reasons:
        reasons.append(f"No feature{'' if not with_labels else ', prior or model figure'} moved beyond its "
                       f"threshold ({n_tests} tests at a family-wise level of {thresholds.alpha:.0%}).")
    return DriftResult(verdict=verdict, reasons=tuple(reasons), next_step=next_step(verdict, config, config_path),
                       thresholds=thresholds, schema=schema, features=tuple(features),
                       minority_features=tuple(minority_features), prior=prior, concept=concept_result,
                       label_free=not with_labels, reference_rows=int(len(reference_rows)), new_rows=int(len(frame)),
                       tests=n_tests, per_test_alpha=alpha, reference=described)


def next_step(verdict: Verdict, config=None, config_path: str = "config.json") -> str:
    """What to do now, in words; for a re-run the exact command with the config's seed and settings."""
    if verdict == Verdict.STABLE:
        return "Keep the model; check the next batch the same way."
    if verdict == Verdict.WATCH:
        return "Keep the model, and check again on the next batch (or a larger one) before acting."
    if config is None:
        return ("Re-run the pipeline on refreshed data that includes the new batch (and refreshed minority rows), "
                "then compare the new run against the current one before switching.")
    return (f"Re-run the pipeline on refreshed minority data with the same settings: `python -m core run --config "
            f"{config_path} --data NEW_FILE --refreshed --out NEW_DIR` (seed {config.seed}, method {config.method}, "
            f"{config.repeats} repeat(s)). Compare its results.json with the stored run before switching; the "
            f"current {config_path} is the rollback.")


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
                "value": f.statistic, "p_value": f.p_value, "status": f.status, "reference_rows": f.reference_rows,
                "new_rows": f.new_rows}
    schema = result.schema
    out = {
        "verdict": result.verdict, "reasons": list(result.reasons), "next_step": result.next_step,
        "reference": result.reference, "reference_rows": result.reference_rows, "new_rows": result.new_rows,
        "label_free": result.label_free, "tests": result.tests, "per_test_alpha": result.per_test_alpha,
        "thresholds": {**asdict(result.thresholds)},
        "threshold_reasons": REASONS,
        "schema": {"missing_columns": list(schema.missing_columns), "extra_columns": list(schema.extra_columns),
                   "retyped": schema.retyped, "unseen_categories": schema.unseen_categories,
                   "target_present": schema.target_present, "messages": schema.messages},
        "features": [feature(f) for f in result.features],
        "minority_features": [feature(f) for f in result.minority_features],
        "prior_shift": None if result.prior is None else asdict(result.prior),
        "concept": None if result.concept is None else {
            "model": result.concept.model, "test_rows": result.concept.test_rows,
            "new_rows": result.concept.new_rows, "metrics": [asdict(m) for m in result.concept.metrics]},
    }
    return plain(out)
