"""Stratified train/test split. The test part is marked held out here and every fitting step refuses it.

Two guards. The mark lives in DataFrame.attrs, which pandas carries through copies and slices (but not through
pd.concat with unmarked frames, nor merge); `ensure_not_held_out` is called at the top of every function that fits
on rows (cleaning, generators, distance spaces, models). Where a step also holds the test part (preparation,
generation, validation, the evaluation arms), it passes it too, and the rows are checked by identity: a row whose
index label is in the split's test index is a test row, however the frame was built (rows keep their dataset
index labels through the split, cleaning, concat and index-preserving merges; synthetic rows get labels of
their own). A frame whose index was reset (a merge, reset_index) has lost those labels: its rows are also
checked by content, against the hashes of the test-only rows recorded on the test part at the split.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from core.data import Dataset
from core.errors import ConfigError, DataError, HeldOutLeak

HELD_OUT_MARK = "synthbalance_held_out"
HELD_OUT_ROWS = "synthbalance_held_out_rows"  # (columns, uint64 content hashes of the test-only rows as bytes)
MIN_TEST_SIZE, MAX_TEST_SIZE = 0.1, 0.5


@dataclass(frozen=True)
class Split:
    """One stratified split. `test` is marked held out; rows keep their index in the dataset's frame.

    class_distribution: one row per class label; columns original, train, test (row counts).
    """
    train: pd.DataFrame
    test: pd.DataFrame
    seed: int
    test_size: float
    target: str
    class_distribution: pd.DataFrame

    @property
    def train_class_counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.class_distribution["train"].items()}

    @property
    def test_class_counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.class_distribution["test"].items()}


def mark_held_out(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame that every fitting function will refuse."""
    marked = frame.copy()
    marked.attrs[HELD_OUT_MARK] = True
    return marked


def ensure_not_held_out(frame: pd.DataFrame, test: pd.DataFrame | pd.Index | None = None) -> None:
    """Raise HeldOutLeak when held-out test rows are about to be fitted on (a bug, not a user error): the frame
    carries the held-out mark, or (when the split's test part or test index is given) holds rows whose index
    labels are test rows' labels."""
    if frame.attrs.get(HELD_OUT_MARK):
        raise HeldOutLeak("Held-out test rows were passed to a step that fits on data.")
    if test is not None:
        test_index = test.index if isinstance(test, pd.DataFrame) else test
        leaked = frame.index.isin(test_index)
        if leaked.any():
            raise HeldOutLeak(f"{int(leaked.sum())} held-out test row(s) (e.g. row {frame.index[leaked][0]!r}) were "
                              "passed to a step that fits on data.")
        recorded = test.attrs.get(HELD_OUT_ROWS) if isinstance(test, pd.DataFrame) else None
        # only a frame whose labels were renumbered (merge, reset_index: a RangeIndex) is checked by content: a
        # frame that keeps the dataset's labels is covered above, and a cleaned training row that happens to
        # equal a test-only row after imputation is not a leak
        renumbered = isinstance(frame.index, pd.RangeIndex)
        if renumbered and recorded is not None and set(recorded[0]) <= set(frame.columns) and len(recorded[1]):
            columns, hashes = recorded
            leaked = np.isin(row_hashes(frame, list(columns)), np.frombuffer(hashes, dtype=np.uint64))
            if leaked.any():
                raise HeldOutLeak(f"{int(leaked.sum())} held-out test row(s), found by their content (e.g. row "
                                  f"{frame.index[leaked][0]!r}), were passed to a step that fits on data.")


def row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One uint64 per row of frame[columns], from the values only (not the index): a row keeps its hash
    through a merge or a reset index."""
    return pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()


def _test_only_hashes(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Sorted hashes of the test rows whose content no training row has (a duplicate present in both parts is
    legitimate training data, so it cannot tell a leak)."""
    columns = list(test.columns)
    in_test = row_hashes(test, columns)
    return np.unique(in_test[~np.isin(in_test, row_hashes(train, columns))])


def class_distribution(original: pd.Series, train: pd.Series, test: pd.Series) -> pd.DataFrame:
    """Counts per class in the original, train and test parts, largest class first."""
    table = pd.DataFrame({"original": original.value_counts(), "train": train.value_counts(),
                          "test": test.value_counts()}).fillna(0).astype(int)
    table.index = table.index.astype(str)
    return table.sort_index().sort_values("original", ascending=False, kind="stable")


def split_dataset(dataset: Dataset, test_size: float = 0.3, seed: int = 42) -> Split:
    """Stratified split of the dataset's rows; the same seed gives the same rows in each part."""
    if not MIN_TEST_SIZE <= test_size <= MAX_TEST_SIZE:
        raise ConfigError(f"The test share must be between {MIN_TEST_SIZE:.0%} and {MAX_TEST_SIZE:.0%}; "
                          f"got {test_size:.0%}.")
    frame, target = dataset.frame, dataset.target
    labels = frame[target]
    n_classes = labels.nunique()
    n_test = int(round(test_size * len(frame)))
    if n_test < n_classes or len(frame) - n_test < n_classes:
        raise DataError(f"{len(frame)} rows are too few to put every one of the {n_classes} classes in both the "
                        f"training and the test part at a {test_size:.0%} test share.")
    try:
        train_index, test_index = train_test_split(frame.index, test_size=test_size, random_state=seed,
                                                   stratify=labels)
    except ValueError as exc:
        raise DataError(f"The stratified split failed: {exc}. Every class needs at least 2 rows.") from None
    train = frame.loc[sorted(train_index)]
    test = mark_held_out(frame.loc[sorted(test_index)])
    # bytes, not an array: pandas compares and deep-copies attrs (concat of two marked frames compares them)
    test.attrs[HELD_OUT_ROWS] = (tuple(test.columns), _test_only_hashes(train, test).tobytes())
    return Split(train=train, test=test, seed=seed, test_size=test_size, target=target,
                 class_distribution=class_distribution(labels, train[target], test[target]))
