"""Duplication, memorization and re-identification risk of synthetic rows, from distances to real rows."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.validation.neighbours import nearest, subsample

REFERENCE_ROWS = 10_000  # rows sampled (seeded) for reference distances, the holdout test and the holdout histogram
MAX_PROBES = 50_000  # synthetic rows measured against every training row (a seeded sample above this)
NEAR_COPY_PERCENTILE = 5.0


@dataclass(frozen=True)
class Privacy:
    """Distances are Euclidean in the standardised one-hot space fitted on the training rows.

    dcr: each probed synthetic row's distance to its closest training row (all rows up to 50,000, else a
    seeded sample; near_copies is then scaled to all rows). near_threshold: the 5th percentile of the distinct
    real training minority rows' distances to their closest other distinct minority row (the minority's own
    gaps: the dense majority would make it too small; duplicates merged, which would make it 0); a near copy is
    closer than that to some training row (and not an exact copy). minority_duplicate_share: share of the real
    training minority rows that repeat another row exactly. holdout: rows of the synthesised classes only, from
    the test part cleaned with the training part's plan (read only). holdout_dcr: their distance to the closest
    training row (up to 10,000).
    dcr_share_vs_holdout (MOSTLY AI): share = mean(d_train < d_holdout) + 0.5 * mean(d_train = d_holdout) over
    up to 10,000 synthetic rows, d_train / d_holdout the distance to the closest row of equal-size samples of the
    training minority and of the holdout (0.5 ideal; near 1 = memorization). nndr: closest / second-closest
    training distance (0 = a copy of one record). identifiability (synthcity's IdentifiabilityScore, unweighted):
    share of real minority rows whose closest synthetic row is closer than their closest other real minority row.
    """
    exact_copies: int
    exact_share: float
    near_copies: int
    near_share: float
    near_threshold: float
    dcr: np.ndarray
    holdout_dcr: np.ndarray
    dcr_share_vs_holdout: float
    nndr: np.ndarray
    nndr_median: float
    identifiability: float
    closest_pairs: pd.DataFrame  # the 10 synthetic rows closest to a training row (positions in each frame)
    holdout_is_test: bool
    n_holdout: int
    exact_mask: np.ndarray  # every synthetic row
    probed: np.ndarray  # positions of the synthetic rows that dcr and nndr describe (all, up to 50,000)
    minority_duplicate_share: float = 0.0
    n_minority: int = 0

    @property
    def copy_mask(self) -> np.ndarray:
        """True for synthetic rows that are exact copies, or probed rows that are near copies."""
        mask = self.exact_mask.copy()
        mask[self.probed] |= self.dcr <= max(self.near_threshold, 0.0)
        return mask


def exact_copy_mask(train_rows: pd.DataFrame, synthetic_rows: pd.DataFrame) -> np.ndarray:
    """True for synthetic rows whose feature values all equal some training row's (features as model units)."""
    train_hashes = pd.util.hash_pandas_object(train_rows, index=False).to_numpy()
    synthetic_hashes = pd.util.hash_pandas_object(synthetic_rows[list(train_rows.columns)], index=False).to_numpy()
    return np.isin(synthetic_hashes, train_hashes)


def privacy_checks(train_points: np.ndarray, synthetic_points: np.ndarray, holdout_points: np.ndarray,
                   minority_points: np.ndarray, exact: np.ndarray, seed: int, holdout_is_test: bool = True) -> Privacy:
    """All distance-based privacy figures. Points are rows in one fitted space: train (all training rows),
    synthetic, holdout (unseen rows of the synthesised classes), minority (real training rows of those classes)."""
    probed = np.arange(len(synthetic_points))
    if len(probed) > MAX_PROBES:
        probed = np.sort(np.random.default_rng(seed + 6).choice(len(probed), MAX_PROBES, replace=False))
    two, positions = nearest(train_points, synthetic_points[probed], 2, return_index=True)
    dcr = np.where(exact[probed], 0.0, two[:, 0])  # brute-force distances carry ~1e-8 rounding; copies are at 0
    second = two[:, 1] if two.shape[1] > 1 else two[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        nndr = np.where(dcr == 0, 0.0, dcr / np.where(second == 0, np.inf, second))
    threshold = near_copy_threshold(minority_points, seed)
    near = (dcr <= threshold) & ~exact[probed]
    share = dcr_share(minority_points, holdout_points, synthetic_points, seed)
    holdout_dcr = (nearest(train_points, subsample(holdout_points, REFERENCE_ROWS, seed + 5), 1)[:, 0]
                   if len(holdout_points) else np.array([]))
    order = np.argsort(dcr)[:10]
    closest = pd.DataFrame({"synthetic_row": probed[order], "train_row": positions[order, 0], "dcr": dcr[order],
                            "nndr": nndr[order]})
    return Privacy(exact_copies=int(exact.sum()), exact_share=float(exact.mean()),
                   near_copies=int(round(near.mean() * len(exact))), near_share=float(near.mean()),
                   near_threshold=threshold, dcr=dcr, holdout_dcr=holdout_dcr,
                   dcr_share_vs_holdout=share, nndr=nndr, nndr_median=float(np.median(nndr)),
                   identifiability=identifiability(minority_points, synthetic_points), closest_pairs=closest,
                   holdout_is_test=holdout_is_test, n_holdout=len(holdout_points), exact_mask=exact, probed=probed,
                   minority_duplicate_share=duplicate_share(minority_points), n_minority=len(minority_points))


def near_copy_threshold(minority_points: np.ndarray, seed: int) -> float:
    """The 5th percentile of the real minority rows' distances to their closest other minority row, over the
    distinct rows (up to 10,000, seeded); 0 when there are fewer than two distinct rows.

    Duplicated rows are merged first: with 5% or more of the minority duplicated the percentile would be a
    distance of 0 and no synthetic row, however close, would count as a near copy."""
    distinct = np.unique(minority_points, axis=0) if len(minority_points) else minority_points
    if len(distinct) < 2:
        return 0.0
    reference = subsample(distinct, REFERENCE_ROWS, seed)
    return float(np.percentile(nearest(distinct, reference, 2)[:, 1], NEAR_COPY_PERCENTILE))


def duplicate_share(points: np.ndarray) -> float:
    """Share of rows (0..1) that repeat an earlier row exactly; 0 for no rows."""
    if len(points) == 0:
        return 0.0
    return float(1 - len(np.unique(points, axis=0)) / len(points))


def dcr_share(train_points: np.ndarray, holdout_points: np.ndarray, synthetic_points: np.ndarray,
              seed: int) -> float | None:
    """MOSTLY AI's DCR share: mean(d_train < d_holdout) + 0.5 * mean(d_train = d_holdout), d_* the distance of
    each synthetic row (up to 10,000, seeded) to its closest row in equal-size seeded samples of train and
    holdout. 0.5: no closer to training rows than to unseen ones. None when a side has no rows."""
    n = min(len(train_points), len(holdout_points))
    if n == 0 or len(synthetic_points) == 0:
        return None
    probes = subsample(synthetic_points, REFERENCE_ROWS, seed + 4)
    to_train = nearest(subsample(train_points, n, seed + 2), probes, 1)[:, 0]
    to_holdout = nearest(subsample(holdout_points, n, seed + 3), probes, 1)[:, 0]
    return float((to_train < to_holdout).mean() + 0.5 * (to_train == to_holdout).mean())


def identifiability(real_points: np.ndarray, synthetic_points: np.ndarray) -> float | None:
    """synthcity's IdentifiabilityScore with unit feature weights: the share of real rows whose
    closest synthetic row is strictly closer than their closest other real row. None under two real rows."""
    if len(real_points) < 2 or len(synthetic_points) == 0:
        return None
    to_synthetic = nearest(synthetic_points, real_points, 1)[:, 0]
    to_other_real = nearest(real_points, real_points, 2)[:, 1]
    return float((to_synthetic < to_other_real).mean())
