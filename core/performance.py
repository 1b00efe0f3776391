"""Performance without labels: NannyML's confidence-based performance estimation (CBPE) of the deployed decision.

Follows NannyML 0.13.1 (`nannyml/performance_estimation/confidence_based/metrics.py`, `nannyml/sampling_error/
binary_classification.py`, `nannyml/thresholds.py`, `nannyml/chunk.py`) for a binary classifier whose minority
probabilities are already calibrated (the bundle's calibration check; NannyML's own isotonic recalibration step is
not repeated: it is the identity on calibrated scores, and `bench/cbpe_parity.py` runs NannyML with its no-op
calibrator on the same probabilities). It assumes calibration and no concept drift: a change of P(y | x) is
invisible without labels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_score, recall_score

from core.errors import DataError

METRICS = ("f1", "precision", "recall")  # of the minority class, at the deployed decision
METRIC_WORDS = {"f1": "minority F1", "precision": "minority precision", "recall": "minority recall"}
SAMPLING_ERROR_RANGE = 3  # NannyML's SAMPLING_ERROR_RANGE: the interval is the estimate +- 3 sampling errors
BAND_STD = 3  # NannyML's StandardDeviationThreshold default: reference chunks' mean +- 3 standard deviations
DEFAULT_CHUNKS = 10  # NannyML's DefaultChunker: ten chunks when neither a size nor a period is given
NOT_CALIBRATED = ("Performance is not estimated: the bundle's calibration check failed, and CBPE needs calibrated "
                  "probabilities (an uncalibrated score would give a confident, wrong minority F1).")


@dataclass(frozen=True)
class Chunk:
    """Rows [start, end] (0-based, inclusive; NannyML's start_index/end_index) of a batch, or one period of a date
    column (`period` its name, e.g. '2024-03'; start and end still the row positions of its first and last row)."""
    start: int
    end: int
    rows: int
    period: str = ""

    @property
    def label(self) -> str:
        return self.period or f"rows {self.start:,}-{self.end:,}"


@dataclass(frozen=True)
class ChunkEstimate:
    """One chunk's estimated metric (CBPE), its sampling interval (cut to [0, 1]) and, when the batch has labels,
    the realised metric (None without labels, or when the chunk holds one class or one decision only)."""
    chunk: Chunk
    estimate: float
    sampling_error: float
    ci_low: float
    ci_high: float
    realised: float | None
    outside_band: bool


@dataclass(frozen=True)
class PerformanceEstimate:
    """CBPE of one metric over a batch's chunks, with the band the reference period gives (realised metric on the
    reference's own chunks, mean +- 3 standard deviations, cut to [0, 1])."""
    metric: str
    chunks: tuple[ChunkEstimate, ...]
    band_low: float
    band_high: float
    reference_chunks: int
    reference_chunk_rows: int

    @property
    def words(self) -> str:
        return METRIC_WORDS[self.metric]

    def table(self) -> pd.DataFrame:
        """One row per chunk: chunk, rows, estimate, interval, realised, outside the reference band."""
        return pd.DataFrame([{"chunk": c.chunk.label, "rows": c.chunk.rows, f"estimated {self.words}": c.estimate,
                              "interval low": c.ci_low, "interval high": c.ci_high,
                              f"realised {self.words}": c.realised, "outside the reference band": c.outside_band}
                             for c in self.chunks])


# ---------------------------------------------------------------------------------------------------------
# Expected confusion matrix and the metrics from it


def expected_confusion(probability: np.ndarray, decision: np.ndarray) -> tuple[float, float, float, float]:
    """Expected TP, FP, FN, TN of a chunk from calibrated minority probabilities p and decisions d (bool):
    TP = sum(p d), FP = sum((1 - p) d), FN = sum(p (1 - d)), TN = sum((1 - p)(1 - d)); P(correct) = 1 - |d - p|."""
    p = np.asarray(probability, dtype=float)
    d = np.asarray(decision, dtype=bool)
    return (float(np.sum(np.where(d, p, 0.0))), float(np.sum(np.where(d, 1 - p, 0.0))),
            float(np.sum(np.where(~d, p, 0.0))), float(np.sum(np.where(~d, 1 - p, 0.0))))


def estimate_metric(metric: str, probability: np.ndarray, decision: np.ndarray) -> float:
    """CBPE's estimate from the expected confusion matrix, in [0, 1] (0 when the denominator is 0, as NannyML):
    F1 = TP / (TP + (FP + FN) / 2); precision = TP / (TP + FP); recall = TP / (TP + FN)."""
    tp, fp, fn, _ = expected_confusion(probability, decision)
    denominator = {"f1": tp + 0.5 * (fp + fn), "precision": tp + fp, "recall": tp + fn}[metric]
    return tp / denominator if denominator != 0 else 0.0


def realised_metric(metric: str, truth: np.ndarray, decision: np.ndarray) -> float | None:
    """The metric on labelled rows (minority = True); None (NannyML: NaN) when the rows hold one class or one
    decision only."""
    truth, decision = np.asarray(truth, dtype=bool), np.asarray(decision, dtype=bool)
    if len(np.unique(truth)) <= 1 or len(np.unique(decision)) <= 1:
        return None
    score = {"f1": f1_score, "precision": precision_score, "recall": recall_score}[metric]
    return float(score(truth, decision, zero_division=0))


def sampling_error_components(metric: str, truth: np.ndarray, decision: np.ndarray) -> tuple[float, float]:
    """NannyML's (std, fraction) from the labelled reference rows, for the sampling error std / sqrt(n fraction).

    f1: observations TP -> 1, FP and FN -> 0, scaled by (#TP + #FP + #FN) / (#TP + (#FP + #FN) / 2); fraction the
    share of rows that are TP, FP or FN. precision: TP -> 1, FP -> 0 over the positive decisions; fraction the
    share of positive decisions. recall: TP -> 1, FN -> 0 over the minority rows; fraction the minority share.
    std is numpy's population standard deviation (ddof 0)."""
    truth, decision = np.asarray(truth, dtype=bool), np.asarray(decision, dtype=bool)
    tp = int(np.sum(truth & decision))
    fp = int(np.sum(~truth & decision))
    fn = int(np.sum(truth & ~decision))
    n = len(truth)
    if metric == "f1":
        count = tp + fp + fn
        if count == 0:
            return math.nan, 0.0
        observations = np.concatenate([np.ones(tp), np.zeros(fn + fp)]) * (count / ((fn + fp) * 0.5 + tp))
        return float(np.std(observations)), count / n
    if metric == "precision":
        observations = np.concatenate([np.ones(tp), np.zeros(fp)])
        return (float(np.std(observations)) if len(observations) else math.nan), float(np.sum(decision)) / n
    observations = np.concatenate([np.ones(tp), np.zeros(fn)])
    return (float(np.std(observations)) if len(observations) else math.nan), float(np.sum(truth)) / n


def sampling_error(components: tuple[float, float], rows: int) -> float:
    """NannyML's sampling error of a chunk of `rows` rows: std / sqrt(rows x fraction)."""
    std, fraction = components
    if rows * fraction <= 0:
        return math.nan
    return std / math.sqrt(rows * fraction)


def reference_band(values: list[float | None]) -> tuple[float, float]:
    """NannyML's StandardDeviationThreshold on the reference chunks' realised values: nanmean +- 3 nanstd
    (ddof 0), a bound beyond the metric's limits [0, 1] replaced by the limit."""
    array = np.array([math.nan if v is None else v for v in values], dtype=float)
    if np.all(np.isnan(array)):
        return 0.0, 1.0
    mean, std = float(np.nanmean(array)), float(np.nanstd(array))
    low, high = mean - BAND_STD * std, mean + BAND_STD * std
    return (0.0 if low <= 0 else low), (1.0 if high >= 1 else high)


# ---------------------------------------------------------------------------------------------------------
# Chunks


def size_chunks(rows: int, chunk_size: int) -> list[Chunk]:
    """NannyML's SizeBasedChunker (incomplete='keep'): consecutive chunks of chunk_size rows, the remainder kept as
    a last, smaller chunk."""
    if chunk_size < 1:
        raise DataError(f"The chunk size must be at least 1 row, not {chunk_size}.")
    return [Chunk(start=s, end=min(s + chunk_size, rows) - 1, rows=min(s + chunk_size, rows) - s)
            for s in range(0, rows, chunk_size)]


def default_chunk_size(rows: int) -> int:
    """NannyML's DefaultChunker: rows // 10, at least 1."""
    return max(rows // DEFAULT_CHUNKS, 1)


def period_chunks(dates: pd.Series, period: str = "M") -> tuple[list[Chunk], list[np.ndarray]]:
    """NannyML's PeriodBasedChunker: rows grouped by the period of a date column (pandas period alias, 'M' a
    month), in time order; returns the chunks and each chunk's row positions. Raises DataError when the column
    does not read as dates."""
    parsed = pd.to_datetime(dates, errors="coerce")
    unreadable = int(parsed.isna().sum())
    if unreadable:
        raise DataError(f"The date column '{dates.name}' has {unreadable:,} value(s) that do not read as dates.")
    try:
        periods = parsed.dt.to_period(period)
    except (ValueError, TypeError):
        raise DataError(f"'{period}' is not a period: use M (month), W (week), D (day) or Q (quarter).") from None
    chunks, positions = [], []
    for key in sorted(periods.unique()):
        where = np.flatnonzero((periods == key).to_numpy())
        chunks.append(Chunk(start=int(where[0]), end=int(where[-1]), rows=len(where), period=str(key)))
        positions.append(where)
    return chunks, positions


# ---------------------------------------------------------------------------------------------------------
# The estimate


def estimate_performance(reference_truth: np.ndarray, reference_probability: np.ndarray,
                         reference_decision: np.ndarray, probability: np.ndarray, decision: np.ndarray,
                         chunks: list[Chunk], positions: list[np.ndarray] | None = None,
                         truth: np.ndarray | None = None, metric: str = "f1",
                         reference_chunk_size: int | None = None) -> PerformanceEstimate:
    """CBPE of `metric` on each chunk of a batch.

    reference_*: the labelled reference rows (truth and decision bool, minority = True; probability the calibrated
    minority probability), n_ref each. probability, decision: the batch's, n each; truth: the batch's labels or
    None. chunks: the batch's chunks; positions: each chunk's row positions (default the rows start..end).
    reference_chunk_size: the rows per reference chunk for the band (default: the batch chunks' median size).
    Interval: estimate +- 3 sampling errors, cut to [0, 1] (NannyML's confidence boundaries)."""
    if metric not in METRICS:
        raise DataError(f"Unknown metric '{metric}': choose one of {', '.join(METRICS)}.")
    reference_truth = np.asarray(reference_truth, dtype=bool)
    reference_decision = np.asarray(reference_decision, dtype=bool)
    components = sampling_error_components(metric, reference_truth, reference_decision)
    size = reference_chunk_size or (int(np.median([c.rows for c in chunks])) if chunks else 1)
    reference_values = [realised_metric(metric, reference_truth[c.start:c.end + 1],
                                        reference_decision[c.start:c.end + 1])
                        for c in size_chunks(len(reference_truth), max(size, 1))]
    band_low, band_high = reference_band(reference_values)
    probability = np.asarray(probability, dtype=float)
    decision = np.asarray(decision, dtype=bool)
    if positions is None:
        positions = [np.arange(c.start, c.end + 1) for c in chunks]
    estimates = []
    for chunk, where in zip(chunks, positions):
        value = estimate_metric(metric, probability[where], decision[where])
        error = sampling_error(components, len(where))
        low = max(0.0, value - SAMPLING_ERROR_RANGE * error) if math.isfinite(error) else math.nan
        high = min(1.0, value + SAMPLING_ERROR_RANGE * error) if math.isfinite(error) else math.nan
        realised = None if truth is None else realised_metric(metric, np.asarray(truth)[where], decision[where])
        estimates.append(ChunkEstimate(chunk=chunk, estimate=value, sampling_error=error, ci_low=low, ci_high=high,
                                       realised=realised, outside_band=bool(value < band_low or value > band_high)))
    return PerformanceEstimate(metric=metric, chunks=tuple(estimates), band_low=band_low, band_high=band_high,
                               reference_chunks=len(reference_values), reference_chunk_rows=max(size, 1))
