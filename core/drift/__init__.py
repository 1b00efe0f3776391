"""Drift of a new batch against the reference data a run was built on: per-feature shift, each column's missing
share, class prior shift, the minority rows' own shift, concept drift (the deployed model's test-time figures
against the new batch), and a verdict (stable / watch / re-run) with the exact next step.

The package's API is the names below; pages, the CLI, Monitor, the card and bench/ import them from `core.drift`.
The modules behind them, one concern each (as scikit-learn's model_selection keeps _split, _validation, _search):
- _stats: PSI, Wilson and Newcombe intervals, Fisher and chi-square p-values, Holm's adjustment, decile cut points.
- _thresholds: DriftThresholds, the named limits of the verdict, and their reasons (REASONS).
- _results: the Verdict enum and the frozen result objects (FeatureDrift, PriorShift, ConceptDrift, DriftResult).
- _schema: conform_batch, the reference's column kinds applied to a new batch, and its SchemaReport.
- _features: one feature's drift (PSI, KS or total variation, missing share) and its status.
- _concept: prior shift and concept drift (the deployed model refitted, scored then and now).
- _check: check_drift, the verdict over every test (Holm-corrected), its reasons and next_step.
- _refresh: the refreshed data and the re-run on it.
- _serialise: drift_dict, the drift.json content.
"""
from core.drift._check import check_drift
from core.drift._refresh import REFRESH_BATCH_ONLY, REFRESH_WITH_REFERENCE, refreshed_dataset, rerun_refreshed
from core.drift._results import DriftResult, Verdict
from core.drift._serialise import drift_dict
from core.drift._stats import P_FLOOR, p_text, wilson_interval
from core.drift._thresholds import REASONS, DriftThresholds, thresholds_from_pairs

__all__ = [
    "P_FLOOR",
    "REASONS",
    "REFRESH_BATCH_ONLY",
    "REFRESH_WITH_REFERENCE",
    "DriftResult",
    "DriftThresholds",
    "Verdict",
    "check_drift",
    "drift_dict",
    "p_text",
    "refreshed_dataset",
    "rerun_refreshed",
    "thresholds_from_pairs",
    "wilson_interval",
]
