"""The strategy race: measure candidate strategies on the analyst's own training part before recommending one.

Cross-validation inside the training part only (the test part that `run` sets aside for the same seed and test
share is never touched): each candidate is an imbalanced-learn Pipeline (resample inside each fold, then the
classifier), scored at its own tuned threshold (tuned inside the fold's training rows) by minority F1 and
PR-AUC on the fold's validation rows. Intervals over folds use the corrected resampled t-test with
n_test / n_train = 1 / (K - 1) (Bouckaert & Frank 2004). The recommendation is the simplest strategy within noise
of the best: no generation before generation, copies before interpolation, interpolation before neural models.
Folds x candidates run through `core.parallel` (n_jobs, or a Dask cluster) with their seeds fixed per task, so
the figures are the same for any n_jobs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from core.data import LEVEL_KINDS, NUMBER_KINDS
from core.errors import ConfigError, DataError, SynthBalanceError
from core.evaluation import Difference, Summary, paired_difference, scored, summarise, tune_threshold
from core.generators.base import Progress, StopRequested
from core.generators.deep import SMALL_CLASS_ROWS, estimate_seconds
from core.generators.registry import REGISTRY, resolve_method
from core.generators.sampler import GeneratorSampler
from core.models import fit_strategy, make_strategy, strategy_proba
from core.parallel import check_n_jobs, parallel_map
from core.split import ensure_not_held_out

NO_GENERATION = ("threshold_tuned", "class_weighted")
# Simplicity order: no generation, then copies, interpolation, the copula, neural and private models.
SIMPLICITY = ("threshold_tuned", "class_weighted", "random_oversampler", "smote", "smotenc", "smoten",
              "borderline_smote", "adasyn", "svm_smote", "kmeans_smote", "gaussian_copula", "tvae", "ctgan")
CANDIDATE_LABELS = {"threshold_tuned": "Tuned threshold only", "class_weighted": "Class weights + tuned threshold"}
DEFAULT_FOLDS = 5
DEFAULT_BUDGET_S = 300.0


def label_of(name: str) -> str:
    """The analyst-facing name of a candidate."""
    return CANDIDATE_LABELS.get(name) or REGISTRY[name].label


def simplicity(name: str) -> int:
    return SIMPLICITY.index(name) if name in SIMPLICITY else len(SIMPLICITY)


@dataclass(frozen=True)
class FoldScore:
    """One candidate on one fold: minority F1 at the tuned threshold and PR-AUC on the fold's validation rows."""
    candidate: str
    fold: int
    minority_f1: float
    pr_auc: float
    threshold: float | None
    seconds: float
    error: str = ""


@dataclass(frozen=True)
class CandidateResult:
    """A candidate over the folds: Summaries with corrected intervals, seconds spent (all folds), the tuned
    thresholds per fold, its paired difference to the best candidate (minority F1, None for the best itself)
    and the error that stopped it ('' when it ran)."""
    name: str
    label: str
    kind: str
    minority_f1: Summary | None
    pr_auc: Summary | None
    seconds: float
    thresholds: tuple[float | None, ...] = ()
    vs_best: Difference | None = None
    error: str = ""

    @property
    def ran(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class RaceResult:
    """The race: the recommended strategy, its kind ('no_generation' or 'generator'), every candidate, the
    candidates left out with the reason, the plain-English explanation, and the settings it ran under."""
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
    correction: str = field(default="corrected resampled t-test over folds (Bouckaert & Frank 2004)")

    def to_dict(self) -> dict:
        """The `advise --json` schema."""
        def summary(s: Summary | None) -> dict | None:
            return None if s is None else {"mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high}
        return {"recommended": self.recommended, "kind": self.kind,
                "candidates": [{"name": c.name, "label": c.label, "kind": c.kind,
                                "minority_f1": summary(c.minority_f1), "pr_auc": summary(c.pr_auc),
                                "seconds": c.seconds, "error": c.error or None} for c in self.candidates],
                "skipped": [{"name": n, "reason": r} for n, r in self.skipped],
                "explanation": self.explanation, "classifier": self.classifier, "folds": self.folds,
                "seed": self.seed, "test_size": self.test_size, "interval": self.correction}


def candidates_for(feature_kinds: dict[str, str], train_counts: dict[str, int], budget_seconds: float,
                   n_features: int, folds: int = DEFAULT_FOLDS) -> tuple[list[str], list[tuple[str, str]]]:
    """(candidates in simplicity order, [(left out, why)]) for these column kinds and training class sizes.

    Always: tuned threshold only, class weights, random oversampling; the SMOTE variants that fit the column
    types; the Gaussian copula; CTGAN / TVAE only when the smallest class has at least SMALL_CLASS_ROWS rows and
    their estimated time for all folds fits the budget.
    """
    n_numbers = sum(1 for k in feature_kinds.values() if k in NUMBER_KINDS)
    n_levels = sum(1 for k in feature_kinds.values() if k in LEVEL_KINDS)
    smallest = min(train_counts.values())
    wanted = ["threshold_tuned", "class_weighted", "random_oversampler"]
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
        seconds = folds * 2 * estimate_seconds(name, fold_rows, n_features, epochs)
        if seconds > budget_seconds:
            skipped.append((name, f"about {seconds:.0f} s for {folds} folds, over the {budget_seconds:.0f} s budget"))
            continue
        wanted.append(name)
    return sorted(wanted, key=simplicity), skipped


@dataclass(frozen=True)
class SamplerSettings:
    """How generators make rows in the race, as in the run: the amount (an Amount, or imbalanced-learn's
    'auto'), row rules, the density filter, and per-method parameters ({method: {param: value}})."""
    amount: object = "auto"
    rules: tuple[str, ...] = ()
    density: object = None
    params: dict = field(default_factory=dict)


def _strategy(name: str, classifier: str, features: list[str], kinds: dict[str, str], seed: int,
              settings: SamplerSettings = SamplerSettings()):
    if name == "threshold_tuned":
        return make_strategy(classifier, features, kinds, seed)
    if name == "class_weighted":
        return make_strategy(classifier, features, kinds, seed, "balanced")
    sampler = GeneratorSampler(method=name, params=settings.params.get(name), sampling_strategy=settings.amount,
                               kinds={c: kinds[c] for c in features}, rules=tuple(settings.rules),
                               density=settings.density, random_state=seed)
    return make_strategy(classifier, features, kinds, seed, sampler=sampler)


def _score_fold(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str], classifier: str,
                minority: list[str], majority: str, seed: int, fold_index: dict[int, tuple[np.ndarray, np.ndarray]],
                settings: SamplerSettings, task: tuple[str, int]) -> FoldScore:
    """Fit one candidate on one fold's training rows (tuning its threshold inside them), score its validation rows."""
    name, fold = task
    started = time.perf_counter()
    fit_rows, check_rows = (train.iloc[i] for i in fold_index[fold])
    task_seed = seed + fold
    try:
        strategy = _strategy(name, classifier, features, kinds, task_seed, settings)
        threshold = tune_threshold(strategy, fit_rows, target, features, minority, task_seed)
        model = fit_strategy(strategy, fit_rows, target, features)
        truth = check_rows[target].astype(str).to_numpy()
        _, _, values = scored(strategy_proba(model, check_rows, features), truth, minority, majority, threshold)
        return FoldScore(name, fold, values["minority_f1"], values["pr_auc"], threshold,
                         time.perf_counter() - started)
    except Exception as exc:  # one candidate's failure, whatever its type, stays in its row; the race goes on
        message = " ".join(str(exc).split()) or type(exc).__name__
        if not isinstance(exc, SynthBalanceError):
            message = f"{type(exc).__name__}: {message}"
        return FoldScore(name, fold, float("nan"), float("nan"), None, time.perf_counter() - started, message)


def recommend(candidates: list[CandidateResult], folds: int) -> tuple[str, list[CandidateResult]]:
    """(the simplest candidate within noise of the best by minority F1, candidates with `vs_best` filled).

    Within noise: the corrected 95% interval of (candidate - best) over folds reaches 0. Ties of the best mean
    go to the simpler candidate.
    """
    ran = [c for c in candidates if c.ran]
    if not ran:
        raise DataError("No candidate strategy could be measured on these rows; see each candidate's error.")
    best = max(ran, key=lambda c: (c.minority_f1.mean, -simplicity(c.name)))
    ratio = 1 / (folds - 1)
    filled = []
    for c in candidates:
        if c.ran and c.name != best.name:
            c = CandidateResult(**{**c.__dict__, "vs_best": paired_difference(c.minority_f1.values,
                                                                             best.minority_f1.values, ratio)})
        filled.append(c)
    within = [c for c in filled if c.ran and (c.name == best.name or c.vs_best.ci_high >= 0)]
    chosen = min(within, key=lambda c: simplicity(c.name))
    return chosen.name, filled


def explain(chosen: str, candidates: list[CandidateResult], folds: int, train_rows: int,
            skipped: list[tuple[str, str]]) -> str:
    """One paragraph in plain English: what was measured, who won, why the recommendation is what it is."""
    by_name = {c.name: c for c in candidates}
    ran = [c for c in candidates if c.ran]
    best = max(ran, key=lambda c: (c.minority_f1.mean, -simplicity(c.name)))
    pick = by_name[chosen]
    text = [f"On {folds} folds of your {train_rows:,} training rows (the test part was not touched), "
            f"{len(ran)} {'strategy was' if len(ran) == 1 else 'strategies were'} measured at their own tuned "
            "thresholds. The best minority F1 was "
            f"{best.minority_f1.mean:.3f} ({best.label}; corrected 95% CI {best.minority_f1.ci_low:.3f} to "
            f"{best.minority_f1.ci_high:.3f})."]
    if chosen == best.name:
        simpler = [c for c in ran if simplicity(c.name) < simplicity(pick.name)]
        text.append(f"{pick.label} is recommended: " + ("no simpler strategy came within noise of it."
                                                        if simpler else "it is also the simplest strategy."))
    else:
        d = pick.vs_best
        text.append(f"{pick.label} reached {pick.minority_f1.mean:.3f}, within noise of the best "
                    f"(difference {d.mean:+.3f}, corrected 95% CI {d.ci_low:+.3f} to {d.ci_high:+.3f}), and it is "
                    "simpler, so it is recommended.")
    generators_ran = [c for c in ran if c.name not in NO_GENERATION]
    if chosen in NO_GENERATION and generators_ran:
        text.append("Do not generate: synthetic rows did not beat class weights or a tuned threshold on your data.")
    elif chosen in NO_GENERATION:
        text.append("No generator was measured, so this says nothing yet about synthetic rows.")
    else:
        beaten = [c.label for c in ran if c.name in NO_GENERATION and c.vs_best is not None
                  and c.vs_best.ci_high < 0]
        if beaten:
            text.append(f"Generation earned its place here: {', '.join(beaten)} fell short beyond noise.")
    text.append(f"PR-AUC of the recommendation: {pick.pr_auc.mean:.3f} (best "
                f"{max(c.pr_auc.mean for c in ran):.3f}).")
    failed = [c for c in candidates if not c.ran]
    if failed:
        text.append("Could not run: " + "; ".join(f"{c.label} ({c.error})" for c in failed) + ".")
    if skipped:
        text.append("Left out: " + "; ".join(f"{label_of(n)} ({why})" for n, why in skipped) + ".")
    return " ".join(text)


def estimate_race_seconds(train: pd.DataFrame, target: str, candidates: list[str], features: list[str],
                          kinds: dict[str, str], classifier: str, folds: int, seed: int, n_jobs: int) -> float:
    """Seconds the race should take: one timed fit of the classifier on a fold's share of the rows, times five
    fits' worth per candidate and fold (synthetic rows about double a balanced fit), plus the neural estimates."""
    probe = train.sample(n=min(len(train), 20000), random_state=seed)
    started = time.perf_counter()
    fit_strategy(make_strategy(classifier, features, kinds, seed), probe, target, features)
    per_fit = (time.perf_counter() - started) * (len(train) / len(probe)) * (folds - 1) / folds
    # 5 fits' worth per candidate and fold (the fold's fit and its tuned threshold): bench/estimates.py measured
    # 2.8 x the former 2 on German credit
    cheap = sum(5 * per_fit * (1 if c in NO_GENERATION else 1.8) for c in candidates if not REGISTRY.get(c) or
                not REGISTRY[c].slow) * folds
    smallest = int(train[target].astype(str).value_counts().min() * (folds - 1) / folds)
    deep = sum(2 * folds * estimate_seconds(c, smallest, len(features), int(REGISTRY[c].defaults()["epochs"]))
               for c in candidates if c in REGISTRY and REGISTRY[c].slow)
    return (cheap + deep) / max(1, min(n_jobs, folds * len(candidates)))


def race(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str], minority: list[str],
         majority: str, classifier: str = "logreg", folds: int = DEFAULT_FOLDS, seed: int = 42,
         test_size: float = 0.3, budget_seconds: float = DEFAULT_BUDGET_S, candidates: list[str] | None = None,
         n_jobs: int | None = None, scheduler: str | None = None, progress: Progress | None = None,
         should_stop: StopRequested | None = None, settings: SamplerSettings = SamplerSettings()) -> RaceResult:
    """Race the candidates on `train` (the training part only) with stratified K-fold cross-validation.

    candidates: names to race (None: `candidates_for` the column kinds, class sizes and budget). The budget
    decides which slow candidates enter, from their estimates, before anything runs: a race is never cut by the
    clock, so the same inputs give the same figures. Stop (should_stop) cancels between fold results.
    """
    ensure_not_held_out(train)
    if not 2 <= folds <= 20:
        raise ConfigError(f"Folds must be between 2 and 20; got {folds}.")
    counts = {str(k): int(v) for k, v in train[target].astype(str).value_counts().items()}
    if min(counts.values()) < folds:
        small = min(counts, key=counts.get)
        raise DataError(f"Class '{small}' has {counts[small]} training rows, fewer than the {folds} folds: lower the "
                        "number of folds or the test share.")
    kinds = {c: kinds[c] for c in features}
    skipped: list[tuple[str, str]] = []
    if candidates is None:
        candidates, skipped = candidates_for(kinds, counts, budget_seconds, len(features), folds)
    else:
        unknown = [c for c in candidates if c not in NO_GENERATION and c not in REGISTRY]
        if unknown:
            raise ConfigError(f"Unknown candidate(s) {', '.join(unknown)}; use {', '.join(NO_GENERATION)} or a "
                              "method name.")
        candidates = sorted(dict.fromkeys(candidates), key=simplicity)
    labels = train[target].astype(str)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold_index = dict(enumerate(splitter.split(np.zeros(len(train)), labels)))
    jobs = check_n_jobs(n_jobs)
    estimated = estimate_race_seconds(train, target, candidates, features, kinds, classifier, folds, seed, jobs)
    tasks = [(name, fold) for name in candidates for fold in range(folds)]
    if progress:
        progress(0.0, f"Racing {len(candidates)} strategies on {folds} folds of {len(train):,} training rows "
                      f"(about {estimated:.0f} s)")

    def report(index: int, total: int) -> None:
        if progress:
            name, fold = tasks[index]
            progress((index + 1) / total, f"{label_of(name)}: fold {fold + 1} of {folds} done")

    started = time.perf_counter()
    scores = parallel_map(partial(_score_fold, train, target, features, kinds, classifier, minority, majority, seed,
                                  fold_index, settings), tasks, n_jobs=jobs, scheduler=scheduler, on_result=report,
                          should_stop=should_stop)
    results = []
    for name in candidates:
        own = [s for s in scores if s.candidate == name]
        errors = [s.error for s in own if s.error]
        kind = "no_generation" if name in NO_GENERATION else "generator"
        seconds = float(sum(s.seconds for s in own))
        if errors:
            results.append(CandidateResult(name, label_of(name), kind, None, None, seconds, error=errors[0]))
            continue
        results.append(CandidateResult(name, label_of(name), kind,
                                       summarise([s.minority_f1 for s in own], 1 / (folds - 1)),
                                       summarise([s.pr_auc for s in own], 1 / (folds - 1)), seconds,
                                       tuple(s.threshold for s in own)))
    chosen, results = recommend(results, folds)
    return RaceResult(recommended=chosen, kind="no_generation" if chosen in NO_GENERATION else "generator",
                      candidates=tuple(results), skipped=tuple(skipped),
                      explanation=explain(chosen, results, folds, len(train), skipped), classifier=classifier,
                      folds=folds, seed=seed, test_size=test_size, train_rows=len(train),
                      seconds=time.perf_counter() - started, estimated_seconds=estimated)


def race_prepared(prepared, classifier: str = "logreg", folds: int = DEFAULT_FOLDS,
                  budget_seconds: float = DEFAULT_BUDGET_S, candidates: list[str] | None = None,
                  n_jobs: int | None = None, scheduler: str | None = None, progress: Progress | None = None,
                  should_stop: StopRequested | None = None,
                  settings: SamplerSettings = SamplerSettings()) -> RaceResult:
    """The race on a Prepared's cleaned training part (the split `run` uses for the same seed and test share)."""
    dataset, profile = prepared.dataset, prepared.profile
    return race(prepared.train, dataset.target, dataset.features, dataset.column_types, profile.minority_classes,
                profile.majority_class, classifier, folds, prepared.split.seed, prepared.split.test_size,
                budget_seconds, candidates, n_jobs, scheduler, progress, should_stop, settings)



def estimate_race_prepared(prepared, classifier: str = "logreg", folds: int = DEFAULT_FOLDS,
                           budget_seconds: float = DEFAULT_BUDGET_S, n_jobs: int | None = None) -> float:
    """Seconds `race_prepared` should take with these settings, before it runs (the candidates it would race)."""
    dataset = prepared.dataset
    kinds = {c: dataset.column_types[c] for c in dataset.features}
    counts = {str(k): int(v) for k, v in prepared.train[dataset.target].astype(str).value_counts().items()}
    candidates, _ = candidates_for(kinds, counts, budget_seconds, len(dataset.features), folds)
    return estimate_race_seconds(prepared.train, dataset.target, candidates, dataset.features, kinds, classifier,
                                 folds, prepared.split.seed, check_n_jobs(n_jobs))
