"""Which generator fits this data, and why: a ranked list with reasons and the Method Evaluation Matrix."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.data import LEVEL_KINDS, NUMBER_KINDS
from core.generators.base import DP_FAMILY
from core.generators.deep import SMALL_CLASS_ROWS, estimate_seconds
from core.generators.registry import REGISTRY
from core.imbalance import ImbalanceProfile

LARGE_TABLE_ROWS = 5000
HARD_MINORITY_SHARE = 0.5  # borderline + rare + outlier share above which boundary-focused methods help


@dataclass(frozen=True)
class Recommendation:
    """One method with its score (higher is better), reasons for and against, and whether it can run at all."""
    method: str
    label: str
    family: str
    score: float
    usable: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Advice:
    """The ranked methods (usable ones first) and the evaluation matrix (one row per method)."""
    ranked: tuple[Recommendation, ...]
    matrix: pd.DataFrame

    @property
    def best(self) -> Recommendation:
        return self.ranked[0]


def _hard_share(profile: ImbalanceProfile) -> float:
    row = profile.typology.loc[profile.typology["class"] == profile.minority_class]
    if row.empty:
        return 0.0
    counts = row.iloc[0]
    total = sum(int(counts[t]) for t in ("safe", "borderline", "rare", "outlier"))
    return (total - int(counts["safe"])) / total if total else 0.0


def advise(profile: ImbalanceProfile, train_minority_rows: int | None = None) -> Advice:
    """Rank every registered method for this profile. train_minority_rows: rows of the smallest class in training."""
    n_min = train_minority_rows or profile.minority_count
    n_numbers = sum(n for k, n in profile.feature_kinds.items() if k in NUMBER_KINDS)
    n_levels = sum(n for k, n in profile.feature_kinds.items() if k in LEVEL_KINDS)
    mixed, only_levels = n_numbers > 0 and n_levels > 0, n_numbers == 0 and n_levels > 0
    hard = _hard_share(profile)
    recommendations, matrix_rows = [], []
    for name, info in REGISTRY.items():
        score, reasons, usable = 0.0, [], True
        if info.categorical == "none" and n_levels:
            if name == "smote":
                reasons.append(f"runs as SMOTE-NC here: {n_levels} categorical column(s)")
                score -= 1
            else:
                usable = False
                reasons.append(f"numbers only, and this table has {n_levels} categorical column(s)")
        if info.categorical == "mixed":
            if mixed:
                score += 3
                reasons.append(f"made for mixed tables ({n_numbers} numeric, {n_levels} categorical columns)")
            else:
                score -= 2
                reasons.append("needs both numeric and categorical columns")
        if info.categorical == "only":
            if only_levels:
                score += 3
                reasons.append("made for all-categorical tables")
            else:
                usable = False
                reasons.append("categorical columns only")
        if n_min < info.min_minority_rows:
            usable = False
            reasons.append(f"needs at least {info.min_minority_rows} minority rows; there are {n_min}")
        if info.family in ("GAN", "VAE"):
            seconds = estimate_seconds(name, n_min, profile.n_features, 100)
            if n_min < SMALL_CLASS_ROWS:
                score -= 4
                reasons.append(f"minority under {SMALL_CLASS_ROWS} rows ({n_min}): too few to train a neural model")
            elif profile.n_rows >= LARGE_TABLE_ROWS and n_levels:
                score += 2
                reasons.append(f"large mixed table: can learn category combinations (about {seconds:.0f} s "
                               "for 100 epochs here)")
            else:
                score += 0.5 if n_levels else 0
                reasons.append(f"can learn non-linear structure; about {seconds:.0f} s for 100 epochs here")
        if info.family == "interpolation" and n_min < SMALL_CLASS_ROWS:
            score += 1
            reasons.append("interpolation works with few minority rows")
        if name in ("borderline_smote", "adasyn", "svm_smote") and hard > HARD_MINORITY_SHARE:
            score += 2
            reasons.append(f"{hard:.0%} of minority rows are borderline, rare or outliers: focuses on the boundary")
        if name == "smote" and not n_levels:
            score += 2.5
            reasons.append("all-numeric table: plain SMOTE is the standard first choice")
        if name == "kmeans_smote" and hard > HARD_MINORITY_SHARE:
            score += 0.5
            reasons.append("generates only inside minority-dense clusters")
        if info.family == "copula":
            score += 1.5 if n_min < SMALL_CLASS_ROWS else 1
            reasons.append("stable on small classes; keeps real marginals and rank correlations")
        if info.family == "duplication":
            score += 0.5
            reasons.append("the reference: adds no new information, only copies")
        if info.differentially_private:  # chosen for a guarantee, not for fidelity: never the default pick
            score -= 1
            reasons.append("formal (epsilon, delta) privacy guarantee; its noise costs fidelity")
        if profile.high_dimensional and info.family == "interpolation":
            score -= 1
            reasons.append("many features for the minority size: nearest neighbours become unreliable")
        recommendations.append(Recommendation(method=name, label=info.label, family=info.family, score=score,
                                              usable=usable, reasons=tuple(reasons)))
        matrix_rows.append({
            "method": info.label, "family": info.family, "computational cost": info.cost,
            "expected sample quality": _quality(info.family, n_min, hard),
            "enough minority rows": "yes" if n_min >= max(info.min_minority_rows, info.warn_below_rows) else "no",
            "tuning effort": info.tuning, "usable here": "yes" if usable else "no"})
    ranked = sorted(recommendations, key=lambda r: (not r.usable, -r.score, r.method))
    order = [REGISTRY[r.method].label for r in ranked]
    matrix = pd.DataFrame(matrix_rows).set_index("method").loc[order].reset_index()
    return Advice(ranked=tuple(ranked), matrix=matrix)


def _quality(family: str, n_min: int, hard: float) -> str:
    """Expected sample quality in words, from the family and the minority's size and shape."""
    if family == "duplication":
        return "exact copies"
    if family in ("GAN", "VAE"):
        return "high with enough rows" if n_min >= 300 else ("medium" if n_min >= SMALL_CLASS_ROWS else "low")
    if family == "interpolation":
        return "medium (noisy minority)" if hard > 0.7 else "good"
    if family == DP_FAMILY:
        return "lower: noise added for privacy"
    return "good"
