"""Shared pieces for the benchmark scripts: seeded synthetic tables, a timer with peak memory, loud warnings."""
from __future__ import annotations

import os
import time
import tracemalloc
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

from core.column_kinds import infer_column_types
from core.data import LoadedTable, sha256_of, validate_dataset


def classification_frame(rows: int, features: int = 30, minority: float = 0.01, seed: int = 0) -> pd.DataFrame:
    """make_classification with a fixed seed: `features` numeric columns and a 'label' column (minority 'rare')."""
    x, y = make_classification(n_samples=rows, n_features=features, n_informative=min(10, features // 2),
                               n_redundant=min(5, features // 4),
                               weights=[1 - minority], flip_y=0.0, random_state=seed)
    frame = pd.DataFrame(x.astype(np.float64), columns=[f"f{i:02d}" for i in range(features)])
    frame["label"] = np.where(y == 1, "rare", "common")
    return frame


def as_dataset(frame: pd.DataFrame):
    """The frame through the app's own typing and validation (ingestion from bytes is not a measured stage)."""
    table = LoadedTable(frame=frame, name="bench.csv", sha256=sha256_of(f"bench:{len(frame)}".encode()),
                        n_bytes=0, column_types=infer_column_types(frame))
    return validate_dataset(table, "label")


# Worker processes are fresh interpreters: they read their warning filters from this variable. umap announces an
# optional TensorFlow at import (ImportWarning): that is not the timed work, so it stays a warning.
WORKER_WARNINGS = "error,ignore::ImportWarning"


@contextmanager
def loud_warnings():
    """Every warning raised by the work inside the block is an error, here and in worker processes it starts.

    A benchmark whose work silently failed measures nothing: scikit-learn's cross_validate turns a failing
    scorer into a warning and a NaN score, so a reference side that computed no PR-AUC looked fast. Call it
    around everything a script times (`measured` does); joblib's loky workers inherit PYTHONWARNINGS when they
    start, so a pool started inside the block fails loudly too.
    """
    previous = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = WORKER_WARNINGS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", ImportWarning)
            yield
    finally:
        if previous is None:
            os.environ.pop("PYTHONWARNINGS", None)
        else:
            os.environ["PYTHONWARNINGS"] = previous


@contextmanager
def measured(record: dict, name: str, memory: bool = False):
    """Store seconds (and peak traced MiB when memory=True) of the block under record[name]; warnings are errors."""
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    with loud_warnings():
        yield
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if memory else None
    if memory:
        tracemalloc.stop()
    record[name] = (seconds, peak)
