"""The long jobs' estimates (core/estimates.py, core/race.py, the generators' own) against measured seconds on
the bundled German credit sample (1,000 rows, 20 features), with the app's defaults where the job has them and
small settings elsewhere. Goal: every ratio measured / estimated between 1/1.5 and 1.5.

python bench/estimates.py   (run it nice'd on a quiet machine; on a machine shared with other work every
measured time is longer than the estimate, and the table says how loaded the machine was: the 1-minute load)
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import loud_warnings  # noqa: E402
from core import estimates  # noqa: E402
from core.cleaning import CleaningPlan  # noqa: E402
from core.config import build_run_config  # noqa: E402
from core.data import validate_dataset  # noqa: E402
from core.generators.amount import Amount  # noqa: E402
from core.pipeline import prepare, run_experiment, synthesize  # noqa: E402
from core.samples import load_sample  # noqa: E402


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    from core.leaderboard import build_leaderboard
    from core.race import estimate_race_prepared, race_prepared
    from core.sweep import run_sweep

    dataset = validate_dataset(load_sample("german_credit.csv"), "credit_risk")
    prepared = prepare(dataset, 0.3, 42, CleaningPlan())
    jobs = int(os.environ.get("N_JOBS", "1"))
    print("| job | estimated (s) | measured (s) | measured / estimated |")
    print("|---|---:|---:|---:|")

    class Table:
        """Each row printed as soon as it is measured (a loaded machine makes the whole run long)."""

        def append(self, row: tuple[str, float, float]) -> None:
            name, estimate, measured = row
            print(f"| {name} | {estimate:.1f} | {measured:.1f} | {measured / max(estimate, 1e-9):.2f} |", flush=True)

    rows = Table()

    def config(method, repeats, params=None):
        return build_run_config(dataset.target, method, data=dataset.name, data_sha256=dataset.sha256, seed=42,
                                repeats=repeats, params=params or {})

    rows.append(("race (3 folds, 10 s budget)", estimate_race_prepared(prepared, "logreg", 3, 10, jobs),
                 timed(lambda: race_prepared(prepared, "logreg", 3, 10, n_jobs=jobs))))
    for method, repeats in (("threshold_tuned", 3), ("smotenc", 3)):
        rows.append((f"comparison ({method}, {repeats} repeats)",
                     estimates.experiment_seconds(prepared, method, {}, repeats, "logreg", jobs),
                     timed(lambda m=method, r=repeats: run_experiment(dataset, config(m, r), n_jobs=jobs))))
    rows.append(("compare generators (SMOTE-NC, random oversampling)",
                 estimates.leaderboard_seconds(prepared, ["smotenc", "random_oversampler"], None, "logreg", jobs),
                 timed(lambda: build_leaderboard(dataset, config("smotenc", 1), ["smotenc", "random_oversampler"],
                                                 n_jobs=jobs))))
    dp = {"epochs": 30}
    rows.append(("generation (DP-VAE, 30 epochs)",
                 estimates.generator_seconds("dp_vae", dp, prepared.train_class_counts, len(dataset.features)),
                 timed(lambda: synthesize(prepared, "dp_vae", Amount("ratio", 1.0), dp, 42))))
    rows.append(("privacy sweep (DP-VAE, 2 epsilons, 1 repeat)",
                 estimates.sweep_seconds(prepared, "dp_vae", dp, 2, False, 1, "logreg"),
                 timed(lambda: run_sweep(dataset, config("dp_vae", 1, dp), (1.0, 8.0), include_non_private=False))))
    print(f"1-minute load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; n_jobs={jobs}")


if __name__ == "__main__":
    with loud_warnings():
        main()
