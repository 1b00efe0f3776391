"""imbalanced-learn's oversamplers behind the generator contract.

Numbers are standardised (scaler fitted on the training rows) before any distance is taken and turned back
into original units afterwards; categories go to SMOTENC / SMOTEN, never through one-hot interpolation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from core.errors import GenerationError
from core.generators.base import GenerationTask, GeneratorInfo, ParamSpec

K_NEIGHBORS = ParamSpec("k_neighbors", "int", 5, 1, 50,
                        "Nearest minority neighbours to interpolate between; lowered automatically for tiny classes.")
M_NEIGHBORS = ParamSpec("m_neighbors", "int", 10, 1, 100,
                        "Neighbours (all classes) used to decide whether a minority row is in danger.")

INFOS = {
    "random_oversampler": GeneratorInfo(
        name="random_oversampler", label="Random oversampling", family="duplication", library="imbalanced-learn",
        categorical="any", params=(ParamSpec("shrinkage", "float", 0.0, 0.0, 5.0,
                                             "0 copies rows exactly; above 0 adds Gaussian noise to numbers."),),
        summary="Copies minority rows at random: the reference every other method must beat.",
        pros="Fastest; keeps every value real; any column type.",
        limits="Adds no new information; exact copies invite overfitting and fail the memorization checks.",
        cost="very low", tuning="none"),
    "smote": GeneratorInfo(
        name="smote", label="SMOTE", family="interpolation", library="imbalanced-learn", categorical="none",
        params=(K_NEIGHBORS,),
        summary="Interpolates between a minority row and one of its minority neighbours.",
        pros="Fast, well understood, new points between real ones.",
        limits="Numbers only (mixed data is routed to SMOTENC); can bridge into majority regions."),
    "borderline_smote": GeneratorInfo(
        name="borderline_smote", label="Borderline-SMOTE", family="interpolation", library="imbalanced-learn",
        categorical="none",
        params=(K_NEIGHBORS, M_NEIGHBORS,
                ParamSpec("kind", "choice", "borderline-1", choices=("borderline-1", "borderline-2"))),
        summary="SMOTE only from minority rows near the class border.",
        pros="Strengthens the decision boundary where errors happen.",
        limits="Numbers only; finds nothing when the minority has no borderline rows.", tuning="medium"),
    "svm_smote": GeneratorInfo(
        name="svm_smote", label="SVM-SMOTE", family="interpolation", library="imbalanced-learn", categorical="none",
        params=(K_NEIGHBORS, M_NEIGHBORS),
        summary="SMOTE from the support vectors of an SVM separating the classes.",
        pros="Focuses on the boundary found by a margin classifier.",
        limits="Numbers only; the SVM is slow on large tables.", cost="medium", tuning="medium"),
    "adasyn": GeneratorInfo(
        name="adasyn", label="ADASYN", family="interpolation", library="imbalanced-learn", categorical="none",
        params=(ParamSpec("n_neighbors", "int", 5, 1, 50, "Neighbours used to weigh how hard each row is."),),
        summary="More synthetic rows where minority rows are surrounded by other classes.",
        pros="Adapts to difficult regions.",
        limits="Numbers only; amplifies noise and outliers.", tuning="medium"),
    "kmeans_smote": GeneratorInfo(
        name="kmeans_smote", label="KMeans-SMOTE", family="interpolation", library="imbalanced-learn",
        categorical="none", min_minority_rows=10,
        params=(K_NEIGHBORS, ParamSpec("n_clusters", "int", 8, 2, 100, "k-means clusters over all rows."),
                ParamSpec("cluster_balance_threshold", "float", 0.1, 0.0, 1.0,
                          "Minimum minority share for a cluster to receive rows.")),
        summary="Clusters the data, then runs SMOTE inside clusters where the minority is dense.",
        pros="Avoids generating in majority regions.",
        limits="Numbers only; fails when no cluster is minority-dense enough.", tuning="high"),
    "smotenc": GeneratorInfo(
        name="smotenc", label="SMOTE-NC", family="interpolation", library="imbalanced-learn", categorical="mixed",
        params=(K_NEIGHBORS,),
        summary="SMOTE for mixed tables: numbers interpolated, categories by neighbour majority vote.",
        pros="Handles numbers and categories together without one-hot interpolation.",
        limits="Needs at least one number and one category column."),
    "smoten": GeneratorInfo(
        name="smoten", label="SMOTE-N", family="interpolation", library="imbalanced-learn", categorical="only",
        params=(K_NEIGHBORS,),
        summary="SMOTE for all-categorical tables, using the value difference metric.",
        pros="Made for tables with categories only.", limits="Categories only."),
}


def _sampler(name: str, params: dict, strategy: dict, seed: int, n_smallest: int, categorical_columns: list[int]):
    from imblearn import over_sampling as ovs
    from sklearn.cluster import MiniBatchKMeans

    k = max(1, min(int(params.get("k_neighbors", 5)), n_smallest - 1))
    if name == "random_oversampler":
        return ovs.RandomOverSampler(sampling_strategy=strategy, random_state=seed,
                                     shrinkage=params["shrinkage"] or None)
    if name == "smote":
        return ovs.SMOTE(sampling_strategy=strategy, random_state=seed, k_neighbors=k)
    if name == "borderline_smote":
        return ovs.BorderlineSMOTE(sampling_strategy=strategy, random_state=seed, k_neighbors=k,
                                   m_neighbors=params["m_neighbors"], kind=params["kind"])
    if name == "svm_smote":
        return ovs.SVMSMOTE(sampling_strategy=strategy, random_state=seed, k_neighbors=k,
                            m_neighbors=params["m_neighbors"])
    if name == "adasyn":
        return ovs.ADASYN(sampling_strategy=strategy, random_state=seed,
                          n_neighbors=max(1, min(params["n_neighbors"], n_smallest - 1)))
    if name == "kmeans_smote":
        return ovs.KMeansSMOTE(sampling_strategy=strategy, random_state=seed, k_neighbors=k,
                               kmeans_estimator=MiniBatchKMeans(n_clusters=params["n_clusters"], random_state=seed,
                                                                n_init=3),
                               cluster_balance_threshold=params["cluster_balance_threshold"])
    if name == "smotenc":
        return ovs.SMOTENC(categorical_features=categorical_columns, sampling_strategy=strategy,
                           random_state=seed, k_neighbors=k)
    if name == "smoten":
        return ovs.SMOTEN(sampling_strategy=strategy, random_state=seed, k_neighbors=k)
    raise GenerationError(f"No imbalanced-learn sampler is named '{name}'.")


@dataclass
class ImblearnSampler:
    """Training rows ready for an imbalanced-learn sampler: numbers standardised, categories as strings.

    features: a float array (n x numbers) when there are no category columns, else a DataFrame with the
    number columns first; the array path skips pandas copies, which matter at a million rows.
    """
    name: str
    params: dict
    features: np.ndarray | pd.DataFrame
    columns: list[str]
    labels: np.ndarray
    numbers: list[str]
    levels: list[str]
    scaler: StandardScaler | None
    target_name: str = "__target__"

    def sample(self, counts: dict[str, int], seed: int) -> pd.DataFrame:
        present = pd.Series(self.labels).value_counts()
        if self.name == "adasyn":  # ADASYN rounds per-row shares and makes nothing for small asks: ask for more
            counts = {label: max(int(n), 2 * int(present[label])) for label, n in counts.items()}
        strategy = {label: int(present[label]) + int(n) for label, n in counts.items() if n > 0}
        n_smallest = int(min(present[label] for label in strategy))
        categorical = [self.columns.index(c) for c in self.levels]
        sampler = _sampler(self.name, self.params, strategy, seed, n_smallest, categorical)
        try:
            resampled, labels = sampler.fit_resample(self.features, self.labels)
        except (ValueError, RuntimeError) as exc:
            raise GenerationError(f"{self.name} could not generate rows: {str(exc).strip()}") from None
        tail = resampled[len(self.features):]
        if isinstance(tail, pd.DataFrame):
            new = tail.reset_index(drop=True)
            if self.scaler is not None and self.numbers:
                new[self.numbers] = self.scaler.inverse_transform(new[self.numbers].to_numpy(dtype=float))
        else:
            values = self.scaler.inverse_transform(tail) if self.scaler is not None else tail
            new = pd.DataFrame(values, columns=self.columns)
        new[self.target_name] = np.asarray(labels)[len(self.features):]
        return new


def fit(task: GenerationTask, name: str) -> ImblearnSampler:
    """Prepare the rows; imbalanced-learn samplers have no separate fit, so the work happens in sample()."""
    scaler = StandardScaler() if task.numbers else None
    if not task.levels:
        features = scaler.fit_transform(task.frame[task.numbers].to_numpy(dtype=float))
    else:
        features = task.frame[task.numbers + task.levels].copy()
        if task.numbers:
            features[task.numbers] = scaler.fit_transform(features[task.numbers].to_numpy(dtype=float))
    return ImblearnSampler(name=name, params=task.params, features=features, columns=task.numbers + task.levels,
                           labels=task.frame[task.target].astype(str).to_numpy(), numbers=task.numbers,
                           levels=task.levels, scaler=scaler, target_name=task.target)
