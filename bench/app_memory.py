"""Peak memory of the app process while it serves the pages to a browser.

``streamlit run app.py`` is started on the store as a process of its own (headless, no file watcher), and a
headless Chromium (``/usr/bin/chromium``, driven by Playwright) opens each page view in turn, in a fresh browser
page (a new Streamlit session), and waits until the script has finished and the page is drawn. Memory is the
server process's resident set size from ``/proc/<pid>/status``:

* **idle**: ``VmRSS`` once the server answers its health check, before any page;
* **per view**: ``VmHWM`` (the peak) while the view loads -- the peak is reset (``clear_refs``) before each view
  where the kernel allows it, so this is the view's own peak on top of what earlier views left (caches, DuckDB's
  buffer pool); where it does not, it is the peak so far;
* **peak**: ``VmHWM`` over the whole visit.

Also the seconds from navigation until the page is drawn (``browser s``), for orientation: it includes the
browser's work and the first visit's front-end downloads.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.page_timing import REPO, VIEWS, PageView

CHROMIUM = Path("/usr/bin/chromium")
STARTUP_SECONDS = 120
PAGE_TIMEOUT_MS = 300_000
# The script has run to its end and the browser has drawn everything it sent, unchanged for SETTLE_MS.
SETTLE_MS = 300
SCRIPT_DONE = """(settleMs) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMain"]');
    const done = app !== null && main !== null
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('[data-testid="stStatusWidgetRunningIcon"]') === null
        && document.querySelector('[data-stale="true"]') === null
        && main.querySelector('[data-testid="stSkeleton"]') === null;
    const size = done ? main.getElementsByTagName('*').length : -1;
    const now = performance.now();
    const last = window.__benchSettle;
    if (!last || last.size !== size) {
        window.__benchSettle = {size: size, since: now};
        return false;
    }
    return done && now - last.since >= settleMs;
}"""


def rss_kb(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of process ``pid``, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def reset_peak(pid: int) -> bool:
    """Reset ``VmHWM`` of ``pid`` to its current RSS (Linux 4.0+); ``False`` where that is not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _start_app(store: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SPRINTBOARD_DB": str(store)}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(log, "w") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"streamlit did not start on {store}:\n{tail}")
        time.sleep(0.2)
    return process, url


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def measure(store: Path, views: tuple[PageView, ...] = VIEWS) -> dict:
    """``idle_kb``, ``peak_kb``, ``peak_reset`` (whether per-view peaks are the view's own) and per view URL its
    ``peak_kb``, ``rss_kb`` after it, ``seconds`` and ``problems`` (exception boxes the page shows)."""
    from playwright.sync_api import sync_playwright

    log = store.with_name(store.name + ".streamlit.log")
    process, url = _start_app(store, log)
    try:
        idle = rss_kb(process.pid)["VmRSS"]
        resettable = True
        per_view: dict[str, dict] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.set_default_timeout(PAGE_TIMEOUT_MS)
                for view in views:
                    resettable = reset_peak(process.pid) and resettable
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(url + view.url)
                    page.wait_for_selector('[data-testid="stApp"]', state="attached")
                    page.wait_for_function(SCRIPT_DONE, arg=SETTLE_MS, polling=100)
                    seconds = time.perf_counter() - started
                    problems = page.locator('[data-testid="stException"]').all_inner_texts()
                    page.close()
                    memory = rss_kb(process.pid)
                    per_view[view.url] = {"peak_kb": memory["VmHWM"], "rss_kb": memory["VmRSS"],
                                          "seconds": seconds, "problems": problems}
            finally:
                browser.close()
        # With resets, the overall peak is the highest view peak (or what came after the last view); without, VmHWM.
        peak = max([rss_kb(process.pid)["VmHWM"], *(figures["peak_kb"] for figures in per_view.values())])
    finally:
        _stop(process)
    return {"idle_kb": idle, "peak_kb": peak, "peak_reset": resettable, "views": per_view}
