"""Shared pieces for the benchmark scripts: seeded synthetic tables and a timer with peak memory."""
from __future__ import annotations

import time
import tracemalloc
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

from core.data import LoadedTable, infer_column_types, sha256_of, validate_dataset


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


@contextmanager
def measured(record: dict, name: str, memory: bool = False):
    """Store seconds (and peak traced MiB when memory=True) of the block under record[name]."""
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    yield
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if memory else None
    if memory:
        tracemalloc.stop()
    record[name] = (seconds, peak)
