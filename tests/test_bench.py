"""The benchmark scripts measure what they say: a warning from the timed work stops the script.

(The benchmarks themselves are not run here: speed goals are measured by the scripts, not by timed tests.)
"""
from __future__ import annotations

import ast
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate

from bench.common import loud_warnings
from tests.conftest import ROOT


def _string_labels():
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    y = pd.Series(np.where(x["a"] + rng.normal(scale=0.5, size=120) > 0.8, "rare", "common"))
    return x, y


def test_a_scorer_that_silently_fails_stops_the_benchmark():
    """The race_speed reference scored average precision with pos_label=1 on string labels: scikit-learn caught
    the error, warned, and returned NaN, so the reference did less work than ours. Under loud_warnings the same
    call raises instead."""
    x, y = _string_labels()
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quiet = cross_validate(LogisticRegression(), x, y, cv=folds, scoring="average_precision")
    assert np.isnan(quiet["test_score"]).all()  # the silent failure the bench used to time
    with loud_warnings(), pytest.raises(Exception, match="pos_label"):
        cross_validate(LogisticRegression(), x, y, cv=folds, scoring="average_precision")


def test_worker_processes_started_inside_fail_loudly_too():
    script = "import warnings; warnings.warn('the timed work warned')"
    with loud_warnings():
        inside = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    outside = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert inside.returncode != 0 and "the timed work warned" in inside.stderr
    assert outside.returncode == 0


def _main_guard(tree: ast.Module) -> ast.If | None:
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return node
    return None


def test_every_bench_script_runs_its_work_under_loud_warnings():
    # cbpe_parity.py runs in NannyML's own environment (pandas 3), where nothing of ours is importable: it records
    # the reference package's figures, it times nothing
    scripts = sorted(p for p in (ROOT / "bench").glob("*.py")
                     if p.name not in ("__init__.py", "common.py", "cbpe_parity.py"))
    assert len(scripts) >= 8
    quiet = []
    for path in scripts:
        guard = _main_guard(ast.parse(path.read_text()))
        assert guard is not None, f"{path.name} has no __main__ guard"
        wrapped = [s for s in guard.body if isinstance(s, ast.With)
                   and any("loud_warnings" in ast.unparse(item.context_expr) for item in s.items)]
        if not wrapped:
            quiet.append(path.name)
    assert quiet == []
