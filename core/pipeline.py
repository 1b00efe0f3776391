"""One path through the stages, shared by the CLI and the pages: prepare (read, profile, split, clean) and
generate. Each function takes the earlier stage's result object and returns a new one."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import cached_property

import pandas as pd

from core.cleaning import CleaningPlan, CleaningResult, clean_training, fill_missing_like_train
from core.config import RunConfig
from core.constraints import Constraints, build_constraints
from core.data import Dataset
from core.evaluation import ArmRun, Comparison, EvaluationDetail, compare, detail, run_arms
from core.export import augmented_training
from core.generators.amount import Amount
from core.generators.base import LossReport, Progress, StopRequested, SyntheticResult
from core.generators.density import DensityFilter
from core.generators.registry import generate
from core.imbalance import ImbalanceProfile, minority_typology, profile_dataset
from core.split import Split, ensure_not_held_out, split_dataset
from core.validation.validate import ValidationResult, copy_mask, validate_synthetic, without_rows


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

    @cached_property
    def train_typology(self) -> pd.DataFrame:
        """The minority typology of the cleaned training part (computed once, on demand): what the advisor reads,
        so the test part plays no part in the choice of method. Columns as ImbalanceProfile.typology."""
        dataset = self.dataset
        return minority_typology(self.train, dataset.target, dataset.features, dataset.column_types,
                                 self.profile.minority_classes)

    @property
    def advisor_profile(self) -> ImbalanceProfile:
        """The whole table's profile with the training part's typology: the advisor's input."""
        return replace(self.profile, typology=self.train_typology)


def prepare(dataset: Dataset, test_size: float = 0.3, seed: int = 42,
            cleaning: CleaningPlan = CleaningPlan(), profile: ImbalanceProfile | None = None) -> Prepared:
    """Profile the whole dataset (unless given), split it, and clean the training part only."""
    profile = profile or profile_dataset(dataset)
    split = split_dataset(dataset, test_size=test_size, seed=seed)
    cleaned = clean_training(split.train, dataset.target, dataset.features, dataset.column_types,
                             profile.minority_class, cleaning, seed)
    ensure_not_held_out(cleaned.train, split.test)
    test = fill_missing_like_train(cleaned, split.test, dataset.features, dataset.column_types)
    return Prepared(dataset=dataset, profile=profile, split=split, cleaning=cleaned, test=test)


def synthesize(prepared: Prepared, method: str, amount: Amount = Amount(), params: dict | None = None,
               seed: int = 42, constraints: Constraints | None = None, density: DensityFilter | None = None,
               progress: Progress | None = None, should_stop: StopRequested | None = None,
               on_losses: LossReport | None = None) -> SyntheticResult:
    """Generate synthetic rows from the cleaned training part for the amount asked."""
    dataset = prepared.dataset
    ensure_not_held_out(prepared.train, prepared.split.test)
    return generate(prepared.train, dataset.target, dataset.features, dataset.column_types,
                    amount.counts(prepared.train_class_counts), method, params, seed, constraints, density,
                    progress, should_stop, on_losses)


def augmented(prepared: Prepared, synthetic: SyntheticResult) -> pd.DataFrame:
    """The cleaned training rows plus the synthetic rows, flagged by `is_synthetic`."""
    return augmented_training(prepared.train, synthetic.rows)


@dataclass(frozen=True)
class ExperimentResult:
    """A whole run: repeat 0's prepared data, synthetic rows and validation, every repeat's arms, the comparison.

    seconds: wall time per stage summed over repeats (prepare, generate, validate, evaluate).
    """
    config: RunConfig
    profile: ImbalanceProfile
    prepared: Prepared
    synthetic: SyntheticResult
    validation: ValidationResult | None
    runs: list[dict[str, ArmRun]]
    comparison: Comparison
    detail: EvaluationDetail
    seconds: dict[str, float]


def run_experiment(dataset: Dataset, config: RunConfig, progress: Progress | None = None,
                   should_stop: StopRequested | None = None) -> ExperimentResult:
    """Run a config end to end: per repeat (seed + i) split, clean, generate (with the config's bounds, rules and
    density filter, and its copies dropped when the user dropped them) and compare; validate repeat 0 under the
    config's thresholds. Repeat 0 makes the same rows as the app's Generation page with the same settings."""
    config.check()
    seconds = {"prepare": 0.0, "generate": 0.0, "validate": 0.0, "evaluate": 0.0}
    profile = profile_dataset(dataset)
    constraints = build_constraints(list(dataset.frame.columns), list(config.rules), config.bounds)
    runs, first = [], None
    for repeat in range(config.repeats):
        seed = config.seed + repeat
        if progress:
            progress(repeat / config.repeats, f"Repeat {repeat + 1} of {config.repeats}: split and clean")
        started = time.perf_counter()
        prepared = prepare(dataset, config.test_size, seed, config.cleaning, profile)
        seconds["prepare"] += time.perf_counter() - started
        if progress:
            progress(repeat / config.repeats, f"Repeat {repeat + 1} of {config.repeats}: generate")
        started = time.perf_counter()
        synthetic = synthesize(prepared, config.method, config.amount, config.params, seed, constraints,
                               config.density, should_stop=should_stop)
        if config.drop_copies and len(synthetic.rows):  # the user dropped copies after validating: drop them here
            synthetic = without_rows(synthetic, copy_mask(prepared.train, synthetic.rows, dataset.target,
                                                          dataset.features, dataset.column_types, seed),
                                     dataset.target)
        seconds["generate"] += time.perf_counter() - started
        validation = None
        if repeat == 0 and config.validation:
            if progress:
                progress(0.0, "Repeat 1: validate the synthetic rows")
            started = time.perf_counter()
            validation = validate_synthetic(prepared.train, prepared.test, synthetic.rows, dataset.target,
                                            dataset.features, dataset.column_types, seed, config.thresholds,
                                            cleaning=prepared.cleaning)
            seconds["validate"] += time.perf_counter() - started
        if progress:
            progress(repeat / config.repeats, f"Repeat {repeat + 1} of {config.repeats}: train and score the arms")
        started = time.perf_counter()
        minority = [c for c in profile.minority_classes if c in synthetic.produced] or profile.minority_classes
        runs.append(run_arms(prepared.train, prepared.test, synthetic.rows, dataset.target, dataset.features,
                             dataset.column_types, minority, profile.majority_class, config.classifier, seed))
        seconds["evaluate"] += time.perf_counter() - started
        if repeat == 0:
            first = (prepared, synthetic, validation, detail(prepared.test, runs[0], dataset.target, minority,
                                                             config.sensitive_attribute))
    if progress:
        progress(1.0, "Done")
    comparison = compare(runs, config.classifier, config.targets)
    return ExperimentResult(config=config, profile=profile, prepared=first[0], synthetic=first[1],
                            validation=first[2], runs=runs, comparison=comparison, detail=first[3],
                            seconds=seconds)
