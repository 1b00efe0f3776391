"""The classifiers used to judge data: the same factory for validation checks and for every evaluation arm,
so hyperparameters are identical wherever a model is fitted. Preprocessing is part of each model and is
fitted on that model's own training rows."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from core.encoding import distance_space, model_frame
from core.errors import ConfigError
from core.split import ensure_not_held_out

CLASSIFIERS = {"logreg": "logistic regression (scaled, one-hot)", "rf": "random forest",
               "hgb": "histogram gradient boosting"}
HYPERPARAMETERS = {
    "logreg": {"C": 1.0, "max_iter": 2000},
    "rf": {"n_estimators": 200, "min_samples_leaf": 1, "n_jobs": 2},
    "hgb": {"max_iter": 200, "learning_rate": 0.1},
}


def make_classifier(name: str, features: list[str], kinds: dict[str, str], seed: int,
                    class_weight: str | None = None) -> Pipeline:
    """An unfitted pipeline: the standardised one-hot space, then the classifier with fixed hyperparameters."""
    if name not in CLASSIFIERS:
        raise ConfigError(f"Unknown classifier '{name}'. Choose one of: {', '.join(CLASSIFIERS)}.")
    params = dict(HYPERPARAMETERS[name])
    if name == "logreg":
        model = LogisticRegression(class_weight=class_weight, random_state=seed, **params)
    elif name == "rf":
        model = RandomForestClassifier(class_weight=class_weight, random_state=seed, **params)
    else:
        model = HistGradientBoostingClassifier(class_weight=class_weight, random_state=seed, **params)
    return Pipeline([("space", distance_space(features, kinds)), ("model", model)])


def fit_classifier(model: Pipeline, train: pd.DataFrame, target: str, features: list[str],
                   kinds: dict[str, str]) -> Pipeline:
    """Fit on training rows only (the held-out test part is refused)."""
    ensure_not_held_out(train)
    model.fit(model_frame(train, features, kinds), train[target].astype(str).to_numpy())
    return model


def predict_proba(model: Pipeline, frame: pd.DataFrame, features: list[str], kinds: dict[str, str]) -> pd.DataFrame:
    """Class probabilities (n_rows x n_classes), columns named by class label."""
    values = model.predict_proba(model_frame(frame, features, kinds))
    return pd.DataFrame(np.asarray(values), columns=[str(c) for c in model.classes_], index=frame.index)
