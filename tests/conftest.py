"""Shared fixtures: the bundled samples, loaded once per test session."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.parallel import start_at_one_thread  # noqa: E402 (light: imports no numpy)

# One BLAS / OpenMP thread per process: the suite runs one pytest-xdist worker per core, and two workers with two
# busy-waiting BLAS threads each on 2 cores took 90 s where one thread each took 50 s (the same three test files).
# Set before numpy is imported here and inherited by the CLI, Streamlit and Dask processes the tests start; make
# test sets the same variables before pytest starts, in case a plugin imports numpy first.
start_at_one_thread()

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from core.data import validate_dataset  # noqa: E402
from core.pipeline import prepare  # noqa: E402
from core.reading import read_path, read_table  # noqa: E402

SAMPLES = {"german_credit": "credit_risk", "hypothyroid": "diagnosis", "abalone19": "rings_19"}


def table(text: str, name: str = "t.csv"):
    """A CSV text read as a LoadedTable (test_data.py and test_reading.py)."""
    return read_table(text.encode("utf-8"), name)


def sample_path(name: str) -> Path:
    return ROOT / "sample_data" / f"{name}.csv"


@pytest.fixture(scope="session")
def datasets():
    """name -> validated Dataset for the three bundled samples."""
    return {name: validate_dataset(read_path(sample_path(name)), target) for name, target in SAMPLES.items()}


@pytest.fixture(scope="session")
def prepared(datasets):
    """name -> Prepared (split seed 42, test share 0.3, no cleaning)."""
    return {name: prepare(ds, test_size=0.3, seed=42) for name, ds in datasets.items()}


@pytest.fixture(scope="session")
def small_credit_csv(tmp_path_factory) -> Path:
    """A stratified 300-row sample of German credit (210 good, 90 bad; seed 0) as a CSV: the smallest real table on
    which every end-to-end path (race, repeats, generation, validation, card) still runs, for tests that check a
    path rather than a figure of the whole sample."""
    frame = pd.read_csv(sample_path("german_credit"))
    small = frame.groupby("credit_risk", group_keys=False).sample(frac=0.3, random_state=0).sort_index()
    path = tmp_path_factory.mktemp("small") / "small_credit.csv"
    small.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def small_credit(small_credit_csv):
    """small_credit_csv as a validated Dataset (target credit_risk)."""
    return validate_dataset(read_path(small_credit_csv), "credit_risk")


def race_only(monkeypatch, *names: str) -> None:
    """Races that choose their own candidates (the Method page's, a run's) race only `names` of them, with the
    skipped list they would report: for tests of a page's or a job's path, not of which strategy wins on all seven
    (tests/test_race*.py race every candidate). The fold fits of one candidate are most of a race's time."""
    import core.race

    every = core.race.candidates_for

    def fewer(*args, **kwargs):
        wanted, skipped = every(*args, **kwargs)
        missing = set(names) - set(wanted)
        assert not missing, f"{sorted(missing)} would not be raced on this table: {wanted}"
        return [name for name in wanted if name in names], skipped

    monkeypatch.setattr(core.race, "candidates_for", fewer)


# The files whose tests take longest (minutes of CPU together; tests/test_browser.py's walk alone over a minute of
# wall time), run first: pytest-xdist's worksteal gives each worker a contiguous part of this order and an idle worker
# steals from the end of another's queue, so a long test never starts last and holds the run while the other
# worker waits. Their own order within a file is kept (module fixtures are built once per worker either way).
LONG_FIRST = ("test_browser.py", "test_hostile_pages.py", "test_cluster.py", "test_pages_report.py",
              "test_pages_method.py", "test_sweep.py", "test_report.py", "test_evaluation.py",
              "test_pages_privacy_dial.py", "test_pages_comparison.py", "test_race.py", "test_hostile_inputs.py")


def pytest_collection_modifyitems(items) -> None:
    rank = {name: index for index, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FIRST)))  # stable: the rest keep their order
