"""The private generator on the Generation page and the privacy-utility dial on the Duplicates & privacy page
(German credit, the app's default sample), and the dial's failure path."""
from __future__ import annotations

import pytest

from tests.apptest_helpers import errors, go, open_app


@pytest.fixture(scope="module")
def private_rows():
    at = go(open_app(), "generation")
    at.selectbox(key="w_gen_method").set_value("dp_vae").run()
    at.number_input(key="w_param_dp_vae_epochs").set_value(2).run()
    note = next(i.value for i in at.info if i.value.startswith("Guarantee asked for"))
    assert note.startswith("Guarantee asked for: epsilon 1 with delta 0.00048 (bad: 210 rows).")
    at.button(key="generate").click().run()
    assert not at.exception and not errors(at)
    assert any(m.label == "Synthetic rows" and m.value == "280" for m in at.metric)
    guarantee = at.session_state["synthetic"].privacy
    assert 0.9 < guarantee.epsilon <= 1.0 and guarantee.delta == pytest.approx(1 / 2100)
    return go(at, "privacy")


def test_dial_runs_and_answers(private_rows):
    at = private_rows
    guarantee = at.session_state["synthetic"].privacy
    assert any(i.value.startswith(f"The current rows carry a differential-privacy guarantee: epsilon "
                                  f"{guarantee.epsilon:.3g}") for i in at.info)
    at.text_input(key="w_dial_epsilons").set_value("2")
    at.number_input(key="w_dial_epochs").set_value(2)
    at.slider(key="w_dial_repeats").set_value(1)
    at.number_input(key="w_dial_target").set_value(-1.0)
    at.toggle(key="w_dial_reference").set_value(False)
    at.button(key="dial_run").click().run()
    assert not at.exception and not [e for e in errors(at) if not e.startswith("**Verdict")]
    sweep = at.session_state["privacy_sweep"]["result"]
    assert sweep.smallest_epsilon == 2.0 and len(sweep.points) == 1 and sweep.repeats == 1
    assert sweep.points[0].epsilon_spent <= 2.0 + 1e-6
    assert any(s.value == sweep.answer for s in at.success)
    assert sweep.answer.startswith("The smallest epsilon that meets your target")
    table = next(d.value for d in at.dataframe if "epsilon_spent" in d.value.columns)
    assert list(table["epsilon"]) == ["2"] and len(at.get("plotly_chart")) >= 4  # two page charts + the dial's two


def test_dial_refuses_bad_epsilons_without_a_traceback(private_rows):
    at = private_rows
    at.text_input(key="w_dial_epsilons").set_value("1,lots").run()
    at.button(key="dial_run").click().run()
    assert not at.exception
    assert any(e.startswith("Epsilons must be numbers separated by commas") for e in errors(at))
