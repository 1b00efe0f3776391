"""Honest probabilities for the deployed model: calibration figures measured on out-of-fold scores of the
training part, and a recalibration (sigmoid, or isotonic with enough minority rows) kept only when its own
out-of-fold Brier score beats the raw one.

Why: resampling, synthetic rows and class weights move the minority probability away from the minority's real
share (van den Goorbergh et al. 2022, JAMIA 29(9)); a monitor that reads probabilities (NannyML's CBPE) needs them
calibrated. Everything here takes scores and truths of training rows only; the test part never reaches it.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import calibration_curve
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

EPS = 1e-6  # scores are clipped to [EPS, 1 - EPS] before logit, so 0 and 1 stay finite
ISOTONIC_MIN_MINORITY = 200  # isotonic overfits small samples (scikit-learn's calibration guide): sigmoid below
RELIABILITY_BINS = 10


def brier_score(truth: np.ndarray, scores: np.ndarray) -> float:
    """Brier score: mean of (score - truth)^2 over rows, truth 1 for the minority; 0 (perfect) to 1."""
    truth, scores = np.asarray(truth, dtype=float), np.asarray(scores, dtype=float)
    return float(np.mean((scores - truth) ** 2))


def _logit(scores: np.ndarray) -> np.ndarray:
    return logit(np.clip(np.asarray(scores, dtype=float), EPS, 1 - EPS))


def calibration_slope(truth: np.ndarray, scores: np.ndarray) -> float:
    """Calibration slope: b in the unpenalised logistic regression truth ~ a + b * logit(score) (1 is ideal;
    below 1 the scores are too extreme, above 1 too timid). Cox 1958; Van Calster et al. 2019."""
    return float(_logistic_fit(truth, scores)[1])


def calibration_intercept(truth: np.ndarray, scores: np.ndarray) -> float:
    """Calibration intercept (calibration-in-the-large): a in truth ~ a + 1 * logit(score), logit(score) an
    offset; the a for which mean(expit(a + logit(score))) equals the minority share (0 is ideal; above 0 the
    scores are too low on average)."""
    truth, offset = np.asarray(truth, dtype=float), _logit(scores)
    share = float(truth.mean())
    if share in (0.0, 1.0):
        return float("nan")
    return float(optimize.brentq(lambda a: float(np.mean(expit(a + offset))) - share, -50.0, 50.0, xtol=1e-12))


def _logistic_fit(truth: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """(a, b) of the unpenalised logistic regression truth ~ a + b * logit(score)."""
    model = LogisticRegression(C=np.inf, max_iter=1000, tol=1e-10)
    with warnings.catch_warnings():  # scores that separate the classes have no finite slope: lbfgs stops at a
        warnings.simplefilter("ignore", ConvergenceWarning)  # large one, which the Brier comparison then judges
        model.fit(_logit(scores)[:, None], np.asarray(truth, dtype=int))
    return float(model.intercept_[0]), float(model.coef_[0, 0])


@dataclass(frozen=True)
class CalibrationFigures:
    """How well a set of minority probabilities matches the truth: Brier score (0 to 1, lower is better),
    calibration intercept (0 ideal) and slope (1 ideal), and the reliability curve (per bin of 10 equal widths
    with rows: mean predicted probability, observed minority share, row count)."""
    brier: float
    intercept: float
    slope: float
    curve: tuple[tuple[float, float, int], ...]

    def to_dict(self) -> dict:
        return {"brier": self.brier, "intercept": self.intercept, "slope": self.slope,
                "reliability": [{"predicted": p, "observed": o, "rows": n} for p, o, n in self.curve]}


def calibration_figures(truth: np.ndarray, scores: np.ndarray) -> CalibrationFigures:
    """The figures of `scores` (P(minority), n rows) against `truth` (bool, n rows)."""
    truth, scores = np.asarray(truth, dtype=bool), np.asarray(scores, dtype=float)
    observed, predicted = calibration_curve(truth, scores, n_bins=RELIABILITY_BINS, strategy="uniform")
    edges = np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], scores, side="right"), minlength=RELIABILITY_BINS)
    counts = counts[counts > 0]  # calibration_curve drops empty bins, in order
    curve = tuple((float(p), float(o), int(n)) for p, o, n in zip(predicted, observed, counts))
    return CalibrationFigures(brier_score(truth, scores), calibration_intercept(truth, scores),
                              calibration_slope(truth, scores), curve)


class CalibratedModel(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose P(minority) goes through a fitted recalibration map; the other class gets
    1 - that. method: 'sigmoid' (expit(intercept + slope * logit(p))) or 'isotonic' (piecewise linear through
    knots_x, knots_y, clipped at the ends, as IsotonicRegression.predict). Holds only plain numbers and arrays,
    so the bundle's loader can allow it by name."""

    def __init__(self, base=None, minority: str = "", method: str = "sigmoid", intercept: float = 0.0,
                 slope: float = 1.0, knots_x=None, knots_y=None):
        self.base = base
        self.minority = minority
        self.method = method
        self.intercept = intercept
        self.slope = slope
        self.knots_x = knots_x
        self.knots_y = knots_y

    def fit(self, X, y=None):  # the parts are fitted before (out of fold); nothing is learnt here
        self.classes_ = self.base.classes_
        return self

    def calibrate(self, scores: np.ndarray) -> np.ndarray:
        """The recalibrated P(minority) of raw scores."""
        if self.method == "sigmoid":
            return expit(self.intercept + self.slope * _logit(scores))
        return np.interp(np.asarray(scores, dtype=float), self.knots_x, self.knots_y)

    def predict_proba(self, X) -> np.ndarray:
        raw = np.asarray(self.base.predict_proba(X), dtype=float)
        column = list(self.classes_).index(self.minority)
        calibrated = self.calibrate(raw[:, column])
        out = np.empty_like(raw)
        out[:, column] = calibrated
        out[:, 1 - column] = 1.0 - calibrated
        return out

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.classes_)[np.argmax(self.predict_proba(X), axis=1)]


@dataclass(frozen=True)
class Recalibration:
    """A fitted recalibration map on P(minority): method ('none', 'sigmoid', 'isotonic') and its numbers."""
    method: str
    intercept: float = 0.0
    slope: float = 1.0
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()

    def apply(self, scores: np.ndarray) -> np.ndarray:
        if self.method == "none":
            return np.asarray(scores, dtype=float)
        return CalibratedModel(None, "", self.method, self.intercept, self.slope, np.asarray(self.knots_x),
                               np.asarray(self.knots_y)).calibrate(scores)


def fit_recalibration(truth: np.ndarray, scores: np.ndarray, method: str) -> Recalibration:
    """Fit one recalibration map on (truth, score) pairs of training rows scored out of fold."""
    if method == "none":
        return Recalibration("none")
    if method == "sigmoid":
        intercept, slope = _logistic_fit(truth, scores)
        return Recalibration("sigmoid", intercept, slope)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(np.asarray(scores, dtype=float),
                                                                             np.asarray(truth, dtype=float))
    return Recalibration("isotonic", knots_x=tuple(map(float, iso.X_thresholds_)),
                         knots_y=tuple(map(float, iso.y_thresholds_)))


def cross_fitted(truth: np.ndarray, scores: np.ndarray, method: str, folds: int, seed: int) -> np.ndarray:
    """Each row's score recalibrated by a map fitted on the other folds' rows (the recalibration's own
    out-of-fold scores: what its Brier score is judged on)."""
    truth, scores = np.asarray(truth, dtype=bool), np.asarray(scores, dtype=float)
    out = np.empty_like(scores)
    for fit_rows, check_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(scores, truth):
        out[check_rows] = fit_recalibration(truth[fit_rows], scores[fit_rows], method).apply(scores[check_rows])
    return out


@dataclass(frozen=True)
class CalibrationChoice:
    """Before and after: the raw out-of-fold figures, each candidate's out-of-fold Brier score, the method kept
    ('none' when no candidate improved the Brier score), its figures on its own out-of-fold scores, the
    recalibration fitted on every training row (what the bundle applies), and the out-of-fold scores the
    threshold is tuned on (training rows, in order)."""
    before: CalibrationFigures
    candidates: tuple[tuple[str, float], ...]
    method: str
    after: CalibrationFigures
    recalibration: Recalibration
    scores: np.ndarray

    @property
    def improved(self) -> bool:
        return self.method != "none"

    def to_dict(self) -> dict:
        return {"method": self.method, "kept_because": self.reason,
                "candidates": [{"method": m, "brier": b} for m, b in self.candidates],
                "before": self.before.to_dict(), "after": self.after.to_dict()}

    @property
    def reason(self) -> str:
        if self.improved:
            return (f"{self.method} recalibration lowered the out-of-fold Brier score from {self.before.brier:.4f} "
                    f"to {self.after.brier:.4f}")
        return "no recalibration lowered the out-of-fold Brier score, so the model's own probabilities are kept"


def choose_recalibration(truth: np.ndarray, scores: np.ndarray, folds: int, seed: int) -> CalibrationChoice:
    """Sigmoid always, isotonic with at least ISOTONIC_MIN_MINORITY minority rows; each judged on its own
    out-of-fold Brier score; the best is kept only when it beats the raw out-of-fold Brier score (so the bundle
    never ships a recalibration that made the Brier score worse). truth: bool (minority), scores: raw
    out-of-fold P(minority), both over the training rows."""
    truth, scores = np.asarray(truth, dtype=bool), np.asarray(scores, dtype=float)
    before = calibration_figures(truth, scores)
    methods = ["sigmoid"] + (["isotonic"] if int(truth.sum()) >= ISOTONIC_MIN_MINORITY else [])
    k = max(2, min(folds, int(truth.sum()), int((~truth).sum())))
    fitted = {m: cross_fitted(truth, scores, m, k, seed) for m in methods}
    candidates = tuple((m, brier_score(truth, fitted[m])) for m in methods)
    best, best_brier = min(candidates, key=lambda item: item[1])
    if best_brier >= before.brier:
        return CalibrationChoice(before, candidates, "none", before, Recalibration("none"), scores)
    return CalibrationChoice(before, candidates, best, calibration_figures(truth, fitted[best]),
                             fit_recalibration(truth, scores, best), fitted[best])
