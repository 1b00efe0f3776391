"""Pure core computations cached by content (file hash, target, types, settings), shared safely between
sessions: identical inputs share the work, never another user's session state."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from core.data import Dataset, LoadedTable, validate_dataset
from core.samples import load_sample

if TYPE_CHECKING:  # heavy modules load with the first page that needs them, not with the first screen
    from core.advisor import Advice
    from core.cleaning import CleaningPlan
    from core.imbalance import ImbalanceProfile
    from core.pipeline import Prepared


@st.cache_data(show_spinner=False, max_entries=8)
def sample_table(file_name: str) -> LoadedTable:
    return load_sample(file_name)


@st.cache_data(show_spinner=False, max_entries=16)
def dataset(sha256: str, target: str, overrides: tuple, _table: LoadedTable) -> Dataset:
    return validate_dataset(_table, target, dict(overrides))


@st.cache_data(show_spinner="Profiling the classes...", max_entries=16)
def profile(key: tuple, _dataset: Dataset) -> ImbalanceProfile:
    from core.imbalance import profile_dataset
    return profile_dataset(_dataset)


@st.cache_data(show_spinner="Splitting and cleaning...", max_entries=16)
def prepared(key: tuple, test_size: float, seed: int, plan: CleaningPlan, _dataset: Dataset) -> Prepared:
    from core.pipeline import prepare
    return prepare(_dataset, test_size, seed, plan)


@st.cache_data(show_spinner=False, max_entries=16)
def advice(key: tuple, test_size: float, seed: int, plan: CleaningPlan, _profile: ImbalanceProfile,
           train_minority_rows: int) -> Advice:
    from core.advisor import advise
    return advise(_profile, train_minority_rows)


@st.cache_data(show_spinner=False, max_entries=32)
def race_estimate(_prepared: Prepared, prepared_key: str, classifier: str, folds: int, budget: float,
                  n_jobs: int | None) -> float:
    """The race's time estimate (one timed classifier fit), once per data and settings."""
    from core.race import estimate_race_prepared
    return estimate_race_prepared(_prepared, classifier, folds, budget, n_jobs)


@st.cache_data(show_spinner=False, max_entries=32)
def experiment_estimate(_prepared: Prepared, prepared_key: str, method: str, params: dict, repeats: int,
                        classifier: str, n_jobs: int | None) -> float:
    """The Comparison's time estimate, once per data and settings."""
    from core.estimates import experiment_seconds
    return experiment_seconds(_prepared, method, params, repeats, classifier, n_jobs)


@st.cache_data(show_spinner=False, max_entries=32)
def leaderboard_estimate(_prepared: Prepared, prepared_key: str, methods: tuple, epochs: int, classifier: str,
                         n_jobs: int | None, repeats: int = 1) -> float:
    """Compare generators' time estimate, once per data and settings."""
    from core.estimates import leaderboard_seconds
    deep = {"epochs": epochs}
    return leaderboard_seconds(_prepared, list(methods), lambda m: deep if m in ("ctgan", "tvae") else {},
                               classifier, n_jobs, repeats=repeats)


@st.cache_data(show_spinner=False, max_entries=32)
def sweep_estimate(_prepared: Prepared, prepared_key: str, method: str, epochs: int, points: int,
                   reference: bool, repeats: int, classifier: str) -> float:
    """The privacy-utility sweep's time estimate, once per data and settings."""
    from core.estimates import sweep_seconds
    return sweep_seconds(_prepared, method, {"epochs": epochs}, points, reference, repeats, classifier)
