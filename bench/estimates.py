"""The long jobs' estimates (the figures the pages show before a job starts: core/estimates.py, core/race.py, the
generators' own) against the time each job then takes, on the bundled German credit sample (1,000 rows, 20
features) with the app's defaults. Goal: every ratio measured / estimated between 1/1.5 and 1.5.

    python bench/estimates.py                # every job, one table: estimate, measured, ratio
    python bench/estimates.py race ctgan     # only the jobs whose name contains one of these words

Run it on a quiet machine: the estimates time one classifier fit when they are made, but the generators' own
estimates are constants, so on a machine shared with other work the measured times grow and those do not. The
table says how loaded the machine was (the 1-minute load average before and after each job) and also gives the
job's CPU seconds (this process and its children): on a loaded machine with one thread per process, CPU seconds
are close to what the job takes on a quiet one, so 'CPU / estimated' is the ratio to read there.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.parallel import start_at_one_thread  # noqa: E402 (imports no numpy)

start_at_one_thread()  # as serve.py starts the app: one BLAS / OpenMP thread per process

from bench.common import loud_warnings  # noqa: E402
from core import estimates  # noqa: E402
from core.cleaning import CleaningPlan  # noqa: E402
from core.config import build_run_config  # noqa: E402
from core.data import validate_dataset  # noqa: E402
from core.generators.amount import Amount  # noqa: E402
from core.pipeline import prepare, run_experiment, synthesize  # noqa: E402
from core.samples import load_sample  # noqa: E402

GOAL = 1.5


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (user + system)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main(wanted: list[str]) -> int:
    from core.leaderboard import build_leaderboard, default_methods
    from core.race import DEFAULT_FOLDS, estimate_race_prepared, race_prepared
    from core.sweep import run_sweep

    dataset = validate_dataset(load_sample("german_credit.csv"), "credit_risk")
    prepared = prepare(dataset, 0.3, 42, CleaningPlan())
    jobs = int(os.environ.get("N_JOBS", "1"))
    budget = 120.0  # the Method page's default time budget

    def config(method, repeats, params=None):
        return build_run_config(dataset.target, method, data=dataset.name, data_sha256=dataset.sha256, seed=42,
                                repeats=repeats, params=params or {})

    board_methods = default_methods(["random_oversampler", "smotenc"])  # the defaults that run on these columns
    dp = {"epochs": 30}
    # (name, estimate (a function: made just before the job, as the page makes it), the job)
    plan = [
        (f"race (Method page defaults: logreg, {DEFAULT_FOLDS} folds, {budget:.0f} s budget)",
         lambda: estimate_race_prepared(prepared, "logreg", DEFAULT_FOLDS, budget, jobs),
         lambda: race_prepared(prepared, "logreg", DEFAULT_FOLDS, budget, n_jobs=jobs)),
        ("comparison (tuned threshold only, 3 repeats)",
         lambda: estimates.experiment_seconds(prepared, "threshold_tuned", {}, 3, "logreg", jobs),
         lambda: run_experiment(dataset, config("threshold_tuned", 3), n_jobs=jobs)),
        ("comparison (SMOTE-NC, 3 repeats)",
         lambda: estimates.experiment_seconds(prepared, "smotenc", {}, 3, "logreg", jobs),
         lambda: run_experiment(dataset, config("smotenc", 3), n_jobs=jobs)),
        ("compare generators (Random oversampling, SMOTE-NC; 3 repeats)",
         lambda: estimates.leaderboard_seconds(prepared, board_methods, None, "logreg", jobs, repeats=3),
         lambda: build_leaderboard(dataset, config(board_methods[0], 3), board_methods, n_jobs=jobs)),
        ("generation (CTGAN, default epochs)",
         lambda: estimates.generator_seconds("ctgan", {}, prepared.train_class_counts, len(dataset.features)),
         lambda: synthesize(prepared, "ctgan", Amount("ratio", 1.0), {}, 42)),
        ("generation (DP-VAE, 30 epochs)",
         lambda: estimates.generator_seconds("dp_vae", dp, prepared.train_class_counts, len(dataset.features)),
         lambda: synthesize(prepared, "dp_vae", Amount("ratio", 1.0), dp, 42)),
        ("privacy sweep (DP-VAE, 2 epsilons, 1 repeat)",
         lambda: estimates.sweep_seconds(prepared, "dp_vae", dp, 2, False, 1, "logreg"),
         lambda: run_sweep(dataset, config("dp_vae", 1, dp), (1.0, 8.0), include_non_private=False)),
    ]
    plan = [p for p in plan if not wanted or any(w.lower() in p[0].lower() for w in wanted)]
    print(f"{os.cpu_count()} cores, n_jobs={jobs}; goal: measured / estimated between {1 / GOAL:.2f} and {GOAL}")
    print("| job | estimated (s) | measured (s) | measured / estimated | CPU (s) | CPU / estimated | load before-after"
          " |")
    print("|---|---:|---:|---:|---:|---:|---|")
    outside = 0
    for name, estimate, job in plan:
        load = os.getloadavg()[0]
        seconds = estimate()
        cpu, started = cpu_seconds(), time.perf_counter()
        job()
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        ratio = wall / max(seconds, 1e-9)
        outside += not 1 / GOAL <= ratio <= GOAL
        print(f"| {name} | {seconds:.1f} | {wall:.1f} | {ratio:.2f} | {cpu:.1f} | {cpu / max(seconds, 1e-9):.2f} | "
              f"{load:.1f}-{os.getloadavg()[0]:.1f} |", flush=True)
    print(f"{outside} of {len(plan)} outside the goal (measured / estimated); a loaded machine (load above "
          f"{os.cpu_count()}) makes every measured time longer: read CPU / estimated there, re-measure quiet.")
    return 0


if __name__ == "__main__":
    with loud_warnings():
        sys.exit(main(sys.argv[1:]))
