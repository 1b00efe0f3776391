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


def strategy_frame(model, rows: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """rows as the strategy's model frame step sees them (`core.encoding.model_frame`; a per-row conversion, so the
    frame of a table indexed by position equals the frame of those rows)."""
    return model.named_steps["frame"].transform(rows[features])


class SharedFits:
    """Strategies fitted on the same rows, each fitted exactly as `fit_strategy` fits it, with the work they share
    done once: the rows' model frame; for the strategies without a sampler (`make_strategy` with the same
    classifier, features, kinds and seed, differing only in the classifier's class weights) one fitted space and
    one classifier fit per distinct classifier settings. A strategy with a sampler fits its own pipeline on the
    rows (its synthetic rows are its own). `proba` then makes the scored rows' frame once and encodes it once.

    fit_strategy + strategy_proba give the same probabilities, value for value: every step is deterministic given
    its seed and its inputs, and the inputs are the same values (tests/test_race_shared.py pins it).
    models: {name: an unfitted strategy pipeline}; frame: rows' model frame when the caller has it.
    """

    def __init__(self, models: dict, rows: pd.DataFrame, target: str, features: list[str],
                 frame: pd.DataFrame | None = None):
        from sklearn.pipeline import Pipeline as SpacePipeline

        ensure_not_held_out(rows)
        labels = rows[target].astype(str)
        self.features = list(features)
        self.frame_step = next(iter(models.values())).named_steps["frame"]  # the race's features and kinds
        self.own, self.shared, self.space = {}, {}, None
        by_settings, encoded = {}, None
        for name, model in models.items():
            if "resample" in model.named_steps:
                self.own[name] = model.fit(rows[features], labels)
                continue
            if self.space is None:
                frame = self.frame_step.transform(rows[features]) if frame is None else frame
                self.space = SpacePipeline(model.steps[1:-1])
                encoded = self.space.fit_transform(frame, labels)
            classifier = model.steps[-1][1]
            settings = repr(sorted(classifier.get_params(deep=False).items()))
            if settings not in by_settings:
                by_settings[settings] = classifier.fit(encoded, labels)
            self.shared[name] = by_settings[settings]

    def proba(self, rows: pd.DataFrame, frame: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
        """{strategy: class probabilities (n_rows x n_classes), columns named by class label}, as strategy_proba
        gives them. frame: rows' model frame when the caller has it (made here otherwise)."""
        frame = self.frame_step.transform(rows[self.features]) if frame is None else frame
        encoded = self.space.transform(frame) if self.space is not None else None
        fitted = {name: (classifier, encoded) for name, classifier in self.shared.items()}
        for name, model in self.own.items():  # predict skips the sampler: the steps after the frame
            after_frame = model[[step for step, _ in model.steps].index("frame") + 1:]
            fitted[name] = (after_frame, frame)
        return {name: pd.DataFrame(np.asarray(model.predict_proba(values)), columns=[str(c) for c in model.classes_],
                                   index=rows.index) for name, (model, values) in fitted.items()}
