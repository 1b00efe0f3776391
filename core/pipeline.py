"""One path through the stages, shared by the CLI and the pages: prepare (read, profile, split, clean) and
generate. Each function takes the earlier stage's result object and returns a new one."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import cached_property, partial

import pandas as pd

from core.cleaning import CleaningPlan, CleaningResult, clean_training, fill_missing_like_train
from core.config import RunConfig
from core.constraints import Constraints, build_constraints
from core.data import Dataset
from core.diagnostics import EvaluationDetail, detail
from core.evaluation import ArmRun, Comparison, compare, run_arms
from core.export import augmented_training
from core.generators.amount import Amount
from core.generators.base import LossReport, Progress, StopRequested, SyntheticResult
from core.generators.density import DensityFilter
from core.generators.dp_guarantee import cleaning_steps
from core.generators.registry import generate
from core.generators.sampler import GeneratorSampler
from core.imbalance import ImbalanceProfile, minority_typology, profile_dataset
from core.parallel import parallel_map
from core.split import Split, ensure_not_held_out, split_dataset
from core.strategies import NO_GENERATION, judged_arm
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
                    progress, should_stop, on_losses, read_before=cleaning_steps(prepared.cleaning.steps))


def augmented(prepared: Prepared, synthetic: SyntheticResult) -> pd.DataFrame:
    """The cleaned training rows plus the synthetic rows, flagged by `is_synthetic`."""
    return augmented_training(prepared.train, synthetic.rows)


@dataclass(frozen=True)
class ExperimentResult:
    """A whole run: repeat 0's prepared data, synthetic rows and validation, every repeat's arms, the comparison.

    synthetic / validation: None for a run without generation (method 'threshold_tuned' or 'class_weighted').
    race: the strategy race on the same inputs (attached by `with_race`; part of the decision record).
    seconds: wall time per stage summed over repeats (prepare, generate, validate, evaluate).
    """
    config: RunConfig
    profile: ImbalanceProfile
    prepared: Prepared
    synthetic: SyntheticResult | None
    validation: ValidationResult | None
    runs: list[dict[str, ArmRun]]
    comparison: Comparison
    detail: EvaluationDetail
    seconds: dict[str, float]
    race: object | None = None  # the core.race.RaceResult that ran on the same inputs, when a page attached it

    @property
    def generated(self) -> bool:
        return self.synthetic is not None


def with_race(result: ExperimentResult, race) -> ExperimentResult:
    """The same run with the strategy race that ran on its inputs (the decision record tells its story); a race
    on another classifier, seed or test share is not attached."""
    if race is None or (race.classifier, race.seed, race.test_size) != (result.config.classifier, result.config.seed,
                                                                         result.config.test_size):
        return result
    return replace(result, race=race)


def sampler_for_config(config: RunConfig, dataset: Dataset, seed: int) -> GeneratorSampler:
    """The run's generator as an imbalanced-learn sampler, configured as `synthesize` is for a repeat (used to
    tune the augmented arm's threshold on rows generated from the tuning split's fit part)."""
    kinds = {c: dataset.column_types[c] for c in dataset.features}
    return GeneratorSampler(method=config.method, params=dict(config.params), sampling_strategy=config.amount,
                            kinds=kinds, rules=tuple(config.rules), bounds=tuple(config.bounds),
                            density=config.density, random_state=seed)


@dataclass(frozen=True)
class _Repeat:
    prepared: Prepared
    synthetic: SyntheticResult | None
    validation: ValidationResult | None
    runs: dict[str, ArmRun]
    minority: list[str]
    seconds: dict[str, float]


def _one_repeat(dataset: Dataset, config: RunConfig, profile: ImbalanceProfile, repeat: int,
                should_stop: StopRequested | None = None) -> _Repeat:
    """Split, clean, generate (with the config's bounds, rules and density filter, and its copies dropped when the
    user dropped them), validate repeat 0 under the config's thresholds, and score the arms (seed + repeat)."""
    seed = config.seed + repeat
    seconds = {"prepare": 0.0, "generate": 0.0, "validate": 0.0, "evaluate": 0.0}
    started = time.perf_counter()
    prepared = prepare(dataset, config.test_size, seed, config.cleaning, profile)
    seconds["prepare"] = time.perf_counter() - started
    synthetic, validation, sampler = None, None, None
    minority = profile.minority_classes
    if config.method not in NO_GENERATION:
        started = time.perf_counter()
        constraints = build_constraints(list(dataset.frame.columns), list(config.rules), config.bounds)
        synthetic = synthesize(prepared, config.method, config.amount, config.params, seed, constraints,
                               config.density, should_stop=should_stop)
        if config.drop_copies and len(synthetic.rows):  # the user dropped copies after validating: drop them here
            synthetic = without_rows(synthetic, copy_mask(prepared.train, synthetic.rows, dataset.target,
                                                          dataset.features, dataset.column_types, seed),
                                     dataset.target)
        seconds["generate"] = time.perf_counter() - started
        if repeat == 0 and config.validation:
            started = time.perf_counter()
            validation = validate_synthetic(prepared.train, prepared.test, synthetic.rows, dataset.target,
                                            dataset.features, dataset.column_types, seed, config.thresholds,
                                            cleaning=prepared.cleaning)
            seconds["validate"] = time.perf_counter() - started
        minority = [c for c in profile.minority_classes if c in synthetic.produced] or profile.minority_classes
        sampler = sampler_for_config(config, dataset, seed)
    started = time.perf_counter()
    runs = run_arms(prepared.train, prepared.test, synthetic.rows if synthetic else None, dataset.target,
                    dataset.features, dataset.column_types, minority, profile.majority_class, config.classifier,
                    seed, sampler)
    seconds["evaluate"] = time.perf_counter() - started
    return _Repeat(prepared, synthetic, validation, runs, minority, seconds)


def run_experiment(dataset: Dataset, config: RunConfig, progress: Progress | None = None,
                   should_stop: StopRequested | None = None, n_jobs: int | None = 1,
                   scheduler: str | None = None) -> ExperimentResult:
    """Run a config end to end: per repeat (seed + i) split, clean, generate and compare; validate repeat 0.

    Repeats run through `core.parallel` (n_jobs processes, or the Dask cluster at `scheduler`); every repeat
    carries its own seed, so the figures are the same for any n_jobs. Stop is honoured in-process (n_jobs=1).
    A config whose method is 'threshold_tuned' or 'class_weighted' makes no synthetic rows.
    """
    config.check()
    profile = profile_dataset(dataset)
    if progress:
        progress(0.0, f"Running {config.repeats} repeat(s): split, clean, generate, score the arms")
    done = []

    def report(index: int, total: int) -> None:
        done.append(index)
        if progress:
            progress(len(done) / total, f"Repeat {len(done)} of {total} done")

    in_process = not scheduler and (config.repeats == 1 or n_jobs == 1)
    repeats = parallel_map(partial(_one_repeat, dataset, config, profile,
                                   should_stop=should_stop if in_process else None),
                           range(config.repeats), n_jobs=n_jobs, scheduler=scheduler, on_result=report,
                           should_stop=should_stop)
    seconds = {k: sum(r.seconds[k] for r in repeats) for k in repeats[0].seconds}
    first = repeats[0]
    ratio = config.test_size / (1 - config.test_size)
    subject = judged_arm(config.method)
    comparison = compare([r.runs for r in repeats], config.classifier, config.targets, ratio, subject)
    if progress:
        progress(1.0, "Done")
    return ExperimentResult(config=config, profile=profile, prepared=first.prepared, synthetic=first.synthetic,
                            validation=first.validation, runs=[r.runs for r in repeats], comparison=comparison,
                            detail=detail(first.prepared.test, first.runs, dataset.target, first.minority,
                                          config.sensitive_attribute, subject), seconds=seconds)
