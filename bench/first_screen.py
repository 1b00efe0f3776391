"""Seconds from `python serve.py` (what `make run` starts: `streamlit run app.py` with the first page's libraries
imported) answering /_stcore/health to the Data page drawn and idle in headless
Chromium (goal: under 3 s), and whether umap / torch / ctgan were imported by then (they must not be).

python bench/first_screen.py   (needs Debian's /usr/bin/chromium and the playwright package)
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import loud_warnings  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    from playwright.sync_api import sync_playwright
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "serve.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1"], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.1)
        up = time.perf_counter() - started
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page()
            ready = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("h1:has-text('Data')", timeout=60_000)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
            first_screen = time.perf_counter() - ready
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    print("| server up (s) | first screen after health (s) | goal |")
    print("|---:|---:|---|")
    print(f"| {up:.1f} | {first_screen:.2f} | < 3 s |")


if __name__ == "__main__":
    with loud_warnings():
        main()
