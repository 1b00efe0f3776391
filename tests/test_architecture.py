"""The split between core and the UI, and the lazy heavy imports, checked in a fresh interpreter."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from core.parallel import ONE_THREAD_VARIABLES
from tests.conftest import ROOT

PROBE = """
import sys
import core.pipeline, core.advisor, core.generators.registry, core.__main__, core.sweep
heavy = [m for m in ("streamlit", "torch", "ctgan", "umap", "numba", "opacus") if m in sys.modules]
print(",".join(heavy))
"""


def test_core_imports_no_streamlit_and_no_heavy_library():
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


# No pickle in core, not even for the process's own worker pool: it sends a job's inputs through loky's transport.
MODULES = r"(c?pickle|cloudpickle|dill|joblib|shelve)"
PICKLING = re.compile(rf"^\s*(import\s+{MODULES}\b(?!\.)|from\s+{MODULES}\s+import)|\b{MODULES}\.(dumps?|loads?)\("
                      r"|\bread_pickle\(|\bto_pickle\(", re.MULTILINE)


def test_no_core_file_mentions_streamlit_or_runs_user_text():
    for path in (ROOT / "core").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+streamlit", text, re.MULTILINE), path
        for unsafe in ("eval(", "exec(", "pickle.load", "torch.load", "read_pickle"):
            assert unsafe not in text.replace("_evaluate(", ""), (path, unsafe)


def test_no_core_file_pickles():
    """core/ imports no pickle, cloudpickle, dill or joblib module for dumping or loading, and calls none of their
    dump / load functions (the worker pool imports joblib's bundled loky executor only)."""
    found = [(path.name, match.group(0).strip()) for path in (ROOT / "core").rglob("*.py")
             for match in PICKLING.finditer(path.read_text())]
    assert found == []


def test_the_pickling_check_catches_each_form():
    for text in ("import pickle", "import cloudpickle", "from pickle import load", "    import joblib",
                 "x = joblib.load(path)", "from joblib import dump", "cloudpickle.dumps(f)", "pickle.dump(f, out)",
                 "pd.read_pickle(p)", "frame.to_pickle(p)"):
        assert PICKLING.search(text), text
    assert not PICKLING.search("from joblib.externals.loky.process_executor import ProcessPoolExecutor")


def test_pages_never_allow_raw_html():
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        assert "unsafe_allow_html" not in path.read_text(), path


def test_first_screen_imports_no_scikit_learn_scipy_or_torch():
    probe = ("import sys; import pages._flow, pages._cached, pages._state; "
             "print(','.join(m for m in ('sklearn', 'scipy', 'torch', 'umap', 'ctgan') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


def test_the_first_screen_imports_nothing_heavy():
    """Every module app.py and the Data page import at their top (read from the files, so a new import is
    checked too), imported in a fresh interpreter: none of the heavy libraries comes with them."""
    import ast

    modules = sorted({node.module if isinstance(node, ast.ImportFrom) else alias.name
                      for path in (ROOT / "app.py", ROOT / "pages" / "data.py")
                      for node in ast.parse(path.read_text()).body if isinstance(node, (ast.Import, ast.ImportFrom))
                      for alias in node.names} - {"__future__"})
    assert "pages._longjob" not in modules and "pages" in modules  # `from pages import _longjob, ...`
    heavy = ("sklearn", "scipy", "torch", "umap", "ctgan", "numba", "dask", "distributed", "joblib", "opacus",
             "imblearn", "rdt", "copulas")
    probe = (f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; "
             "import pages._flow, pages._cached, pages._state, pages._longjob, pages._palette; "
             f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


def test_the_launcher_warms_the_first_page_and_nothing_heavy(monkeypatch):
    """serve.py (make run) imports the first page's libraries before the server answers, none of the heavy ones,
    and passes its arguments on to `streamlit run app.py`."""
    heavy = ("sklearn", "scipy", "torch", "umap", "ctgan", "numba", "dask", "distributed", "opacus", "imblearn")
    probe = ("import sys; import serve; serve.warm(); import streamlit.delta_generator as d; "
             "from threadpoolctl import threadpool_info; "
             f"print(','.join(m for m in {heavy!r} if m in sys.modules)); "
             "print(all(m in sys.modules for m in serve.FIRST_PAGE), d._use_warning_has_been_displayed); "
             "print({p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'})")
    unlimited = {k: v for k, v in os.environ.items() if k not in ONE_THREAD_VARIABLES}
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=unlimited)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["", "True True", "{1}"]  # one BLAS thread, as on the cluster's workers
    from streamlit.web import cli

    import serve

    seen = []
    monkeypatch.setattr(cli, "main", lambda: seen.append(list(sys.argv)) or 0)
    monkeypatch.setattr(serve, "warm", lambda: None)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    assert serve.main(["--server.port", "8502"]) == 0
    assert seen == [["streamlit", "run", str(ROOT / "app.py"), "--server.port", "8502"]]


def test_the_app_server_watches_no_files():
    """The options Streamlit reads from this repository's .streamlit/config.toml (as `make run` starts it) turn the
    file watcher off: watching every module and .venv's files added about 0.4 s of session setup and a burst of
    work while the browser drew the first screen (bench/first_screen.py: 2.8-3.7 s with it, 1.3-1.6 s without)."""
    probe = ("from streamlit import config; config.get_config_options(force_reparse=True); "
             "print(config.get_option('server.fileWatcherType'), config.get_option('server.runOnSave'))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["none", "False"]
