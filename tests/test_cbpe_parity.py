"""Our CBPE equals NannyML 0.13.1's on the same reference rows, probabilities, decisions and chunks: estimate,
sampling error, interval and realised value per chunk, and the reference band. The figures in
tests/data/cbpe_parity.json were written by bench/cbpe_parity.py in NannyML's own environment (NannyML pulls pandas
3); with NANNYML_PYTHON set (that environment's python), the live comparison runs too."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.cbpe_parity import METRICS, parity_inputs
from core.performance import estimate_performance, period_chunks, size_chunks

ROOT = Path(__file__).parents[1]
FIXTURE = json.loads((ROOT / "tests" / "data" / "cbpe_parity.json").read_text())
TOLERANCE = 1e-9  # the issue asks for 0.01; the formulas are the same, so the figures agree to rounding


def _ours(case: dict, metric: str):
    inputs = parity_inputs(case["exponent"], FIXTURE["seed"])
    ref, new = inputs["reference"], inputs["analysis"]
    if case["chunk_size"]:
        chunks = size_chunks(len(new["probability"]), case["chunk_size"])
        positions = None
    else:
        chunks, positions = period_chunks(pd.Series(new["date"], name="date"))
    return estimate_performance(ref["truth"], ref["probability"], ref["decision"], new["probability"],
                                new["decision"], chunks, positions, truth=new["truth"], metric=metric,
                                reference_chunk_size=case["chunk_size"])


def _compare(figures: dict):
    assert figures["nannyml"] == "0.13.1"
    regenerated = parity_inputs(2.0, figures["seed"])["reference"]["probability"].sum()
    assert regenerated == pytest.approx(figures["reference_probability_sum"], abs=1e-9)  # the same inputs
    compared = 0
    for case in figures["cases"]:
        for metric in METRICS:
            ours, theirs = _ours(case, metric), case[metric]
            assert [(c.chunk.start, c.chunk.end) for c in ours.chunks] == [(c["start"], c["end"])
                                                                           for c in case["chunks"]]
            for name in ("estimate", "sampling_error", "ci_low", "ci_high"):
                assert [getattr(c, name) for c in ours.chunks] == pytest.approx(theirs[name], abs=TOLERANCE), \
                    (case["name"], metric, name)
            realised = [np.nan if c.realised is None else c.realised for c in ours.chunks]
            assert realised == pytest.approx([np.nan if v is None else v for v in theirs["realised"]],
                                             abs=TOLERANCE, nan_ok=True)
            if case["chunk_size"]:  # NannyML's period chunker needs reference dates; ours bands by rows
                assert (ours.band_low, ours.band_high) == pytest.approx((theirs["band_low"], theirs["band_high"]),
                                                                        abs=TOLERANCE)
            compared += len(ours.chunks)
    assert compared == 3 * (10 + 7 + 5 + 10)


def test_cbpe_equals_nannyml_fixture():
    _compare(FIXTURE)


@pytest.mark.skipif(not os.environ.get("NANNYML_PYTHON"), reason="NANNYML_PYTHON (NannyML 0.13.1's python) not set")
def test_cbpe_equals_nannyml_live():
    env = {**os.environ, "NML_DISABLE_USAGE_LOGGING": "1"}  # nothing of ours reaches outside
    run = subprocess.run([os.environ["NANNYML_PYTHON"], str(ROOT / "bench" / "cbpe_parity.py")], env=env,
                         capture_output=True, text=True, timeout=600, check=True)
    _compare(json.loads(run.stdout))


def test_the_bench_refuses_without_the_usage_logging_switch():
    env = {k: v for k, v in os.environ.items() if k != "NML_DISABLE_USAGE_LOGGING"}
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "cbpe_parity.py")], env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2 and "NML_DISABLE_USAGE_LOGGING=1" in run.stderr
