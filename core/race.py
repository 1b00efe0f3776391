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
from dataclasses import dataclass, field
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
from core.intervals import repeated_cv_ratio, summarise
from core.models import SharedFits, fit_strategy, make_strategy, strategy_frame, strategy_proba
from core.parallel import check_n_jobs, parallel_map
from core.race_results import CandidateResult, FoldScore, RaceResult
from core.race_rule import F1_BOUNDS, best_candidate, clearly_behind, recommend, runner_up
from core.race_words import explain, race_shape
from core.split import ensure_not_held_out
from core.strategies import NO_GENERATION, UNTUNED, display_order, kind_of, strategy_words
from core.thresholds import DEFAULT_THRESHOLD, THRESHOLD_FOLDS, choose_threshold, choose_thresholds

DEFAULT_FOLDS = 5
DEFAULT_REPEATS = 3
DEFAULT_BUDGET_S = 300.0


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


def _fold_rows(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str], minority: list[str],
               positions: tuple[np.ndarray, np.ndarray], cleaning: CleaningPlan | None,
               seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fold's fit and check rows; with a cleaning plan, the fit rows cleaned by it (fitted on them only) and the
    check rows' gaps filled by the same fitted imputers (transform only)."""
    fit_rows, check_rows = (train.iloc[i] for i in positions)
    if cleaning is not None:
        cleaned = clean_training(fit_rows, target, features, kinds, minority[0], cleaning, seed)
        fit_rows = cleaned.train
        check_rows = fill_missing_like_train(cleaned, check_rows, features, kinds)
    return fit_rows, check_rows


def _score_fold(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str], classifier: str,
                minority: list[str], majority: str, seed: int, fold_index: dict[int, tuple[np.ndarray, np.ndarray]],
                settings: SamplerSettings, cleaning: CleaningPlan | None, task: tuple[str, int]) -> FoldScore:
    """Fit one candidate on one fold's training rows (cleaned by `cleaning` fitted on those rows only; a tuned
    candidate tunes its threshold on out-of-fold probabilities inside them), score the fold's validation rows
    (gaps filled by the fold's own imputers, transform only)."""
    name, fold = task
    started = time.perf_counter()
    task_seed = seed + fold
    try:
        fit_rows, check_rows = _fold_rows(train, target, features, kinds, minority, fold_index[fold], cleaning,
                                          task_seed)
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


def _score_group(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str], classifier: str,
                 minority: list[str], majority: str, seed: int, fold_index: dict[int, tuple[np.ndarray, np.ndarray]],
                 settings: SamplerSettings, cleaning: CleaningPlan | None,
                 task: tuple[tuple[str, ...], int]) -> list[FoldScore]:
    """`_score_fold` for candidates that share a fold's rows, with the work they share done once and the same
    figures: the fold's cleaning, the model frame of its rows, and (`core.models.SharedFits`) for the candidates
    without synthetic rows one fitted space per set of fit rows and one classifier fit per distinct setting ("as is"
    and the tuned threshold fit the same model on the same rows; so do the two class-weighted ones), on the fold
    and on each inner fold of the threshold tuning. A generator's rows are its own: its group is itself.

    Each candidate's seconds are the task's seconds shared in proportion to the fits it would make alone
    (`race_fits_per_fold`). Should the shared work fail, each candidate is scored on its own (`_score_fold`), so an
    error stays in the row of the candidate that raised it."""
    names, fold = task
    started = time.perf_counter()
    task_seed = seed + fold
    try:
        fit_rows, check_rows = _fold_rows(train, target, features, kinds, minority, fold_index[fold], cleaning,
                                          task_seed)
        strategies = {name: _strategy(name, classifier, features, kinds, task_seed, settings) for name in names}
        binary = fit_rows[target].astype(str).nunique() == 2
        frame = strategy_frame(strategies[names[0]], fit_rows, features)  # made once: tuning and the fold's fits
        tuned = {name: strategies[name] for name in names if name not in UNTUNED}
        choices = choose_thresholds(tuned, fit_rows, target, features, minority, task_seed, THRESHOLD_FOLDS,
                                    frame=frame) if tuned else {}
        probas = SharedFits(strategies, fit_rows, target, features, frame).proba(check_rows)
        truth = check_rows[target].astype(str).to_numpy()
        figures = []
        for name in names:
            choice = choices.get(name)
            threshold = choice.threshold if choice else (DEFAULT_THRESHOLD if binary else None)
            _, _, values = scored(probas[name], truth, minority, majority, threshold)
            figures.append((name, values, threshold, choice.fallback if choice else ""))
    except Exception:  # scored one by one instead, where each error stays with the candidate that raised it
        return [_score_fold(train, target, features, kinds, classifier, minority, majority, seed, fold_index,
                            settings, cleaning, (name, fold)) for name in names]
    seconds, weights = time.perf_counter() - started, [race_fits_per_fold(name) for name in names]
    return [FoldScore(name, fold, values["minority_f1"], values["pr_auc"], threshold,
                      seconds * weight / sum(weights), threshold_fallback=fallback)
            for (name, values, threshold, fallback), weight in zip(figures, weights)]


def fold_groups(names: list[str], share: bool = True) -> list[tuple[str, ...]]:
    """The candidates that share a fold task: every candidate without synthetic rows in one (the same rows and
    space; `_score_group`), each generator on its own (share False: every candidate on its own)."""
    plain = tuple(name for name in names if name in NO_GENERATION)
    own = [(name,) for name in names if not share or name not in NO_GENERATION]
    return [plain, *own] if share and plain else own


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
         adaptive: bool = True, share: bool = True) -> RaceResult:
    """Race the candidates on `train` (the training part only) with repeated stratified K-fold.

    adaptive: after each repeat but the last, stop the candidates `clearly_behind` the leader (and those that
    failed); the remaining repeats run on the rest, and the best mean of those still running wins (False: every
    candidate runs every repeat).

    share: the candidates without synthetic rows share each fold's work (`_score_group`: the same figures with
    fewer fits; False scores every candidate on its own, `_score_fold`).

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
    score_group = partial(_score_group if share else _score_fold, train, target, features, kinds, classifier,
                          minority, majority, seed, fold_index, settings, cleaning)
    started = time.perf_counter()
    ratio = repeated_cv_ratio(folds)
    scores: dict[tuple[str, int], FoldScore] = {}
    running, stopped_after = list(candidates), {}
    for repeat in range(repeats):
        # one repeat at a time: what stops is decided from completed repeats only, so scheduling cannot change it
        tasks = [(group if share else group[0], fold) for group in fold_groups(running, share)
                 for fold in range(repeat * folds, (repeat + 1) * folds)]
        sizes = np.cumsum([len(group) if share else 1 for group, _ in tasks])  # candidate folds done per task
        done, planned = len(scores), len(scores) + len(running) * folds * (repeats - repeat)

        def report(index: int, total: int, tasks=tasks, sizes=sizes, done=done, planned=planned) -> None:
            if progress:
                group, fold = tasks[index]
                words = ", ".join(strategy_words(name) for name in ((group,) if isinstance(group, str) else group))
                progress((done + int(sizes[index])) / planned, f"{words}: fold {fold + 1} of {total_folds} done")

        for figures in parallel_map(score_group, tasks, n_jobs=jobs, scheduler=scheduler, on_result=report,
                                    should_stop=should_stop):
            scores.update(((s.candidate, s.fold), s) for s in (figures if share else [figures]))
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
    best = best_candidate([c for c in results if c.ran and not c.stopped])
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
