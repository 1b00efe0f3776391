"""Escaping on every page: one table whose file name, target, class labels, column names and category levels are
hostile Markdown and HTML (an image, links, raw tags, a Streamlit icon and colour directive, $math$), walked through
every page and every long job (the race, generation with a quick, a deep and a private generator, validation, the
comparison, compare generators, the report with a config replay, monitor with its refreshed re-run).

Every message the app sends to the browser is recorded as it is sent (so progress texts, toasts and boxes that a
later message replaces are seen too), and every text the browser would render as Markdown is scanned for a live
payload; plotly figures are scanned for a tag that plotly would draw."""
from __future__ import annotations

import json
import re
from dataclasses import replace

import pandas as pd
import pytest
from google.protobuf.message import Message
from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

from core.reading import read_table
from core.text import escape_markdown
from tests.apptest_helpers import go
from tests.conftest import ROOT, race_only

IMAGE = "![x](http://attacker.example/leak.png)"
LINK = "[t](http://attacker.example/t)"
SCRIPT = "<script>alert(1)</script>"
TAG = "<img src=x onerror=alert(1)>"
ANCHOR = "<a href='http://attacker.example'>go</a>"
BOLD = "<b>bold</b>"
ICON = ":material/skull:"
COLOUR = ":red[ALERT]"
MATH = "$E=mc^2$"

FILE_NAME = f"{TAG} {COLOUR}.csv"
TARGET = f"{LINK} {COLOUR}"
LABELS = {"bad": f"{IMAGE} rare", "good": f"{TAG} {MATH} common"}  # the minority label is the image
COLUMNS = {"credit_risk": TARGET, "purpose": ANCHOR, "age": f"{ICON} age", "credit_amount": SCRIPT,
           "personal_status_sex": f"{MATH} group", "housing": f"{BOLD} housing"}
LEVELS = {"purpose": {"radio/TV": "![l](http://attacker.example/l.png)", "car (new)": BOLD},
          "personal_status_sex": {"male single": f"{COLOUR} single", "female div/sep/married": LINK},
          "housing": {"own": f"{ICON} own", "rent": SCRIPT}}

# Live in Markdown: an unescaped image or link opener, a raw tag, the hostile directives, math, an autolink.
LIVE_MARKDOWN = {"image": r"(?<!\\)!\[", "link target": r"(?<!\\)\]\(", "tag": r"(?<!\\)<(?:/?script|img|a |b>bold)",
                 "icon": r"(?<!\\):material/skull", "colour": r"(?<!\\):red\[ALERT", "math": r"(?<!\\)\$E=mc",
                 "autolink": r"(?<!\\)://attacker"}
# Live in a plotly figure: a tag plotly would draw in a text it draws (inert, '<' is '&lt;'); the keys plotly only
# uses to group traces are never drawn.
LIVE_CHART = {"tag": r"<(?:/?script|img |a |b>bold)"}  # plotly's own markup (<b>%{hovertext}</b>) is the app's
NOT_DRAWN = {"legendgroup", "offsetgroup", "alignmentgroup", "uid", "bdata", "dtype", "template"}
# Elements whose text is not Markdown: tables, code, plain text; widget fields that show values as plain text.
NOT_MARKDOWN = {"arrow_data_frame", "arrow_table", "data_frame", "code", "text", "json", "empty", "exception"}
PLAIN_FIELDS = {"selectbox": {"options", "default", "raw_value", "value", "raw_values"},
                "multiselect": {"options", "default", "raw_values", "value", "raw_value"},
                "text_input": {"value", "default"}, "text_area": {"value", "default"}}


def hostile_frame(small_credit_csv) -> pd.DataFrame:
    frame = pd.read_csv(small_credit_csv)
    frame["credit_risk"] = frame["credit_risk"].map(LABELS)
    for column, levels in LEVELS.items():
        frame[column] = frame[column].replace(levels)
    return frame.rename(columns=COLUMNS)


def strings(message, path: str = ""):
    """(field path, text) for every string field in a protobuf message, at any depth."""
    for field, value in message.ListFields():
        name = f"{path}.{field.name}" if path else field.name
        repeated = hasattr(value, "__len__") and not isinstance(value, (str, bytes, Message))
        values = value if repeated else [value]
        for item in values:
            if field.type == field.TYPE_MESSAGE:
                if hasattr(item, "ListFields"):
                    yield from strings(item, name)
            elif isinstance(item, str):
                yield name, item


def chart_strings(value, key: str = ""):
    """(key, text) for every string in a plotly figure's JSON that plotly may draw."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name not in NOT_DRAWN:
                yield from chart_strings(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from chart_strings(item, key)
    elif isinstance(value, str):
        yield key, value


def live(text: str, patterns: dict[str, str]) -> list[str]:
    return [f"{name}: {text[max(m.start() - 50, 0):m.end() + 50]!r}" for name, pattern in patterns.items()
            for m in re.finditer(pattern, text)]


def live_payloads(messages) -> list[str]:
    """Every live payload in the recorded messages: element or block kind, field, and the text around it."""
    found = []
    for message in messages:
        if message.WhichOneof("type") != "delta":
            continue
        delta = message.delta
        kind = delta.WhichOneof("type")
        if kind == "new_element":
            element = getattr(delta.new_element, delta.new_element.WhichOneof("type") or "", None)
            what = delta.new_element.WhichOneof("type")
        elif kind == "add_block":
            element, what = delta.add_block, "block"
        else:
            continue
        if element is None or what in NOT_MARKDOWN:
            continue
        for field, text in strings(element):
            if what == "plotly_chart" and field == "spec":
                found += [f"{what} {key} {hit}" for key, drawn in chart_strings(json.loads(text))
                          for hit in live(drawn, LIVE_CHART)]
            elif what == "plotly_chart":
                continue
            elif field not in PLAIN_FIELDS.get(what, ()):
                found += [f"{what}.{field} {hit}" for hit in live(text, LIVE_MARKDOWN)]
    return found


@pytest.fixture
def sent(monkeypatch):
    """Every ForwardMsg the app sends, as sent (AppTest runs the script in this process)."""
    messages = []
    original = ScriptRunContext.enqueue

    def record(self, msg):
        copy = type(msg)()
        copy.CopyFrom(msg)
        messages.append(copy)
        return original(self, msg)

    monkeypatch.setattr(ScriptRunContext, "enqueue", record)
    return messages


class Scan:
    """What the app sent, scanned in order: check() after each step adds what is live in the new messages."""

    def __init__(self, messages: list):
        self.messages, self.scanned, self.found = messages, 0, []

    def check(self, at, where: str) -> None:
        assert not at.exception, (where, at.exception)  # an exception stops the walk at once
        new = self.messages[self.scanned:]
        self.scanned = len(self.messages)
        self.found += [f"{where}: {hit}" for hit in dict.fromkeys(live_payloads(new))]


def test_the_scan_sees_a_live_payload_and_passes_an_escaped_one():
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    raw, escaped = ForwardMsg(), ForwardMsg()
    raw.delta.new_element.alert.body = f"Measured: {IMAGE} and {TAG}"
    escaped.delta.new_element.alert.body = f"Measured: {escape_markdown(IMAGE)} and {escape_markdown(TAG)}"
    assert len(live_payloads([raw])) >= 3 and live_payloads([escaped]) == []
    progress = ForwardMsg()
    progress.delta.new_element.progress.text = f"DP-VAE class '{COLOUR}': epoch 1 of 2"
    assert live_payloads([progress])
    assert all(live_payloads([_markdown(p)]) for p in (IMAGE, LINK, SCRIPT, TAG, ANCHOR, BOLD, ICON, COLOUR, MATH))
    assert not any(live_payloads([_markdown(escape_markdown(p))])
                   for p in (IMAGE, LINK, SCRIPT, TAG, ANCHOR, BOLD, ICON, COLOUR, MATH))


def _markdown(text: str):
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    message.delta.new_element.markdown.body = text
    return message


def test_every_page_and_long_job_renders_hostile_names_as_text(small_credit_csv, sent, monkeypatch):
    import functools

    from streamlit.testing.v1 import AppTest

    import core.leaderboard
    # each long job on the tiniest input that still draws all it draws: the race of three candidates (two without
    # synthetic rows, one generator), compare generators on two folds (the page reads build_leaderboard from
    # core.leaderboard on every run)
    race_only(monkeypatch, "as_is", "class_weighted_default", "random_oversampler")
    monkeypatch.setattr(core.leaderboard, "build_leaderboard",
                        functools.partial(core.leaderboard.build_leaderboard, folds=2))
    scan = Scan(sent)
    frame = hostile_frame(small_credit_csv)
    raw = frame.to_csv(index=False).encode()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    scan.check(at, "first screen")
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((FILE_NAME, raw, "text/csv")).run()
    scan.check(at, "upload")
    loaded = read_table(raw, FILE_NAME)
    assert at.session_state["table"].sha256 == loaded.sha256 and list(loaded.frame.columns) == list(frame.columns)
    at.selectbox(key=f"w_target_{loaded.sha256[:12]}").set_value(TARGET).run()
    scan.check(at, "data page with the hostile target")

    for page in ("analysis", "method"):
        at = go(at, page)
        scan.check(at, page)
    at.slider(key="w_race_folds").set_value(2).run()
    at.number_input(key="w_race_budget").set_value(10).run()
    at.button(key="run_race").click().run()
    scan.check(at, "the race")
    # the case: an explanation that quotes the minority label (a candidate's error or a fallback names it)
    key, race = next(iter(at.session_state["races"].items()))
    quoted = replace(race, explanation=f"{race.explanation} Could not run: ADASYN (class '{LABELS['bad']}' has too "
                                       "few neighbours).")
    at.session_state["races"] = {key: quoted}
    at.run()
    scan.check(at, "the race's explanation quoting the minority label")
    if not any(escape_markdown(LABELS["bad"]) in box.value for box in [*at.success, *at.info]):
        scan.found.append("method: the explanation is not shown escaped")  # noted; the walk goes on

    at = go(at, "generation")
    for method, epochs in (("tvae", "w_param_tvae_epochs"), ("dp_vae", "w_param_dp_vae_epochs")):
        at.selectbox(key="w_gen_method").set_value(method).run()
        at.number_input(key=epochs).set_value(1).run()
        if method == "tvae":
            at.selectbox(key="w_param_tvae_mode").set_value("per_class").run()  # progress names the class
        at.button(key="generate").click().run()
        scan.check(at, f"generation with {method}")
    at.selectbox(key="w_gen_method").set_value("smotenc").run()
    at.button(key="generate").click().run()
    scan.check(at, "generation with smotenc")

    for page in ("quality", "coverage", "privacy"):
        at = go(at, page)
        scan.check(at, page)

    at = go(at, "comparison")
    at.slider(key="w_repeats").set_value(1).run()
    at.selectbox(key="w_sensitive").set_value(COLUMNS["personal_status_sex"]).run()
    at.button(key="run_comparison").click().run()
    scan.check(at, "comparison")
    assert at.session_state["experiment"].config.sensitive_attribute == COLUMNS["personal_status_sex"]

    at = go(at, "leaderboard")
    at.multiselect(key="w_board_methods").set_value(["smotenc"]).run()
    at.slider(key="w_board_repeats").set_value(1).run()
    at.button(key="run_board").click().run()
    scan.check(at, "compare generators")

    at = go(at, "report")
    scan.check(at, "report")
    config = next(b for b in at.get("download_button") if b.proto.label == "Run config (JSON)")
    del config  # the replay reads the config the run wrote
    from core.config import config_json

    at.file_uploader(key="config_upload").set_value(
        ("config.json", config_json(at.session_state["experiment"].config).encode(), "application/json")).run()
    scan.check(at, "report: the config replayed")

    at = go(at, "monitor")
    batch = frame.sample(frac=0.5, random_state=1)
    batch[COLUMNS["age"]] = batch[COLUMNS["age"]] + 15
    at.file_uploader(key="drift_upload").set_value((f"{IMAGE}.csv", batch.to_csv(index=False).encode(),
                                                    "text/csv")).run()
    at.button(key="run_drift").click().run()
    scan.check(at, "monitor: drift")
    at.button(key="rerun_refreshed").click().run()
    scan.check(at, "monitor: the refreshed re-run")
    assert at.session_state["drift_rerun"] is not None
    assert scan.found == [], "\n".join(scan.found)
    progress_texts = [m.delta.new_element.progress.text for m in sent if m.WhichOneof("type") == "delta"
                      and m.delta.new_element.WhichOneof("type") == "progress"]
    # the deep and private generators' progress named the hostile classes, escaped
    assert any(escape_markdown(LABELS["bad"]) in text for text in progress_texts), progress_texts[:5]
