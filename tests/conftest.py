"""Shared fixtures: the bundled samples, loaded once per test session."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.data import read_path, validate_dataset  # noqa: E402
from core.pipeline import prepare  # noqa: E402

SAMPLES = {"german_credit": "credit_risk", "hypothyroid": "diagnosis", "abalone19": "rings_19"}


def sample_path(name: str) -> Path:
    return ROOT / "sample_data" / f"{name}.csv"


@pytest.fixture(scope="session")
def datasets():
    """name -> validated Dataset for the three bundled samples."""
    return {name: validate_dataset(read_path(sample_path(name)), target) for name, target in SAMPLES.items()}


@pytest.fixture(scope="session")
def prepared(datasets):
    """name -> Prepared (split seed 42, test share 0.3, no cleaning)."""
    return {name: prepare(ds, test_size=0.3, seed=42) for name, ds in datasets.items()}
