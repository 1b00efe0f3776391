"""Helpers for AppTest: open the app from any working directory and read what a person would see."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def open_app(timeout: float = 120) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def open_with_upload(path, target: str, timeout: float = 120) -> AppTest:
    """The app after a person uploaded the table at `path` (CSV) and chose `target`."""
    from core.reading import read_path

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    loaded = read_path(path)
    at.session_state["table"], at.session_state["table_origin"] = loaded, f"upload:{loaded.sha256}"
    at.session_state["target"], at.session_state["v_source"] = target, "Upload a file"
    at.run()
    assert not at.exception, at.exception
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def use_sample(at: AppTest, file_name: str) -> AppTest:
    go(at, "data")
    at.selectbox(key="w_sample").set_value(file_name).run()
    assert not at.exception, at.exception
    return at
