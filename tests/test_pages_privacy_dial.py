"""The private generator on the Generation page and the privacy-utility dial on the Duplicates & privacy page
(German credit's 300-row sample, uploaded: the default sample's columns), and the dial's failure path."""
from __future__ import annotations

import pytest

from core.intervals import Difference
from core.sweep import SweepPoint, SweepResult, readable_table
from pages import _dial
from tests.apptest_helpers import errors, go, metrics, open_with_upload


@pytest.fixture(scope="module")
def private_rows(small_credit_csv):
    at = open_with_upload(small_credit_csv, "credit_risk")  # 210 good, 90 bad; training part 147 good, 63 bad
    at = go(at, "generation")
    at.selectbox(key="w_gen_method").set_value("dp_vae").run()
    at.number_input(key="w_param_dp_vae_epochs").set_value(2).run()
    note = next(i.value for i in at.info if i.value.startswith("Guarantee asked for"))
    assert note.startswith("Guarantee asked for: epsilon 1 with delta 1e-06 (bad: 63 rows).")
    assert any(_dial.EPSILON_WORDS in c.value and _dial.DELTA_WORDS in c.value for c in at.caption)
    at.button(key="generate").click().run()
    assert not at.exception and not errors(at)
    shown = metrics(at)
    assert shown["Synthetic rows"] == "84"  # 147 - 63
    guarantee = at.session_state["synthetic"].privacy
    assert 0.9 < guarantee.epsilon <= 1.0 and guarantee.delta == 1e-6
    # the epsilon actually spent, on the Generation page; not covered: the ranges were read from the rows
    assert shown["Epsilon spent"] == f"{guarantee.epsilon:.3g}" and shown["Delta"] == "1.0e-06"
    assert shown["Release covered by the guarantee"] == "no"
    assert not [c for c in at.get("plotly_chart") if "Training loss" in c.proto.spec]  # private rows' loss: hidden
    return at


def test_declared_ranges_and_a_small_delta_give_a_covered_release(private_rows):
    at = private_rows
    at.number_input(key="w_param_dp_vae_delta").set_value(5e-7).run()  # a tiny delta can be typed and is kept
    assert any(i.value.startswith("Guarantee asked for: epsilon 1 with delta 5e-07") for i in at.info)
    at.checkbox(key="w_dp_ranges_public").check().run()
    at.button(key="generate").click().run()
    assert not at.exception and not errors(at)
    guarantee = at.session_state["synthetic"].privacy  # ranges declared, levels read from the rows: not covered
    assert [s.split(" (")[0] for s in guarantee.uncovered] == ["category levels read from the real rows"]
    at.checkbox(key="w_dp_levels_public").check().run()
    at.button(key="generate").click().run()
    assert not at.exception and not errors(at)
    guarantee = at.session_state["synthetic"].privacy
    assert guarantee.release_covered and guarantee.delta == 5e-7
    assert "each categorical column's set of levels, declared public by the analyst" in guarantee.public
    assert any(c.value.startswith("Not reproducible by seed, by design") for c in at.caption)
    assert metrics(at)["Release covered by the guarantee"] == "yes"
    assert any(c.value.startswith("Differentially private: epsilon") and "Release covered" in c.value
               for c in at.caption)
    go(at, "privacy")
    assert any("Release covered: nothing after training read the real rows" in i.value for i in at.info)


def test_dial_runs_and_answers(private_rows):
    at = go(private_rows, "privacy")
    guarantee = at.session_state["synthetic"].privacy
    assert any(f"epsilon {guarantee.epsilon:.3g}" in box.value for box in [*at.info, *at.warning])
    at.text_input(key="w_dial_epsilons").set_value("2")
    at.number_input(key="w_dial_epochs").set_value(2)
    at.slider(key="w_dial_repeats").set_value(2)
    at.number_input(key="w_dial_target").set_value(-1.0)
    at.toggle(key="w_dial_reference").set_value(False)
    at.button(key="dial_run").click().run()
    assert not at.exception and not [e for e in errors(at) if not e.startswith("**Verdict")]
    sweep = at.session_state["privacy_sweep"]["result"]
    # two repeats: no interval, so by the one verdict rule no epsilon meets even a target of -1 (the old rule,
    # the lower bound at or above the target, said it did)
    assert sweep.smallest_epsilon is None and len(sweep.points) == 1 and sweep.repeats == 2
    assert sweep.points[0].epsilon_spent <= 2.0 + 1e-6
    assert any(s.value == sweep.answer.replace("_", "\\_") or s.value == sweep.answer for s in at.warning)
    assert sweep.answer.startswith("Under 3 repeated splits per epsilon there is no interval")
    table = next(d.value for d in at.dataframe if "epsilon spent" in d.value.columns)
    assert list(table["epsilon asked"]) == ["2"] and list(table["meets your target"]) == ["no"]
    assert len(at.get("plotly_chart")) >= 4  # two page charts + the dial's two


def test_dial_refuses_bad_epsilons_without_a_traceback(private_rows):
    at = go(private_rows, "privacy")
    at.text_input(key="w_dial_epsilons").set_value("1,lots").run()
    at.button(key="dial_run").click().run()
    assert not at.exception
    assert any(e.startswith("Epsilons must be numbers separated by commas") for e in errors(at))


def _point(epsilon, gain, error=None):
    difference = None if error else Difference(gain, gain - 0.008, gain + 0.008, 0.2)
    return SweepPoint(epsilon=epsilon, delta=None if epsilon is None or error else 1e-6,
                      epsilon_spent=None if epsilon is None or error else epsilon * 0.98,
                      minority_f1_gain=difference, pr_auc_gain=difference, quality_score=None if error else 0.8,
                      detection_auc=None if error else 0.7, dcr_share_vs_holdout=None if error else 0.52,
                      nndr_median=None if error else 0.9, seconds=3.0, error=error)


def test_dial_charts_and_table_read_in_words():
    """A log axis labelled at the epsilons tried, figures named in words, a table with no None cells and few
    enough columns for 1440 px."""
    points = (*[_point(e, 0.01 * e) for e in (0.5, 1.0, 2.0, 4.0)], _point(8.0, 0.0, error="opacus failed"),
              _point(None, 0.1))
    result = SweepResult(method="dp_vae", classifier="logreg", repeats=3, seed=1, utility_metric="minority_f1",
                         utility_target=0.0, points=points, smallest_epsilon=1.0, answer="")
    table = result.table()
    utility = _dial._utility_chart(result, table)
    assert utility.layout.xaxis.type == "log" and list(utility.layout.xaxis.tickvals) == [0.5, 1.0, 2.0, 4.0]
    assert list(utility.layout.xaxis.ticktext) == ["0.5", "1", "2", "4"]
    privacy = _dial._privacy_chart(table)
    assert {trace.name for trace in privacy.data} == set(_dial.FIGURE_WORDS.values())
    assert list(privacy.layout.xaxis.ticktext) == ["0.5", "1", "2", "4"]
    shown = readable_table(result)
    assert len(shown.columns) <= 9 and "_" not in "".join(shown.columns)
    cells = shown.astype(str).to_numpy().ravel()
    assert not {"None", "nan", "NaN", "<NA>"} & set(cells)
    assert list(shown["epsilon asked"]) == ["0.5", "1", "2", "4", "8", "no privacy"]
    assert list(shown["meets your target"]) == ["no", "yes", "yes", "yes", "no", "-"]
    assert shown.iloc[4]["note"] == "opacus failed" and shown.iloc[4]["epsilon spent"] == "-"
    assert shown.iloc[0]["delta"] == "1.0e-06"
