"""Decision thresholds on P(minority): tuned on out-of-fold probabilities over K folds of a training part
(scikit-learn's TunedThresholdClassifierCV method), never on test rows and never on one small validation split;
and minority precision, recall and F1 at every threshold of the grid at once."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from core.models import SharedFits, fit_strategy, strategy_frame, strategy_proba
from core.split import ensure_not_held_out

THRESHOLD_FOLDS = 3  # K of the out-of-fold threshold tuning: every training row is scored once, out of fold
DEFAULT_THRESHOLD = 0.5
THRESHOLDS = np.round(np.arange(0.01, 1.0, 0.01), 2)


def decide(proba: pd.DataFrame, minority: list[str], threshold: float | None) -> np.ndarray:
    """Predicted labels: argmax, or (binary) the minority when P(minority) >= threshold."""
    if threshold is None or len(proba.columns) != 2:
        return proba.idxmax(axis=1).to_numpy()
    other = next(c for c in proba.columns if c != minority[0])
    return np.where(proba[minority[0]].to_numpy() >= threshold, minority[0], other)


@dataclass(frozen=True)
class ThresholdChoice:
    """A tuned threshold on P(minority): the value used (None: argmax, for multi-class targets), the number of
    inner folds it was tuned on (0 when it was not tuned), and why it kept the default ('' when tuned)."""
    threshold: float | None
    folds: int = 0
    fallback: str = ""

    @property
    def tuned(self) -> bool:
        return self.folds > 0


def choose_threshold(strategy, train: pd.DataFrame, target: str, features: list[str], minority: list[str],
                     seed: int, folds: int = THRESHOLD_FOLDS) -> ThresholdChoice:
    """The threshold on P(minority) (grid 0.01..0.99) that maximises minority F1 on out-of-fold probabilities
    over `folds` stratified folds of the training rows (scikit-learn's TunedThresholdClassifierCV method: each
    row is scored by a clone of `strategy` fitted on the other folds, so a resampling strategy makes its
    synthetic rows inside each inner fold and the scored rows stay unseen). No single small validation split.

    Falls back to the default threshold 0.5, and says why, when a fold's scores are constant (as
    TunedThresholdClassifierCV refuses "constant predictions") or the minority has fewer than 2 rows.
    None for multi-class targets (argmax is kept).
    """
    return choose_thresholds({"strategy": strategy}, train, target, features, minority, seed, folds,
                             share=False)["strategy"]


def choose_thresholds(strategies: dict, train: pd.DataFrame, target: str, features: list[str], minority: list[str],
                      seed: int, folds: int = THRESHOLD_FOLDS, share: bool = True,
                      frame: pd.DataFrame | None = None) -> dict[str, ThresholdChoice]:
    """{name: `choose_threshold(strategy, ...)`} for several strategies on the same training rows and seed (the
    same inner folds), each choice equal to its own call's.

    share: the inner fits share their work (`core.models.SharedFits`: the rows' model frame made once, and
    strategies without a sampler one fitted space and one fit per distinct classifier per inner fold); False fits
    each strategy on its own (`fit_strategy`), as a single call does. frame: train's model frame when the caller
    has it (`core.models.strategy_frame`).
    """
    ensure_not_held_out(train)
    labels = train[target].astype(str)
    if labels.nunique() != 2:
        return {name: ThresholdChoice(None) for name in strategies}
    smallest = int(labels.value_counts().min())
    k = min(folds, smallest)
    if k < 2:
        return {name: ThresholdChoice(DEFAULT_THRESHOLD, 0, f"the smallest class has {smallest} row(s), too few "
                                                            "to tune a threshold on folds") for name in strategies}
    scores = {name: np.full(len(train), np.nan) for name in strategies}
    constant = {}  # a strategy whose scores were constant on an inner fold keeps 0.5 and fits no further folds
    if share and frame is None:
        frame = strategy_frame(next(iter(strategies.values())), train, features)
    for fit_index, check_index in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(
            np.zeros(len(train)), labels):
        live = {name: clone(strategy) for name, strategy in strategies.items() if name not in constant}
        if not live:
            break
        if share:
            probas = SharedFits(live, train.iloc[fit_index], target, features, frame.iloc[fit_index]).proba(
                train.iloc[check_index], frame.iloc[check_index])
        else:
            probas = {name: strategy_proba(fit_strategy(model, train.iloc[fit_index], target, features),
                                           train.iloc[check_index], features) for name, model in live.items()}
        for name in live:
            proba = probas[name]
            fold_scores = (proba[minority[0]].to_numpy() if minority[0] in proba.columns
                           else np.zeros(len(check_index)))
            if np.ptp(fold_scores) == 0:
                constant[name] = ThresholdChoice(DEFAULT_THRESHOLD, 0, "the model's scores were constant on an inner "
                                                                       "fold, so no threshold could be tuned")
            else:
                scores[name][check_index] = fold_scores
    truth = labels.to_numpy() == minority[0]
    return {name: constant.get(name) or ThresholdChoice(best_threshold(truth, scores[name]), k)
            for name in strategies}


def best_threshold(truth_is_minority: np.ndarray, scores: np.ndarray) -> float:
    """The grid threshold (0.01..0.99) with the highest minority F1 on these scores (the first one on a tie)."""
    return float(THRESHOLDS[int(np.argmax(scores_by_threshold(truth_is_minority, scores)["f1"].to_numpy()))])


def tune_threshold(strategy, train: pd.DataFrame, target: str, features: list[str], minority: list[str],
                   seed: int, folds: int = THRESHOLD_FOLDS) -> float | None:
    """The value of `choose_threshold` (0.5 when it fell back, None for multi-class)."""
    return choose_threshold(strategy, train, target, features, minority, seed, folds).threshold


def scores_by_threshold(truth_is_minority: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """Minority precision, recall and F1 at every threshold 0.01..0.99 on P(minority), all thresholds at once
    (a row is flagged when its score >= threshold; 0 where a ratio is undefined, as zero_division=0)."""
    truth = np.asarray(truth_is_minority, dtype=bool)
    flagged = np.asarray(scores)[None, :] >= THRESHOLDS[:, None]
    true_positive = (flagged & truth[None, :]).sum(axis=1).astype(float)
    flagged_count, positives = flagged.sum(axis=1).astype(float), float(truth.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(flagged_count > 0, true_positive / flagged_count, 0.0)
        recall = np.full_like(precision, 0.0) if positives == 0 else true_positive / positives
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return pd.DataFrame({"threshold": THRESHOLDS.astype(float), "precision": precision, "recall": recall, "f1": f1})
