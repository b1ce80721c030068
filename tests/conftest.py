"""Shared fixtures: one strict build of the whole book per test session, and a browser.

The build (``scripts/build_book.py``, as ``make book`` runs it) executes every notebook in a
fresh kernel, in parallel, and fails on any cell error or Sphinx warning. Tests of a chapter's
numbers read the executed copies in ``_build/jupyter_execute``, so each notebook runs once per
session, not once per test (and once for all pytest-xdist workers).

Browser tests use ``site_url`` (the built HTML served on 127.0.0.1) and ``offline_page``: a
Chromium page that refuses every request leaving the machine and records refused requests,
failed loads and console errors.
"""

import contextlib
import fcntl
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# One BLAS thread for the tests and every kernel they start, as in the build
# (scripts/build_book.py): the book's matrices are small, and pytest-xdist keeps both cores busy.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from resources.nnfs_numpy import numpy_functions, restore_numpy_functions  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SITE_ASSETS = ROOT / "site-assets"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


# nnfs.init() changes NumPy for the whole process (float32 defaults, a float64 np.dot) and wraps
# the functions once more on every call. Tests that call it would leak that into later tests,
# so every test ends by putting NumPy's own functions back.
NUMPY_FUNCTIONS = numpy_functions()


@pytest.fixture(autouse=True)
def numpy_functions_restored():
    yield
    restore_numpy_functions(NUMPY_FUNCTIONS)


def _ensure_site_assets():
    """The site's own MathJax and widget scripts (``make assets``), made if missing."""
    if (SITE_ASSETS / "vendor" / "VERSIONS.json").exists():
        return
    if not (ROOT / "node_modules").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=ROOT, check=True
        )
    subprocess.run([sys.executable, str(ROOT / "scripts" / "site_assets.py")], check=True)


def copy_sources(destination):
    """Copy the repository to ``destination``, without builds, caches or installed packages."""
    ignore = shutil.ignore_patterns(
        "_build",
        ".git",
        "node_modules",
        ".venv",
        "venv",
        "test-artifacts",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        "*.egg-info",
        ".ipynb_checkpoints",
        "site-assets",
    )
    shutil.copytree(ROOT, destination, ignore=ignore)
    for folder in ("node_modules", "site-assets"):
        if (ROOT / folder).exists():
            (destination / folder).symlink_to(ROOT / folder)


def _build_copy(folder):
    """Copy the repository into ``folder/src`` and build it strictly; return (source, log, ok)."""
    _ensure_site_assets()
    source = folder / "src"
    copy_sources(source)
    env = dict(os.environ, PYTHONPATH=str(source))
    command = [sys.executable, str(source / "scripts" / "build_book.py"), "--source", str(source)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=source, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    log = result.stdout + result.stderr + f"\n[the strict build took {seconds:.1f} s]\n"
    return source, log, result.returncode == 0


def _session_folder(tmp_path_factory, worker_id):
    """The temporary folder every pytest-xdist worker of this session shares."""
    shared = tmp_path_factory.getbasetemp()
    return shared.parent if worker_id != "master" else shared


# -- measurements that need the machine to themselves -----------------------------------------
# Lighthouse scores a page by how long the browser's main thread is busy, so a test executing a
# notebook on the other core lowers them. Every test holds a shared lock on the session's
# quiet.lock while it runs; ``machine_to_ourselves`` announces itself (quiet.wanted), lets the
# tests already running finish, and holds the lock exclusively; new tests wait for it.


@pytest.fixture(autouse=True)
def _share_the_machine(tmp_path_factory, worker_id):
    if worker_id == "master":
        yield
        return
    shared = _session_folder(tmp_path_factory, worker_id)
    while (shared / "quiet.wanted").exists():
        time.sleep(0.2)
    with open(shared / "quiet.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        yield


@pytest.fixture(scope="session")
def machine_to_ourselves(tmp_path_factory, worker_id):
    """A context manager: while it is open, no other test of this session runs."""

    @contextlib.contextmanager
    def alone():
        if worker_id == "master":
            yield
            return
        shared = _session_folder(tmp_path_factory, worker_id)
        wanted = shared / "quiet.wanted"
        wanted.touch()
        try:
            with open(shared / "quiet.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                yield
        finally:
            wanted.unlink(missing_ok=True)

    return alone


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, worker_id):
    """Build a copy of the book strictly, once per session; return the folder that holds ``_build``.

    Under pytest-xdist every worker asks for it: the first one builds while holding a file lock
    in the session's shared temporary folder, the others wait for it and use the same build.
    ``BUILT_BOOK=/path/to/book`` (a folder whose ``_build`` a strict build just made, e.g. the
    repository after ``make html``) skips the build, for working on the tests that read it.
    """
    if os.environ.get("BUILT_BOOK"):
        return Path(os.environ["BUILT_BOOK"]).resolve()
    shared = _session_folder(tmp_path_factory, worker_id)
    folder = shared / "book"
    folder.mkdir(exist_ok=True)
    with open(shared / "book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        outcome = folder / "outcome.json"
        if not outcome.exists():
            source, log, ok = _build_copy(folder)
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / "build.log").write_text(log)
            outcome.write_text(json.dumps({"source": str(source), "ok": ok, "tail": log[-6000:]}))
        result = json.loads(outcome.read_text())
    if not result["ok"]:
        pytest.fail(f"the strict book build failed:\n{result['tail']}")
    return Path(result["source"])


@pytest.fixture(scope="session")
def worker_id(request):
    """pytest-xdist's name of this worker (``gw0``...), or ``master`` without xdist."""
    return getattr(request.config, "workerinput", {}).get("workerid", "master")


@pytest.fixture(scope="session")
def executed(request):
    """``executed("09_backpropagation")`` returns that chapter as the build executed it.

    For working on one chapter, ``EXECUTE_ONLY=1 pytest tests/chapters/test_chapter14.py``
    skips the whole-book build and executes just the notebooks the tests ask for, in a fresh
    kernel each (the full run, without the variable, is what CI does).
    """
    from tests.notebooks import execute_alone, load_executed

    if os.environ.get("EXECUTE_ONLY"):
        return functools.cache(execute_alone)
    built_book = request.getfixturevalue("built_book")
    return lambda name: load_executed(built_book, name)


# -- the built site in a real browser -------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def served(folder):
    """Serve ``folder`` over HTTP on 127.0.0.1 while the block runs; yield its URL (ends in /)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def harness_page(browser, folder, ready="window.rendered === true"):
    """``folder/index.html`` (a widget in a stand-in page) in Chromium, once ``ready`` holds.

    ``page.errors`` collects uncaught errors and console errors; on leaving the block there
    must be none.
    """
    favicon = folder / "favicon.ico"  # else the browser's request for it logs a 404 error
    if not favicon.exists():
        favicon.write_bytes(b"")
    with served(folder) as url:
        page = browser.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(f"uncaught: {error}"))
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}index.html")
        page.wait_for_function(ready, timeout=30_000)
        yield page
        page.close()
    assert page.errors == []


@pytest.fixture(scope="session")
def site_url(built_book):
    """The built HTML book served over HTTP on 127.0.0.1; the URL of its root, ending in ``/``."""
    with served(built_book / "_build" / "html") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's ``/usr/bin/chromium``, or ``$CHROMIUM``) via Playwright.

    Every browser test shares this one: Playwright's synchronous API cannot be started a second
    time while it runs, so no test module starts its own.
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageLog:
    """What went wrong while a page loaded: refused requests, failed loads, console errors."""

    def __init__(self):
        self.refused = []
        self.failed = []
        self.errors = []

    def problems(self):
        return (
            [f"refused request to {url}" for url in self.refused]
            + [f"failed load {entry}" for entry in self.failed]
            + [f"console error: {text}" for text in self.errors]
        )


def _is_loopback(url):
    return urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}


def open_offline_page(browser, **context_options):
    """A new page, in a context of its own, that may only talk to 127.0.0.1.

    ``page.log`` (a ``PageLog``) records refused requests, failed loads and console errors.
    Close it with ``page.context.close()``.
    """
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_options})
    page = context.new_page()
    log = PageLog()

    def route(request_route):
        url = request_route.request.url
        if _is_loopback(url):
            request_route.continue_()
        else:
            log.refused.append(url)
            request_route.abort("blockedbyclient")

    def on_response(response):
        if response.status >= 400:
            log.failed.append(f"{response.status} {response.url}")

    def on_console(message):
        if message.type == "error":
            where = message.location.get("url", "")
            log.errors.append(f"{message.text} ({where})" if where else message.text)

    page.route("**/*", route)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: log.errors.append(f"uncaught: {error}"))
    page.log = log
    return page


@pytest.fixture
def offline_page(browser, site_url):
    """A fresh ``open_offline_page`` for one test."""
    page = open_offline_page(browser)
    yield page
    page.context.close()
