"""Per-fit seconds (best of 3) of the differentially private VAE at epsilon 1 (default settings: 30 epochs, PRV
accountant) on German credit (minority only) and on a 5,000 x 13 mixed table, beside CTGAN's default fit
(100 epochs) on German credit's minority. CTGAN on 5,000 x 13 is bench/run.py's figure (seconds per epoch).
Prints a Markdown table and the load average, because this machine is shared.

python bench/dp_speed.py
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import as_dataset, classification_frame, loud_warnings  # noqa: E402
from core.data import validate_dataset  # noqa: E402
from core.generators.registry import generate  # noqa: E402
from core.pipeline import prepare  # noqa: E402
from core.reading import read_path  # noqa: E402
from core.samples import SAMPLE_DIR  # noqa: E402


def mixed_frame(rows: int = 5000, seed: int = 0):
    """make_classification with 12 features, 4 of them cut into 3-5 labelled levels, plus 'label' (30% 'rare')."""
    frame = classification_frame(rows, features=12, minority=0.3, seed=seed)
    for i, col in enumerate(["f08", "f09", "f10", "f11"]):
        levels = 3 + i % 3
        edges = np.quantile(frame[col], np.linspace(0, 1, levels + 1)[1:-1])
        frame[col] = [f"L{int(v)}" for v in np.digitize(frame[col], edges)]
    return frame


def fit_seconds(prepared, method: str, params: dict, label: str, repeats: int = 3) -> tuple[float, float | None]:
    """Best of `repeats` seconds of one generate() call asking 10 rows of `label` (the fit dominates), and the
    epsilon spent."""
    dataset, best, result = prepared.dataset, float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = generate(prepared.train, dataset.target, dataset.features, dataset.column_types, {label: 10},
                          method, params, seed=0)
        best = min(best, time.perf_counter() - started)
    return best, result.privacy.epsilon if result.privacy else None


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    import opacus  # noqa: F401  first imports are not part of a fit
    import torch  # noqa: F401
    german = prepare(validate_dataset(read_path(SAMPLE_DIR / "german_credit.csv"), "credit_risk"), seed=42)
    mixed = prepare(as_dataset(mixed_frame()), seed=0)
    cases = [("German credit, minority only (210 training rows x 20 features)", german, "bad", "per_class"),
             ("5,000 x 13 mixed, minority only (1,050 training rows)", mixed, "rare", "per_class"),
             ("5,000 x 13 mixed, conditional (all 3,500 training rows)", mixed, "rare", "conditional")]
    lines = ["| table | DP-VAE fit, epsilon 1, 30 epochs | epsilon spent | CTGAN fit, 100 epochs |",
             "|---|---:|---:|---:|"]
    for index, (name, prepared, label, mode) in enumerate(cases):
        dp_s, spent = fit_seconds(prepared, "dp_vae", {"epsilon": 1.0, "mode": mode}, label)
        ctgan = f"{fit_seconds(prepared, 'ctgan', {'epochs': 100, 'mode': mode}, label)[0]:.1f} s" if index == 0 \
            else "see bench/run.py"
        lines.append(f"| {name} | {dp_s:.1f} s | {spent:.3f} | {ctgan} |")
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    print(f"\nload average (1, 5, 15 min) at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    with loud_warnings():
        main()
