"""The app in a real headless Chromium: every page renders its heading and charts with no exception box.

Starts `streamlit run app.py` on a free local port, walks the pages through the sidebar (one session, so
generated rows carry over), and saves one screenshot per page into $SYNTHBALANCE_SCREENSHOTS
(default tests/artifacts/). Needs Debian's chromium (/usr/bin/chromium), which .ci/run installs.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SHOTS = Path(os.environ.get("SYNTHBALANCE_SCREENSHOTS", ROOT / "tests" / "artifacts"))

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (.ci/run installs it)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = subprocess.Popen([sys.executable, "serve.py", "--server.port", str(port),  # what `make run` starts
                                "--server.address", "127.0.0.1", "--server.headless", "true",
                                "--server.fileWatcherType", "none"],  # an edit during the walk reloads nothing
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the app did not answer /_stcore/health within 90 s")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        # reduced motion: the same page without its fades and spinners, which kept Chromium painting (measured on
        # four page visits: 6.4 s of Chromium CPU instead of 10.7 and 12.2, a loaded 2-core machine)
        tab = browser.new_page(viewport={"width": 1400, "height": 2600}, reduced_motion="reduce")
        tab.goto(server)
        yield tab
        browser.close()


# Counts the app's script runs as they start and end, from the changes of stApp's data-test-script-state (each
# change's new value is the next record's old value, or the attribute now), so that settle() waits for the run an
# action started rather than for a fixed time.
RUNS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (app && !window.__runs) {
    const runs = window.__runs = {started: 0, ended: 0};
    new MutationObserver(records => records.forEach((record, i) => {
      const now = i + 1 < records.length ? records[i + 1].oldValue : app.getAttribute("data-test-script-state");
      if (now === "running" && record.oldValue !== "running") runs.started += 1;
      if (record.oldValue === "running" && now !== "running") runs.ended += 1;
    })).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"], attributeOldValue: true});
  }
  return window.__runs ? window.__runs.started : 0;
}"""
# ended may lead started by one: a run already going when the watch began ends uncounted as started
ALL_ENDED = "() => !window.__runs || window.__runs.ended >= window.__runs.started"
# how often the waits below ask the page (the default, every animation frame, cost Chromium 4 times the CPU)
POLL_MS = 100
_STARTED: dict[int, int] = {}  # per tab: runs started up to the end of its last settle()


def settle(tab, timeout_ms: int = 120_000) -> None:
    """Wait until the script run that the last action started has finished, and the app has stayed idle for a
    moment (a page that calls st.rerun runs twice). An action that starts no run costs at most 3 s here."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = _STARTED.get(id(tab))
    started = tab.evaluate(RUNS)  # watches from the first call on
    if before is not None and started <= before:
        try:
            tab.wait_for_function(f"() => window.__runs.started > {before}", timeout=3_000, polling=POLL_MS)
        except PlaywrightTimeout:
            pass  # no run started: the state below decides
    while True:
        tab.wait_for_function(ALL_ENDED, timeout=timeout_ms, polling=POLL_MS)
        tab.wait_for_selector(IDLE, timeout=timeout_ms)
        tab.wait_for_timeout(150)
        if tab.locator(IDLE).count() and tab.evaluate(ALL_ENDED):
            break
    _STARTED[id(tab)] = tab.evaluate(RUNS)


def open_page(tab, title: str) -> None:
    tab.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    settle(tab)


def check(tab, heading: str, charts: int, shot: str) -> None:
    """The page's h1 is `heading`, at least `charts` plotly charts are drawn, and no exception box shows."""
    assert tab.locator("h1", has_text=heading).count() >= 1, f"no heading {heading!r}"
    exceptions = tab.locator("[data-testid='stException']")
    assert exceptions.count() == 0, f"exception on {heading}: {exceptions.first.inner_text()[:2000]}"
    if charts:
        tab.wait_for_selector("[data-testid='stPlotlyChart']", timeout=30_000)
    assert tab.locator("[data-testid='stPlotlyChart']").count() >= charts, heading
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


def slide_to_smallest(tab, label: str) -> None:
    """Move the slider labelled `label` to its smallest value (Home on the focused thumb), as a person would."""
    thumb = tab.locator("[data-testid='stSlider']", has_text=label).first.locator("input[type='range']")
    thumb.focus()
    thumb.press("Home")
    settle(tab)
    assert thumb.input_value() == thumb.get_attribute("min"), label


def type_number(tab, label: str, value: int) -> None:
    """Type `value` into the number input labelled `label` and confirm it with Enter."""
    box = tab.locator("[data-testid='stNumberInput']", has_text=label).first.locator("input")
    box.fill(str(value))
    box.press("Enter")
    settle(tab)
    assert box.input_value() == str(value), label


def sidebar_text(tab) -> str:
    return tab.locator("[data-testid='stSidebarUserContent']").inner_text()


def fail_an_upload(tab, shot: str) -> None:
    """Upload a broken file: the Data page and the sidebar name it as not loaded, the old table stays in use."""
    tab.get_by_text("Upload a file").click()
    settle(tab)
    tab.locator("input[type='file']").set_input_files(
        files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": b"only_one_column\n1\n2\n"}])
    settle(tab)
    tab.wait_for_selector("text=was not loaded", timeout=30_000)
    assert tab.get_by_text("Still in use:").count() == 1
    assert "broken.csv was not loaded" in sidebar_text(tab)  # on the same rerun, not one page later
    assert "german_credit.csv" in sidebar_text(tab)
    check(tab, "Data", 0, shot)
    tab.get_by_text("Bundled sample").click()
    settle(tab)
    assert "was not loaded" not in sidebar_text(tab)


def upload_a_table(tab, path: Path, target: str) -> None:
    """Upload the CSV at `path` as a person would and keep the guessed target: the sidebar names the file."""
    tab.get_by_text("Upload a file").click()
    settle(tab)
    tab.locator("input[type='file']").set_input_files(str(path))
    settle(tab)
    tab.wait_for_selector(f"text={path.name}", timeout=30_000)
    assert path.name in sidebar_text(tab) and "was not loaded" not in sidebar_text(tab)
    keep = tab.get_by_role("button", name=f"Keep '{target}' as the target")
    if keep.count():
        keep.click()
        settle(tab)


def summary_fits_one_screen(tab, shot: str) -> None:
    """The Report's Summary fits a 1400 x 900 projector screen: both charts end above the fold."""
    tab.set_viewport_size({"width": 1400, "height": 900})
    tab.wait_for_timeout(800)
    tab.evaluate("window.scrollTo(0, 0)")
    tab.locator("[data-testid='stMain']").evaluate("element => element.scrollTo(0, 0)")
    tab.wait_for_timeout(500)
    assert tab.get_by_text("Summary: ").count() == 1
    charts = tab.locator("[data-testid='stPlotlyChart']")
    bottoms = [charts.nth(i).bounding_box()["y"] + charts.nth(i).bounding_box()["height"] for i in range(2)]
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{shot}.png"))
    assert max(bottoms) <= 900, f"the Summary's charts end at {max(bottoms):.0f} px, below a 900 px screen"
    tab.set_viewport_size({"width": 1400, "height": 2600})
    tab.wait_for_timeout(500)


def test_walk_every_page_with_the_default_sample(page, small_credit_csv):
    """The first screen opens on the default sample (German credit); a broken upload leaves it in use. Then a person
    uploads the 300-row stratified sample of the same table (same columns) and walks every page and long job on it:
    every element the walk checks is drawn as on the whole sample, the race and the runs in a third of the time."""
    settle(page)
    check(page, "Data", 0, "1_data")
    assert page.get_by_text("german_credit.csv").count() >= 1
    fail_an_upload(page, "1b_data_failed_upload")
    upload_a_table(page, small_credit_csv, "credit_risk")
    open_page(page, "Imbalance analysis")
    check(page, "Imbalance analysis", 3, "2_analysis")
    open_page(page, "Method")
    check(page, "Method", 0, "3_method")
    assert page.get_by_text("Instant ranking:").count() == 1
    # the smallest race that still runs every step: 2 folds, and a 10 s budget (one repeat, CTGAN and TVAE left out)
    slide_to_smallest(page, "Folds")
    type_number(page, "Time budget for slow generators", 10)
    page.get_by_role("button", name="Measure on my data").click()  # the strategy race on the training part
    settle(page, 300_000)
    page.wait_for_selector("text=Measured on your training rows", timeout=300_000)
    check(page, "Method", 1, "3b_method_race")
    open_page(page, "Generation")
    check(page, "Generation", 0, "4_generation_form")
    page.get_by_role("button", name="Generate").click()
    settle(page)
    page.wait_for_selector("text=Synthetic rows", timeout=60_000)
    check(page, "Generation", 1, "5_generation_result")
    open_page(page, "Quality")
    check(page, "Quality", 4, "6_quality")
    open_page(page, "Coverage")
    check(page, "Coverage", 1, "7_coverage")
    open_page(page, "Duplicates & privacy")
    check(page, "Duplicates & privacy", 2, "8_privacy")
    open_page(page, "Comparison")
    check(page, "Comparison", 0, "9_comparison_form")
    slide_to_smallest(page, "Repeated splits")  # one split: the fast mode, every chart and table still drawn
    page.get_by_role("button", name="Run the comparison").click()
    settle(page)
    page.wait_for_selector("text=Metrics on the test rows", timeout=120_000)
    check(page, "Comparison", 6, "10_comparison_result")
    open_page(page, "Report")
    check(page, "Report", 2, "11_report")
    assert page.locator("h2", has_text="9. Limitations and residual risks").count() == 1
    # the zip and the HTML card are built when their button is clicked (not on every rerun): what a click downloads
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Everything (zip)").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert {"config.json", "model_card.md", "model_card.html", "summary.html", "results.json",
                "synthetic.csv"} <= set(archive.namelist())
        assert "9. Limitations and residual risks" in archive.read("model_card.html").decode()
    summary_fits_one_screen(page, "11b_report_summary_1400x900")
    open_page(page, "Compare generators")
    check(page, "Compare generators", 0, "12_leaderboard_form")


def test_monitor_reaches_a_verdict(page, tmp_path):
    """After the walk (a run exists in the session): a shifted batch on the Monitor page gives a re-run verdict."""
    import pandas as pd
    batch = pd.read_csv(ROOT / "sample_data" / "german_credit.csv").sample(300, random_state=0)
    batch.assign(age=batch["age"] + 25).to_csv(tmp_path / "new_batch.csv", index=False)
    open_page(page, "Monitor")
    check(page, "Monitor", 0, "13_monitor_form")
    page.locator("input[type='file']").first.set_input_files(str(tmp_path / "new_batch.csv"))
    settle(page)
    page.get_by_role("button", name="Check drift").click()
    settle(page)
    page.wait_for_selector("text='new_batch.csv': re-run", timeout=120_000)
    check(page, "Monitor", 1, "14_monitor_result")
@pytest.mark.skipif(not os.environ.get("SYNTHBALANCE_ALL_SAMPLES"),
                    reason="long screenshot walk over every sample: set SYNTHBALANCE_ALL_SAMPLES=1")
@pytest.mark.parametrize("sample", ["German credit", "Hypothyroid", "Abalone 19"])
def test_charts_on_every_sample(server, sample):
    """Screenshots of every chart the UI review named, on each sample, for a person to look at."""
    from playwright.sync_api import sync_playwright
    name = sample.split()[0].lower()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 2600})
        tab.goto(server)
        settle(tab)
        tab.locator("[data-testid='stSelectbox']").first.click()
        tab.get_by_role("option", name=sample).first.click()
        settle(tab)
        open_page(tab, "Imbalance analysis")
        check(tab, "Imbalance analysis", 2, f"{name}_analysis")
        open_page(tab, "Method")
        check(tab, "Method", 0, f"{name}_method")
        open_page(tab, "Generation")
        tab.get_by_role("button", name="Generate").click()
        settle(tab)
        tab.wait_for_selector("text=Synthetic rows", timeout=120_000)
        check(tab, "Generation", 1, f"{name}_generation")
        open_page(tab, "Quality")
        check(tab, "Quality", 4, f"{name}_quality")
        open_page(tab, "Comparison")
        tab.get_by_role("button", name="Run the comparison").click()
        settle(tab, 300_000)
        check(tab, "Comparison", 6, f"{name}_comparison")
        open_page(tab, "Compare generators")
        tab.get_by_role("button", name="Run the comparison of generators").click()
        settle(tab, 600_000)
        check(tab, "Compare generators", 1, f"{name}_leaderboard")
        open_page(tab, "Report")
        check(tab, "Report", 2, f"{name}_report")
        summary_fits_one_screen(tab, f"{name}_summary_1400x900")
        browser.close()
