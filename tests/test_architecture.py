"""The split between core and the UI, and the lazy heavy imports, checked in a fresh interpreter."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import sys
import core.pipeline, core.advisor, core.generators.registry, core.__main__
heavy = [m for m in ("streamlit", "torch", "ctgan", "umap", "numba") if m in sys.modules]
print(",".join(heavy))
"""


def test_core_imports_no_streamlit_and_no_heavy_library():
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


def test_no_core_file_mentions_streamlit_or_eval():
    for path in (ROOT / "core").rglob("*.py"):
        text = path.read_text()
        assert "streamlit" not in text, path
        assert "eval(" not in text.replace("_evaluate(", ""), path
        assert "pickle" not in text, path
