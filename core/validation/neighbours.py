"""Nearest-neighbour distances in the standardised space, vectorised and chunked (no Python loop over rows)."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import pairwise_distances_chunked
from sklearn.neighbors import NearestNeighbors

MAX_POINTS = 5000  # pairwise comparisons (coverage) use seeded subsamples of at most this many rows


def subsample(points: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """At most `limit` rows of points, chosen with the seed (all rows, in order, when there are fewer)."""
    if len(points) <= limit:
        return points
    index = np.random.default_rng(seed).choice(len(points), size=limit, replace=False)
    return points[np.sort(index)]


def nearest(reference: np.ndarray, queries: np.ndarray, k: int = 1, return_index: bool = False):
    """Distances (n_queries x k) from each query to its k nearest reference rows, Euclidean
    (and their row positions in reference when return_index)."""
    k = min(k, len(reference))
    index = NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=1).fit(reference)
    distances, positions = index.kneighbors(queries, return_distance=True)
    return (distances, positions) if return_index else distances


def kth_neighbour_radius(points: np.ndarray, k: int) -> np.ndarray:
    """Each row's distance to its k-th nearest other row of the same set (self excluded), from the same
    pairwise distances as the comparisons that use it (so a row on a ball's edge is judged consistently)."""
    k = min(k, len(points) - 1)
    if k < 1:
        return np.zeros(len(points))
    return np.concatenate([np.partition(block, k, axis=1)[:, k] for block in pairwise_distances_chunked(
        points, None, metric="euclidean", n_jobs=1, working_memory=256)])


def chunked_distances(a: np.ndarray, b: np.ndarray):
    """Yield (start row of a, distance block rows x len(b)) so memory stays bounded."""
    start = 0
    for block in pairwise_distances_chunked(a, b, metric="euclidean", n_jobs=1, working_memory=256):
        yield start, block
        start += len(block)
