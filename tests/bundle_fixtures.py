"""One small real run and its bundle, built once per test process and shared by the bundle test files: a
300-row stratified sample of German credit (90 'bad'), class weights with a tuned threshold, logistic regression,
one repeat. Each test copies the bundle before changing it."""
from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

import pandas as pd

from core.cli.main import main
from core.config import read_config
from core.data import validate_dataset
from core.reading import read_path
from core.split import split_dataset
from tests.conftest import sample_path

TARGET = "credit_risk"


@cache
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="synthbalance-bundle-tests-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@cache
def credit_run() -> Path:
    """The run folder (`run --out`), with its data file beside config.json."""
    run = _folder() / "run"
    run.mkdir()
    frame = pd.read_csv(sample_path("german_credit"))
    small = frame.groupby(TARGET, group_keys=False).sample(frac=0.3, random_state=0).sort_index()
    data = run / "small_credit.csv"
    small.to_csv(data, index=False)
    assert main(["run", "--data", str(data), "--target", TARGET, "--method", "class_weighted", "--repeats", "1",
                 "--n-jobs", "1", "--out", str(run)]) == 0
    return run


@cache
def credit_bundle() -> Path:
    """The exported bundle folder (never changed: copy it first)."""
    out = _folder() / "bundle"
    assert main(["export", "--run", str(credit_run()), "--out", str(out)]) == 0
    return out


def bundle_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(credit_bundle(), target)
    return target


def held_out_rows() -> pd.DataFrame:
    """The run's test-part rows as they are in the file (the split `run` made: same seed and share)."""
    run = credit_run()
    config = read_config((run / "config.json").read_text())
    dataset = validate_dataset(read_path(run / config.data), config.target, config.column_types)
    return split_dataset(dataset, config.test_size, config.seed).test
