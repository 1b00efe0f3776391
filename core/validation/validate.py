"""Every validation of synthetic rows against the real training minority, in one call and one result."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.cleaning import CleaningResult, clean_like_training
from core.data import LEVEL_KINDS
from core.encoding import fit_distance_space, model_frame, to_distance_space
from core.errors import GenerationError
from core.generators.base import SyntheticResult
from core.generators.dp_guarantee import uncovered_steps
from core.split import ensure_not_held_out
from core.validation.coverage import Coverage, prdc
from core.validation.detection import (
    FOLDS,
    MIN_ROWS_PER_FOLD,
    ClassRepresentation,
    Detection,
    class_representation,
    detection,
)
from core.validation.embedding import Projection, pca_projection, umap_projection
from core.validation.fidelity import FidelityResult, fidelity, quality_score
from core.validation.privacy import Privacy, exact_copy_mask, privacy_checks
from core.validation.verdict import Thresholds, Verdict, judge


@dataclass(frozen=True)
class ClassValidation:
    """One synthesised class judged alone: its real training rows against its synthetic rows.

    weight: this class's share of the synthetic rows (the weight of its figures in the weighted means).
    quality_score follows SDMetrics (see fidelity.py); precision / recall / coverage as in coverage.py; NaN
    when the class has too few rows to measure.
    """
    label: str
    n_real: int
    n_synthetic: int
    weight: float
    quality_score: float
    column_shapes: float
    column_pair_trends: float
    precision: float
    recall: float
    coverage: float
    detection_auc: float | None


@dataclass(frozen=True)
class ValidationResult:
    """Fidelity, detection, class representation, coverage, privacy, projections and the verdict.

    fidelity / coverage / detection: the synthesised classes pooled (the charts' detail). per_class: each class
    alone; with more than one synthesised class the verdict's quality score, precision and detection AUC are the
    means of the per-class figures weighted by each class's share of the synthetic rows (pooling would mix the
    classes' proportions into the score: a pooled detection model separates real from synthetic rows by the class
    mixture alone). detection_auc: the judged figure (the weighted per-class mean for several classes);
    detection_auc_pooled: the pooled model's AUC, kept as detail.
    """
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
    detection: Detection | None = None
    per_class: tuple[ClassValidation, ...] = ()
    detection_auc_pooled: float | None = None

    @property
    def multiclass(self) -> bool:
        return len(self.per_class) > 1

    @property
    def quality_score(self) -> float:
        """The per-class quality scores' weighted mean (the pooled score for a single class)."""
        return _weighted(self.per_class, "quality_score") if self.multiclass else self.fidelity.quality_score

    @property
    def precision(self) -> float:
        return _weighted(self.per_class, "precision") if self.multiclass else self.coverage.precision

    @property
    def weights_text(self) -> str:
        """How the per-class figures are weighted, in words."""
        return "weights = share of synthetic rows: " + ", ".join(f"{c.label} {c.weight:.0%}" for c in self.per_class)

    @property
    def readings(self) -> tuple[Reading, ...]:
        """One sentence per figure that is easy to misread (detection AUC, identifiability, DCR share), for this
        run's values, and whether it comes from fewer rows than its stated minimum."""
        return readings(self)

    def check_values(self) -> dict[str, float | None]:
        """The measured value of every verdict check, to judge again under other thresholds."""
        return {"quality_score": self.quality_score, "detection_auc": self.detection_auc,
                "exact_copy_share": self.privacy.exact_share, "near_copy_share": self.privacy.near_share,
                "dcr_share_vs_holdout": self.privacy.dcr_share_vs_holdout, "precision": self.precision,
                "class_representation": self.representation.synthetic_share}

    def to_dict(self) -> dict:
        """The `validation` block of results.json."""
        return {
            "quality_score": self.fidelity.quality_score, "column_shapes": self.fidelity.column_shapes,
            "column_pair_trends": self.fidelity.column_pair_trends,
            "quality_score_all_pairs": self.fidelity.quality_score_all_pairs,
            "column_pair_trends_all_pairs": self.fidelity.column_pair_trends_all_pairs,
            "quality_reference": self.fidelity.reference,
            "correlation_difference": self.fidelity.correlation_difference,
            "per_feature": [{"column": f.column, "kind": f.kind, "shape_score": f.shape_score,
                             "js_divergence": f.js_divergence, "ks_statistic": f.ks_statistic,
                             "ks_pvalue": f.ks_pvalue, "total_variation": f.total_variation,
                             "wasserstein": f.wasserstein} for f in self.fidelity.per_feature],
            "detection_auc": self.detection_auc, "detection_auc_pooled": self.detection_auc_pooled,
            "readings": [{"figure": r.figure, "value": r.value, "rows": r.rows, "minimum_rows": r.minimum_rows,
                          "too_few_rows": r.too_few_rows, "sentence": r.sentence} for r in self.readings],
            "minority_duplicate_share": self.privacy.minority_duplicate_share,
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
            "quality_score_weighted": self.quality_score, "precision_weighted": self.precision,
            "per_class": [vars(c) for c in self.per_class],
            "per_class_weights": self.weights_text,
            "detection_auc_interval": [self.detection.low, self.detection.high] if self.detection else None,
            "detection_note": self.detection.note if self.detection else "",
            "holdout_rows": self.privacy.n_holdout,
            "decision": self.verdict.decision.value, "failed_checks": self.verdict.failed_checks,
            "unmeasured_checks": self.verdict.unmeasured_checks,
            "checks": [{"name": c.name, "value": c.value, "outcome": c.outcome.value, "message": c.message}
                       for c in self.verdict.checks],
        }


NO_ROWS_LEFT = ("There are no synthetic rows to validate: every row was dropped (as an exact or near copy of a "
                "training row) or none was generated. Generate again with another method, seed or amount, or "
                "with the density filter.")


def validate_synthetic(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, target: str,
                       features: list[str], kinds: dict[str, str], seed: int = 42,
                       thresholds: Thresholds = Thresholds(), with_umap: bool = False,
                       cleaning: CleaningResult | None = None) -> ValidationResult:
    """Validate synthetic rows against the training rows of their classes, class by class and pooled.

    Every space and model is fitted on training rows only. The holdout (the test part, read only) is restricted
    to the synthesised classes and, when `cleaning` (the training part's) is given, put through the same plan
    (transform only), so the DCR share compares like with like.
    """
    ensure_not_held_out(train, holdout)
    if len(synthetic) == 0:
        raise GenerationError(NO_ROWS_LEFT)
    classes = sorted(set(synthetic[target].astype(str)))
    labels = train[target].astype(str).to_numpy()
    in_classes = np.isin(labels, classes)
    real_minority = train.loc[in_classes]
    if cleaning is not None:
        holdout = clean_like_training(cleaning, holdout, target, features, kinds)
    holdout = holdout.loc[holdout[target].astype(str).isin(classes)]
    numeric = {c: kinds[c] not in LEVEL_KINDS for c in features}
    real_model, synthetic_model = model_frame(real_minority, features, kinds), model_frame(synthetic, features, kinds)
    fidelity_result = fidelity(real_model, synthetic_model, numeric)
    space = fit_distance_space(train, features, kinds)
    train_points = to_distance_space(space, train, features, kinds)
    synthetic_points = to_distance_space(space, synthetic, features, kinds)
    holdout_points = to_distance_space(space, holdout, features, kinds)
    minority_points = train_points[in_classes]
    exact = exact_copy_mask(model_frame(train, features, kinds), synthetic_model)
    privacy = privacy_checks(train_points, synthetic_points, holdout_points, minority_points, exact, seed)
    coverage = prdc(minority_points, synthetic_points, seed=seed)
    detected = detection(real_minority, synthetic, features, kinds, seed)
    per_class = tuple(_class_validation(label, real_minority, synthetic, real_model, synthetic_model,
                                        minority_points, synthetic_points, target, features, kinds, numeric, seed)
                      for label in classes) if len(classes) > 1 else ()
    representation = class_representation(train, synthetic, target, features, kinds, seed)
    pca = pca_projection(train_points, labels, set(classes), synthetic_points, seed)
    umap = umap_projection(train_points, labels, set(classes), synthetic_points, seed) if with_umap else None
    judged_auc = detected.auc
    if per_class:  # several classes: the per-class AUCs weighted as quality is (pooled AUC kept as detail)
        weighted = _weighted(per_class, "detection_auc")
        judged_auc = None if np.isnan(weighted) else weighted
    result = ValidationResult(fidelity=fidelity_result, detection_auc=judged_auc, representation=representation,
                              coverage=coverage, privacy=privacy, pca=pca, umap=umap, verdict=judge({}),
                              n_real_minority=len(real_minority), n_synthetic=len(synthetic), detection=detected,
                              per_class=per_class, detection_auc_pooled=detected.auc)
    return replace(result, verdict=judge(result.check_values(), thresholds))


def _class_validation(label: str, real_minority: pd.DataFrame, synthetic: pd.DataFrame, real_model: pd.DataFrame,
                      synthetic_model: pd.DataFrame, minority_points: np.ndarray, synthetic_points: np.ndarray,
                      target: str, features: list[str], kinds: dict[str, str], numeric: dict[str, bool],
                      seed: int) -> ClassValidation:
    """One class's real training rows against its synthetic rows."""
    real_rows = (real_minority[target].astype(str) == label).to_numpy()
    synthetic_rows = (synthetic[target].astype(str) == label).to_numpy()
    score = quality_score(real_model.loc[real_rows], synthetic_model.loc[synthetic_rows], numeric)
    nan = float("nan")
    covered = (prdc(minority_points[real_rows], synthetic_points[synthetic_rows], seed=seed)
               if real_rows.sum() > 1 and synthetic_rows.sum() > 1 else None)
    detected = detection(real_minority.loc[real_rows], synthetic.loc[synthetic_rows], features, kinds, seed)
    return ClassValidation(label=label, n_real=int(real_rows.sum()), n_synthetic=int(synthetic_rows.sum()),
                           weight=float(synthetic_rows.mean()), quality_score=score.quality_score,
                           column_shapes=score.column_shapes, column_pair_trends=score.column_pair_trends,
                           precision=covered.precision if covered else nan, recall=covered.recall if covered else nan,
                           coverage=covered.coverage if covered else nan, detection_auc=detected.auc)


MIN_HOLDOUT_ROWS = 50  # a DCR share from fewer held-out rows of the synthesised classes is too noisy to judge
MIN_IDENTIFIABILITY_ROWS = 20  # real minority rows below which identifiability moves by 5 points per row or more


@dataclass(frozen=True)
class Reading:
    """What one figure means for this run, in one sentence. figure: the check's name (verdict.NAMES keys or
    'identifiability'); rows: the rows it was computed from; too_few_rows: rows < minimum_rows (the sentence then
    says so)."""
    figure: str
    value: float | None
    rows: int
    minimum_rows: int
    too_few_rows: bool
    sentence: str


def readings(result: ValidationResult) -> tuple[Reading, ...]:
    """The readings of the detection AUC, identifiability and DCR share vs holdout (see Reading)."""
    out = []
    auc, detected = result.detection_auc, result.detection
    real_rows = detected.n_real if detected is not None else result.n_real_minority
    minimum = MIN_ROWS_PER_FOLD * FOLDS
    if auc is None:
        sentence = "Detection AUC: not measured (too few rows to cross-validate a detection model)."
    elif auc < 0.5:
        sentence = (f"Detection AUC {auc:.2f} is below 0.5: the model tells synthetic rows from real ones no better "
                    "than chance; a value under 0.5 is noise around 0.5, not a sign that the synthetic rows are "
                    "'more real than real'.")
    else:
        sentence = (f"Detection AUC {auc:.2f}: a model picks the synthetic row out of a random (real, synthetic) "
                    f"pair {auc:.0%} of the time (50% is chance).")
    if result.multiclass and auc is not None:
        pooled = result.detection_auc_pooled
        sentence += (f" It is the per-class AUCs' weighted mean ({result.weights_text})"
                     + (f"; the pooled {pooled:.2f} also reflects the classes' mixture." if pooled is not None
                        else "."))
    if auc is not None and real_rows < minimum:
        sentence += f" From {real_rows} real rows, under the minimum of {minimum}: read the interval, not the point."
    out.append(Reading("detection_auc", auc, real_rows, minimum, auc is not None and real_rows < minimum, sentence))

    privacy = result.privacy
    value, rows = privacy.identifiability, result.n_real_minority
    if value is None:
        sentence = "Identifiability: not measured (fewer than two real minority rows)."
    elif value >= 0.995:
        sentence = (f"Identifiability {value:.2f}: {'every' if value == 1 else 'almost every'} real minority row "
                    "has a synthetic row closer to it than its "
                    "nearest other real row, so the synthetic rows sit on top of the real records (interpolating "
                    "generators such as SMOTE do this by construction) and each record could be singled out by its "
                    "synthetic neighbour.")
    else:
        sentence = (f"Identifiability {value:.2f}: {value:.0%} of the real minority rows have a synthetic row closer "
                    "to them than their nearest other real row; those records are the easier ones to single out.")
    too_few = value is not None and rows < MIN_IDENTIFIABILITY_ROWS
    if too_few:
        sentence += f" From {rows} real rows, under the minimum of {MIN_IDENTIFIABILITY_ROWS}: a rough sign only."
    out.append(Reading("identifiability", value, rows, MIN_IDENTIFIABILITY_ROWS, too_few, sentence))

    if privacy.minority_duplicate_share > 0:
        duplicated = privacy.minority_duplicate_share
        out.append(Reading("near_copy_share", privacy.near_share, privacy.n_minority, 0, False,
                           f"{duplicated:.0%} of the real minority rows repeat another row exactly; the near-copy "
                           f"distance ({privacy.near_threshold:.3g}) is the 5th percentile of the gaps between "
                           "distinct rows, since counting the duplicates would make it 0 and no synthetic row a near "
                           "copy."))
    share, rows = privacy.dcr_share_vs_holdout, privacy.n_holdout
    if share is None:
        sentence = "DCR share vs holdout: not measured (no held-out rows of the synthesised classes)."
    else:
        sentence = (f"DCR share vs holdout {share:.2f}: {share:.0%} of synthetic rows are closer to a training row "
                    "than to an unseen row of the same classes (50% means no memorization; near 100% means the "
                    "generator copied its training rows).")
    too_few = share is not None and rows < MIN_HOLDOUT_ROWS
    if too_few:
        sentence += (f" Only {rows} held-out rows, under the minimum of {MIN_HOLDOUT_ROWS}: the share, and the "
                     "verdict's outcome on it, are too noisy to rely on.")
    out.append(Reading("dcr_share_vs_holdout", share, rows, MIN_HOLDOUT_ROWS, too_few, sentence))
    return tuple(out)


def _weighted(per_class: tuple[ClassValidation, ...], name: str) -> float:
    """Weighted mean of a per-class figure over the classes where it was measured (NaN when none was)."""
    pairs = [(getattr(c, name), c.weight) for c in per_class]
    pairs = [(v, w) for v, w in pairs if v is not None and np.isfinite(v)]
    if not pairs:
        return float("nan")
    values, weights = np.array(pairs).T
    return float(np.average(values, weights=weights))


def drop_copies(synthetic: pd.DataFrame, result: ValidationResult) -> pd.DataFrame:
    """The synthetic rows without the exact and near copies found by validation."""
    return synthetic.loc[~result.privacy.copy_mask].reset_index(drop=True)


def without_copies(synthetic: SyntheticResult, result: ValidationResult, target: str) -> SyntheticResult:
    """The generation result with exact and near copies removed (counts updated, a warning added).

    Every row may go: the result then has zero rows, a state the pages show with a way back to Generation.
    """
    return without_rows(synthetic, result.privacy.copy_mask, target)


def without_rows(synthetic: SyntheticResult, mask: np.ndarray, target: str) -> SyntheticResult:
    """The generation result without the rows where mask is True (counts updated, a warning added)."""
    rows = synthetic.rows.loc[~mask].reset_index(drop=True)
    removed = len(synthetic.rows) - len(rows)
    produced = {str(k): int(v) for k, v in rows[target].value_counts().items()}
    privacy = synthetic.privacy  # the copies are found with the real rows: a private release is no longer covered
    privacy = privacy.with_uncovered(*uncovered_steps([], False, [], drop_copies=True)) if privacy else None
    return replace(synthetic, rows=rows, produced=produced, privacy=privacy,
                   warnings=synthetic.warnings + (f"{removed:,} exact or near copies of training rows were removed "
                                                  "after validation.",))


def copy_mask(train: pd.DataFrame, synthetic: pd.DataFrame, target: str, features: list[str],
              kinds: dict[str, str], seed: int = 42) -> np.ndarray:
    """True for the synthetic rows validation calls exact or near copies (the same space, threshold and seed as
    validate_synthetic, so the rows dropped here are the rows the app drops)."""
    ensure_not_held_out(train)
    in_classes = train[target].astype(str).isin(set(synthetic[target].astype(str))).to_numpy()
    space = fit_distance_space(train, features, kinds)
    train_points = to_distance_space(space, train, features, kinds)
    synthetic_points = to_distance_space(space, synthetic, features, kinds)
    exact = exact_copy_mask(model_frame(train, features, kinds), model_frame(synthetic, features, kinds))
    privacy = privacy_checks(train_points, synthetic_points, np.empty((0, train_points.shape[1])),
                             train_points[in_classes], exact, seed)
    return privacy.copy_mask


def with_umap(result: ValidationResult, train: pd.DataFrame, synthetic: pd.DataFrame, target: str,
              features: list[str], kinds: dict[str, str], seed: int = 42) -> ValidationResult:
    """The same result with its UMAP projection added (slow: loads umap, fits on up to 20,000 training rows)."""
    space = fit_distance_space(train, features, kinds)
    labels = train[target].astype(str).to_numpy()
    projection = umap_projection(to_distance_space(space, train, features, kinds), labels,
                                 set(synthetic[target].astype(str)),
                                 to_distance_space(space, synthetic, features, kinds), seed)
    return replace(result, umap=projection)
