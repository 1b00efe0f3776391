"""CTGAN and TVAE (the `ctgan` package, Business Source License 1.1) behind the generator contract.

torch and ctgan are imported inside the functions that train, never at module import (they cost ~3 s).
Progress per epoch, cancellation and the time budget come from a thread-local hook on the package's epoch
loop, so two sessions training at once each get their own callbacks.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import GenerationCancelled, GenerationError
from core.generators.base import GenerationTask, GeneratorInfo, ParamSpec

SMALL_CLASS_ROWS = 50
_PARAMS = (
    ParamSpec("epochs", "int", 100, 1, 2000, "Training passes over the rows: more learns more and takes longer.",
              label="Epochs"),
    ParamSpec("batch_size", "int", 500, 10, 10000, "Rows per training step (rounded to a multiple of 10; capped at "
              "the rows trained on).", label="Batch size (rows)"),
    ParamSpec("time_budget_s", "float", 0.0, 0.0, 7200.0,
              "Stop training after this many seconds and sample from the model as it is (0: no limit).",
              label="Time budget (seconds)"),
    ParamSpec("mode", "choice", "per_class", choices=("per_class", "conditional"),
              help="per_class: one model per minority class on its rows; conditional: one model on all rows, "
                   "sampled by class.", label="Training mode"),
)
_LIMITS = ("Slow on CPU; needs a few hundred minority rows to learn; results vary with epochs; "
           "Business Source License 1.1 (not for a commercial synthetic-data service).")
INFOS = {
    "ctgan": GeneratorInfo(
        name="ctgan", label="CTGAN", family="GAN", library="ctgan", categorical="any", params=_PARAMS,
        summary="A conditional GAN for tables: mode-specific normalisation of numbers, conditional categories.",
        pros="Learns non-linear, multi-modal structure and rare category combinations.", limits=_LIMITS,
        min_minority_rows=10, warn_below_rows=SMALL_CLASS_ROWS, slow=True, cost="high", tuning="high"),
    "tvae": GeneratorInfo(
        name="tvae", label="TVAE", family="VAE", library="ctgan", categorical="any", params=_PARAMS,
        summary="A variational autoencoder for tables, from the CTGAN authors.",
        pros="Often more faithful than CTGAN on small tables; trains about twice as fast.", limits=_LIMITS,
        min_minority_rows=10, warn_below_rows=SMALL_CLASS_ROWS, slow=True, cost="high", tuning="medium"),
}
# Measured on this project's 2-core machine (German credit, 21 columns): CTGAN on the 210 training rows of its
# minority took 13 s for 20 epochs and ran 400 epochs at about 2.6 epochs/s, so about 5.4 s of setup (the data
# transformer) and 0.38 s per training step; on 5,000 rows x 13 columns, 10 steps per epoch, 3.0-3.4 s per epoch.
# TVAE runs a step in about half that time. An epoch's cost follows its steps (rows // batch, at least 1).
# 7 December 2026: CTGAN with the defaults (100 epochs) on the same 210 rows was estimated at 52 s on the Generation
# page (46 s training, 6 s first use) and took 22 s; timed again (bench/estimates.py, CPU seconds of one thread on
# a loaded machine) 1.3 s setup and 0.09 s an epoch of one step, so the step is 0.10 s (0.32 s before).
_SETUP_SECONDS = {"ctgan": 5.4, "tvae": 5.4}
_SECONDS_PER_STEP = {"ctgan": 0.10, "tvae": 0.15}


def estimate_seconds(name: str, n_rows: int, n_columns: int, epochs: int, batch_size: int = 500) -> float:
    """A first guess of the training time on this 2-core machine, before anything is timed:
    setup + epochs x steps per epoch x seconds per step x a width factor (sqrt of columns / 13, at least 1).
    The run itself re-estimates from its own timed epochs (TrainingClock)."""
    width = max(1.0, n_columns / 13) ** 0.5
    batch = max(10, min(batch_size, max(10, n_rows)))
    steps = max(1, n_rows // batch)
    return _SETUP_SECONDS[name] * width ** 0.5 + epochs * steps * _SECONDS_PER_STEP[name] * width


def format_seconds(seconds: float) -> str:
    """'45 s', '3 min 20 s': a duration for a progress line."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


class TrainingClock:
    """Remaining training time calibrated on the epochs timed so far, not on a fixed per-row constant.

    The first epoch of a model includes fitting the data transformer, so it is timed apart (`setup_seconds`,
    counted again for every model still to train); from the second epoch on, `seconds_per_epoch` is the mean of
    this model's epochs. Later models are scaled by training steps per epoch (rows // batch, at least 1), which is
    what an epoch's cost follows in the ctgan package.
    rows: training rows per model, in training order (label -> rows).
    """

    def __init__(self, name: str, epochs: int, rows: dict[str, int], batch_size: int,
                 now=time.perf_counter) -> None:
        self.name, self.epochs, self.rows, self.batch_size, self._now = name, epochs, dict(rows), batch_size, now
        self._order = list(rows)
        self.current: str | None = None
        self.setup_seconds = 0.0
        self.seconds_per_epoch = 0.0
        self._group_started = self._last = self._first = 0.0
        self._timed: list[float] = []

    def _steps(self, label: str) -> int:
        return max(1, self.rows[label] // max(10, self.batch_size))

    def start_group(self, label: str) -> None:
        if self.current is not None:  # carry the measured cost per training step over to the next model
            self.seconds_per_epoch *= self._steps(label) / self._steps(self.current)
        self.current = label
        self._group_started = self._last = self._now()
        self._timed = []

    def epoch_done(self, done: int) -> None:
        now = self._now()
        if done == 1:
            self._first = now - self._group_started
            if not self.seconds_per_epoch:  # nothing timed yet: the first epoch, setup included (errs long)
                self.seconds_per_epoch = self._first
        else:
            self._timed.append(now - self._last)
            self.seconds_per_epoch = sum(self._timed) / len(self._timed)
            if len(self._timed) == 1 and not self.setup_seconds:
                self.setup_seconds = max(0.0, self._first - self.seconds_per_epoch)
        self._last = now

    @property
    def steady(self) -> bool:
        """Whether the pace is measured on epochs after the first (two of them) of the current model."""
        return len(self._timed) >= 2

    def seconds_left(self, done: int) -> float:
        """Seconds still to train: this model's remaining epochs plus every later model (setup and epochs)."""
        left = self.seconds_per_epoch * (self.epochs - done)
        later = self._order[self._order.index(self.current) + 1:]
        per_step = self.seconds_per_epoch / self._steps(self.current)
        return left + sum(self.setup_seconds + per_step * self._steps(label) * self.epochs for label in later)


class _StopTraining(Exception):
    """Raised inside the epoch loop when the time budget is spent; the model trained so far is kept."""


_hooks = threading.local()


class _EpochLoop:
    """Stands in for tqdm around the package's epoch loop; calls this thread's hook after every epoch."""

    def __init__(self, iterable, *args, **kwargs):
        self._iterable = iterable

    def __iter__(self):
        hook = getattr(_hooks, "after_epoch", None)
        for epoch in self._iterable:
            yield epoch
            if hook is not None:
                hook(epoch + 1)

    def set_description(self, *args, **kwargs):
        pass


def _install_epoch_hook() -> None:
    import ctgan.synthesizers.ctgan as ctgan_module
    import ctgan.synthesizers.tvae as tvae_module
    ctgan_module.tqdm = _EpochLoop
    tvae_module.tqdm = _EpochLoop


def _seed_everything(seed: int) -> None:
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class DeepSampler:
    """Fitted models: one per class (per_class) or one for all rows under the key '*' (conditional)."""
    name: str
    target: str
    mode: str
    models: dict
    columns: list[str]
    loss_history: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    def sample(self, counts: dict[str, int], seed: int) -> pd.DataFrame:
        import torch
        parts = []
        for label, n in counts.items():
            if n <= 0:
                continue
            if self.mode == "per_class":
                model = self.models[label]
                model.set_random_state(seed)
                torch.manual_seed(seed)
                part = model.sample(n)
            else:
                part = self._sample_conditional(label, n, seed)
            part = part[self.columns].reset_index(drop=True)
            part[self.target] = label
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def _sample_conditional(self, label: str, n: int, seed: int) -> pd.DataFrame:
        """Draw from the all-rows model until n rows of this class are found (conditioning only biases CTGAN)."""
        model = self.models["*"]
        model.set_random_state(seed)
        found, drawn = [], 0
        while sum(len(f) for f in found) < n and drawn < 50 * n + 1000:
            batch = max(2 * n, 100)
            if self.name == "ctgan":
                rows = model.sample(batch, condition_column=self.target, condition_value=label)
            else:
                rows = model.sample(batch)
            drawn += batch
            found.append(rows.loc[rows[self.target].astype(str) == label])
        rows = pd.concat(found, ignore_index=True).head(n)
        if len(rows) < n:
            raise GenerationError(f"{self.name} drew {drawn:,} rows but only {len(rows)} were of class '{label}'. "
                                  "Use mode 'per_class' for this class.")
        return rows


def _epoch_losses(model, label: str) -> pd.DataFrame:
    """The model's losses so far, one row per epoch (TVAE's per-batch losses averaged), with the class."""
    history = getattr(model, "loss_values", None)
    if history is None or not len(history):
        return pd.DataFrame()
    history = history.groupby("Epoch", as_index=False).mean(numeric_only=True)
    history.insert(0, "class", label)
    return history.drop(columns=[c for c in ("Batch",) if c in history.columns])


def _make_model(name: str, params: dict, n_rows: int):
    from ctgan import CTGAN, TVAE
    batch = max(10, min(int(params["batch_size"]), max(10, n_rows)))
    batch -= batch % 10  # CTGAN's discriminator packs 10 rows per sample
    if name == "ctgan":
        return CTGAN(epochs=int(params["epochs"]), batch_size=batch, enable_gpu=False, verbose=False)
    return TVAE(epochs=int(params["epochs"]), batch_size=batch, enable_gpu=False, verbose=False)


def fit(task: GenerationTask, name: str, classes: list[str]) -> DeepSampler:
    """Train CTGAN or TVAE per class (or once on all rows), reporting progress after every epoch."""
    import torch
    _install_epoch_hook()
    params, epochs = task.params, int(task.params["epochs"])
    features = task.numbers + task.levels
    groups = ({label: task.frame.loc[task.frame[task.target].astype(str) == label, features] for label in classes}
              if params["mode"] == "per_class" else {"*": task.frame[features + [task.target]]})
    discrete = task.levels + ([task.target] if params["mode"] == "conditional" else [])
    total_epochs = epochs * len(groups)
    started = time.perf_counter()
    budget = float(params["time_budget_s"])
    models, losses, warnings = {}, [], []
    clock = TrainingClock(name, epochs, {label: len(rows) for label, rows in groups.items()},
                          int(params["batch_size"]))
    for index, (label, rows) in enumerate(groups.items()):
        model = _make_model(name, params, len(rows))
        model.set_random_state(task.seed)
        _seed_everything(task.seed)
        what = f"class '{label}'" if params["mode"] == "per_class" else "all classes"
        if task.progress is not None:
            task.progress(index * epochs / total_epochs,
                          f"{name.upper()}: training on the {len(rows):,} rows of {what} ({epochs} epochs)")
        clock.start_group(label)

        def after_epoch(done: int, index=index, label=label, model=model, what=what) -> None:
            if task.should_stop is not None and task.should_stop():
                raise GenerationCancelled("Training was cancelled; nothing was generated.")
            clock.epoch_done(done)
            if task.progress is not None:
                left = clock.seconds_left(done)
                # the first epoch carries the setup: no countdown until two later epochs are timed (it would jump)
                when = (f"about {format_seconds(left)} left" if clock.steady
                        else "time left shown once 3 epochs are timed")
                task.progress((index * epochs + done) / total_epochs,
                              f"{name.upper()} {what} ({clock.rows[label]:,} rows): epoch {done} of {epochs}, "
                              f"{clock.seconds_per_epoch:.2f} s per epoch, {when}")
            if task.on_losses is not None:
                task.on_losses(pd.concat(losses + [_epoch_losses(model, label)], ignore_index=True))
            if budget and time.perf_counter() - started > budget and done < epochs:
                warnings.append(f"Training stopped after {done} of {epochs} epochs for class '{label}': "
                                f"the {budget:g} s time budget was reached.")
                raise _StopTraining()

        _hooks.after_epoch = after_epoch
        torch_threads = torch.get_num_threads()
        try:
            model.fit(rows, discrete_columns=discrete)
        except _StopTraining:
            pass
        except GenerationCancelled:
            raise
        except (ValueError, RuntimeError) as exc:
            raise GenerationError(f"{name} training failed on class '{label}': {exc}") from None
        finally:
            _hooks.after_epoch = None
            torch.set_num_threads(torch_threads)
        models[label] = model
        history = _epoch_losses(model, label)
        if len(history):
            losses.append(history)
    loss_history = pd.concat(losses, ignore_index=True) if losses else pd.DataFrame()
    return DeepSampler(name=name, target=task.target, mode=params["mode"], models=models, columns=features,
                       loss_history=loss_history, warnings=warnings)
