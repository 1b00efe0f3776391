"""One path through the stages, shared by the CLI and the pages: prepare (read, profile, split, clean) and
generate. Each function takes the earlier stage's result object and returns a new one."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.cleaning import CleaningPlan, CleaningResult, clean_training, fill_missing_like_train
from core.constraints import Constraints
from core.data import Dataset, LoadedTable, read_path, validate_dataset
from core.errors import DataError
from core.export import augmented_training
from core.generators.amount import Amount
from core.generators.base import Progress, StopRequested, SyntheticResult
from core.generators.density import DensityFilter
from core.generators.registry import generate
from core.imbalance import ImbalanceProfile, profile_dataset
from core.split import Split, split_dataset

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
SAMPLES = {  # file name -> (title, target)
    "german_credit.csv": ("German credit (finance, mixed types)", "credit_risk"),
    "hypothyroid.csv": ("Hypothyroid (healthcare, missing values)", "diagnosis"),
    "abalone19.csv": ("Abalone 19 rings (extreme imbalance, 32 minority rows)", "rings_19"),
}
DEFAULT_SAMPLE = "german_credit.csv"


@dataclass(frozen=True)
class Prepared:
    """A dataset profiled, split and cleaned: everything generation needs, test part set aside.

    test: the held-out rows with missing values filled by the imputers fitted on training rows (transform only).
    """
    dataset: Dataset
    profile: ImbalanceProfile
    split: Split
    cleaning: CleaningResult
    test: pd.DataFrame = field(repr=False)

    @property
    def train(self) -> pd.DataFrame:
        return self.cleaning.train

    @property
    def train_class_counts(self) -> dict[str, int]:
        counts = self.train[self.dataset.target].value_counts()
        return {str(k): int(v) for k, v in counts.items()}


def load_sample(file_name: str) -> LoadedTable:
    """One of the bundled real datasets."""
    if file_name not in SAMPLES:
        raise DataError(f"No bundled sample is named '{file_name}'. Samples: {', '.join(SAMPLES)}.")
    return read_path(SAMPLE_DIR / file_name)


def prepare(dataset: Dataset, test_size: float = 0.3, seed: int = 42,
            cleaning: CleaningPlan = CleaningPlan()) -> Prepared:
    """Profile the whole dataset, split it, and clean the training part only."""
    profile = profile_dataset(dataset)
    split = split_dataset(dataset, test_size=test_size, seed=seed)
    cleaned = clean_training(split.train, dataset.target, dataset.features, dataset.column_types,
                             profile.minority_class, cleaning, seed)
    test = fill_missing_like_train(cleaned, split.test, dataset.features, dataset.column_types)
    return Prepared(dataset=dataset, profile=profile, split=split, cleaning=cleaned, test=test)


def prepare_file(path: str | Path, target: str, column_types: dict[str, str] | None = None,
                 test_size: float = 0.3, seed: int = 42, cleaning: CleaningPlan = CleaningPlan()) -> Prepared:
    """prepare() from a file on disk (the CLI)."""
    return prepare(validate_dataset(read_path(path), target, column_types), test_size, seed, cleaning)


def synthesize(prepared: Prepared, method: str, amount: Amount = Amount(), params: dict | None = None,
               seed: int = 42, constraints: Constraints | None = None, density: DensityFilter | None = None,
               progress: Progress | None = None, should_stop: StopRequested | None = None) -> SyntheticResult:
    """Generate synthetic rows from the cleaned training part for the amount asked."""
    dataset = prepared.dataset
    return generate(prepared.train, dataset.target, dataset.features, dataset.column_types,
                    amount.counts(prepared.train_class_counts), method, params, seed, constraints, density,
                    progress, should_stop)


def augmented(prepared: Prepared, synthetic: SyntheticResult) -> pd.DataFrame:
    """The cleaned training rows plus the synthetic rows, flagged by `is_synthetic`."""
    return augmented_training(prepared.train, synthetic.rows)
