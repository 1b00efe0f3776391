"""Detection power of the drift verdict: split each bundled sample into two random halves, plant one known shift
in the second half, and count the checks whose verdict is not 'stable' (the shift is real, so every one should be
caught). The false-alarm rate on unshifted halves is bench/drift_false_alarm.py.

Planted shifts (each on one column, the same column for every split of a dataset), large / small:
- mean shift: the numeric column with the most distinct values, + 0.5 / 0.2 of its standard deviation;
- scale change: the same column spread 1.5x / 1.2x around its median;
- missingness: 30% / 10% of that column's values blanked;
- new category: 20% / 5% of the categorical column with the fewest levels set to a level the reference never had.
Concept drift is left out (concept=False): it needs a model fit per check and does not see these shifts.

Run: nice -n 10 python bench/drift_power.py [HALVES] [SIZES]   (default 40 per dataset and shift, sizes
large,small; ~0.2 s a check on a quiet machine)
"""
from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import loud_warnings  # noqa: E402
from core.data import LEVEL_KINDS, validate_dataset  # noqa: E402
from core.drift import Verdict, check_drift, wilson_interval  # noqa: E402
from core.reading import read_path  # noqa: E402
from core.samples import SAMPLE_DIR  # noqa: E402

SAMPLES = {"german_credit": "credit_risk", "hypothyroid": "diagnosis", "abalone19": "rings_19"}


SIZES = {"large": {"mean shift": 0.5, "scale change": 1.5, "missingness": 0.3, "new category": 0.2},
         "small": {"mean shift": 0.2, "scale change": 1.2, "missingness": 0.1, "new category": 0.05}}


def planted(frame: pd.DataFrame, shift: str, size: float, number: str, category: str | None,
            seed: int) -> pd.DataFrame:
    """The half with one shift of the given size planted (see the module docstring)."""
    frame = frame.copy()
    values = pd.to_numeric(frame[number], errors="coerce")
    rng = np.random.default_rng(seed)
    if shift == "mean shift":
        frame[number] = values + size * values.std()
    elif shift == "scale change":
        frame[number] = values.median() + size * (values - values.median())
    elif shift == "missingness":
        frame.loc[rng.random(len(frame)) < size, number] = np.nan
    elif shift == "new category":
        frame[category] = frame[category].astype(object)
        frame.loc[rng.random(len(frame)) < size, category] = "never seen"
    return frame


def main(halves: int = 40, sizes: tuple[str, ...] = tuple(SIZES)) -> None:
    warnings.filterwarnings("ignore", message="ks_2samp: Exact calculation unsuccessful")
    print("| dataset | planted shift | size | column | halves | watch | re-run | detection rate (95% Wilson) |")
    print("|---|---|---|---|---:|---:|---:|---|")
    for name, target in SAMPLES.items():
        dataset = validate_dataset(read_path(SAMPLE_DIR / f"{name}.csv"), target)
        kinds, frame = dataset.column_types, dataset.frame
        numbers = [c for c in dataset.features if kinds[c] not in LEVEL_KINDS]
        levels = [c for c in dataset.features if kinds[c] in LEVEL_KINDS]
        number = max(numbers, key=lambda c: (frame[c].nunique(), c))
        category = min(levels, key=lambda c: (frame[c].nunique(), c)) if levels else None
        for (size_name, sizes), shift in [(size, shift) for size in SIZES.items() if size[0] in sizes
                                                 for shift in size[1]]:
            if shift == "new category" and category is None:
                continue
            counts = {Verdict.STABLE: 0, Verdict.WATCH: 0, Verdict.RERUN: 0}
            for seed in range(halves):
                order = np.random.default_rng(seed).permutation(len(frame))
                half = len(order) // 2
                reference = replace(dataset, frame=frame.iloc[order[:half]].reset_index(drop=True))
                new = planted(frame.iloc[order[half:]].reset_index(drop=True), shift, sizes[shift], number, category,
                              seed)
                counts[check_drift(reference, new, concept=False, seed=seed).verdict] += 1
            caught = counts[Verdict.WATCH] + counts[Verdict.RERUN]
            low, high = wilson_interval(caught, halves)
            column = category if shift == "new category" else number
            print(f"| {name} | {shift} | {size_name} ({sizes[shift]:g}) | {column} | {halves} | "
                  f"{counts[Verdict.WATCH]} | {counts[Verdict.RERUN]} | {caught / halves:.2f} ({low:.2f} to "
                  f"{high:.2f}) |", flush=True)

if __name__ == "__main__":
    with loud_warnings():
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 40,
             tuple(sys.argv[2].split(",")) if len(sys.argv) > 2 else tuple(SIZES))
