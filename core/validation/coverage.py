"""Coverage and diversity of synthetic rows around the real minority (Naeem et al. 2020, k = 5)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.validation.neighbours import MAX_POINTS, chunked_distances, kth_neighbour_radius, nearest, subsample

K = 5


@dataclass(frozen=True)
class Coverage:
    """All in 0..1 except density (around 1 when synthetic rows are as dense as real ones) and diversity.

    A row is inside a ball when strictly closer than its radius (the reference implementation, prdc 0.2).
    precision: share of synthetic rows inside some real row's k-NN ball (realism).
    recall: share of real rows inside some synthetic row's k-NN ball (how much of the real spread is produced).
    density: (1 / (k m)) * sum over synthetic rows of the number of real balls containing it.
    coverage: share of real rows whose own k-NN ball holds at least one synthetic row.
    novelty: share of synthetic rows farther from every real row than the median real-to-real nearest distance.
    diversity: sqrt(total variance of synthetic / total variance of real), 1 = same spread.
    """
    precision: float
    recall: float
    density: float
    coverage: float
    novelty: float
    diversity: float
    k: int = K


def prdc(real: np.ndarray, synthetic: np.ndarray, k: int = K, seed: int = 0) -> Coverage:
    """Precision, recall, density, coverage (Naeem et al. 2020), Euclidean on standardised rows.

    real / synthetic: (n x d) and (m x d) in the same fitted space; each is subsampled with the seed to at
    most 5,000 rows so the m x n distance blocks stay bounded.
    """
    real, synthetic = subsample(real, MAX_POINTS, seed), subsample(synthetic, MAX_POINTS, seed + 1)
    real_radius = kth_neighbour_radius(real, k)
    synthetic_radius = kth_neighbour_radius(synthetic, k)
    inside_real = np.zeros(len(synthetic), dtype=bool)
    real_balls = np.zeros(len(synthetic))
    recalled = np.zeros(len(real), dtype=bool)
    closest_synthetic = np.full(len(real), np.inf)
    for start, block in chunked_distances(real, synthetic):  # real x synthetic, the reference's orientation
        rows = slice(start, start + len(block))
        within = block < real_radius[rows, None]  # strict, as in Naeem et al.'s reference code (prdc)
        inside_real |= within.any(axis=0)
        real_balls += within.sum(axis=0)
        recalled[rows] = (block < synthetic_radius[None, :]).any(axis=1)
        closest_synthetic[rows] = block.min(axis=1)
    typical = float(np.median(kth_neighbour_radius(real, 1))) if len(real) > 1 else 0.0
    to_real = nearest(real, synthetic, 1)[:, 0]
    real_spread = float(np.var(real, axis=0).sum())
    return Coverage(
        precision=float(inside_real.mean()), recall=float(recalled.mean()),
        density=float(real_balls.sum() / (k * len(synthetic))),
        coverage=float((closest_synthetic < real_radius).mean()),
        novelty=float((to_real > typical).mean()),
        diversity=float(np.sqrt(np.var(synthetic, axis=0).sum() / real_spread)) if real_spread > 0 else 0.0, k=k)
