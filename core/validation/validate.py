"""Every validation of synthetic rows against the real training minority, in one call and one result."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.data import LEVEL_KINDS
from core.encoding import fit_distance_space, model_frame, to_distance_space
from core.errors import GenerationError
from core.generators.base import SyntheticResult
from core.split import ensure_not_held_out
from core.validation.coverage import Coverage, prdc
from core.validation.detection import ClassRepresentation, class_representation, detection_auc
from core.validation.embedding import Projection, pca_projection, umap_projection
from core.validation.fidelity import FidelityResult, fidelity
from core.validation.privacy import Privacy, exact_copy_mask, privacy_checks
from core.validation.verdict import Thresholds, Verdict, judge


@dataclass(frozen=True)
class ValidationResult:
    """Fidelity, detection, class representation, coverage, privacy, projections and the verdict."""
    fidelity: FidelityResult
    detection_auc: float | None
    representation: ClassRepresentation
    coverage: Coverage
    privacy: Privacy
    pca: Projection
    umap: Projection | None
    verdict: Verdict
    n_real_minority: int
    n_synthetic: int

    def check_values(self) -> dict[str, float | None]:
        """The measured value of every verdict check, to judge again under other thresholds."""
        return {"quality_score": self.fidelity.quality_score, "detection_auc": self.detection_auc,
                "exact_copy_share": self.privacy.exact_share, "near_copy_share": self.privacy.near_share,
                "dcr_share_vs_holdout": self.privacy.dcr_share_vs_holdout, "precision": self.coverage.precision,
                "class_representation": self.representation.synthetic_share}

    def to_dict(self) -> dict:
        """The `validation` block of results.json."""
        return {
            "quality_score": self.fidelity.quality_score, "column_shapes": self.fidelity.column_shapes,
            "column_pair_trends": self.fidelity.column_pair_trends,
            "correlation_difference": self.fidelity.correlation_difference,
            "per_feature": [{"column": f.column, "kind": f.kind, "shape_score": f.shape_score,
                             "js_divergence": f.js_divergence, "ks_statistic": f.ks_statistic,
                             "ks_pvalue": f.ks_pvalue, "total_variation": f.total_variation,
                             "wasserstein": f.wasserstein} for f in self.fidelity.per_feature],
            "detection_auc": self.detection_auc,
            "class_representation": self.representation.synthetic_share,
            "class_representation_real": self.representation.real_share,
            "exact_copies": self.privacy.exact_copies, "exact_copy_share": self.privacy.exact_share,
            "near_copies": self.privacy.near_copies, "near_copy_share": self.privacy.near_share,
            "near_copy_threshold": self.privacy.near_threshold,
            "dcr_median": float(np.median(self.privacy.dcr)),
            "dcr_share_vs_holdout": self.privacy.dcr_share_vs_holdout,
            "holdout": "test rows, read only" if self.privacy.holdout_is_test else "held-out rows",
            "nndr_median": self.privacy.nndr_median, "identifiability": self.privacy.identifiability,
            "coverage": {"precision": self.coverage.precision, "recall": self.coverage.recall,
                         "density": self.coverage.density, "coverage": self.coverage.coverage,
                         "novelty": self.coverage.novelty, "diversity": self.coverage.diversity},
            "decision": self.verdict.decision, "failed_checks": self.verdict.failed_checks,
            "checks": [{"name": c.name, "value": c.value, "outcome": c.outcome, "message": c.message}
                       for c in self.verdict.checks],
        }


NO_ROWS_LEFT = ("There are no synthetic rows to validate: every row was dropped (as an exact or near copy of a "
                "training row) or none was generated. Generate again with another method, seed or amount, or "
                "with the density filter.")


def validate_synthetic(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, target: str,
                       features: list[str], kinds: dict[str, str], seed: int = 42,
                       thresholds: Thresholds = Thresholds(), with_umap: bool = False) -> ValidationResult:
    """Validate synthetic rows against the training rows of their classes.

    Every space and model is fitted on training rows only; the holdout (the test part, read only) is only
    measured against, never fitted on.
    """
    ensure_not_held_out(train)
    if len(synthetic) == 0:
        raise GenerationError(NO_ROWS_LEFT)
    classes = set(synthetic[target].astype(str))
    labels = train[target].astype(str).to_numpy()
    real_minority = train.loc[np.isin(labels, list(classes))]
    numeric = {c: kinds[c] not in LEVEL_KINDS for c in features}
    fidelity_result = fidelity(model_frame(real_minority, features, kinds), model_frame(synthetic, features, kinds),
                               numeric)
    space = fit_distance_space(train, features, kinds)
    train_points = to_distance_space(space, train, features, kinds)
    synthetic_points = to_distance_space(space, synthetic, features, kinds)
    holdout_points = to_distance_space(space, holdout, features, kinds)
    minority_points = train_points[np.isin(labels, list(classes))]
    exact = exact_copy_mask(model_frame(train, features, kinds), model_frame(synthetic, features, kinds))
    privacy = privacy_checks(train_points, synthetic_points, holdout_points, minority_points, exact, seed)
    coverage = prdc(minority_points, synthetic_points, seed=seed)
    auc = detection_auc(real_minority, synthetic, features, kinds, seed)
    representation = class_representation(train, synthetic, target, features, kinds, seed)
    pca = pca_projection(train_points, labels, classes, synthetic_points, seed)
    umap = umap_projection(train_points, labels, classes, synthetic_points, seed) if with_umap else None
    result = ValidationResult(fidelity=fidelity_result, detection_auc=auc, representation=representation,
                              coverage=coverage, privacy=privacy, pca=pca, umap=umap, verdict=judge({}),
                              n_real_minority=len(real_minority), n_synthetic=len(synthetic))
    return replace(result, verdict=judge(result.check_values(), thresholds))


def drop_copies(synthetic: pd.DataFrame, result: ValidationResult) -> pd.DataFrame:
    """The synthetic rows without the exact and near copies found by validation."""
    return synthetic.loc[~result.privacy.copy_mask].reset_index(drop=True)


def without_copies(synthetic: SyntheticResult, result: ValidationResult, target: str) -> SyntheticResult:
    """The generation result with exact and near copies removed (counts updated, a warning added).

    Every row may go: the result then has zero rows, a state the pages show with a way back to Generation.
    """
    rows = drop_copies(synthetic.rows, result)
    removed = len(synthetic.rows) - len(rows)
    produced = {str(k): int(v) for k, v in rows[target].value_counts().items()}
    return replace(synthetic, rows=rows, produced=produced,
                   warnings=synthetic.warnings + (f"{removed:,} exact or near copies of training rows were removed "
                                                  "after validation.",))


def with_umap(result: ValidationResult, train: pd.DataFrame, synthetic: pd.DataFrame, target: str,
              features: list[str], kinds: dict[str, str], seed: int = 42) -> ValidationResult:
    """The same result with its UMAP projection added (slow: loads umap, fits on up to 20,000 training rows)."""
    space = fit_distance_space(train, features, kinds)
    labels = train[target].astype(str).to_numpy()
    projection = umap_projection(to_distance_space(space, train, features, kinds), labels,
                                 set(synthetic[target].astype(str)),
                                 to_distance_space(space, synthetic, features, kinds), seed)
    return replace(result, umap=projection)
