"""Monitor a deployed model bundle on a new batch: performance without labels (CBPE), the batch's minority share
and multivariate drift, per chunk, as one frozen result that the CLI (drift.json) and the Monitor page render.

The bundle is used through a small duck type (core.bundle.Bundle has these): `features` (list of column names),
`minority` (the minority label), `threshold` (float), `calibration_ok` (bool), `warnings` (tuple of str),
`manifest` (dict), `reference` (DataFrame: the feature columns, then `truth`, `minority_probability`, `decision`)
and `score(frame)` returning an object with `probability` (minority probabilities) and `decision` (bool).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from core.column_kinds import infer_column_types
from core.data import LoadedTable, sha256_of, validate_dataset
from core.errors import DataError
from core.multivariate import MultivariateDrift, multivariate_drift
from core.performance import (
    METRICS,
    NOT_CALIBRATED,
    Chunk,
    PerformanceEstimate,
    default_chunk_size,
    estimate_performance,
    period_chunks,
    size_chunks,
)
from core.prevalence import PrevalenceEstimate, adjusted_posteriors, estimate_prevalence

# bench/estimate_truth.py (docs/benchmarks-monitor.md) decides whether CBPE runs on probabilities re-weighted to the
# EM share where that share moved. It helped under prior shift (error 0.046 -> 0.032 at 1,000 rows, share halved)
# but tripled it under covariate shift (0.010 -> 0.031 at 3,000 rows), where the share moves too; without labels the
# two cannot be told apart, so the deployed probabilities are used as they are.
ADJUST_FOR_PREVALENCE = False
ADJUSTMENT_NOTE = ("The estimate uses the deployed probabilities as they are. On the bench, re-weighting them to the "
                   "estimated share lowered the error under prior shift (0.046 to 0.032, share halved, 1,000-row "
                   "chunks) but tripled it under covariate shift (0.010 to 0.031, 3,000-row chunks), where the share "
                   "moves too; without labels the two cannot be told apart (docs/benchmarks-monitor.md).")
CONCEPT_DRIFT_NOTE = ("Concept drift (the same features now meaning another class) is invisible without labels: "
                      "CBPE assumes it away. Only labels (the realised column) show it.")


class ScoredLike(Protocol):
    probability: np.ndarray
    decision: np.ndarray


class BundleLike(Protocol):
    features: list[str]
    minority: str
    threshold: float
    calibration_ok: bool
    warnings: tuple[str, ...]
    manifest: dict
    reference: pd.DataFrame

    def score(self, frame: pd.DataFrame) -> ScoredLike: ...


@dataclass(frozen=True)
class BundleMonitor:
    """Everything Monitor shows about one batch against a bundle.

    performance: CBPE of minority F1, precision and recall (in METRICS order), empty when refused (then
    `refused` says why in one sentence). labelled: the batch had the target, so each chunk has its realised figure.
    flags: per chunk, whether its estimated F1 left the reference band or the domain classifier separated it."""
    batch: str
    batch_rows: int
    target: str
    chunking: str
    chunks: tuple[Chunk, ...]
    performance: tuple[PerformanceEstimate, ...]
    refused: str
    prevalence: PrevalenceEstimate
    multivariate: MultivariateDrift
    labelled: bool
    prevalence_adjusted: bool
    bundle_warnings: tuple[str, ...]
    per_feature: Any = None  # today's per-feature check (core.drift.DriftResult) against the reference rows

    @property
    def f1(self) -> PerformanceEstimate | None:
        return self.performance[0] if self.performance else None

    @property
    def flags(self) -> tuple[bool, ...]:
        f1 = self.f1
        return tuple(bool(m.flagged or (f1 is not None and f1.chunks[i].outside_band))
                     for i, m in enumerate(self.multivariate.chunks))


def target_name(manifest: dict) -> str:
    """The target column's name as the bundle's manifest records it ('target' as text, or its 'name'/'column')."""
    value = manifest.get("target") if isinstance(manifest, dict) else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("column")
    return str(value) if value else "target"


def is_minority(values: pd.Series | np.ndarray, minority: str) -> np.ndarray:
    """True where a label is the minority (bool columns are taken as is; other labels compared as text, a float
    1.0 read as '1')."""
    series = pd.Series(values)
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_float_dtype(series) and (series.dropna() == np.round(series.dropna())).all():
        series = series.astype("Int64")
    return (series.astype(str).str.strip() == str(minority)).to_numpy()


def _chunks(batch: pd.DataFrame, chunk_size: int | None, date_column: str | None,
            period: str) -> tuple[list[Chunk], list[np.ndarray], str]:
    if chunk_size is not None and date_column:
        raise DataError("Chunk the batch by row count or by a date column, not both.")
    if date_column:
        if date_column not in batch.columns:
            raise DataError(f"The date column '{date_column}' is not in the batch.")
        chunks, positions = period_chunks(batch[date_column], period)
        return chunks, positions, f"by period ({period}) of '{date_column}'"
    size = default_chunk_size(len(batch)) if chunk_size is None else int(chunk_size)
    chunks = size_chunks(len(batch), size)
    how = f"{size:,} rows a chunk" + (" (a tenth of the batch)" if chunk_size is None else "")
    return chunks, [np.arange(c.start, c.end + 1) for c in chunks], how


def monitor_batch(bundle: BundleLike, batch: pd.DataFrame, batch_name: str = "", chunk_size: int | None = None,
                  date_column: str | None = None, period: str = "M", seed: int = 42, batch_sha256: str = "",
                  thresholds=None, label_free: bool = False) -> BundleMonitor:
    """Score the batch with the bundle and check it chunk by chunk, and each feature against the bundle's reference
    rows (core.drift.check_drift, concept drift left to the realised column). Raises DataError (one sentence) for an
    empty batch, a missing feature, a bad chunking, or a bundle without labelled reference rows."""
    from core.drift import DriftThresholds, check_drift
    if len(batch) == 0:
        raise DataError("The batch has no rows.")
    missing = [c for c in bundle.features if c not in batch.columns]
    if missing:
        raise DataError(f"The batch lacks the model's column(s) {', '.join(map(repr, missing))}.")
    reference = bundle.reference
    needed = {"truth", "minority_probability", "decision"} - set(reference.columns)
    if needed:
        raise DataError(f"The bundle's reference rows lack {', '.join(sorted(needed))}.")
    chunks, positions, how = _chunks(batch.reset_index(drop=True), chunk_size, date_column, period)
    batch = batch.reset_index(drop=True)
    scored = bundle.score(batch)
    probability = np.asarray(scored.probability, dtype=float)
    decision = np.asarray(scored.decision, dtype=bool)
    ref_truth = is_minority(reference["truth"], bundle.minority)
    if ref_truth.all() or not ref_truth.any():
        raise DataError("The bundle's reference rows hold one class only: nothing to compare against.")
    ref_probability = reference["minority_probability"].to_numpy(dtype=float)
    ref_decision = reference["decision"].to_numpy(dtype=bool)
    target = target_name(bundle.manifest)
    labelled = target in batch.columns and batch[target].notna().all()
    truth = is_minority(batch[target], bundle.minority) if labelled else None
    prevalence = estimate_prevalence(ref_truth, ref_probability, ref_decision, probability, decision,
                                     bundle.threshold, seed=seed)
    adjusted = ADJUST_FOR_PREVALENCE and prevalence.moved
    used = (adjusted_posteriors(probability, prevalence.reference, prevalence.estimated) if adjusted
            else probability)
    performance, refused = (), ""
    if bundle.calibration_ok:
        performance = tuple(estimate_performance(ref_truth, ref_probability, ref_decision, used, decision, chunks,
                                                 positions, truth, metric) for metric in METRICS)
    else:
        refused = NOT_CALIBRATED
    multivariate = multivariate_drift(reference, batch, list(bundle.features), chunks, positions, seed)
    per_feature = check_drift(reference_dataset(bundle), batch, None, thresholds or DriftThresholds(),
                              label_free=label_free, concept=False, batch=batch_name, batch_sha256=batch_sha256)
    return BundleMonitor(batch=batch_name, batch_rows=len(batch), target=target, chunking=how,
                         chunks=tuple(chunks), performance=performance, refused=refused, prevalence=prevalence,
                         multivariate=multivariate, labelled=labelled, prevalence_adjusted=adjusted,
                         bundle_warnings=tuple(bundle.warnings), per_feature=per_feature)


def reference_dataset(bundle: BundleLike) -> Any:
    """The bundle's reference rows as a Dataset (features, then the target as minority label / 'other'), for
    today's per-feature drift check against a batch."""
    reference = bundle.reference
    target = target_name(bundle.manifest)
    labels = np.where(is_minority(reference["truth"], bundle.minority), str(bundle.minority), "")
    frame = reference[list(bundle.features)].copy()
    if pd.api.types.is_bool_dtype(reference["truth"]):
        frame[target] = np.where(labels == "", "other", labels)
    else:
        frame[target] = reference["truth"].astype(str).to_numpy()
    kinds = getattr(bundle, "kinds", None)
    kinds = dict(kinds) if isinstance(kinds, dict) else infer_column_types(frame[list(bundle.features)])
    table = LoadedTable(frame=frame, name="the bundle's reference rows", sha256=sha256_of(b"bundle-reference"),
                        n_bytes=0, column_types={**infer_column_types(frame[[target]]), **kinds})
    return validate_dataset(table, target, kinds)


def _plain(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def monitor_dict(result: BundleMonitor) -> dict:
    """The drift.json keys for tools: performance_estimate, prevalence, multivariate (plus what explains them)."""
    f1 = result.f1
    return {
        "performance_estimate": {
            "metric": "minority_f1",
            "refused": result.refused or None,
            "prevalence_adjusted": result.prevalence_adjusted,
            "prevalence_adjustment_note": ADJUSTMENT_NOTE,
            "band": None if f1 is None else {"low": f1.band_low, "high": f1.band_high},
            "chunks": [] if f1 is None else [
                {"start": c.chunk.start, "end": c.chunk.end, "period": c.chunk.period or None, "rows": c.chunk.rows,
                 "estimate": _plain(c.estimate), "ci_low": _plain(c.ci_low), "ci_high": _plain(c.ci_high),
                 "realised": _plain(c.realised)} for c in f1.chunks],
            "other_metrics": {p.metric: [_plain(c.estimate) for c in p.chunks] for p in result.performance[1:]},
            "note": CONCEPT_DRIFT_NOTE,
        },
        "prevalence": {"method": result.prevalence.method, "reference": result.prevalence.reference,
                       "estimated": result.prevalence.estimated, "ci_low": result.prevalence.ci_low,
                       "ci_high": result.prevalence.ci_high,
                       "suggested_threshold": result.prevalence.suggested_threshold,
                       "deployed_threshold": result.prevalence.deployed_threshold,
                       "mean_probability": {"estimate": result.prevalence.mean_probability,
                                            "ci_low": result.prevalence.mean_probability_low,
                                            "ci_high": result.prevalence.mean_probability_high},
                       "sentence": result.prevalence.sentence},
        "multivariate": {"chunks": [{"start": c.chunk.start, "end": c.chunk.end, "auc": _plain(c.auc),
                                     "p_value": c.p_value, "flagged": c.flagged,
                                     "top_features": [list(t) for t in c.top_features]}
                                    for c in result.multivariate.chunks]},
        "chunking": result.chunking,
        "bundle_warnings": list(result.bundle_warnings),
    }


def drift_report(result: BundleMonitor) -> dict:
    """drift.json of a batch checked against a deployed bundle (the CLI's `drift --bundle` and the Monitor page's
    download): today's per-feature drift (core.drift.drift_dict; left out when that check did not run), then
    monitor_dict's keys."""
    from core.drift import drift_dict
    return {**(drift_dict(result.per_feature) if result.per_feature is not None else {}), **monitor_dict(result)}
