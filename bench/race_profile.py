"""Where one `advise` race's time goes: German credit (or another CSV), the default race as `python -m core advise`
runs it (race_prepared, default candidates, budget and repeats, adaptive).

n_jobs 1 (the race runs in this process): first one fit's parts timed without a profiler (cProfile inflates
Python-level code, so its shares overstate encoding against the solver), then cProfile over the race: the
cumulative seconds of the functions that make up a fold's work. Layers overlap, so shares are read per block:
  a fold task (_score_group: the candidates without synthetic rows share one per fold, each generator has its
  own) = cleaning + threshold tuning (inner fits) + the fold's own fits + scoring;
  across every fit (inner and final, SharedFits): classifier fits (the estimator's own fit), generator fits (the
  sampler's fit_resample: SMOTE, copula, ...), encoding (model frame, imputation, scaling, one-hot: fit and
  transform), prediction;
  before the race: the estimate (one timed fit) and the repeat / candidate choice.
n_jobs 2 (the process's loky pool): simple timers around each parallel_map call (one per repeat): wall seconds,
tasks, the payload a job sends (its function with the training table, cloudpickled as loky does), the pool's
start-up (workers started and their imports done), and the task seconds the workers reported, so that
wall x workers - task seconds is the time no task ran (start-up, waiting at the end of a repeat, data movement).

    python bench/race_profile.py [--n-jobs 1,2] [--data CSV --target COLUMN] [--classifier logreg]
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (label, file suffix, function name): cumulative seconds of every matching function (recursion counted once)
BLOCKS = [
    ("the race (race_prepared)", "core/race.py", "race_prepared"),
    ("  before the folds: estimate (one timed fit)", "core/estimates.py", "estimate_race_seconds"),
    ("  fold tasks (_score_group)", "core/race.py", "_score_group"),
    ("    cleaning inside the fold", "core/cleaning.py", "clean_training"),
    ("    threshold tuning (inner fits + scoring)", "core/thresholds.py", "choose_thresholds"),
    ("    scoring the fold's validation rows", "core/evaluation.py", "scored"),
    ("every fit of a fold task's strategies (inner and final: SharedFits)", "core/models.py", "__init__"),
    ("  classifier fit: LogisticRegression", "sklearn/linear_model/_logistic.py", "fit"),
    ("  classifier fit: HistGradientBoosting", "_hist_gradient_boosting/gradient_boosting.py", "fit"),
    ("  classifier fit: RandomForest", "sklearn/ensemble/_forest.py", "fit"),
    ("  generator fits (GeneratorSampler.fit_resample)", "core/generators/sampler.py", "fit_resample"),
    ("  encoding: model frame (core.encoding)", "core/encoding.py", "model_frame"),
    ("  encoding: ColumnTransformer fit_transform", "sklearn/compose/_column_transformer.py", "fit_transform"),
    ("every prediction (SharedFits.proba)", "core/models.py", "proba"),
    ("  encoding: ColumnTransformer transform", "sklearn/compose/_column_transformer.py", "transform"),
]


def german():
    from core.data import validate_dataset
    from core.reading import read_path

    for folder in (ROOT / "sample_data", ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data"):
        if (folder / "german_credit.csv").exists():
            return validate_dataset(read_path(folder / "german_credit.csv"), "credit_risk")
    raise SystemExit("error: german_credit.csv not found")


def cumulative(stats: pstats.Stats, suffix: str, name: str) -> tuple[float, int]:
    """Seconds and calls of the functions `name` in files ending with `suffix` (cProfile's cumulative time)."""
    seconds, calls = 0.0, 0
    for (filename, _, function), (_, ncalls, _, cum, _) in stats.stats.items():
        if function == name and filename.replace("\\", "/").endswith(suffix):
            seconds, calls = seconds + cum, calls + ncalls
    return seconds, calls


def profile_one(prepared, classifier: str) -> None:
    from core.race import race_prepared

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = race_prepared(prepared, classifier, n_jobs=1)
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    print(f"### n_jobs 1: {wall:.1f} s, recommended {result.recommended}, {result.repeats} repeats, stopped: "
          f"{', '.join(f'{n} after {r}' for n, r in result.stopped) or 'none'}\n")
    print("| block | seconds | share of the race | calls |\n|---|---:|---:|---:|")
    race_seconds = cumulative(stats, "core/race.py", "race_prepared")[0]
    for label, suffix, name in BLOCKS:
        seconds, calls = cumulative(stats, suffix, name)
        if calls:
            print(f"| {label.replace(' ', '&nbsp;', label.count(' ') - label.lstrip().count(' '))} | "
                  f"{seconds:.2f} | {seconds / race_seconds:.1%} | {calls:,} |")
    print("\nTop 15 functions by own time:")
    stats.sort_stats("tottime").print_stats(15)


def one_fit_parts(prepared, classifier: str, repeats: int = 20) -> None:
    """One strategy fit on a fold's share of the training rows, its parts timed without a profiler (cProfile
    slows Python-level code, pandas and scikit-learn's checks, far more than the solver's compiled loops, so its
    shares overstate encoding), at one BLAS thread as a race task runs: milliseconds, mean of `repeats`."""
    from sklearn.base import clone

    from core.encoding import distance_space, model_frame
    from core.models import fit_strategy, make_classifier, make_strategy, strategy_proba
    from core.parallel import one_thread_per_task

    dataset = prepared.dataset
    kinds = {c: dataset.column_types[c] for c in dataset.features}
    rows = prepared.train.iloc[:len(prepared.train) * 4 // 5]  # a fold's training rows (5 folds)
    labels = rows[dataset.target].astype(str)
    frame = model_frame(rows, dataset.features, kinds)
    space = distance_space(dataset.features, kinds)
    matrix = space.fit_transform(frame)
    model = make_classifier(classifier, dataset.features, kinds, prepared.split.seed).steps[-1][1]
    strategy = make_strategy(classifier, dataset.features, kinds, prepared.split.seed)
    fitted = fit_strategy(clone(strategy), rows, dataset.target, dataset.features)
    parts = {
        "model frame (core.encoding.model_frame)": lambda: model_frame(rows, dataset.features, kinds),
        "imputers, scaler, one-hot: fit_transform": lambda: clone(space).fit_transform(frame),
        "imputers, scaler, one-hot: transform": lambda: space.transform(frame),
        f"the classifier's own fit ({type(model).__name__}) on the encoded matrix": lambda: clone(model).fit(
            matrix, labels),
        "the whole strategy fit (fit_strategy)": lambda: fit_strategy(clone(strategy), rows, dataset.target,
                                                                      dataset.features),
        "the whole strategy prediction (strategy_proba)": lambda: strategy_proba(fitted, rows, dataset.features),
    }
    print(f"### one fit's parts, no profiler, one thread ({len(rows):,} rows, mean of {repeats}; load "
          f"{os.getloadavg()[0]:.2f})\n\n| part | ms |\n|---|---:|")
    with one_thread_per_task():
        for label, work in parts.items():
            work()
            started = time.perf_counter()
            for _ in range(repeats):
                work()
            print(f"| {label} | {(time.perf_counter() - started) / repeats * 1000:.1f} |")
    print()


def profile_pool(prepared, classifier: str, n_jobs: int) -> None:
    import cloudpickle

    import core.race
    from core.parallel import parallel_map, worker_pool

    calls = []
    original = core.race.parallel_map

    def timed(function, items, **kwargs):
        items = list(items)
        started = time.perf_counter()
        payload = cloudpickle.dumps(function)
        dumped = time.perf_counter() - started
        loaded_started = time.perf_counter()
        cloudpickle.loads(payload)
        loaded = time.perf_counter() - loaded_started
        started = time.perf_counter()
        out = original(function, items, **kwargs)
        calls.append((len(items), time.perf_counter() - started, len(payload), dumped, loaded,
                      sum(s.seconds for figures in out for s in figures)))
        return out

    started = time.perf_counter()
    worker_pool()
    parallel_map(abs, range(-n_jobs, 0), n_jobs=n_jobs)  # every worker started, its imports done
    start_up = time.perf_counter() - started
    core.race.parallel_map = timed
    try:
        started = time.perf_counter()
        result = race_prepared_default(prepared, classifier, n_jobs)
        wall = time.perf_counter() - started
    finally:
        core.race.parallel_map = original
    tasks = sum(c[5] for c in calls)
    print(f"### n_jobs {n_jobs}: pool start-up {start_up:.1f} s (workers started, imports done; before the race), "
          f"race {wall:.1f} s on the warm pool, recommended {result.recommended}\n")
    print("| repeat | tasks | wall s | task s (workers) | idle core s | payload KB | dump s | load s |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|")
    for index, (count, seconds, size, dumped, loaded, task_seconds) in enumerate(calls, 1):
        print(f"| {index} | {count} | {seconds:.1f} | {task_seconds:.1f} | {seconds * n_jobs - task_seconds:.1f} | "
              f"{size / 1024:.0f} | {dumped:.3f} | {loaded:.3f} |")
    outside = wall - sum(c[1] for c in calls)
    print(f"\nrace {wall:.1f} s = pool work {sum(c[1] for c in calls):.1f} s + in this process before and between "
          f"the repeats {outside:.1f} s; task seconds {tasks:.1f} over {n_jobs} workers: {tasks / n_jobs:.1f} s if "
          f"no core ever waited")


def race_prepared_default(prepared, classifier, n_jobs):
    from core.race import race_prepared

    return race_prepared(prepared, classifier, n_jobs=n_jobs)


def import_seconds() -> float:
    """A fresh interpreter's import of what `python -m core advise` needs (the CLI pays it once per call)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import core.__main__, core.race, core.pipeline, sklearn.linear_model"],
                   cwd=ROOT, check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", default="1,2", help="comma-separated: each is profiled in turn")
    parser.add_argument("--data", help="a CSV (default: German credit)")
    parser.add_argument("--target")
    parser.add_argument("--classifier", default="logreg")
    args = parser.parse_args()
    from core.data import validate_dataset
    from core.pipeline import prepare
    from core.reading import read_path

    dataset = validate_dataset(read_path(args.data), args.target) if args.data else german()
    prepared = prepare(dataset, 0.3, 42)
    print(f"{len(prepared.train):,} training rows, {len(dataset.features)} features, classifier {args.classifier}; "
          f"load before: {os.getloadavg()[0]:.2f}; a fresh interpreter's imports: {import_seconds():.1f} s\n")
    for n_jobs in (int(v) for v in args.n_jobs.split(",")):
        if n_jobs == 1:
            one_fit_parts(prepared, args.classifier)
            profile_one(prepared, args.classifier)
        else:
            profile_pool(prepared, args.classifier, n_jobs)
        print(f"\nload: {os.getloadavg()[0]:.2f}\n")
    return 0


if __name__ == "__main__":
    from bench.common import loud_warnings

    with loud_warnings():
        raise SystemExit(main())
