"""The imbalance profile: class counts and ratio, feature kinds, missing data, and the minority typology."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.neighbors import NearestNeighbors

from core.data import COLUMN_KINDS, Dataset
from core.encoding import encoded_in_chunks

TYPOLOGY = ("safe", "borderline", "rare", "outlier")
TYPOLOGY_NEIGHBOURS = 5
HIGH_DIMENSIONAL_FEATURES = 100


@dataclass(frozen=True)
class ImbalanceProfile:
    """What the data looks like from the minority's point of view.

    class_counts: rows per class, largest first. imbalance_ratio: majority rows / smallest class rows.
    minority_classes: every class smaller than the majority (binary: one).
    typology: one row per minority class; columns safe, borderline, rare, outlier (row counts).
    missing_by_feature: one row per feature; columns feature, kind, missing, share, and one share per class.
    """
    n_rows: int
    target: str
    class_counts: dict[str, int]
    class_shares: dict[str, float]
    majority_class: str
    minority_class: str
    minority_classes: list[str]
    imbalance_ratio: float
    is_multiclass: bool
    n_features: int
    feature_kinds: dict[str, int]
    high_dimensional: bool
    missing_share: float
    missing_share_by_class: dict[str, float]
    missing_by_feature: pd.DataFrame
    typology: pd.DataFrame
    summary: str

    @property
    def minority_count(self) -> int:
        return self.class_counts[self.minority_class]

    def to_dict(self) -> dict:
        """Plain values for JSON (the CLI's analyze --json and results.json)."""
        return {
            "rows": self.n_rows, "target": self.target, "class_counts": self.class_counts,
            "class_shares": self.class_shares, "majority_class": self.majority_class,
            "minority_class": self.minority_class, "minority_classes": self.minority_classes,
            "minority_count": self.minority_count, "imbalance_ratio": self.imbalance_ratio,
            "is_multiclass": self.is_multiclass, "n_features": self.n_features,
            "feature_kinds": self.feature_kinds, "high_dimensional": self.high_dimensional,
            "missing_share": self.missing_share, "missing_share_by_class": self.missing_share_by_class,
            "missing_by_feature": self.missing_by_feature.to_dict(orient="records"),
            "typology": {row["class"]: {t: int(row[t]) for t in TYPOLOGY}
                         for row in self.typology.to_dict(orient="records")},
            "summary": self.summary,
        }


TYPOLOGY_WORKING_MB = 64  # memory for one chunk of brute-force distances; same neighbours, smaller peak


def minority_typology(frame: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str],
                      minority_classes: list[str], k: int = TYPOLOGY_NEIGHBOURS) -> pd.DataFrame:
    """Napierala & Stefanowski typology: each minority row by how many of its k=5 nearest neighbours share its class.

    5 or 4 of 5 same class: safe; 3 or 2: borderline; 1: rare; 0: outlier. Distances are Euclidean in the
    standardised one-hot space. Descriptive only: it feeds no later step.
    """
    empty = pd.DataFrame([{"class": c, **{t: 0 for t in TYPOLOGY}} for c in minority_classes])
    if len(frame) <= k or not features:
        return empty
    points = encoded_in_chunks(frame, features, kinds)  # = distance_space(...).fit_transform, at half the peak
    labels = frame[target].to_numpy()
    neighbours = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(points)  # trees lose in 30-D
    rows = []
    for label in minority_classes:
        positions = np.flatnonzero(labels == label)
        with config_context(working_memory=TYPOLOGY_WORKING_MB):  # distance chunks: 1 GiB by default
            _, index = neighbours.kneighbors(points[positions])
        # Drop each row itself (exact duplicates may come before it); where it is absent, drop the farthest.
        keep = index != positions[:, None]
        keep[keep.all(axis=1), -1] = False
        others = index[keep].reshape(-1, k)
        same = (labels[others] == label).sum(axis=1)
        kind = np.select([same >= 4, same >= 2, same == 1], ["safe", "borderline", "rare"], "outlier")
        rows.append({"class": label, **{t: int((kind == t).sum()) for t in TYPOLOGY}})
    return pd.DataFrame(rows)


def _summary(p_counts: dict[str, int], minority: str, ratio: float, typology: pd.DataFrame,
             missing_share: float) -> str:
    n_min = p_counts[minority]
    total = sum(p_counts.values())
    first = (f"The minority class '{minority}' has {n_min:,} of {total:,} rows ({n_min / total:.1%}), "
             f"an imbalance of {ratio:.1f} : 1.")
    row = typology.loc[typology["class"] == minority]
    if row.empty or row[list(TYPOLOGY)].to_numpy().sum() == 0:
        return first + f" {missing_share:.1%} of feature cells are missing."
    counts = row.iloc[0]
    hard = int(counts["borderline"] + counts["rare"] + counts["outlier"])
    shape = ("it is hard to learn and interpolation needs care" if hard / n_min > 0.5
             else "most of it forms safe regions")
    second = (f"{hard / n_min:.0%} of its rows sit among other classes (borderline, rare or outlier), "
              f"so {shape}; "
              f"{missing_share:.1%} of feature cells are missing.")
    return f"{first} {second}"


def profile_dataset(dataset: Dataset) -> ImbalanceProfile:
    """The full profile of a validated dataset."""
    frame, target, kinds = dataset.frame, dataset.target, dataset.column_types
    counts_series = dataset.class_counts
    counts = {str(k): int(v) for k, v in counts_series.items()}
    n_rows = len(frame)
    majority = next(iter(counts))
    minority = min(counts, key=lambda c: (counts[c], c))
    minority_classes = [c for c, n in counts.items() if n < counts[majority]] or [minority]
    features = dataset.features
    gaps = frame[features].isna().to_numpy() if features else np.zeros((n_rows, 0), dtype=bool)
    labels = frame[target].to_numpy()
    masks = {c: labels == c for c in counts}
    missing_share = float(gaps.mean()) if features else 0.0
    by_class = {c: float(gaps[mask].mean()) if features else 0.0 for c, mask in masks.items()}
    per_feature = pd.DataFrame({
        "feature": features,
        "kind": [kinds[c] for c in features],
        "missing": gaps.sum(axis=0).astype(int),
        "share": gaps.mean(axis=0) if len(gaps) else np.zeros(len(features)),
        **{f"share_{c}": gaps[mask].mean(axis=0) for c, mask in masks.items()},
    })
    typology = minority_typology(frame, target, features, kinds, minority_classes)
    ratio = round(counts[majority] / counts[minority], 1)
    return ImbalanceProfile(
        n_rows=n_rows, target=target, class_counts=counts,
        class_shares={c: n / n_rows for c, n in counts.items()}, majority_class=majority,
        minority_class=minority, minority_classes=minority_classes, imbalance_ratio=ratio,
        is_multiclass=len(counts) > 2, n_features=len(features),
        feature_kinds={k: sum(kinds[c] == k for c in features) for k in COLUMN_KINDS
                       if any(kinds[c] == k for c in features)},
        high_dimensional=len(features) > HIGH_DIMENSIONAL_FEATURES or len(features) >= counts[minority],
        missing_share=missing_share, missing_share_by_class=by_class, missing_by_feature=per_feature,
        typology=typology, summary=_summary(counts, minority, ratio, typology, missing_share))
