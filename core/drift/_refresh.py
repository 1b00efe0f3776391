"""The re-run step after a re-run verdict: the refreshed data (the reference's rows and the new batch's labelled
rows, read with the reference's column kinds) and the same config run on it.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.data import Dataset, LoadedTable, sha256_of, validate_dataset
from core.drift._schema import conform_batch
from core.errors import DataError

REFRESH_WITH_REFERENCE = "the reference table and the new batch"
REFRESH_BATCH_ONLY = "the new batch alone"


def refreshed_dataset(reference: Dataset, new: pd.DataFrame, batch: str, batch_sha256: str,
                      with_reference: bool = True) -> Dataset:
    """The data of the re-run step: the new batch's labelled rows (read with the reference's column kinds), after
    every reference row when with_reference. Its sha256 is the batch file's, or for the union one derived from
    both files' (so the refreshed config records what it was run on).

    Raises DataError, naming the columns, when the batch lacks a feature or the target, or holds values of
    another kind in a column: a re-run on such data would silently drop them."""
    frame, schema = conform_batch(reference, new)
    broken = schema.unchecked
    if broken or not schema.target_present:
        named = [f"'{c}' ({why.removeprefix('not checked: ')})" for c, why in broken.items()]
        if not schema.target_present:
            named.append(f"'{reference.target}' (the target: no labels in the batch)")
        raise DataError(f"The new batch '{batch}' cannot be used for the re-run: " + "; ".join(named) + ".")
    columns = [*reference.features, reference.target]
    rows = frame[columns].reset_index(drop=True)
    if with_reference:
        rows = pd.concat([reference.frame[columns], rows], ignore_index=True)
    identity = (sha256_of(f"{reference.sha256}+{batch_sha256}".encode()) if with_reference else batch_sha256)
    name = f"{reference.name} + {batch}" if with_reference else batch
    table = LoadedTable(frame=rows, name=name, sha256=identity, n_bytes=0,
                        column_types={c: reference.column_types[c] for c in columns})
    return validate_dataset(table, reference.target, dict(reference.column_types))


def rerun_refreshed(reference: Dataset, new: pd.DataFrame, config, batch: str, batch_sha256: str,
                    with_reference: bool = True, progress=None):
    """The re-run step in one call: the same config (settings and seed) on the refreshed data, as
    `python -m core run --config config.json --data NEW_FILE --refreshed` does; the returned ExperimentResult's
    config records the refreshed data's name and sha256. progress: (fraction, message) callback."""
    from core.pipeline import run_experiment
    dataset = refreshed_dataset(reference, new, batch, batch_sha256, with_reference)
    refreshed = replace(config, data=dataset.name, data_sha256=dataset.sha256)
    return run_experiment(dataset, refreshed, progress=progress)
