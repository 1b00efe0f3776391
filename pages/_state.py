"""The only module that knows session_state keys: typed getters and setters for every page.

Widget values live under keys of their own (`w_<name>`), which Streamlit drops when a page stops showing the
widget; `setting`/`keep` copy them to and from a persistent key (`v_<name>`) so settings survive page changes.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.identity import preparation_key, prepared_key

if TYPE_CHECKING:  # the first screen must not pay for scikit-learn and scipy imports
    from core.cleaning import CleaningPlan
    from core.data import Dataset, LoadedTable
    from core.drift import DriftResult
    from core.generators.base import SyntheticResult
    from core.leaderboard import Leaderboard
    from core.pipeline import ExperimentResult, Prepared
    from core.race_results import RaceResult
    from core.sweep import SweepResult
    from core.validation.validate import ValidationResult
    from core.validation.verdict import Thresholds

TABLE, ORIGIN, TARGET, TYPES = "table", "table_origin", "target", "type_overrides"
PLAN, SYNTHETIC, GENERATION_SETTINGS, RUNNING = "cleaning_plan", "synthetic", "generation_settings", "running"
CHOSEN_METHOD, VALIDATION, EXPERIMENT, THRESHOLDS = "chosen_method", "validation", "experiment", "thresholds"
LEADERBOARD, REPLAYED = "leaderboard", "replayed_config"
DRIFT = "drift"
DRIFT_RERUN = "drift_rerun"
MODEL_BUNDLE = "model_bundle"
BUNDLE_MONITOR = "bundle_monitor"
FAILED_UPLOAD, TARGET_GUESSED = "failed_upload", "target_guessed"
DEFAULT_SEED, DEFAULT_TEST_SIZE = 42, 0.3


SPLIT_SETTINGS = ("seed", "test_size")  # a change re-splits the table: every result computed on the split goes


def keep(name: str, value: Any) -> Any:
    """Remember a widget's value beyond the page that shows it. A new split seed or test share clears the
    results that depend on the split (synthetic rows, validation, comparison, leaderboard, drift check)."""
    key = f"v_{name}"
    if name in SPLIT_SETTINGS and key in st.session_state and st.session_state[key] != value:
        clear_results()
    st.session_state[key] = value
    return value


def remembered(name: str, default: Any) -> Any:
    return st.session_state.get(f"v_{name}", default)


def table() -> LoadedTable | None:
    return st.session_state.get(TABLE)


def origin() -> str | None:
    return st.session_state.get(ORIGIN)


def set_table(loaded: LoadedTable, source: str, target: str, guessed: bool = False) -> None:
    """A new table replaces the old one and everything computed from it.

    guessed: the target was picked by `default_target`, not by the analyst (the Data page says so)."""
    st.session_state[TABLE] = loaded
    st.session_state[ORIGIN] = source
    st.session_state[TARGET] = target
    st.session_state[TARGET_GUESSED] = guessed
    st.session_state.pop(FAILED_UPLOAD, None)
    st.session_state[TYPES] = {}
    for key in (SYNTHETIC, GENERATION_SETTINGS, CHOSEN_METHOD, STRATEGY, RUNNING, KEPT_RACE):  # no old table's run
        st.session_state.pop(key, None)
    clear_results()  # validation, comparison, leaderboard and drift of the previous table no longer apply
    for key in [k for k in st.session_state if str(k).startswith(("w_target", "w_types"))]:
        del st.session_state[key]


def target() -> str | None:
    return st.session_state.get(TARGET)


def set_target(name: str) -> None:
    if name != target():
        st.session_state[TARGET] = name
        st.session_state[TARGET_GUESSED] = False  # the analyst picked it
        clear_results()


def confirm_target() -> None:
    """The analyst kept the guessed target: it is theirs now."""
    st.session_state[TARGET_GUESSED] = False


def target_guessed() -> bool:
    """The target in use was guessed when the table was loaded and the analyst has not changed it."""
    return bool(st.session_state.get(TARGET_GUESSED))


def failed_upload() -> dict | None:
    """The last upload that could not be read, {'name', 'digest', 'message'}, while the previous table stays."""
    return st.session_state.get(FAILED_UPLOAD)


def set_failed_upload(name: str, digest: str, message: str) -> None:
    st.session_state[FAILED_UPLOAD] = {"name": name, "digest": digest, "message": message}


def clear_failed_upload() -> None:
    st.session_state.pop(FAILED_UPLOAD, None)


def type_overrides() -> dict[str, str]:
    return dict(st.session_state.get(TYPES, {}))


def set_type_overrides(overrides: dict[str, str]) -> None:
    if overrides != type_overrides():
        st.session_state[TYPES] = dict(overrides)
        clear_results()


def seed() -> int:
    return int(remembered("seed", DEFAULT_SEED))


def test_size() -> float:
    return float(remembered("test_size", DEFAULT_TEST_SIZE))


def cleaning_plan() -> CleaningPlan:
    from core.cleaning import CleaningPlan
    return st.session_state.get(PLAN, CleaningPlan())


def set_cleaning_plan(plan: CleaningPlan) -> None:
    if plan != cleaning_plan():
        st.session_state[PLAN] = plan
        clear_results()


def chosen_method() -> str | None:
    return st.session_state.get(CHOSEN_METHOD)


def set_chosen_method(name: str) -> None:
    st.session_state[CHOSEN_METHOD] = name


def synthetic() -> SyntheticResult | None:
    return st.session_state.get(SYNTHETIC)


def generation_settings() -> dict | None:
    """What produced the current synthetic rows: method, amount, params, seed, and the data's identity."""
    return st.session_state.get(GENERATION_SETTINGS)


def set_synthetic(result: SyntheticResult, settings: dict, new_generation: bool = True) -> None:
    """New synthetic rows: their validation and any comparison run are out of date, and a new generation is
    what the Comparison judges next (not a strategy without synthetic rows chosen before it)."""
    st.session_state[SYNTHETIC] = result
    st.session_state[GENERATION_SETTINGS] = settings
    for key in (VALIDATION, EXPERIMENT):
        st.session_state.pop(key, None)
    if new_generation and settings.get("method"):
        st.session_state[STRATEGY] = settings["method"]
        st.session_state.pop("w_strategy", None)


def replace_synthetic(result: SyntheticResult, **changes) -> None:
    """The same generation with rows removed (e.g. copies dropped): keep its settings (with `changes`, such as
    copies_dropped=True, recorded in them so the comparison judges the same rows), redo validation."""
    set_synthetic(result, {**(generation_settings() or {}), **changes}, new_generation=False)


def clear_results() -> None:
    """Downstream results no longer match the inputs."""
    for key in (SYNTHETIC, GENERATION_SETTINGS, VALIDATION, EXPERIMENT, LEADERBOARD, DRIFT):
        st.session_state.pop(key, None)


def validation() -> ValidationResult | None:
    return st.session_state.get(VALIDATION)


def set_validation(result: ValidationResult) -> None:
    st.session_state[VALIDATION] = result


def thresholds() -> Thresholds:
    from core.validation.verdict import Thresholds
    return st.session_state.get(THRESHOLDS, Thresholds())


def set_thresholds(value: Thresholds) -> None:
    st.session_state[THRESHOLDS] = value


def experiment() -> ExperimentResult | None:
    return st.session_state.get(EXPERIMENT)


def set_experiment(result: ExperimentResult) -> None:
    """A new run: a drift check made against the previous one no longer applies."""
    previous = st.session_state.get(EXPERIMENT)
    if previous is None or previous.prepared is not result.prepared:  # card notes keep the run and its check
        st.session_state.pop(DRIFT, None)
    st.session_state[EXPERIMENT] = result


def experiment_staleness(prepared: Prepared) -> str:
    """'' when the stored comparison was computed for the inputs in force (the session's split, cleaning,
    classifier and strategy); otherwise 'The comparison was computed for ..., before you changed ...' (its figures
    stay on screen, marked). The rule is core.decision.comparison_staleness."""
    result = experiment()
    if result is None:
        return ""
    from core.decision import comparison_staleness
    return comparison_staleness(result, prepared.dataset, cleaning_plan(), seed(), test_size(),
                                remembered("classifier", "logreg"), comparison_strategy())


def drift() -> DriftResult | None:
    """The last drift check of a new batch (against the current run, or the loaded table when there is none)."""
    return st.session_state.get(DRIFT)


def set_drift(result: DriftResult | None) -> None:
    """A new drift check (None: none); the re-run made after the previous check no longer applies."""
    st.session_state.pop(DRIFT_RERUN, None)
    if result is None:
        st.session_state.pop(DRIFT, None)
    else:
        st.session_state[DRIFT] = result


def drift_rerun() -> ExperimentResult | None:
    """The refreshed run made from the Monitor page after the current drift check (the same config, new data)."""
    return st.session_state.get(DRIFT_RERUN) if st.session_state.get(DRIFT) is not None else None


def set_drift_rerun(result: ExperimentResult) -> None:
    st.session_state[DRIFT_RERUN] = result


def model_bundle(key: str):
    """The model bundle exported from the current run (core.bundle_export.BundleFiles), when it was made from the
    decision record with this key; None otherwise."""
    stored = st.session_state.get(MODEL_BUNDLE)
    return stored[1] if stored is not None and stored[0] == key else None


def set_model_bundle(key: str, files) -> None:
    st.session_state[MODEL_BUNDLE] = (key, files)


def bundle_monitor():
    """The last check of a batch against a deployed model bundle (core.monitor.BundleMonitor), or None."""
    return st.session_state.get(BUNDLE_MONITOR)


def set_bundle_monitor(result) -> None:
    st.session_state[BUNDLE_MONITOR] = result


def is_running() -> bool:
    return bool(st.session_state.get(RUNNING))


def set_running(value: bool) -> None:
    st.session_state[RUNNING] = value


def synthetic_matches(prepared: Prepared) -> bool:
    """The stored synthetic rows came from this exact prepared training part."""
    settings = generation_settings()
    return bool(settings) and settings.get("prepared_key") == prepared_key(prepared)


def leaderboard() -> Leaderboard | None:
    return st.session_state.get(LEADERBOARD)


def set_leaderboard(board: Leaderboard) -> None:
    st.session_state[LEADERBOARD] = board


def replayed() -> str | None:
    """The SHA-256 of the config file last replayed (so one upload runs once)."""
    return st.session_state.get(REPLAYED)


def set_replayed(digest: str) -> None:
    st.session_state[REPLAYED] = digest


def mark_prepared(prepared: Prepared) -> None:
    """Remember which preparation a page last computed (the sidebar reads this instead of recomputing)."""
    st.session_state["prepared_key"] = prepared_key(prepared)


def synthetic_is_current() -> bool:
    """The stored synthetic rows came from the preparation a page last computed."""
    settings = generation_settings() or {}
    return bool(settings) and settings.get("prepared_key") == st.session_state.get("prepared_key")


def is_prepared(dataset: Dataset) -> bool:
    """A page has prepared this dataset with the current split and cleaning settings."""
    key = st.session_state.get("prepared_key")
    return bool(key) and key == preparation_key(dataset, seed(), test_size(), cleaning_plan())


RACES, STRATEGY = "races", "comparison_strategy"


def race(key: tuple) -> RaceResult | None:
    """The strategy race measured for these data, split and settings (cached per key for the session)."""
    return st.session_state.get(RACES, {}).get(key)


def set_race(key: tuple, result: RaceResult) -> None:
    races = dict(st.session_state.get(RACES, {}))
    races[key] = result
    st.session_state[RACES] = races


KEPT_RACE = "kept_race"


def use_race(result: RaceResult, prepared: Prepared) -> None:
    """'Use this' on the Method page: the race's pick becomes the strategy the Comparison judges, and the race's
    classifier carries to it (never logistic regression silently); the race is kept for the decision record."""
    _carry_to_comparison(result.recommended, result.classifier)
    st.session_state[KEPT_RACE] = {"race": result, "prepared_key": prepared_key(prepared)}


def adopt_replayed(config) -> None:
    """A replayed config's settings become the session's (its split, classifier and strategy), so the replayed run
    is not marked as computed for other inputs. A new split clears the results made on the old one first."""
    for name in SPLIT_SETTINGS:
        keep(name, getattr(config, name))
        st.session_state.pop(f"w_{name}", None)
    _carry_to_comparison(config.method, config.classifier)


def _carry_to_comparison(strategy: str, classifier: str) -> None:
    """The strategy the Comparison judges and its classifier; the Comparison's widgets reopen on them."""
    st.session_state[STRATEGY] = strategy
    st.session_state.pop("w_strategy", None)
    keep("classifier", classifier)
    st.session_state.pop("w_classifier", None)


def method_chosen() -> bool:
    """The sidebar's 'Method chosen': a generator picked on the Method page, or the race's pick kept with 'use
    this' (a strategy without synthetic rows is a choice too)."""
    return chosen_method() is not None or st.session_state.get(KEPT_RACE) is not None


def kept_race(prepared: Prepared) -> RaceResult | None:
    """The race the analyst used ('use this') if it ran on this preparation (data, split and cleaning)."""
    stored = st.session_state.get(KEPT_RACE)
    return stored["race"] if stored and stored["prepared_key"] == prepared_key(prepared) else None


def comparison_strategy() -> str | None:
    """The strategy the Comparison page judges when the analyst chose 'use this' ('threshold_tuned',
    'class_weighted' or a method name); None: the generated rows' method."""
    return st.session_state.get(STRATEGY)


def set_comparison_strategy(name: str | None) -> None:
    st.session_state[STRATEGY] = name


def clusters() -> dict[str, str]:
    """The Dask clusters the server's owner allows, name -> address: the [clusters] table of
    .streamlit/secrets.toml and SYNTHBALANCE_CLUSTERS (name=tcp://host:port,...). A user never types an address:
    on a shared server that would send the training data to any host. ConfigError: a malformed entry."""
    from core.cluster import configured_clusters

    try:
        secrets = st.secrets.get("clusters")
    except FileNotFoundError:  # no secrets.toml: the environment alone
        secrets = None
    return configured_clusters(secrets if isinstance(secrets, Mapping) else None)


def scheduler() -> str | None:
    """The address of the configured cluster chosen in the sidebar (None: this machine)."""
    from core.errors import ConfigError

    name = remembered("cluster", None)
    try:
        return clusters().get(name) if name else None
    except ConfigError:  # the sidebar shows the configuration's error
        return None


def n_jobs() -> int | None:
    """Worker processes on this machine for the race, repeats and leaderboard (None: all cores)."""
    return None
PRIVACY_SWEEP = "privacy_sweep"


def privacy_sweep(prepared: Prepared) -> SweepResult | None:
    """The last privacy-utility sweep, if it ran on this preparation (data, split and cleaning)."""
    stored = st.session_state.get(PRIVACY_SWEEP)
    return stored["result"] if stored and stored["prepared_key"] == prepared_key(prepared) else None


def set_privacy_sweep(result: SweepResult, prepared: Prepared) -> None:
    st.session_state[PRIVACY_SWEEP] = {"result": result, "prepared_key": prepared_key(prepared)}


STOPPED_JOBS = "stopped_jobs"


def stopped_jobs() -> list[dict]:
    """Records of long jobs stopped before they finished (pages/_longjob.py), one per job name."""
    return list(st.session_state.get(STOPPED_JOBS, {}).values())


def stopped_job(name: str) -> dict | None:
    return st.session_state.get(STOPPED_JOBS, {}).get(name)


def add_stopped_job(record: dict) -> None:
    st.session_state[STOPPED_JOBS] = {**st.session_state.get(STOPPED_JOBS, {}), record["name"]: record}


def forget_stopped_job(name: str) -> None:
    st.session_state[STOPPED_JOBS] = {k: v for k, v in st.session_state.get(STOPPED_JOBS, {}).items() if k != name}


def setting(name: str, default: Any, options: list | None = None) -> dict:
    """Keyword arguments for a setting's widget: its key (w_<name>) and the value it is created with, the session's
    own (the widget's current value, else the one remembered beyond its page by `keep`, else default); with
    options, an `index` into them instead (selectbox, radio).

    Every setting widget is created with this value, never left to fall back to its minimum or first option: the
    browser sends a widget's creation value back when it is used before the script filled it (a click while the
    page is still drawing, under load), and that must be the analyst's setting (the seed silently became 0)."""
    key = f"w_{name}"
    value = st.session_state[key] if key in st.session_state else st.session_state.get(f"v_{name}", default)
    if options is None:
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # a number box refuses an int beside float bounds (a value read from a config)
        return {"key": key, "value": value}
    if value is None:  # nothing chosen and no default (e.g. no generator after advice not to generate): placeholder
        return {"key": key, "index": None}
    options = list(options)
    fallback = options.index(default) if default in options else 0
    return {"key": key, "index": options.index(value) if value in options else fallback}
