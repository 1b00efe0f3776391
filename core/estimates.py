"""Time estimates for the long jobs, shown before they start (pages) and checked against measured times by
bench/estimates.py. Each is a count of classifier fits times one timed fit on this data, plus the generators'
own estimates; the factors were read from bench/estimates.py runs on this 2-core machine."""
from __future__ import annotations

import time

from core.generators.registry import REGISTRY
from core.parallel import check_n_jobs
from core.strategies import NO_GENERATION, UNTUNED
from core.thresholds import THRESHOLD_FOLDS

# classifier fits' worth per arm and repeat, and for validation (quality, coverage, detection, privacy) plus a
# fixed part: read from bench/estimates.py on German credit (3 December, a loaded machine: the Comparison took
# 3.6 fits' worth per repeat for its 4 arms without synthetic rows, about 10 with SMOTE-NC's 7 arms)
_FITS_PER_ARM, _VALIDATION_FITS, _VALIDATION_S = 1.0, 8, 2.0

# Seconds per candidate-and-fold result (or per arm of a repeat in a comparison) beyond its model fits: predicting,
# scoring, the threshold grid, the cleaning plan and joblib's bookkeeping. Read from bench/estimates.py on a quiet
# machine (3 December: the race measured 27.1 s against 13.8 s of fits alone over 72 results; a comparison without
# synthetic rows 2.9 s against 0.9 s over 12 arm runs).
TASK_SECONDS = 0.17


def fit_seconds(train, target: str, features: list[str], kinds: dict[str, str], classifier: str, seed: int) -> float:
    """Seconds of one fit of the classifier pipeline on `train` (timed on at most 20,000 of its rows, scaled).

    A first fit on 200 rows goes before the timed one: the first fit in a process pays imports and first-call
    set-up, which made the Method page's estimate (made on the page's first run) 44 s where the race's own
    estimate, a minute later, said 17 s for the same work. The fit is timed in CPU seconds of this thread (the
    app runs one BLAS thread per process): a wall-clock timing of a 0.1 s fit on a shared machine read 0.74 s
    (7 December, load 16 on 2 cores), so estimates swung with whatever else ran at that instant. CPU seconds give
    the time on a quiet machine: the race estimated so took 1.16 x its estimate in CPU seconds, the Comparisons
    1.21 and 1.26 (bench/estimates.py, same day)."""
    from core.models import fit_strategy, make_strategy

    chosen = {c: kinds[c] for c in features}
    probe = train.sample(n=min(len(train), 20000), random_state=seed)
    try:
        warm = probe.groupby(target, group_keys=False).head(100)  # every class, so the classifier can fit
        fit_strategy(make_strategy(classifier, features, chosen, seed), warm, target, features)
    except Exception:  # the warm-up is only for timing; the timed fit below raises what matters
        pass
    started = time.thread_time()  # this thread only: other sessions' scripts run in the same server process
    fit_strategy(make_strategy(classifier, features, chosen, seed), probe, target, features)
    return (time.thread_time() - started) * len(train) / len(probe)


# the first private or neural fit in a server process imports torch (and opacus): DP-VAE on German credit's 210
# minority rows was estimated at 3 s (its training alone) and took 15 s the first time in the app (issue 21) and
# 5.6-7.5 s in bench/estimates.py (3 December, quiet machine; 3 s of it training)
FIRST_USE_S = {"dp_vae": 4.0, "ctgan": 6.0, "tvae": 6.0}


def first_use_seconds(method: str) -> float:
    """Seconds of library imports a generator pays on its first fit in this process (0 once they are loaded)."""
    import sys

    needed = ("torch", "opacus") if method == "dp_vae" else ("torch", "ctgan")
    return 0.0 if all(m in sys.modules for m in needed) else FIRST_USE_S.get(method, 0.0)


def generator_seconds(method: str, params: dict, train_counts: dict[str, int], n_features: int) -> float:
    """A generator's own estimate (neural and private ones), or a couple of fits' worth (0) for the fast ones."""
    info = REGISTRY.get(method)
    if info is None:
        return 0.0
    smallest = min(train_counts.values()) if train_counts else 0
    settings = {**info.defaults(), **(params or {})}
    if info.differentially_private:
        from core.generators.dp import estimate_seconds
        return estimate_seconds(smallest, n_features, int(settings.get("epochs", 30))) + first_use_seconds(method)
    if info.slow:
        from core.generators.deep import estimate_seconds
        return estimate_seconds(method, smallest, n_features, int(settings.get("epochs", 100)),
                                int(settings.get("batch_size", 500))) + first_use_seconds(method)
    return 0.0


def private_training(params: dict, train_counts: dict[str, int], counts: dict[str, int],
                     n_columns: int) -> tuple[dict[str, int], dict[str, float], float]:
    """A private generation before it runs (the Generation page's note): the training rows of each model (per
    class: {class: rows} for the classes in `counts`; conditional: {'all classes': every training row}), the delta
    each model gets (the params' delta, else default_delta of its rows) and the estimated seconds (each model's
    training plus the libraries' first use in this process)."""
    from core.generators.dp import estimate_seconds
    from core.generators.dp_guarantee import default_delta
    per_class = params.get("mode") == "per_class"
    trained = {c: train_counts[c] for c in counts} if per_class else {"all classes": sum(train_counts.values())}
    deltas = {c: float(params.get("delta") or 0) or default_delta(n) for c, n in trained.items()}
    seconds = sum(estimate_seconds(n, n_columns, int(params.get("epochs", 30))) for n in trained.values()) \
        + first_use_seconds("dp_vae")  # torch and opacus load on the first private fit of the server process
    return trained, deltas, seconds


def race_fits_per_fold(name: str) -> int:
    """Model fits per fold of a race candidate: 1 untuned, 1 + THRESHOLD_FOLDS with a tuned threshold."""
    return 1 if name in UNTUNED else 1 + THRESHOLD_FOLDS


def synthetic_fit_factor(name: str) -> float:
    """A fit on training rows plus synthetic rows costs about 1.8 fits on the training rows alone."""
    return 1 if name in NO_GENERATION else 1.8


def estimate_race_seconds(train, target: str, candidates: list[str], features: list[str],
                          kinds: dict[str, str], classifier: str, folds: int, seed: int, n_jobs: int,
                          repeats: int = 1) -> float:
    """Seconds the race (`core.race.race`) should take: one timed fit of the classifier on a fold's share of the
    rows, times the fits per candidate and fold (1 untuned, 1 + THRESHOLD_FOLDS tuned; synthetic rows about double
    a fit), plus the neural estimates, plus TASK_SECONDS per candidate and fold. Every candidate on every repeat:
    for the adaptive race, which stops candidates clearly behind after a repeat, an upper bound."""
    from core.generators.deep import estimate_seconds

    per_fit = fit_seconds(train, target, features, kinds, classifier, seed) * (folds - 1) / folds  # warm, timed
    cheap = sum(race_fits_per_fold(c) * per_fit * synthetic_fit_factor(c) for c in candidates
                if not REGISTRY.get(c) or not REGISTRY[c].slow) * folds * repeats
    smallest = int(train[target].astype(str).value_counts().min() * (folds - 1) / folds)
    deep = sum(race_fits_per_fold(c) * folds * repeats * estimate_seconds(c, smallest, len(features),
                                                                          int(REGISTRY[c].defaults()["epochs"]))
               for c in candidates if c in REGISTRY and REGISTRY[c].slow)
    tasks = folds * repeats * len(candidates) * TASK_SECONDS  # scoring, tuning and bookkeeping per fold result
    return (cheap + deep + tasks) / max(1, min(n_jobs, folds * repeats * len(candidates)))


def experiment_seconds(prepared, method: str, params: dict, repeats: int, classifier: str,
                       n_jobs: int | None = 1) -> float:
    """The Comparison (`run_experiment`): per repeat the arms' fits and the generator, validation once; repeats
    share the cores."""
    dataset = prepared.dataset
    per_fit = fit_seconds(prepared.train, dataset.target, dataset.features, dataset.column_types, classifier,
                          prepared.split.seed)
    generating = method in REGISTRY
    arms = 7 if generating else 4
    counts = prepared.train_class_counts
    # the generator runs once for the augmented arm and once in each inner fold of its tuned threshold (on
    # (K - 1) / K of the rows)
    generations = 1 + THRESHOLD_FOLDS * (THRESHOLD_FOLDS - 1) / THRESHOLD_FOLDS
    one_repeat = arms * (_FITS_PER_ARM * per_fit * (1.5 if generating else 1.0) + TASK_SECONDS) + (
        generations * generator_seconds(method, params, counts, len(dataset.features)) if generating else 0.0)
    validation = (_VALIDATION_FITS * per_fit + _VALIDATION_S) if generating else 0.0
    return repeats * one_repeat / max(1, min(check_n_jobs(n_jobs), repeats)) + validation


def leaderboard_seconds(prepared, methods: list[str], params_for, classifier: str, n_jobs: int | None = 1,
                        folds: int = 5, repeats: int = 1) -> float:
    """Compare generators (`build_leaderboard`): one race per repeat over the strategies' folds (on that repeat's
    training part), then one Comparison of `repeats` repeats per generator and one shared by the strategies
    without synthetic rows, each as `experiment_seconds` estimates it. (Until December 2026 the repeats were left
    out: 24 s estimated for a 62 s run of 3 repeats.)"""
    dataset = prepared.dataset
    strategies = list(dict.fromkeys([*NO_GENERATION, *methods]))
    one_race = estimate_race_seconds(prepared.train, dataset.target, strategies, dataset.features,
                                     dataset.column_types, classifier, folds, prepared.split.seed,
                                     check_n_jobs(n_jobs))
    plain = experiment_seconds(prepared, "threshold_tuned", {}, repeats, classifier, n_jobs)  # shared by the four
    generators = sum(experiment_seconds(prepared, m, params_for(m) if params_for else {}, repeats, classifier, n_jobs)
                     for m in strategies if m in REGISTRY)
    return repeats * one_race + plain + generators


def sweep_seconds(prepared, method: str, params: dict, epsilons: int, include_non_private: bool, repeats: int,
                  classifier: str) -> float:
    """The privacy-utility dial (`run_sweep`, points one after the other): a Comparison per point."""
    points = epsilons + (1 if include_non_private else 0)
    return points * experiment_seconds(prepared, method, params, repeats, classifier, 1)


def umap_seconds(rows: int, compiled: bool) -> float:
    """UMAP's time on this machine: measured 77 s for the first run of a server process (numba compiles UMAP's
    functions), then 4-10 s on up to 20,000 rows (it fits on at most 20,000).

    compiled: whether UMAP already ran in this process."""
    return 4.0 + 6.0 * min(rows, 20000) / 20000 + (0.0 if compiled else 70.0)


# The run cost check (issue 34): one estimate from the model above, without timing a fit, called by every entry
# point that runs a config (the CLI's run, the Report page's replay, Monitor's refreshed re-run) before it starts.
MAX_RUN_HOURS = 4.0  # the limit on this machine; the CLI lifts it with --max-hours
# Seconds per row of one classifier fit, and per synthetic row drawn: from the 3 December comparison above (0.9 s of
# fits over 12 arm runs of German credit's 700 training rows: 1.1e-4 s per row-fit); a drawn row is counted as one
# row-fit (sampling, decoding, constraint checks).
ROW_FIT_SECONDS = 1.1e-4


def run_cost_seconds(config, class_counts: dict[str, int], n_features: int, n_jobs: int | None = 1) -> float:
    """Estimated seconds of `run_experiment(dataset, config)` from counts alone: per repeat, the arms' classifier
    fits x their rows (the augmented arms' rows include the synthetic ones), the generator's fits x its epochs x
    rows (generator_seconds) and the synthetic rows drawn; validation once. class_counts: rows per class of the
    whole table (the training part is 1 - test_size of each)."""
    train_counts = {str(c): max(1, int(n * (1 - config.test_size))) for c, n in class_counts.items()}
    rows = sum(train_counts.values())
    generating = config.method in REGISTRY
    synthetic = sum(config.amount.counts(train_counts).values()) if generating else 0
    generations = 1 + THRESHOLD_FOLDS * (THRESHOLD_FOLDS - 1) / THRESHOLD_FOLDS
    fits = 4 * rows + (3 * (rows + synthetic) if generating else 0)  # row-fits of the arms in one repeat
    one_repeat = fits * ROW_FIT_SECONDS + 7 * TASK_SECONDS + (generations * (
        generator_seconds(config.method, config.params, train_counts, n_features)
        + synthetic * ROW_FIT_SECONDS) if generating else 0.0)
    validation = (_VALIDATION_FITS * (rows + synthetic) * ROW_FIT_SECONDS + _VALIDATION_S
                  if generating and config.validation else 0.0)
    return config.repeats * one_repeat / max(1, min(check_n_jobs(n_jobs), config.repeats)) + validation


def duration_words(seconds: float) -> str:
    """'about 26 hours', 'about 40 minutes', 'about 30 seconds'."""
    if seconds >= 2 * 3600:
        return f"about {seconds / 3600:,.0f} hours"
    if seconds >= 120:
        return f"about {seconds / 60:,.0f} minutes"
    return f"about {max(seconds, 1):,.0f} seconds"


def check_run_cost(config, dataset, limit_hours: float = MAX_RUN_HOURS, n_jobs: int | None = 1,
                   lift: str = "") -> float:
    """Refuse, before it starts, a run of `config` on `dataset` (a core.data.Dataset) estimated over limit_hours;
    returns the estimate in seconds. lift: how the caller can raise the limit (the CLI's option), said in the
    refusal."""
    from core.errors import ConfigError

    seconds = run_cost_seconds(config, {str(k): int(v) for k, v in dataset.class_counts.items()},
                               len(dataset.features), n_jobs)
    if seconds > limit_hours * 3600:
        raise ConfigError(f"This run would take {duration_words(seconds)} on this machine ({config.repeats} repeat(s) "
                          f"of {config.method} on {len(dataset.frame):,} rows); the limit is {limit_hours:g} hours. "
                          "Lower the repeats, the epochs or the synthetic rows, or use a stratified sample of the "
                          "rows" + (f"; or lift the limit with {lift}" if lift else "") + ".")
    return seconds
