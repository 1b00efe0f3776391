"""The time estimates count the work the job does: the repeats Compare generators runs, the repeats the race
itself takes, and one figure for a job's caption and its bar. (How close they come to measured seconds is
bench/estimates.py's table, measured on a quiet machine.)"""
from __future__ import annotations

import pytest

import core.estimates as estimates
import core.race as race_module
from core.cleaning import CleaningPlan
from core.pipeline import prepare
from core.strategies import NO_GENERATION


@pytest.fixture
def fixed_fit(monkeypatch):
    """Every timed fit takes 0.05 s: the estimates become functions of their inputs alone."""
    monkeypatch.setattr(estimates, "fit_seconds", lambda *args: 0.05)


def test_compare_generators_counts_its_repeats(small_credit, fixed_fit):
    prepared = prepare(small_credit, 0.3, 42, CleaningPlan())
    methods = ["random_oversampler", "smotenc"]
    one, three = (estimates.leaderboard_seconds(prepared, methods, None, "logreg", 1, repeats=r) for r in (1, 3))
    # one race per repeat and comparisons of that many repeats (the old estimate gave the same figure for both:
    # 24 s shown for a 62 s run of 3 repeats); validation runs once per comparison, whatever the repeats
    assert 2 * one < three < 3 * one
    race = estimates.estimate_race_seconds(prepared.train, small_credit.target,
                                           list(dict.fromkeys([*NO_GENERATION, *methods])),
                                           small_credit.features, small_credit.column_types, "logreg", 5, 42, 1)
    plain = estimates.experiment_seconds(prepared, "threshold_tuned", {}, 3, "logreg", 1)
    made = sum(estimates.experiment_seconds(prepared, m, {}, 3, "logreg", 1) for m in methods)
    assert three == pytest.approx(3 * race + plain + made)


def test_the_race_estimate_counts_the_repeats_the_race_takes(small_credit, fixed_fit, monkeypatch):
    prepared = prepare(small_credit, 0.3, 42, CleaningPlan())
    monkeypatch.setattr(race_module, "repeats_for", lambda *args: 1)  # a budget that allows one repeat
    one = race_module.estimate_race_prepared(prepared, "logreg", 5, 120, 1)
    assert one == pytest.approx(race_module.estimate_race_prepared(prepared, "logreg", 5, 120, 1, repeats=1))
    assert one < race_module.estimate_race_prepared(prepared, "logreg", 5, 120, 1, repeats=3) / 2


def test_a_bar_counts_down_the_estimate_its_caption_gave(monkeypatch):
    from pages import _longjob

    shown = []
    bar = type("Bar", (), {"progress": lambda self, fraction, text: shown.append(text)})()
    clock = iter([110.0, 112.0, 114.0, 116.0, 118.0, 150.0])
    monkeypatch.setattr(_longjob.time, "perf_counter", lambda: next(clock))
    job = _longjob.Job("race", bar, 44.0, {}, started=100.0)  # the caption said 'about 44 s'
    for fraction in (0.1, 0.5, 0.6, 0.7, 0.8, 0.9):  # a pace that would say about 3-13 s left
        job.progress(fraction, "Racing")
    assert shown[0] == "Racing - 10%, 10 s so far, about 34 s left of the estimated 44 s"
    assert all("of the estimated 44 s" in text for text in shown[:5])  # one figure, never the pace's own guess
    assert shown[-1] == "Racing - 90%, 50 s so far, longer than the estimated 44 s"


def test_a_private_generation_is_planned_per_model_with_its_delta_and_seconds():
    """Hand-computed: dp.estimate_seconds is 1.5 + epochs x (0.01 + rows x 1.5e-4 x sqrt(max(1, columns / 13)))."""
    from core.estimates import first_use_seconds, private_training
    loading = first_use_seconds("dp_vae")
    trained, deltas, seconds = private_training({"mode": "per_class", "epochs": 10, "delta": 0.0},
                                                {"a": 100, "b": 1000}, {"a": 900}, 13)
    assert trained == {"a": 100} and deltas == {"a": 1e-6}  # min(1 / 100^1.1, 1e-6)
    assert seconds - loading == pytest.approx(1.5 + 10 * (0.01 + 100 * 1.5e-4))
    trained, deltas, seconds = private_training({"mode": "conditional", "epochs": 10, "delta": 1e-7},
                                                {"a": 100, "b": 1000}, {"a": 900}, 52)
    assert trained == {"all classes": 1100} and deltas == {"all classes": 1e-7}
    assert seconds - loading == pytest.approx(1.5 + 10 * (0.01 + 1100 * 1.5e-4 * 2))
