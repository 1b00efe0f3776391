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
    seeded sample; near_copies is then scaled to all rows); holdout_dcr: the same for up to 10,000 held-out rows.
    near_threshold: the 5th percentile of
    training rows' distances to their closest other training row; a near copy is closer than that (and not
    an exact copy). dcr_share_vs_holdout: share of synthetic rows closer to a training sample than to an
    equal-size holdout sample (0.5 ideal; near 1 = memorization; up to 10,000 synthetic rows probed).
    nndr: closest / second-closest training
    distance (0 = a copy of one record). identifiability: share of real minority rows whose closest
    synthetic row is closer than their closest other real row (unweighted version of Yoon et al. 2020).
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
    exact_mask: np.ndarray  # every synthetic row
    probed: np.ndarray  # positions of the synthetic rows that dcr and nndr describe (all, up to 50,000)

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
    """All distance-based privacy figures. Points are rows in one fitted space:
    train (all training rows), synthetic, holdout (rows never trained on), minority (real training minority)."""
    probed = np.arange(len(synthetic_points))
    if len(probed) > MAX_PROBES:
        probed = np.sort(np.random.default_rng(seed + 6).choice(len(probed), MAX_PROBES, replace=False))
    two, positions = nearest(train_points, synthetic_points[probed], 2, return_index=True)
    dcr = np.where(exact[probed], 0.0, two[:, 0])  # brute-force distances carry ~1e-8 rounding; copies are at 0
    second = two[:, 1] if two.shape[1] > 1 else two[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        nndr = np.where(dcr == 0, 0.0, dcr / np.where(second == 0, np.inf, second))
    reference = subsample(train_points, REFERENCE_ROWS, seed)
    real_gaps = nearest(train_points, reference, 2)[:, 1]
    threshold = float(np.percentile(real_gaps, NEAR_COPY_PERCENTILE))
    near = (dcr <= threshold) & ~exact[probed]
    n = min(len(train_points), len(holdout_points))
    train_sample = subsample(train_points, n, seed + 2)
    holdout_sample = subsample(holdout_points, n, seed + 3)
    probes = subsample(synthetic_points, REFERENCE_ROWS, seed + 4)
    to_train = nearest(train_sample, probes, 1)[:, 0]
    to_holdout = nearest(holdout_sample, probes, 1)[:, 0]
    share = float((to_train < to_holdout).mean() + 0.5 * (to_train == to_holdout).mean())
    holdout_dcr = nearest(train_points, subsample(holdout_points, REFERENCE_ROWS, seed + 5), 1)[:, 0]
    if len(minority_points) > 1:
        to_synthetic = nearest(synthetic_points, minority_points, 1)[:, 0]
        to_other_real = nearest(train_points, minority_points, 2)[:, 1]
        identifiability = float((to_synthetic < to_other_real).mean())
    else:
        identifiability = 0.0
    order = np.argsort(dcr)[:10]
    closest = pd.DataFrame({"synthetic_row": probed[order], "train_row": positions[order, 0], "dcr": dcr[order],
                            "nndr": nndr[order]})
    return Privacy(exact_copies=int(exact.sum()), exact_share=float(exact.mean()),
                   near_copies=int(round(near.mean() * len(exact))), near_share=float(near.mean()),
                   near_threshold=threshold, dcr=dcr, holdout_dcr=holdout_dcr,
                   dcr_share_vs_holdout=share, nndr=nndr, nndr_median=float(np.median(nndr)),
                   identifiability=identifiability, closest_pairs=closest, holdout_is_test=holdout_is_test,
                   exact_mask=exact, probed=probed)
