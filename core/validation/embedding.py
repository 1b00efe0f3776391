"""2-D projections fitted on real training rows, with synthetic rows placed by the same fitted transform.

umap is imported inside `umap_projection` only: importing it costs about 24 s here (numba compiles).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from core.validation.neighbours import subsample

UMAP_FIT_ROWS = 20_000
PLOT_ROWS = 3000  # per group, so the scatter stays readable and light


@dataclass(frozen=True)
class Projection:
    """points: columns x, y, group ('real majority', 'real minority', 'synthetic'); explained: PCA variance share."""
    method: str
    points: pd.DataFrame
    explained: tuple[float, ...] = ()


def _points(real: np.ndarray, labels: np.ndarray, minority: set[str], synthetic: np.ndarray, transform,
            seed: int) -> pd.DataFrame:
    frames = []
    is_minority = np.isin(labels, list(minority))
    for name, rows in (("real majority", real[~is_minority]), ("real minority", real[is_minority]),
                       ("synthetic", synthetic)):
        if len(rows):
            xy = transform(subsample(rows, PLOT_ROWS, seed))
            frames.append(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "group": name}))
    return pd.concat(frames, ignore_index=True)


def pca_projection(real: np.ndarray, labels: np.ndarray, minority: set[str], synthetic: np.ndarray,
                   seed: int) -> Projection:
    """PCA to 2 components fitted on the real training rows (standardised space)."""
    pca = PCA(n_components=min(2, real.shape[1]), random_state=seed).fit(real)

    def transform(rows: np.ndarray) -> np.ndarray:
        xy = pca.transform(rows)
        return xy if xy.shape[1] == 2 else np.column_stack([xy[:, 0], np.zeros(len(xy))])
    return Projection("PCA", _points(real, labels, minority, synthetic, transform, seed),
                      tuple(float(v) for v in pca.explained_variance_ratio_))


def load_umap():
    """Import umap: slow the first time in a process (numba compiles its functions), so a page can show it as a step
    of its own rather than as a bar that does not move."""
    import umap

    return umap


def umap_projection(real: np.ndarray, labels: np.ndarray, minority: set[str], synthetic: np.ndarray,
                    seed: int) -> Projection:
    """UMAP to 2-D fitted on at most 20,000 real training rows (seeded subsample). Real points are drawn from
    the fitted embedding; synthetic rows (up to 3,000) are placed with the fitted transform."""
    import umap  # heavy: imported only when asked for

    rng = np.random.default_rng(seed)
    chosen = (np.arange(len(real)) if len(real) <= UMAP_FIT_ROWS
              else np.sort(rng.choice(len(real), UMAP_FIT_ROWS, False)))
    reducer = umap.UMAP(n_components=2, n_neighbors=15, random_state=seed).fit(real[chosen])
    embedded, fitted_labels = reducer.embedding_, labels[chosen]
    frames = []
    is_minority = np.isin(fitted_labels, list(minority))
    for name, rows in (("real majority", embedded[~is_minority]), ("real minority", embedded[is_minority])):
        if len(rows):
            xy = subsample(rows, PLOT_ROWS, seed)
            frames.append(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "group": name}))
    if len(synthetic):
        xy = reducer.transform(subsample(synthetic, PLOT_ROWS, seed))
        frames.append(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "group": "synthetic"}))
    return Projection("UMAP", pd.concat(frames, ignore_index=True))
