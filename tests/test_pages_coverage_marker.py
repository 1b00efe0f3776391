"""Coverage: the real minority is drawn on top of the synthetic rows, with its own marker."""
from __future__ import annotations

import base64
import json

from tests.apptest_helpers import go, metrics, open_app


def test_the_real_minority_is_drawn_last_with_its_own_marker():
    at = go(open_app(), "generation")
    at.button(key="generate").click().run()
    assert metrics(at)["Synthetic rows"] == "280"
    at = go(at, "coverage")
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [trace["name"] for trace in spec["data"]]
    assert names == ["real majority", "synthetic", "real minority"]  # drawn in this order: the real minority on top
    symbols = {trace["name"]: trace["marker"].get("symbol") for trace in spec["data"]}
    assert symbols["real minority"] == "diamond" and symbols["synthetic"] != "diamond"
    minority = spec["data"][-1]
    xs = minority["x"]
    drawn = len(base64.b64decode(xs["bdata"])) // 8 if isinstance(xs, dict) else len(xs)  # plotly packs floats
    assert minority["opacity"] == 1.0 and drawn == 210  # every real minority training row
