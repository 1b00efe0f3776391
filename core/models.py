"""The classifiers used to judge data: the same factory for validation checks and for every evaluation arm,
so hyperparameters are identical wherever a model is fitted. Preprocessing is part of each model and is
fitted on that model's own training rows."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
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


class ModelFrame(TransformerMixin, BaseEstimator):
    """The table's own columns (any dtype) as a model sees them (`core.encoding.model_frame`), so a strategy
    pipeline can start from the rows a generator returns, in their original types."""

    def __init__(self, features: list[str] | None = None, kinds: dict[str, str] | None = None):
        self.features = features
        self.kinds = kinds

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return model_frame(X, list(self.features), dict(self.kinds))


def make_strategy(name: str, features: list[str], kinds: dict[str, str], seed: int, class_weight: str | None = None,
                  sampler=None):
    """An unfitted imbalanced-learn Pipeline over the table's own columns: [resample (a GeneratorSampler, so
    synthetic rows come from each fit's own training rows only)], model frame, standardised one-hot space,
    classifier with the fixed hyperparameters of `make_classifier`."""
    from imblearn.pipeline import Pipeline as ResamplingPipeline

    steps = [("resample", sampler)] if sampler is not None else []
    steps.append(("frame", ModelFrame(list(features), {c: kinds[c] for c in features})))
    for step_name, step in make_classifier(name, features, kinds, seed, class_weight).steps:
        # imbalanced-learn refuses nested pipelines: the space's own steps are spliced in
        steps += step.steps if isinstance(step, Pipeline) else [(step_name, step)]
    return ResamplingPipeline(steps)


def fit_strategy(model, rows: pd.DataFrame, target: str, features: list[str]):
    """Fit a strategy pipeline on training rows only (the held-out test part is refused)."""
    ensure_not_held_out(rows)
    model.fit(rows[features], rows[target].astype(str))
    return model


def strategy_proba(model, frame: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Class probabilities of a fitted strategy (n_rows x n_classes), columns named by class label."""
    values = model.predict_proba(frame[features])
    return pd.DataFrame(np.asarray(values), columns=[str(c) for c in model.classes_], index=frame.index)
