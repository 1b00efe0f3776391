"""The guessed target: '(guessed)' until the analyst keeps or changes it; a many-valued number target is flagged."""
from __future__ import annotations

from tests.apptest_helpers import open_app


def _upload(at):
    at.radio(key="w_source").set_value("Upload a file").run()
    rows = "".join(f"{(i * 37) % 211},{i % 7},{'rare' if i % 10 == 0 else 'common'}\n" for i in range(200))
    at.file_uploader(key="upload").set_value(("mine.csv", ("x,z,label\n" + rows).encode(), "text/csv")).run()
    return at


def test_keeping_the_guessed_target_makes_it_the_analysts():
    at = _upload(open_app())
    assert at.session_state["target"] == "label" and at.session_state["target_guessed"] is True
    assert any(i.value.startswith("The target **label** was guessed") for i in at.info)
    at.button(key="confirm_target").click().run()
    assert not at.exception
    assert at.session_state["target_guessed"] is False
    assert not any("was guessed" in i.value for i in at.info)


def test_a_number_target_with_many_values_is_flagged():
    at = _upload(open_app())
    assert not any("different values" in w.value for w in at.warning)  # 'label' has two
    next(s for s in at.selectbox if s.label.startswith("Target column")).set_value("x").run()
    assert not at.exception
    assert any(w.value.startswith("**x** is a number column with 200 different values") for w in at.warning)
