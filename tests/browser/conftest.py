"""Browser tests: the real app served by ``streamlit run``, driven by Playwright in Debian's headless Chromium.

One app process per store and one browser per session; every test gets a fresh page. ``open_page`` navigates and
waits until Streamlit has finished running the page's script and the browser has drawn what it sent.

Every test that uses ``page`` fails when, by the end of the test, the browser logged a console error or an uncaught
exception, or the page shows a Streamlit exception box (see ``pytest_runtest_call``). ``save_screenshot`` writes
full-page screenshots under ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]
APT_TIMEOUT_S = 600
STARTUP_TIMEOUT_S = 60
# Generous: on a busy two-core machine a cold page (imports, first queries, lazy front-end chunks) takes a while.
PAGE_TIMEOUT_MS = 90_000
EXPECT_TIMEOUT_MS = 30_000

# Each page's own title (its ``st.title``), by URL path.
PAGE_TITLES = {
    "/": "Sprint overview",
    "/sprint_flow": "Sprint progress and flow",
    "/hypotheses": "Hypotheses",
    "/metrics": "Model metrics",
    "/bias": "Bias checks",
    "/runs": "Experiment runs",
    "/data_sources": "Data sources",
    "/retro": "Retro",
    "/glossary": "Glossary",
}

# Console errors that do not fail a test: (the URL the message is about, the message, why it is allowed). Each is a
# failed request the browser logs on its own, not an error of the app's code.
ALLOWED_CONSOLE_ERRORS: list[tuple[re.Pattern[str], re.Pattern[str], str]] = [
    (re.compile(r"^http://127\.0\.0\.1:\d+/[^/?#]+/_stcore/(health|host-config)$"),
     re.compile(r"status of 404"),
     "Streamlit's front end, opened at a page's path, first tries that path as the app's base URL and then its "
     "parent (streamlit/streamlit#7074); the first try is always a 404 and the app cannot change it."),
]

# True once Streamlit has run the script to the end and the browser has drawn all of it: connected, not running,
# no "Running..." indicator, no element left over from an earlier run (stale) or still waiting for its front-end
# code (a skeleton), and the main area unchanged since the previous poll at least SETTLE_MS ago.
SETTLE_MS = 200
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
    const last = window.__sprintboardSettle;
    if (!last || last.size !== size) {
        window.__sprintboardSettle = {size: size, since: now};
        return false;
    }
    return done && now - last.since >= settleMs;
}"""


def _install_chromium() -> str:
    """Try once to install Debian's chromium; an empty string on success, else why it failed."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, so apt-get cannot install it"
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        return "apt-get is not available"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        result = subprocess.run([apt_get, "install", "-y", "-qq", "chromium"], env=env, capture_output=True,
                                text=True, timeout=APT_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return f"apt-get install -y chromium did not finish within {APT_TIMEOUT_S} s"
    except OSError as error:
        return f"apt-get could not run ({error})"
    if result.returncode != 0:
        last = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1]
        return f"apt-get install -y chromium exited with {result.returncode} ({last})"
    return "" if CHROMIUM.exists() else f"apt-get install -y chromium succeeded but installed no {CHROMIUM}"


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium, installed with apt-get (once, as root) when missing; the session skips without it."""
    if not CHROMIUM.exists():
        problem = _install_chromium()
        if problem:
            pytest.skip(f"Debian chromium not found at {CHROMIUM} and could not be installed: {problem}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_context(chromium_path: Path):
    """One headless Chromium for the whole session, with one context so that the app's front-end code is fetched
    once and then cached."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, reduced_motion="reduce")
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            yield context
        finally:
            browser.close()
    finally:
        playwright.stop()


PAGE = pytest.StashKey[object]()
BROWSER_ERRORS = pytest.StashKey[list[str]]()


def record_browser_errors(page, errors: list[str]) -> None:
    """Append to ``errors`` every console message of type error (unless allowed, see ``ALLOWED_CONSOLE_ERRORS``) and
    every uncaught exception on ``page``, each as one line that says where it came from."""

    def on_console(message) -> None:
        if message.type != "error":
            return
        where = message.location.get("url") or ""
        if any(url.search(where) and text.search(message.text) for url, text, _why in ALLOWED_CONSOLE_ERRORS):
            return
        errors.append(f"console error at {where or '?'}:{message.location.get('lineNumber', '?')}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught {error.name}: {error.message}"))


@pytest.fixture
def page(browser_context, request: pytest.FixtureRequest):
    """A fresh page for each test (each page load is a new Streamlit session, so no widget state is shared), watched
    for console errors, uncaught exceptions and exception boxes (``pytest_runtest_call`` checks them)."""
    fresh = browser_context.new_page()
    request.node.stash[BROWSER_ERRORS] = errors = []
    record_browser_errors(fresh, errors)
    request.node.stash[PAGE] = fresh
    try:
        yield fresh
    finally:
        fresh.close()


def browser_problems(page, errors: list[str]) -> list[str]:
    """What went wrong on ``page``: the recorded ``errors`` and the text of every Streamlit exception box."""
    if not page.is_closed():
        # Lets Playwright deliver the events the browser has already sent, so a late error is not missed.
        page.wait_for_timeout(100)
        boxes = page.locator('[data-testid="stException"]').all_inner_texts()
        errors = [*errors, *(f"Streamlit exception box: {' '.join(box.split())}" for box in boxes)]
    return errors


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After a test that passed with a ``page``: fail it when the browser logged errors or showed an exception box.

    A wrapper around the test's own call, so the failure is the test's (with every message), not a teardown error.
    """
    result = yield
    page = item.stash.get(PAGE, None)
    if page is not None:
        problems = browser_problems(page, item.stash[BROWSER_ERRORS])
        if problems:
            pytest.fail("the browser reported problems:\n" + "\n".join(f"- {line}" for line in problems),
                        pytrace=False)
    return result


def save_screenshot(page, name: str) -> Path:
    """Save a screenshot of the whole of ``page`` (not only the part in the window) as ``tests/artifacts/<name>.png``.

    Streamlit scrolls its main area inside the window rather than the document, which a full-page screenshot does not
    follow; so the window is made as tall as the main area's content for the shot, and then restored.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return Math.max(document.documentElement.scrollHeight, main ? main.scrollHeight : 0);
    }""")
    try:
        if height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": height})
        page.screenshot(path=path, full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(size)
    return path


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


def _log_tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def copy_store(source: Path, folder: Path) -> Path:
    """A copy of the store ``source`` in ``folder`` (which must be private: the app may migrate the copy there)."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "store.duckdb"
    shutil.copyfile(source, copy)
    return copy


@contextmanager
def _serve(store: Path) -> Iterator[str]:
    """Run ``streamlit run app.py`` on ``store`` at a free local port; yields the base URL, stops the app after."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = store.with_name("streamlit.log")
    env = {**os.environ, "SPRINTBOARD_DB": str(store), "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(log, "w") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode} before answering:\n{_log_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer {url}/_stcore/health in {STARTUP_TIMEOUT_S} s:\n"
                            f"{_log_tail(log)}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def start_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """``start_app(source, prepare=None)``: serve the app on a private copy of the store ``source`` (after
    ``prepare(copy)``, if given, has changed the copy); returns the base URL. Every app stops at the session's end."""
    with ExitStack() as running:

        def start(source: Path, prepare: Callable[[Path], None] | None = None) -> str:
            store = copy_store(source, tmp_path_factory.mktemp("browser_store"))
            if prepare is not None:
                prepare(store)
            return running.enter_context(_serve(store))

        yield start


@pytest.fixture(scope="session")
def app_url(demo_build: dict, start_app: Callable[..., str]) -> str:
    """The app on a private copy of the demo store (the shared one is never opened by the app)."""
    return start_app(demo_build["db"])


def title_of(address: str) -> str:
    """The title the page at ``address`` (a path and query, or a whole URL) shows."""
    path = urlsplit(address).path.rstrip("/") or "/"
    return PAGE_TITLES[path]


# Text the browser cuts short with an ellipsis because its box is narrower than the text: button labels, metric
# labels and values, captions in a row (Streamlit sets ``text-overflow: ellipsis`` on these, and only on one line).
CUT_TEXT = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"]'))
    .filter((text) => getComputedStyle(text).textOverflow === 'ellipsis' && text.scrollWidth > text.clientWidth)
    .map((text) => text.innerText.trim())"""


def cut_short_text(page) -> list[str]:
    """The texts in ``page``'s main area that show only their beginning and "…" (labels of buttons and metrics)."""
    return page.evaluate(CUT_TEXT)


def wait_until_drawn(page) -> None:
    """Wait until Streamlit has run the page's script to the end and the browser has drawn it (``SCRIPT_DONE``)."""
    page.wait_for_selector('[data-testid="stApp"]', state="attached")
    page.evaluate("delete window.__sprintboardSettle")
    page.wait_for_function(SCRIPT_DONE, arg=SETTLE_MS, polling=100)


def wait_for_script(page, title: str) -> None:
    """Wait until Streamlit has run the page's script to the end, the browser has drawn it, and the page's
    ``title`` is visible."""
    from playwright.sync_api import expect

    wait_until_drawn(page)
    heading = page.locator("h1").filter(has_text=re.compile(rf"^\s*{re.escape(title)}\s*$"))
    expect(heading).to_be_visible()


@pytest.fixture
def open_page(page, request: pytest.FixtureRequest) -> Callable[..., object]:
    """``open_page(path_and_query, app=None, title=None)``: the test's page at that address of the app (the demo
    app unless another base URL is given; a whole URL is opened as it is), once its script has finished; returns
    the Playwright page."""

    def open_(path_and_query: str, app: str | None = None, title: str | None = None):
        if "://" in path_and_query:
            url = path_and_query
        else:
            url = (app or request.getfixturevalue("app_url")) + path_and_query
        page.goto(url)
        wait_for_script(page, title or title_of(url))
        return page

    return open_


