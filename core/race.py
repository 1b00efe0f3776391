"""The strategy race: measure candidate strategies on the analyst's own training part before recommending one.

Repeated stratified K-fold inside the training part only (the test part that `run` sets aside for the same seed
and test share is never touched). Each candidate is an imbalanced-learn Pipeline (resample inside each fold, then
the classifier), scored by minority F1 and PR-AUC on the fold's validation rows: the untuned candidates ("as is",
"class weights at 0.5") at the default threshold, the others at a threshold tuned on out-of-fold probabilities
over inner folds of that fold's training rows (`core.evaluation.choose_threshold`). Intervals over the K x r
fold values use Bouckaert & Frank's (2004) corrected repeated k-fold test (variance x (1/(K r) + 1/(K - 1)),
K r - 1 degrees of freedom), cut to what the scale allows. The rule: the highest mean minority F1 wins,
generators and strategies without synthetic rows alike; a margin in favour of no synthetic rows is the analyst's
own setting (default 0), and what it cost on the folds is reported. Folds x candidates run through
`core.parallel` (n_jobs, or a Dask cluster) with their seeds fixed per task, so the figures are the same for any
n_jobs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedStratifiedKFold

from core.cleaning import CleaningPlan, clean_training, fill_missing_like_train
from core.data import LEVEL_KINDS, NUMBER_KINDS
from core.errors import ConfigError, DataError, SynthBalanceError
from core.estimates import estimate_race_seconds, race_fits_per_fold, synthetic_fit_factor
from core.evaluation import scored
from core.generators.base import Progress, StopRequested
from core.generators.deep import SMALL_CLASS_ROWS, estimate_seconds
from core.generators.registry import REGISTRY, resolve_method
from core.generators.sampler import GeneratorSampler
from core.intervals import (
    Difference,
    Summary,
    corrected_interval,
    detectable_difference,
    paired_difference,
    repeated_cv_ratio,
    summarise,
)
from core.models import fit_strategy, make_strategy, strategy_proba
from core.parallel import check_n_jobs, parallel_map
from core.split import ensure_not_held_out
from core.strategies import NO_GENERATION, UNTUNED, display_order, kind_of, strategy_words
from core.thresholds import DEFAULT_THRESHOLD, THRESHOLD_FOLDS, choose_threshold

DEFAULT_FOLDS = 5
DEFAULT_REPEATS = 3
DEFAULT_BUDGET_S = 300.0
F1_BOUNDS = (0.0, 1.0)
DIFFERENCE_BOUNDS = (-1.0, 1.0)


@dataclass(frozen=True)
class FoldScore:
    """One candidate on one fold: minority F1 and PR-AUC on the fold's validation rows at its threshold (0.5
    for an untuned candidate; tuned on the fold's training rows otherwise), and why a tuned one kept 0.5."""
    candidate: str
    fold: int
    minority_f1: float
    pr_auc: float
    threshold: float | None
    seconds: float
    error: str = ""
    threshold_fallback: str = ""


@dataclass(frozen=True)
class CandidateResult:
    """A candidate over the folds: Summaries with corrected intervals (F1 cut to [0, 1]), seconds spent (all
    folds), the thresholds per fold, its paired difference to the highest mean (minority F1, None for that
    candidate itself), the error that stopped it ('' when it ran), on how many folds a tuned threshold fell back to
    0.5 (with the first reason), and the repeat after which the adaptive race stopped it (0: it ran every repeat;
    a stopped candidate's figures cover the folds it ran, its `vs_best` those same folds)."""
    name: str
    label: str
    kind: str
    minority_f1: Summary | None
    pr_auc: Summary | None
    seconds: float
    thresholds: tuple[float | None, ...] = ()
    vs_best: Difference | None = None
    error: str = ""
    threshold_fallbacks: int = 0
    threshold_fallback: str = ""
    stopped_after: int = 0  # the repeat after which the adaptive race stopped it as clearly behind (0: not stopped)

    @property
    def ran(self) -> bool:
        return not self.error

    @property
    def stopped(self) -> bool:
        return bool(self.stopped_after)

    @property
    def note(self) -> str:
        """What the race table says beside the figures: the error, or when the candidate was stopped."""
        if self.error:
            return self.error
        if self.stopped:
            return (f"stopped after repeat {self.stopped_after}: clearly behind the leader; figures over "
                    f"{len(self.minority_f1.values)} folds")
        return ""

    @property
    def tuned(self) -> bool:
        return self.name not in UNTUNED


@dataclass(frozen=True)
class RaceResult:
    """The race: the recommended strategy, its kind ('no_generation' or 'generator'), every candidate, the
    candidates left out with the reason, the plain-English explanation (rendered from these fields), and the
    settings it ran under (folds x repeats). best: the highest mean; margin and margin_cost: the analyst's margin
    in favour of no synthetic rows and the minority F1 it cost on the folds (0 when it changed nothing);
    runner_up, vs_runner_up, separated: the closest other candidate that ran every repeat, the recommendation minus
    it, and whether its interval excludes 0; detectable_difference: the smallest difference these folds could tell
    from 0. adaptive: candidates clearly behind after a repeat were stopped (`clearly_behind`); `stopped` lists
    them with that repeat."""
    recommended: str
    kind: str
    candidates: tuple[CandidateResult, ...]
    skipped: tuple[tuple[str, str], ...]
    explanation: str
    classifier: str
    folds: int
    seed: int
    test_size: float
    train_rows: int
    seconds: float
    estimated_seconds: float
    correction: str = field(default="corrected repeated k-fold test (Bouckaert & Frank 2004)")
    repeats: int = 1
    best: str = ""
    margin: float = 0.0
    margin_cost: float = 0.0
    runner_up: str | None = None
    vs_runner_up: Difference | None = None
    separated: bool = False
    detectable_difference: float = float("nan")
    minority_rows: int = 0
    adaptive: bool = True

    @property
    def stopped(self) -> tuple[tuple[str, int], ...]:
        """(candidate, the repeat after which it was stopped as clearly behind) for each stopped candidate."""
        return tuple((c.name, c.stopped_after) for c in self.candidates if c.stopped)

    def to_dict(self) -> dict:
        """The `advise --json` schema."""
        def summary(s: Summary | None) -> dict | None:
            return None if s is None else {"mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high,
                                           "clipped": s.clipped}
        return {"recommended": self.recommended, "kind": self.kind,
                "candidates": [{"name": c.name, "label": c.label, "kind": c.kind, "tuned_threshold": c.tuned,
                                "minority_f1": summary(c.minority_f1), "pr_auc": summary(c.pr_auc),
                                "seconds": c.seconds, "threshold_fallbacks": c.threshold_fallbacks,
                                "stopped_after_repeat": c.stopped_after or None,
                                "folds_run": len(c.minority_f1.values) if c.ran else 0,
                                "error": c.error or None} for c in self.candidates],
                "skipped": [{"name": n, "reason": r} for n, r in self.skipped],
                "explanation": self.explanation, "classifier": self.classifier, "folds": self.folds,
                "repeats": self.repeats, "seed": self.seed, "test_size": self.test_size,
                "interval": self.correction, "adaptive": self.adaptive,
                "rule": "highest mean minority F1", "best": self.best,
                "margin": self.margin, "margin_cost": self.margin_cost, "runner_up": self.runner_up,
                "separated": self.separated, "detectable_difference": self.detectable_difference}


def candidates_for(feature_kinds: dict[str, str], train_counts: dict[str, int], budget_seconds: float,
                   n_features: int, folds: int = DEFAULT_FOLDS,
                   repeats: int = 1) -> tuple[list[str], list[tuple[str, str]]]:
    """(candidates in display order, [(left out, why)]) for these column kinds and training class sizes.

    Always: the four strategies without synthetic rows (as is, class weights, each untuned and with a tuned
    threshold), random oversampling; the SMOTE variants that fit the column types; the Gaussian copula; CTGAN /
    TVAE only when the smallest class has at least SMALL_CLASS_ROWS rows per training fold and their estimated
    time for all folds fits the budget.
    """
    n_numbers = sum(1 for k in feature_kinds.values() if k in NUMBER_KINDS)
    n_levels = sum(1 for k in feature_kinds.values() if k in LEVEL_KINDS)
    smallest = min(train_counts.values())
    wanted = [*NO_GENERATION, "random_oversampler"]
    skipped = []
    interpolation = ("smote", "borderline_smote", "adasyn") if not n_levels else ("smote",)
    for name in interpolation:
        try:
            routed, _ = resolve_method(name, n_numbers, n_levels)
        except SynthBalanceError as exc:
            skipped.append((name, str(exc)))
            continue
        if routed not in wanted:
            wanted.append(routed)
    wanted.append("gaussian_copula")
    fold_rows = int(smallest * (folds - 1) / folds)
    for name in ("tvae", "ctgan"):
        if fold_rows < SMALL_CLASS_ROWS:
            skipped.append((name, f"the smallest class has {fold_rows} rows per training fold; a neural generator "
                                  f"needs at least {SMALL_CLASS_ROWS}"))
            continue
        epochs = int(REGISTRY[name].defaults()["epochs"])
        seconds = folds * repeats * (THRESHOLD_FOLDS + 1) * estimate_seconds(name, fold_rows, n_features, epochs)
        if seconds > budget_seconds:
            skipped.append((name, f"about {seconds:.0f} s for {folds * repeats} folds, over the "
                                  f"{budget_seconds:.0f} s budget"))
            continue
        wanted.append(name)
    return sorted(wanted, key=display_order), skipped


@dataclass(frozen=True)
class SamplerSettings:
    """How generators make rows in the race, as in the run: the amount (an Amount, or imbalanced-learn's
    'auto'), row rules, column limits (ColumnBounds), the density filter, and per-method parameters
    ({method: {param: value}})."""
    amount: object = "auto"
    rules: tuple[str, ...] = ()
    density: object = None
    params: dict = field(default_factory=dict)
    bounds: tuple = ()


def _strategy(name: str, classifier: str, features: list[str], kinds: dict[str, str], seed: int,
              settings: SamplerSettings = SamplerSettings()):
    if name in ("as_is", "threshold_tuned"):
        return make_strategy(classifier, features, kinds, seed)
    if name in ("class_weighted_default", "class_weighted"):
        return make_strategy(classifier, features, kinds, seed, "balanced")
    sampler = GeneratorSampler(method=name, params=settings.params.get(name), sampling_strategy=settings.amount,
                               kinds={c: kinds[c] for c in features}, rules=tuple(settings.rules),
                               bounds=tuple(settings.bounds), density=settings.density, random_state=seed)
    return make_strategy(classifier, features, kinds, seed, sampler=sampler)


def _score_fold(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str], classifier: str,
                minority: list[str], majority: str, seed: int, fold_index: dict[int, tuple[np.ndarray, np.ndarray]],
                settings: SamplerSettings, cleaning: CleaningPlan | None, task: tuple[str, int]) -> FoldScore:
    """Fit one candidate on one fold's training rows (cleaned by `cleaning` fitted on those rows only; a tuned
    candidate tunes its threshold on out-of-fold probabilities inside them), score the fold's validation rows
    (gaps filled by the fold's own imputers, transform only)."""
    name, fold = task
    started = time.perf_counter()
    fit_rows, check_rows = (train.iloc[i] for i in fold_index[fold])
    task_seed = seed + fold
    try:
        if cleaning is not None:
            cleaned = clean_training(fit_rows, target, features, kinds, minority[0], cleaning, task_seed)
            fit_rows = cleaned.train
            check_rows = fill_missing_like_train(cleaned, check_rows, features, kinds)
        strategy = _strategy(name, classifier, features, kinds, task_seed, settings)
        binary = fit_rows[target].astype(str).nunique() == 2
        fallback = ""
        if name in UNTUNED:
            threshold = DEFAULT_THRESHOLD if binary else None
        else:
            choice = choose_threshold(strategy, fit_rows, target, features, minority, task_seed, THRESHOLD_FOLDS)
            threshold, fallback = choice.threshold, choice.fallback
        model = fit_strategy(strategy, fit_rows, target, features)
        truth = check_rows[target].astype(str).to_numpy()
        _, _, values = scored(strategy_proba(model, check_rows, features), truth, minority, majority, threshold)
        return FoldScore(name, fold, values["minority_f1"], values["pr_auc"], threshold,
                         time.perf_counter() - started, threshold_fallback=fallback)
    except Exception as exc:  # one candidate's failure, whatever its type, stays in its row; the race goes on
        message = " ".join(str(exc).split()) or type(exc).__name__
        if not isinstance(exc, SynthBalanceError):
            message = f"{type(exc).__name__}: {message}"
        return FoldScore(name, fold, float("nan"), float("nan"), None, time.perf_counter() - started, message)


def _best(candidates: list[CandidateResult]) -> CandidateResult:
    """The highest mean minority F1 (a tie goes to the earlier one in display order)."""
    return max(candidates, key=lambda c: (c.minority_f1.mean, -display_order(c.name)))


def _paired(a: CandidateResult, b: CandidateResult, ratio: float) -> Difference:
    """a minus b, fold by fold, over the folds both ran (a stopped candidate ran the first repeats only)."""
    shared = min(len(a.minority_f1.values), len(b.minority_f1.values))
    return paired_difference(a.minority_f1.values[:shared], b.minority_f1.values[:shared], ratio, DIFFERENCE_BOUNDS)


@dataclass(frozen=True)
class RunnerUp:
    """The closest other candidate that ran every repeat: the recommendation minus it (minority F1, corrected
    interval) and the smallest difference these folds could tell from 0."""
    name: str
    label: str
    difference: Difference
    detectable: float

    @property
    def separated(self) -> bool:
        return self.difference.ci_low > 0 or self.difference.ci_high < 0


def runner_up(chosen: str, candidates: list[CandidateResult], folds: int) -> RunnerUp | None:
    """The runner-up of `chosen` among the candidates that ran every repeat (None when there is none)."""
    by_name = {c.name: c for c in candidates}
    others = [c for c in candidates if c.ran and not c.stopped and c.name != chosen]
    if not others:
        return None
    runner, pick, ratio = _best(others), by_name[chosen], repeated_cv_ratio(folds)
    differences = list(np.subtract(pick.minority_f1.values, runner.minority_f1.values))
    return RunnerUp(runner.name, runner.label, _paired(pick, runner, ratio), detectable_difference(differences, ratio))


def _leader(fold_f1: dict[str, list[float]]) -> str:
    """The highest mean over these folds (a tie goes to the earlier one in display order, as `_best`)."""
    return max(fold_f1, key=lambda n: (float(np.mean(fold_f1[n])), -display_order(n)))


def clearly_behind(fold_f1: dict[str, list[float]], folds: int, level: float = 0.95) -> list[str]:
    """The candidates to stop after a repeat: those whose corrected interval for the difference to the leader
    (the highest mean over the same folds) lies wholly below 0.

    fold_f1: {candidate: minority F1 per fold, in fold order, the completed repeats only (K x j values)}. The
    interval is Bouckaert & Frank's corrected repeated k-fold one (variance x (1/(K j) + 1/(K - 1)), K j - 1
    degrees of freedom), the race's own. Only completed repeats enter, so the result does not depend on which
    fold finished first: the same folds give the same stops for any n_jobs or on a cluster.
    """
    if len(fold_f1) < 2:
        return []
    ratio = repeated_cv_ratio(folds)
    leader = _leader(fold_f1)
    behind = []
    for name, values in fold_f1.items():
        if name == leader:
            continue
        _, _, high, _ = corrected_interval(list(np.subtract(values, fold_f1[leader])), ratio, level)
        if high < 0:
            behind.append(name)
    return sorted(behind, key=display_order)


def recommend(candidates: list[CandidateResult], folds: int, margin: float = 0.0,
              test_train_ratio: float | None = None) -> tuple[str, list[CandidateResult]]:
    """(the recommendation, candidates with `vs_best` filled).

    The rule: the highest mean minority F1 over the folds wins, generators and strategies without synthetic rows
    alike, among the candidates still running at the end (a candidate stopped as clearly behind does not win).
    With a margin (the analyst's setting, in minority F1, default 0) the best strategy without synthetic
    rows is kept unless the best generator leads it by more than the margin. Intervals do not decide: "could not
    tell apart" is not "as good".
    """
    ran = [c for c in candidates if c.ran]
    if not ran:
        raise DataError("No candidate strategy could be measured on these rows; see each candidate's error.")
    if margin < 0:
        raise ConfigError(f"The margin is a minority F1 difference of 0 or more; got {margin}.")
    ratio = repeated_cv_ratio(folds) if test_train_ratio is None else test_train_ratio
    finished = [c for c in ran if not c.stopped]
    best = _best(finished)
    filled = []
    for c in candidates:
        if c.ran and c.name != best.name:
            c = replace(c, vs_best=_paired(c, best, ratio))
        filled.append(c)
    chosen = best
    plain = [c for c in finished if c.name in NO_GENERATION]
    generators = [c for c in finished if c.name not in NO_GENERATION]
    if margin > 0 and plain and generators and best.name not in NO_GENERATION:
        kept = _best(plain)
        if best.minority_f1.mean - kept.minority_f1.mean <= margin:
            chosen = kept
    return chosen.name, filled


def _interval(low: float, high: float, clipped: bool, signed: bool) -> str:
    text = f"{low:+.3f} to {high:+.3f}" if signed else f"{low:.3f} to {high:.3f}"
    return f"corrected 95% CI {text}{', cut to the scale' if clipped else ''}"


def race_shape(folds: int, repeats: int) -> str:
    """'5 folds x 3 repeats', '5 folds x 1 repeat'."""
    return f"{folds} folds x {repeats} repeat{'' if repeats == 1 else 's'}"


def _versus(label: str, d: Difference) -> str:
    """'LABEL, +0.012 (corrected 95% CI ...)': the recommendation minus LABEL."""
    return f"{label}, {d.mean:+.3f} ({_interval(d.ci_low, d.ci_high, d.clipped, True)})"


def explain(chosen: str, candidates: list[CandidateResult], folds: int, train_rows: int,
            skipped: list[tuple[str, str]], repeats: int = 1, margin: float = 0.0,
            minority_rows: int | None = None, runner: RunnerUp | None = None) -> str:
    """The race in short sentences, rendered from the candidates' figures: what was measured, what was stopped,
    which mean was highest, why the recommendation is what it is, what a margin cost, and the runner-up (from
    `runner_up`, computed once by the race). One sign convention: every difference is the recommendation minus
    the other, in minority F1."""
    by_name = {c.name: c for c in candidates}
    ran = [c for c in candidates if c.ran]
    finished = [c for c in ran if not c.stopped]
    best, pick = _best(finished), by_name[chosen]
    ratio = repeated_cv_ratio(folds)
    shape = race_shape(folds, repeats)
    text = [f"Measured on {shape} of your {train_rows:,} training rows. The test part was not touched.",
            f"{len(ran)} {'strategy' if len(ran) == 1 else 'strategies'} ran. Untuned ones use threshold 0.5. The "
            "others tune it on out-of-fold probabilities inside each fold's training rows."]
    stopped = [c for c in ran if c.stopped]
    if stopped:
        text.append(f"{len(stopped)} {'was' if len(stopped) == 1 else 'were'} stopped early, clearly behind the "
                    "leader (corrected interval of the difference wholly below 0): " + "; ".join(
                        f"{c.label} after repeat {c.stopped_after}" for c in stopped)
                    + ". Their figures cover the folds they ran.")
    text.append(f"Highest mean minority F1: {best.minority_f1.mean:.3f}, {best.label} "
                f"({_interval(best.minority_f1.ci_low, best.minority_f1.ci_high, best.minority_f1.clipped, False)}).")
    text.append(f"Recommended: {pick.label}. Rule: the highest mean minority F1 wins"
                + (f", with your margin of {margin:.3f} in favour of no synthetic rows." if margin > 0 else "."))
    if chosen != best.name:
        cost = best.minority_f1.mean - pick.minority_f1.mean
        text.append(f"{best.label} led by {cost:.3f}, within your margin. The margin cost {cost:.3f} minority F1 "
                    "on the folds.")
    if len(finished) > 1 or stopped:
        text.append("Differences below are the recommendation minus the other, in minority F1.")
    if runner is not None:
        text.append(f"Runner-up: {_versus(runner.label, runner.difference)}.")
        if runner.separated:
            text.append("The race separated the two.")
        else:
            rows = f"{minority_rows:,} minority rows and " if minority_rows else ""
            text.append(f"The race could not separate the two. With {rows}{shape}, the smallest difference it "
                        f"could detect is about {runner.detectable:.3f}.")
    generators_ran = [c for c in ran if c.name not in NO_GENERATION]
    plain_ran = [c for c in ran if c.name in NO_GENERATION]
    if chosen in NO_GENERATION and generators_ran:
        gen = _best([c for c in generators_ran if not c.stopped] or generators_ran)
        d = _paired(pick, gen, ratio)
        text.append(f"Best generator: {_versus(gen.label, d)}.")
        text.append("It fell short beyond fold noise: do not generate." if d.ci_low > 0 else
                    "The race could not separate it. This is not evidence that generation cannot help.")
    elif chosen in NO_GENERATION:
        text.append("No generator was measured. This says nothing yet about synthetic rows.")
    elif plain_ran:
        plain = _best([c for c in plain_ran if not c.stopped] or plain_ran)
        d = _paired(pick, plain, ratio)
        text.append(f"Best strategy without synthetic rows: {_versus(plain.label, d)}.")
        text.append("Generation leads beyond fold noise." if d.ci_low > 0 else
                    "The race could not separate this lead from fold noise.")
    if any(c.minority_f1.clipped for c in ran):
        text.append("Intervals are cut to the scale (F1 in [0, 1], differences in [-1, 1]).")
    fell_back = [c for c in ran if c.threshold_fallbacks]
    if fell_back:
        text.append("Kept the default threshold 0.5: " + "; ".join(
            f"{c.label} on {c.threshold_fallbacks} fold(s) ({c.threshold_fallback})" for c in fell_back) + ".")
    text.append(f"PR-AUC of the recommendation: {pick.pr_auc.mean:.3f}. Best: "
                f"{max(c.pr_auc.mean for c in finished):.3f}.")
    failed = [c for c in candidates if not c.ran]
    if failed:
        text.append("Could not run: " + "; ".join(f"{c.label} ({c.error})" for c in failed) + ".")
    if skipped:
        text.append("Left out: " + "; ".join(f"{strategy_words(n)} ({why})" for n, why in skipped) + ".")
    return " ".join(text)


# Seconds of one classifier fit on a fold: a fixed part plus a part per cell (rows x features), read from fits on
# this project's 2-core machine (December 2026). A constant, not a timer: how many repeats a race runs follows from
# its inputs alone, so the same data, settings and seed give the same figures on any machine and under any load.
FIT_COST = {"logreg": (0.01, 2.5e-7), "hgb": (0.4, 1e-6), "rf": (0.3, 2.2e-5)}


def repeats_for(train_rows: int, n_features: int, candidates: list[str], classifier: str, folds: int,
                budget_seconds: float) -> int:
    """DEFAULT_REPEATS when the race's modelled seconds for that many repeats fit the budget, fewer (down to 1) when
    they do not. The model (FIT_COST x fits per candidate and fold; synthetic rows about double a fit) depends on
    the inputs only, never on a clock; slow generators already entered by their own estimate. Every candidate on
    every repeat: the adaptive race's stops only make it cheaper, so the repeats never depend on them."""
    fixed, per_cell = FIT_COST.get(classifier, FIT_COST["hgb"])
    fold_rows = train_rows * (folds - 1) / folds
    per_fit = fixed + per_cell * fold_rows * max(1, n_features)
    one_repeat = folds * sum(race_fits_per_fold(c) * per_fit * synthetic_fit_factor(c) for c in candidates)
    return int(max(1, min(DEFAULT_REPEATS, budget_seconds // max(one_repeat, 1e-9))))


def race(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str], minority: list[str],
         majority: str, classifier: str = "logreg", folds: int = DEFAULT_FOLDS, seed: int = 42,
         test_size: float = 0.3, budget_seconds: float = DEFAULT_BUDGET_S, candidates: list[str] | None = None,
         n_jobs: int | None = None, scheduler: str | None = None, progress: Progress | None = None,
         should_stop: StopRequested | None = None, settings: SamplerSettings = SamplerSettings(),
         repeats: int | None = None, margin: float = 0.0, cleaning: CleaningPlan | None = None,
         adaptive: bool = True) -> RaceResult:
    """Race the candidates on `train` (the training part only) with repeated stratified K-fold.

    adaptive: after each repeat but the last, stop the candidates `clearly_behind` the leader (and those that
    failed); the remaining repeats run on the rest, and the best mean of those still running wins (False: every
    candidate runs every repeat).

    cleaning: a plan fitted inside each fold's training rows (None: `train` is used as it is).
    candidates: names to race (None: `candidates_for` the column kinds, class sizes and budget). repeats: None
    takes `repeats_for` (DEFAULT_REPEATS when a fixed cost model of the inputs fits the budget, fewer down to 1;
    never a clock, so a loaded machine does not change the figures). The budget
    decides, before anything runs, which slow candidates enter and how many repeats: a race is never cut by the
    clock, so the same inputs give the same figures. Stop (should_stop) cancels between fold results.
    """
    ensure_not_held_out(train)
    if not 2 <= folds <= 20:
        raise ConfigError(f"Folds must be between 2 and 20; got {folds}.")
    if repeats is not None and not 1 <= repeats <= 10:
        raise ConfigError(f"Repeats must be between 1 and 10; got {repeats}.")
    if margin < 0 or margin >= 1:
        raise ConfigError(f"The margin is a minority F1 difference from 0 to below 1; got {margin}.")
    counts = {str(k): int(v) for k, v in train[target].astype(str).value_counts().items()}
    if min(counts.values()) < folds:
        small = min(counts, key=counts.get)
        raise DataError(f"Class '{small}' has {counts[small]} training rows, fewer than the {folds} folds: lower the "
                        "number of folds or the test share.")
    kinds = {c: kinds[c] for c in features}
    skipped: list[tuple[str, str]] = []
    if candidates is None:
        candidates, skipped = candidates_for(kinds, counts, budget_seconds, len(features), folds,
                                             repeats or DEFAULT_REPEATS)
    else:
        unknown = [c for c in candidates if c not in NO_GENERATION and c not in REGISTRY]
        if unknown:
            raise ConfigError(f"Unknown candidate(s) {', '.join(unknown)}; use {', '.join(NO_GENERATION)} or a "
                              "method name.")
        candidates = sorted(dict.fromkeys(candidates), key=display_order)
    jobs = check_n_jobs(n_jobs)
    one_repeat = estimate_race_seconds(train, target, candidates, features, kinds, classifier, folds, seed, jobs)
    if repeats is None:
        repeats = repeats_for(len(train), len(features), candidates, classifier, folds, budget_seconds)
    estimated = one_repeat * repeats
    labels = train[target].astype(str)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    fold_index = dict(enumerate(splitter.split(np.zeros(len(train)), labels)))
    total_folds = folds * repeats
    if progress:
        progress(0.0, f"Racing {len(candidates)} strategies on {race_shape(folds, repeats)} of {len(train):,} "
                      f"training rows ({'at most ' if adaptive and repeats > 1 else ''}about {estimated:.0f} s)")
    score_fold = partial(_score_fold, train, target, features, kinds, classifier, minority, majority, seed,
                         fold_index, settings, cleaning)
    started = time.perf_counter()
    ratio = repeated_cv_ratio(folds)
    scores: dict[tuple[str, int], FoldScore] = {}
    running, stopped_after = list(candidates), {}
    for repeat in range(repeats):
        # one repeat at a time: what stops is decided from completed repeats only, so scheduling cannot change it
        tasks = [(name, fold) for name in running for fold in range(repeat * folds, (repeat + 1) * folds)]
        done, planned = len(scores), len(scores) + len(tasks) * (repeats - repeat)

        def report(index: int, total: int, tasks=tasks, done=done, planned=planned) -> None:
            if progress:
                name, fold = tasks[index]
                progress((done + index + 1) / planned, f"{strategy_words(name)}: fold {fold + 1} of {total_folds} done")

        scores.update(zip(tasks, parallel_map(score_fold, tasks, n_jobs=jobs, scheduler=scheduler, on_result=report,
                                              should_stop=should_stop)))
        if not adaptive or repeat == repeats - 1:
            continue
        measured = range((repeat + 1) * folds)
        failed = [n for n in running if any(scores[(n, f)].error for f in measured)]  # its error is already known
        behind = clearly_behind({n: [scores[(n, f)].minority_f1 for f in measured] for n in running
                                 if n not in failed}, folds)
        for name in behind:
            stopped_after[name] = repeat + 1
        running = [n for n in running if n not in failed and n not in behind]
    results = []
    for name in candidates:
        own = [scores[(name, f)] for f in range(total_folds) if (name, f) in scores]
        errors = [s.error for s in own if s.error]
        kind = kind_of(name)
        seconds = float(sum(s.seconds for s in own))
        if errors:
            results.append(CandidateResult(name, strategy_words(name), kind, None, None, seconds, error=errors[0]))
            continue
        fallbacks = [s.threshold_fallback for s in own if s.threshold_fallback]
        results.append(CandidateResult(name, strategy_words(name), kind,
                                       summarise([s.minority_f1 for s in own], ratio, F1_BOUNDS),
                                       summarise([s.pr_auc for s in own], ratio, F1_BOUNDS), seconds,
                                       tuple(s.threshold for s in own), threshold_fallbacks=len(fallbacks),
                                       threshold_fallback=fallbacks[0] if fallbacks else "",
                                       stopped_after=stopped_after.get(name, 0)))
    chosen, results = recommend(results, folds, margin)
    best = _best([c for c in results if c.ran and not c.stopped])
    pick = next(c for c in results if c.name == chosen)
    runner = runner_up(chosen, results, folds)
    smallest = min(counts.values())
    return RaceResult(recommended=chosen, kind=kind_of(chosen),
                      candidates=tuple(results), skipped=tuple(skipped),
                      explanation=explain(chosen, results, folds, len(train), skipped, repeats, margin, smallest,
                                          runner),
                      classifier=classifier, folds=folds, seed=seed, test_size=test_size, train_rows=len(train),
                      seconds=time.perf_counter() - started, estimated_seconds=estimated, repeats=repeats,
                      best=best.name, margin=margin, margin_cost=best.minority_f1.mean - pick.minority_f1.mean,
                      runner_up=runner.name if runner else None, vs_runner_up=runner.difference if runner else None,
                      separated=bool(runner and runner.separated),
                      detectable_difference=runner.detectable if runner else float("nan"), minority_rows=smallest,
                      adaptive=adaptive)


def race_prepared(prepared, classifier: str = "logreg", folds: int = DEFAULT_FOLDS,
                  budget_seconds: float = DEFAULT_BUDGET_S, candidates: list[str] | None = None,
                  n_jobs: int | None = None, scheduler: str | None = None, progress: Progress | None = None,
                  should_stop: StopRequested | None = None, settings: SamplerSettings = SamplerSettings(),
                  repeats: int | None = None, margin: float = 0.0, adaptive: bool = True) -> RaceResult:
    """The race on a Prepared's training part (the split `run` uses for the same seed and test share), its
    cleaning plan fitted inside each fold's training rows rather than once on the whole training part."""
    dataset, profile = prepared.dataset, prepared.profile
    return race(prepared.split.train, dataset.target, dataset.features, dataset.column_types, profile.minority_classes,
                profile.majority_class, classifier, folds, prepared.split.seed, prepared.split.test_size,
                budget_seconds, candidates, n_jobs, scheduler, progress, should_stop, settings, repeats, margin,
                prepared.cleaning.plan, adaptive)


def estimate_race_prepared(prepared, classifier: str = "logreg", folds: int = DEFAULT_FOLDS,
                           budget_seconds: float = DEFAULT_BUDGET_S, n_jobs: int | None = None,
                           repeats: int | None = None) -> float:
    """Seconds `race_prepared` should take with these settings, before it runs (the candidates it would race;
    when repeats is None, the repeats the race itself takes: `repeats_for` the budget, so the page's estimate and
    the race's own 'about N s' count the same repeats): an upper bound for the adaptive race, since which
    candidates stop early is only known from the folds."""
    dataset = prepared.dataset
    kinds = {c: dataset.column_types[c] for c in dataset.features}
    counts = {str(k): int(v) for k, v in prepared.train[dataset.target].astype(str).value_counts().items()}
    candidates, _ = candidates_for(kinds, counts, budget_seconds, len(dataset.features), folds)
    if repeats is None:
        repeats = repeats_for(len(prepared.train), len(dataset.features), candidates, classifier, folds,
                              budget_seconds)
    return estimate_race_seconds(prepared.train, dataset.target, candidates, dataset.features, kinds, classifier,
                                 folds, prepared.split.seed, check_n_jobs(n_jobs), repeats)
