"""The identities a session compares to tell a current result from a stale one: a dataset's (its content, target
and column types) and a preparation's (the dataset's, plus the split seed, the test share and the cleaning plan).
Plain values of plain attributes, so the first screen pays for no import; the inputs of a whole run, classifier
and strategy included, are core.decision.Inputs."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.cleaning import CleaningPlan
    from core.data import Dataset
    from core.pipeline import Prepared


def dataset_key(dataset: Dataset) -> tuple:
    """(SHA-256 of the table, target, sorted (column, kind) pairs)."""
    return dataset.sha256, dataset.target, tuple(sorted(dataset.column_types.items()))


def preparation_key(dataset: Dataset, seed: int, test_size: float, plan: CleaningPlan) -> str:
    """'sha256|target|[(column, kind), ...]|seed|test_size|plan': the dataset prepared with these split and
    cleaning settings."""
    return f"{dataset.sha256}|{dataset.target}|{sorted(dataset.column_types.items())}|{seed}|{test_size}|{plan}"


def prepared_key(prepared: Prepared) -> str:
    """The preparation_key of a prepared dataset, from the settings it was prepared with."""
    return preparation_key(prepared.dataset, prepared.split.seed, prepared.split.test_size, prepared.cleaning.plan)
