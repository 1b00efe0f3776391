"""A small stand-in for core.bundle.Bundle (the same public names): a calibrated logistic regression on a seeded
table, its decision threshold, and the reference frame (the test part's features, truth, minority_probability,
decision). Monitor's tests build these instead of a real bundle."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

FEATURES = ["x1", "x2", "colour"]
COLOURS = ["red", "green", "blue"]


def table(rows: int, seed: int, minority_share: float = 0.1, shift: float = 0.0) -> pd.DataFrame:
    """Seeded rows: minority 'yes' with x1 and x2 raised; shift moves x1 for every row (covariate shift)."""
    rng = np.random.default_rng(seed)
    minority = rng.random(rows) < minority_share
    x1 = rng.normal(0, 1, rows) + 1.6 * minority + shift
    x2 = rng.normal(0, 1, rows) + 0.8 * minority
    colour = np.where(minority, rng.choice(COLOURS, rows, p=[0.5, 0.3, 0.2]),
                      rng.choice(COLOURS, rows, p=[0.3, 0.4, 0.3]))
    return pd.DataFrame({"x1": x1, "x2": x2, "colour": colour, "label": np.where(minority, "yes", "no")})


def _matrix(frame: pd.DataFrame) -> np.ndarray:
    return np.column_stack([frame["x1"], frame["x2"]] + [(frame["colour"] == c).to_numpy(float) for c in COLOURS])


@dataclass(frozen=True)
class Scored:
    probability: np.ndarray
    decision: np.ndarray


@dataclass(frozen=True)
class FakeBundle:
    model: object
    threshold: float
    reference: pd.DataFrame
    calibration_ok: bool = True
    minority: str = "yes"
    features: list = field(default_factory=lambda: list(FEATURES))
    manifest: dict = field(default_factory=lambda: {"target": "label"})
    warnings: tuple = ()
    kinds: dict = field(default_factory=lambda: {"x1": "numeric", "x2": "numeric", "colour": "categorical"})

    def score(self, frame: pd.DataFrame) -> Scored:
        probability = self.model.predict_proba(_matrix(frame))[:, 1]
        return Scored(probability=probability, decision=probability >= self.threshold)


def fake_bundle(train_rows: int = 4000, reference_rows: int = 3000, seed: int = 0, threshold: float = 0.3,
                calibration_ok: bool = True) -> FakeBundle:
    train = table(train_rows, seed)
    model = CalibratedClassifierCV(LogisticRegression(max_iter=1000), method="sigmoid", cv=5)
    model.fit(_matrix(train), (train["label"] == "yes").to_numpy())
    test = table(reference_rows, seed + 1)
    probability = model.predict_proba(_matrix(test))[:, 1]
    reference = test[FEATURES].assign(truth=test["label"].to_numpy(), minority_probability=probability,
                                      decision=probability >= threshold)
    return FakeBundle(model=model, threshold=threshold, reference=reference, calibration_ok=calibration_ok)
