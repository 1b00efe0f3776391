"""Two and four app sessions at once, each on its own dataset: caches are shared, session state is not.

Each session loads a different table, then all of them move through Data and Imbalance analysis, their steps
interleaved; every page a session draws must show its own table's figures, never another's. The sessions run in
one process, so they share st.cache_data as a server's sessions do. (AppTest keeps one Runtime singleton per
run, so its scripts cannot run in parallel threads; interleaving the steps is how sessions meet on a server.)"""
from __future__ import annotations

from pathlib import Path

from core.data import validate_dataset
from core.imbalance import profile_dataset
from core.reading import read_path
from core.samples import SAMPLE_DIR
from tests.apptest_helpers import go, metrics, open_app

BAD = Path(__file__).resolve().parent / "data" / "bad"
SESSIONS = [  # (how the table is loaded, file, target)
    ("sample", SAMPLE_DIR / "german_credit.csv", "credit_risk"),
    ("sample", SAMPLE_DIR / "hypothyroid.csv", "diagnosis"),
    ("sample", SAMPLE_DIR / "abalone19.csv", "rings_19"),
    ("upload", BAD / "five_classes.csv", "label"),
]


def expected(path: Path, target: str) -> dict[str, str]:
    profile = profile_dataset(validate_dataset(read_path(path), target))
    return {"Minority rows": f"{profile.minority_count:,}", "Imbalance ratio": f"{profile.imbalance_ratio:,.1f} : 1",
            "Minority class": profile.minority_class}


def load(how: str, path: Path):
    at = open_app()
    if how == "sample":
        go(at, "data").selectbox(key="w_sample").set_value(path.name).run()
    else:
        at.radio(key="w_source").set_value("Upload a file").run()
        at.file_uploader(key="upload").set_value((path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception, at.exception
    return at


def analyse(at):
    return go(at, "analysis")


def test_four_sessions_then_two_keep_their_own_data():
    chosen = SESSIONS
    sessions = [load(how, path) for how, path, _ in chosen]  # every table loaded before any is analysed
    sessions = [analyse(at) for at in sessions]
    for at, (_, path, target) in zip(sessions, chosen):
        assert not at.exception
        assert at.session_state["table"].name == path.name and at.session_state["target"] == target
        shown = metrics(at)
        for label, value in expected(path, target).items():
            assert shown[label] == value, (path.name, label)
    # two of them go on, interleaved: one session's rerun between another's steps changes nothing in the other
    first, second = sessions[0], sessions[-1]
    go(first, "data")
    go(second, "data")
    assert first.session_state["table"].name == chosen[0][1].name
    assert second.session_state["table"].name == chosen[-1][1].name
    assert metrics(first)["Rows"] != metrics(second)["Rows"]
