"""False-alarm rate of the drift verdict: split each bundled sample into two random halves many times, check the
second half against the first, and count verdicts other than 'stable' (no drift exists between random halves).

Goal (drift issue): at most the nominal family-wise level (alpha = 0.05). Prints a table; run:
python bench/drift_false_alarm.py [HALVES]   (default 200 per dataset; concept drift included, so ~1 s a check)
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import loud_warnings  # noqa: E402
from core.data import validate_dataset  # noqa: E402
from core.drift import DriftThresholds, Verdict, check_drift, wilson_interval  # noqa: E402
from core.reading import read_path  # noqa: E402
from core.samples import SAMPLE_DIR  # noqa: E402

SAMPLES = {"german_credit": "credit_risk", "hypothyroid": "diagnosis", "abalone19": "rings_19"}


def main(halves: int = 200) -> None:
    thresholds = DriftThresholds()
    print("| dataset | halves | watch | re-run | false-alarm rate (95% Wilson) | nominal |")
    print("|---|---:|---:|---:|---|---:|")
    for name, target in SAMPLES.items():
        dataset = validate_dataset(read_path(SAMPLE_DIR / f"{name}.csv"), target)
        counts = {Verdict.STABLE: 0, Verdict.WATCH: 0, Verdict.RERUN: 0}
        for seed in range(halves):
            order = np.random.default_rng(seed).permutation(len(dataset.frame))
            half = len(order) // 2
            reference = replace(dataset, frame=dataset.frame.iloc[order[:half]].reset_index(drop=True))
            new = dataset.frame.iloc[order[half:]].reset_index(drop=True)
            counts[check_drift(reference, new, thresholds=thresholds, seed=seed).verdict] += 1
        alarms = counts[Verdict.WATCH] + counts[Verdict.RERUN]
        low, high = wilson_interval(alarms, halves)
        print(f"| {name} | {halves} | {counts[Verdict.WATCH]} | {counts[Verdict.RERUN]} | "
              f"{alarms / halves:.3f} ({low:.3f} to {high:.3f}) | {thresholds.alpha:.2f} |", flush=True)


if __name__ == "__main__":
    with loud_warnings():
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
