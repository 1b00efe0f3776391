"""The 'stay where the minority lives' filter: drop synthetic rows whose nearest real neighbours are mostly
of another class."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from core.encoding import fit_distance_space, to_distance_space
from core.errors import ConfigError


@dataclass(frozen=True)
class DensityFilter:
    """Drop a synthetic row when more than max_other_share of its k nearest training rows are of another class."""
    k: int = 5
    max_other_share: float = 0.5

    def validate(self) -> None:
        if not 1 <= self.k <= 50:
            raise ConfigError("The density filter needs between 1 and 50 neighbours.")
        if not 0.0 <= self.max_other_share < 1.0:
            raise ConfigError("The density filter's other-class share must be from 0 up to (not including) 1.")


@dataclass
class FittedDensity:
    """Neighbour index over the training rows in the standardised space."""
    rule: DensityFilter
    space: object
    neighbours: NearestNeighbors
    labels: np.ndarray
    features: list[str]
    kinds: dict[str, str]

    def keep(self, rows: pd.DataFrame, target: str) -> np.ndarray:
        """True for synthetic rows whose neighbourhood is mostly their own class."""
        if rows.empty:
            return np.zeros(0, dtype=bool)
        points = to_distance_space(self.space, rows, self.features, self.kinds)
        _, index = self.neighbours.kneighbors(points)
        other = (self.labels[index] != rows[target].astype(str).to_numpy()[:, None]).mean(axis=1)
        return other <= self.rule.max_other_share


def fit_density(rule: DensityFilter, train: pd.DataFrame, target: str, features: list[str],
                kinds: dict[str, str]) -> FittedDensity:
    """Index the training rows (only) for the filter."""
    rule.validate()
    space = fit_distance_space(train, features, kinds)
    points = to_distance_space(space, train, features, kinds)
    neighbours = NearestNeighbors(n_neighbors=min(rule.k, len(train))).fit(points)
    return FittedDensity(rule=rule, space=space, neighbours=neighbours,
                         labels=train[target].astype(str).to_numpy(), features=features, kinds=kinds)
