"""Validation (everything but UMAP) of 50,000 synthetic rows against 100,000 real rows x 30 features.

Goal (validation issue): under 30 s on the 2-core machine. Prints a table; run: python bench/validation_speed.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import as_dataset, classification_frame, loud_warnings  # noqa: E402
from core.generators.amount import Amount  # noqa: E402
from core.pipeline import prepare, synthesize  # noqa: E402
from core.validation.validate import validate_synthetic  # noqa: E402


def main() -> None:
    dataset = as_dataset(classification_frame(142_858, minority=0.01))  # 100,000 training rows at a 30% test share
    prepared = prepare(dataset, test_size=0.3, seed=0)
    synthetic = synthesize(prepared, "smote", Amount("count", 50_000), seed=0)
    started = time.perf_counter()
    result = validate_synthetic(prepared.train, prepared.test, synthetic.rows, dataset.target, dataset.features,
                                dataset.column_types, seed=0)
    seconds = time.perf_counter() - started
    print("| training rows | synthetic rows | features | validation s (no UMAP) | goal |")
    print("|---:|---:|---:|---:|---|")
    print(f"| {len(prepared.train):,} | {len(synthetic.rows):,} | {len(dataset.features)} | {seconds:.1f} | < 30 s |")
    print(f"decision: {result.verdict.decision}; quality {result.fidelity.quality_score:.3f}; "
          f"precision {result.coverage.precision:.3f}; "
          f"failed: {[c.message for c in result.verdict.checks if c.outcome != 'pass']}")


if __name__ == "__main__":
    with loud_warnings():
        main()
