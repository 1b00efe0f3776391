"""NannyML 0.13.1's CBPE on seeded reference and analysis rows, written as a small JSON fixture that
tests/test_cbpe_parity.py compares ours with (estimate, sampling error, interval, realised value, reference band).

Runs in its own environment (NannyML pulls pandas 3; nothing of ours is imported here, only numpy at the top):
    python3 -m venv /work/nml-venv && /work/nml-venv/bin/pip install nannyml==0.13.1 statsmodels
    NML_DISABLE_USAGE_LOGGING=1 /work/nml-venv/bin/python bench/cbpe_parity.py [--out tests/data/cbpe_parity.json]
The inputs are regenerated from their seed by `parity_inputs` (uniform draws only, whose stream numpy keeps across
versions): calibrated by construction (truth ~ Bernoulli(p)), so NannyML's no-op calibrator is the like-for-like
run; the default isotonic run is recorded beside it (largest difference) to show what NannyML's own recalibration
changes on calibrated scores.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

CASES = (  # name, analysis shape exponent (2.0 = the reference's), chunk size or None for monthly periods
    ("no shift, 500 rows", 2.0, 500),
    ("no shift, 777 rows (a smaller last chunk)", 2.0, 777),
    ("shifted scores, 1000 rows", 1.4, 1000),
    ("shifted scores, monthly periods", 1.4, None),
)
REFERENCE_ROWS, ANALYSIS_ROWS, THRESHOLD, SEED = 4000, 5000, 0.35, 20261207
METRICS = ("f1", "precision", "recall")


def parity_inputs(exponent: float, seed: int = SEED) -> dict:
    """Reference and analysis rows: p = u^4 (reference) and u^(2 exponent) (analysis) for uniform u, so about 20%
    (reference) minority rows; truth = (v < p) for another uniform v; decision = p >= THRESHOLD; analysis rows carry
    a date, 500 rows a month from January 2024 (for the period case)."""
    rng = np.random.default_rng(seed)
    u_ref, v_ref = rng.random(REFERENCE_ROWS), rng.random(REFERENCE_ROWS)
    u_new, v_new = rng.random(ANALYSIS_ROWS), rng.random(ANALYSIS_ROWS)
    p_ref, p_new = u_ref ** 4, u_new ** (2 * exponent)
    months = np.arange(ANALYSIS_ROWS) // 500
    dates = [f"{2024 + m // 12}-{m % 12 + 1:02d}-15" for m in months]
    return {"reference": {"probability": p_ref, "truth": v_ref < p_ref, "decision": p_ref >= THRESHOLD},
            "analysis": {"probability": p_new, "truth": v_new < p_new, "decision": p_new >= THRESHOLD,
                         "date": dates}}


def _frame(part: dict):
    import pandas as pd
    frame = pd.DataFrame({"p": part["probability"], "y": part["truth"].astype(int), "d": part["decision"].astype(int)})
    if "date" in part:
        frame["date"] = pd.to_datetime(part["date"])
    return frame


def _run(inputs: dict, chunk_size: int | None, calibrated: bool) -> dict:
    import nannyml as nml
    from nannyml.calibration import NoopCalibrator
    reference, analysis = _frame(inputs["reference"]), _frame(inputs["analysis"])
    settings = {"chunk_size": chunk_size} if chunk_size else {"chunk_period": "M", "timestamp_column_name": "date"}
    if not chunk_size:  # the period chunker splits the reference by date as well: one date for all its rows
        reference["date"] = pd_timestamp("2023-12-15")
    estimator = nml.CBPE(y_pred_proba="p", y_pred="d", y_true="y", problem_type="classification_binary",
                         metrics=list(METRICS), **settings,
                         **({"calibrator": NoopCalibrator()} if calibrated else {}))
    estimator.fit(reference)
    table = estimator.estimate(analysis).filter(period="analysis").to_df()
    out = {"chunks": [{"start": int(s), "end": int(e)} for s, e in zip(table[("chunk", "start_index")],
                                                                      table[("chunk", "end_index")])]}
    for metric in METRICS:
        def column(name):
            return [None if v != v else float(v) for v in table[(metric, name)]]
        out[metric] = {"estimate": column("value"), "sampling_error": column("sampling_error"),
                       "ci_low": column("lower_confidence_boundary"), "ci_high": column("upper_confidence_boundary"),
                       "realised": column("realized"), "band_low": column("lower_threshold")[0],
                       "band_high": column("upper_threshold")[0]}
    return out


def pd_timestamp(text: str):
    import pandas as pd
    return pd.Timestamp(text)


def nannyml_cases() -> dict:
    """Every case's NannyML figures (no-op calibrator), and the isotonic default's largest estimate difference."""
    import nannyml
    cases = []
    for name, exponent, chunk_size in CASES:
        inputs = parity_inputs(exponent)
        plain = _run(inputs, chunk_size, calibrated=True)
        isotonic = _run(inputs, chunk_size, calibrated=False)
        gap = max(abs(a - b) for m in METRICS for a, b in zip(plain[m]["estimate"], isotonic[m]["estimate"]))
        cases.append({"name": name, "exponent": exponent, "chunk_size": chunk_size, **plain,
                      "isotonic_default_max_difference": gap})
    return {"nannyml": nannyml.__version__, "seed": SEED, "reference_rows": REFERENCE_ROWS,
            "analysis_rows": ANALYSIS_ROWS, "threshold": THRESHOLD,
            "reference_probability_sum": float(parity_inputs(2.0)["reference"]["probability"].sum()),
            "cases": cases}


def main() -> int:
    if os.environ.get("NML_DISABLE_USAGE_LOGGING") != "1":
        print("error: set NML_DISABLE_USAGE_LOGGING=1 (NannyML sends usage analytics otherwise)", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the fixture here (default: print it)")
    args = parser.parse_args()
    text = json.dumps(nannyml_cases(), indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
        print(f"NannyML CBPE figures -> {args.out}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
