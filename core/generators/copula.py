"""Class-conditional Gaussian copula: empirical marginals joined by a Gaussian dependence, fitted per class.

Numbers: normal scores from ranks, back through the empirical quantile function (so values stay inside the
observed range). Categories: each level owns an interval of [0, 1] sized by its frequency (as SDV does);
a row's score is a seeded uniform draw inside its level's interval.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from core.generators.base import GenerationTask, GeneratorInfo, ParamSpec

INFO = GeneratorInfo(
    name="gaussian_copula", label="Gaussian copula", family="copula", library="scipy (SynthBalance)",
    categorical="any", min_minority_rows=5,
    params=(ParamSpec("correlation_shrinkage", "float", 0.05, 0.0, 1.0,
                      "Pulls the correlation matrix towards identity (0: as measured, 1: no correlation); "
                      "stabilises tiny classes.", label="Correlation shrinkage"),),
    summary="Keeps each column's real distribution and their pairwise correlations, per class.",
    pros="Fast, stable on small classes, every column type, new values inside the observed range.",
    limits="Captures linear (rank) dependence only; misses multi-modal interactions.",
    cost="low", tuning="low")


@dataclass
class ClassCopula:
    """One class's fitted marginals and correlation matrix (columns in numbers + levels order)."""
    numbers: dict[str, np.ndarray]
    levels: dict[str, tuple[np.ndarray, np.ndarray]]
    correlation: np.ndarray

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        dims = len(self.numbers) + len(self.levels)
        scores = rng.multivariate_normal(np.zeros(dims), self.correlation, size=n, method="cholesky")
        uniform = stats.norm.cdf(scores)
        out = {}
        for i, (col, sorted_values) in enumerate(self.numbers.items()):
            out[col] = np.quantile(sorted_values, uniform[:, i])
        offset = len(self.numbers)
        for j, (col, (levels, edges)) in enumerate(self.levels.items()):
            position = np.searchsorted(edges, uniform[:, offset + j], side="right") - 1
            out[col] = levels[np.clip(position, 0, len(levels) - 1)]
        return pd.DataFrame(out)


def _level_scores(values: pd.Series, rng: np.random.Generator) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    frequencies = values.value_counts(normalize=True)
    levels = frequencies.index.to_numpy(dtype=object)
    edges = np.concatenate([[0.0], np.cumsum(frequencies.to_numpy())[:-1]])
    widths = frequencies.to_numpy()
    position = pd.Index(levels).get_indexer(values)
    uniform = edges[position] + widths[position] * rng.uniform(0.02, 0.98, size=len(values))
    return uniform, (levels, edges)


def _fit_class(rows: pd.DataFrame, numbers: list[str], levels: list[str], shrinkage: float,
               rng: np.random.Generator) -> ClassCopula:
    columns_uniform = []
    numbers_fit = {}
    for col in numbers:
        values = rows[col].to_numpy(dtype=float)
        numbers_fit[col] = np.sort(values)
        columns_uniform.append((stats.rankdata(values) - 0.5) / len(values))
    levels_fit = {}
    for col in levels:
        uniform, fitted = _level_scores(rows[col].astype(str), rng)
        levels_fit[col] = fitted
        columns_uniform.append(uniform)
    scores = stats.norm.ppf(np.clip(np.column_stack(columns_uniform), 1e-6, 1 - 1e-6))
    dims = scores.shape[1]
    if len(rows) < 3 or dims == 1:
        correlation = np.eye(dims)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # a constant column has no correlation: 0 below
            correlation = np.nan_to_num(np.corrcoef(scores, rowvar=False), nan=0.0)
        np.fill_diagonal(correlation, 1.0)
        correlation = (1 - shrinkage) * correlation + shrinkage * np.eye(dims)
        eigenvalues, vectors = np.linalg.eigh(correlation)  # repair to the nearest positive-definite matrix
        correlation = vectors @ np.diag(np.clip(eigenvalues, 1e-6, None)) @ vectors.T
        scale = np.sqrt(np.diag(correlation))
        correlation = correlation / np.outer(scale, scale)
    return ClassCopula(numbers=numbers_fit, levels=levels_fit, correlation=correlation)


@dataclass
class CopulaSampler:
    """One copula per class that gets synthetic rows."""
    target: str
    copulas: dict[str, ClassCopula]

    def sample(self, counts: dict[str, int], seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        parts = []
        for label, n in counts.items():
            if n > 0:
                part = self.copulas[label].sample(n, rng)
                part[self.target] = label
                parts.append(part)
        return pd.concat(parts, ignore_index=True)


def fit(task: GenerationTask, classes: list[str]) -> CopulaSampler:
    """Fit one copula per class on that class's training rows."""
    rng = np.random.default_rng(task.seed)
    labels = task.frame[task.target].astype(str)
    copulas = {label: _fit_class(task.frame.loc[labels == label], task.numbers, task.levels,
                                 task.params["correlation_shrinkage"], rng) for label in classes}
    return CopulaSampler(target=task.target, copulas=copulas)
