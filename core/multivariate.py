"""Multivariate drift: a domain classifier told to separate the reference rows from one chunk's rows.

Its out-of-fold ROC AUC (stratified 5-fold, seeded) is the chunk's drift: 0.5 when the chunk looks like the
reference, towards 1 when a combination of features tells them apart (a change no single feature's test may show).
The features that separate most: each feature alone, its out-of-fold AUC (by rank for numbers; for levels, each
level's chunk share learned on the other folds), folded to >= 0.5.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from core.performance import Chunk

FOLDS = 5
ITERATIONS = 50  # boosting rounds of the domain classifier (no early stopping: same figures every time)
MAX_ROWS = 5000  # rows drawn (seeded) from each side at most: bounded time on a large batch
FLAG_AUC = 0.6  # a chunk is flagged when its AUC reaches this and the separation is significant
FLAG_P = 0.01  # one-sided Mann-Whitney p-value of the out-of-fold scores, chunk rows against reference rows
TOP_FEATURES = 3
MAX_LEVELS = 250  # HistGradientBoosting takes at most 255 categories a column


@dataclass(frozen=True)
class ChunkSeparation:
    """One chunk against the reference: the domain classifier's out-of-fold AUC, its Mann-Whitney p-value, the
    flag, and the features that separate most as (feature, AUC of that feature alone) pairs."""
    chunk: Chunk
    auc: float
    p_value: float
    flagged: bool
    top_features: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class MultivariateDrift:
    chunks: tuple[ChunkSeparation, ...]
    reference_rows: int

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"chunk": c.chunk.label, "rows": c.chunk.rows, "domain classifier AUC": c.auc,
                              "flagged": c.flagged,
                              "features that separate most": ", ".join(f"{name} ({auc:.2f})"
                                                                       for name, auc in c.top_features)}
                             for c in self.chunks])


def _encoded(reference: pd.DataFrame, chunk: pd.DataFrame, features: list[str]) -> tuple[np.ndarray, list[bool]]:
    """Both sides stacked (reference first) as numbers: numeric columns as they are (NaN kept), others as level codes
    of the union of their levels; returns the matrix and which columns are levels."""
    both = pd.concat([reference[features], chunk[features]], ignore_index=True)
    columns, levels = [], []
    for name in features:
        values = both[name]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric:
            columns.append(values.to_numpy(dtype=float))
        else:
            codes = pd.Categorical(values.astype("string").fillna("<missing>")).codes.astype(float)
            columns.append(codes)
            numeric = codes.max(initial=0) >= MAX_LEVELS  # too many levels for the classifier's categories: ranked
        levels.append(not numeric)
    return np.column_stack(columns) if columns else np.empty((len(both), 0)), levels


def _feature_auc(values: np.ndarray, is_level: bool, side: np.ndarray, folds: list) -> float:
    """One feature alone: out-of-fold AUC folded to >= 0.5 (levels scored by their chunk share on the other folds;
    numbers by rank, no fitting, NaN ranked lowest)."""
    if not is_level:
        score = np.where(np.isnan(values), -np.inf, values)
    else:
        score = np.zeros(len(values))
        for train, test in folds:
            frame = pd.DataFrame({"level": values[train], "side": side[train]})
            share = frame.groupby("level")["side"].mean()
            score[test] = pd.Series(values[test]).map(share).fillna(side[train].mean()).to_numpy()
    auc = float(roc_auc_score(side, score))
    return max(auc, 1 - auc)


def separate(reference: pd.DataFrame, chunk: pd.DataFrame, features: list[str], seed: int = 42) -> tuple[
        float, float, tuple[tuple[str, float], ...]]:
    """The domain classifier's out-of-fold AUC of chunk rows against reference rows (both sides capped at MAX_ROWS
    rows, seeded), the one-sided Mann-Whitney p-value of its out-of-fold scores, and the TOP_FEATURES features
    whose own AUC is highest."""
    rng = np.random.default_rng(seed)
    if len(reference) > MAX_ROWS:
        reference = reference.iloc[np.sort(rng.choice(len(reference), MAX_ROWS, replace=False))]
    if len(chunk) > MAX_ROWS:
        chunk = chunk.iloc[np.sort(rng.choice(len(chunk), MAX_ROWS, replace=False))]
    matrix, levels = _encoded(reference, chunk, features)
    side = np.r_[np.zeros(len(reference), dtype=int), np.ones(len(chunk), dtype=int)]
    folds_count = min(FOLDS, len(chunk), len(reference))
    if folds_count < 2:
        return float("nan"), 1.0, ()
    folds = list(StratifiedKFold(folds_count, shuffle=True, random_state=seed).split(matrix, side))
    scores = np.zeros(len(side))
    for train, test in folds:
        model = HistGradientBoostingClassifier(max_iter=ITERATIONS, max_leaf_nodes=15, early_stopping=False,
                                               categorical_features=np.array(levels, dtype=bool), random_state=seed)
        with threadpool_limits(1):  # OpenMP threads on a busy machine cost more than they give on these sizes
            model.fit(matrix[train], side[train])
            scores[test] = model.predict_proba(matrix[test])[:, 1]
    auc = float(roc_auc_score(side, scores))
    p_value = float(mannwhitneyu(scores[side == 1], scores[side == 0], alternative="greater").pvalue)
    per_feature = [(name, _feature_auc(matrix[:, i], levels[i], side, folds)) for i, name in enumerate(features)]
    top = tuple(sorted(per_feature, key=lambda item: (-item[1], item[0]))[:TOP_FEATURES])
    return auc, p_value, top


def multivariate_drift(reference: pd.DataFrame, batch: pd.DataFrame, features: list[str], chunks: list[Chunk],
                       positions: list[np.ndarray], seed: int = 42) -> MultivariateDrift:
    """The domain classifier on each chunk (chunks: Chunk, positions: their row positions)."""
    out = []
    for chunk, where in zip(chunks, positions):
        auc, p_value, top = separate(reference, batch.iloc[where], features, seed)
        flagged = bool(np.isfinite(auc) and auc >= FLAG_AUC and p_value < FLAG_P)
        out.append(ChunkSeparation(chunk=chunk, auc=auc, p_value=p_value, flagged=flagged, top_features=top))
    return MultivariateDrift(chunks=tuple(out), reference_rows=len(reference))
