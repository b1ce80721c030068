"""Audit the built book's pages: Lighthouse scores and page weight, axe-core violations.

Used by ``tests/site/test_page_audit.py`` and by hand, to measure what a change buys::

    python scripts/page_audit.py _build/html                    # Lighthouse on every chapter
    python scripts/page_audit.py _build/html --pages book/intro.html book/09_backpropagation.html
    python scripts/page_audit.py _build/html --axe              # axe-core on every page

Lighthouse reads the site as a host serves it: compressed, by ``serve`` (Vercel's static
server, pinned in ``package-lock.json``; GitHub Pages and Read the Docs compress pages too) on
127.0.0.1; axe-core reads it from Python's plain ``http.server``. Lighthouse (pinned in
``package-lock.json``, run from ``node_modules``) drives
Chromium (``$CHROMIUM`` or ``/usr/bin/chromium``); with ``--desktop-only`` or ``--mobile-only``
one preset runs, else both. Reports land in ``test-artifacts/lighthouse/`` (JSON and HTML) with
a ``summary.json`` of the figures.
"""

import argparse
import contextlib
import functools
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
SERVE = ROOT / "node_modules" / ".bin" / "serve"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "test-artifacts" / "lighthouse"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# The goals (issue 13): the lowest score each category may have, per preset.
GOALS = {
    "desktop": {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 95},
    "mobile": {"performance": 70, "accessibility": 100, "best-practices": 100, "seo": 95},
}
# What Lighthouse and axe call failing, whatever the preset: impacts axe must never report.
AXE_FORBIDDEN = ("serious", "critical")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def served(folder):
    """Serve ``folder`` on 127.0.0.1 while the block runs; yield its URL (ending in ``/``)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served_compressed(folder, wait=30):
    """Serve ``folder`` compressed (gzip), as a host would, while the block runs; yield its URL.

    ``cleanUrls`` is off so that ``page.html`` is served as itself, not redirected to ``page``.
    """
    if not SERVE.exists():
        raise FileNotFoundError(f"{SERVE} is missing: run `npm ci` (make assets)")
    port = _free_port()
    with tempfile.TemporaryDirectory() as config_folder:
        config = Path(config_folder) / "serve.json"
        config.write_text(json.dumps({"cleanUrls": False}))
        command = [str(SERVE), str(folder), "--listen", f"tcp://127.0.0.1:{port}"]
        command += ["--config", str(config), "--no-clipboard", "--no-request-logging"]
        command += ["--no-port-switching"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + wait
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not start: {server.stderr.read().decode()}")
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}/"
        finally:
            server.terminate()
            server.wait(timeout=10)


def lighthouse(url, preset, output, timeout=240):
    """Run Lighthouse on ``url`` with ``preset`` (``desktop`` or ``mobile``); return a summary.

    ``output`` is the report's path without extension; ``.report.json`` and ``.report.html``
    are written next to it.
    """
    if not LIGHTHOUSE.exists():
        raise FileNotFoundError(f"{LIGHTHOUSE} is missing: run `npm ci` (make assets)")
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        "--output=html",
        f"--output-path={output}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        f"--only-categories={','.join(CATEGORIES)}",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    elif preset != "mobile":
        raise ValueError(f"preset must be 'desktop' or 'mobile', got {preset!r}")
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    report_path = Path(f"{output}.report.json")
    # On a busy machine Chromium's DevTools protocol sometimes answers too late and Lighthouse
    # gives up on the run (a "runtime error", not a score): such a run is tried once more.
    for _ in range(2):
        report_path.unlink(missing_ok=True)
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        if result.returncode == 0 and report_path.exists():
            return summarize(json.loads(report_path.read_text()), preset)
    raise RuntimeError(f"lighthouse failed on {url} ({preset}):\n{result.stderr[-3000:]}")


def summarize(report, preset):
    """The figures a reader of the audit wants from one Lighthouse report."""
    audits = report["audits"]
    requests = audits["network-requests"]["details"]["items"]
    scores = {
        name: None
        if report["categories"][name]["score"] is None
        else round(100 * report["categories"][name]["score"])
        for name in CATEGORIES
    }
    failed = {
        name: [
            ref["id"]
            for ref in report["categories"][name]["auditRefs"]
            if ref.get("weight")
            and audits[ref["id"]].get("score") is not None
            and audits[ref["id"]]["score"] < 1
            and audits[ref["id"]].get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
        ]
        for name in CATEGORIES
        if name != "performance"
    }
    metric = lambda key: audits[key].get("numericValue")  # noqa: E731
    return {
        "preset": preset,
        "url": report["finalDisplayedUrl"],
        "scores": scores,
        "bytes": audits["total-byte-weight"]["numericValue"],
        "requests": len(requests),
        "fcp_ms": metric("first-contentful-paint"),
        "lcp_ms": metric("largest-contentful-paint"),
        "tbt_ms": metric("total-blocking-time"),
        "cls": metric("cumulative-layout-shift"),
        "si_ms": metric("speed-index"),
        "failed_audits": failed,
        "runtime_error": (report.get("runtimeError") or {}).get("message"),
    }


def below_goals(summary):
    """The categories of one summary that miss the goals, as readable strings."""
    goals = GOALS[summary["preset"]]
    return [
        f"{name} {summary['scores'][name]} < {goal}"
        for name, goal in goals.items()
        if summary["scores"][name] is None or summary["scores"][name] < goal
    ]


AXE_RUN = """async (source) => {
  if (!window.axe) {
    const script = document.createElement("script");
    script.textContent = source;
    document.head.appendChild(script);
  }
  const result = await window.axe.run(document, {
    resultTypes: ["violations"],
  });
  return result.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) => node.target.join(" ")).slice(0, 8),
    count: violation.nodes.length,
  }));
}"""


def axe_violations(page):
    """axe-core's violations on an open Playwright page (its impacts, rules and nodes)."""
    return page.evaluate(AXE_RUN, AXE.read_text())


def chapter_pages(html):
    """Every chapter page of a built book (the intro first), as paths relative to ``html``."""
    pages = sorted(path.relative_to(html).as_posix() for path in (html / "book").glob("*.html"))
    pages.sort(key=lambda page: page != "book/intro.html")
    return pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("--pages", nargs="*", help="pages relative to the site root")
    parser.add_argument("--desktop-only", action="store_true")
    parser.add_argument("--mobile-only", action="store_true")
    parser.add_argument("--axe", action="store_true", help="run axe-core instead of Lighthouse")
    parser.add_argument("--label", default="audit", help="a name for this run's reports")
    args = parser.parse_args(argv)
    pages = args.pages or chapter_pages(args.html)
    presets = ["desktop"] * (not args.mobile_only) + ["mobile"] * (not args.desktop_only)
    out = REPORTS / args.label
    with (served if args.axe else served_compressed)(args.html) as url:
        if args.axe:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                for page_path in pages:
                    page = browser.new_page()
                    page.goto(url + page_path, wait_until="load")
                    page.wait_for_timeout(1500)
                    found = axe_violations(page)
                    print(page_path)
                    for violation in found:
                        print(
                            f"  {violation['impact']:>8} {violation['id']} x{violation['count']}"
                            f": {violation['nodes'][:3]}"
                        )
                    page.close()
                browser.close()
            return 0
        summaries = []
        for page_path in pages:
            for preset in presets:
                name = f"{Path(page_path).stem}-{preset}"
                summary = lighthouse(url + page_path, preset, out / name)
                summary["page"] = page_path
                summaries.append(summary)
                scores = summary["scores"]
                print(
                    f"{page_path:42} {preset:7} perf {scores['performance']:>3} "
                    f"a11y {scores['accessibility']:>3} bp {scores['best-practices']:>3} "
                    f"seo {scores['seo']:>3}  {summary['bytes'] / 1e6:5.2f} MB "
                    f"{summary['requests']:3} req  LCP {summary['lcp_ms'] / 1000:5.1f} s "
                    f"TBT {summary['tbt_ms']:6.0f} ms CLS {summary['cls']:.3f}  "
                    f"{summary['failed_audits']}",
                    flush=True,
                )
    (out / "summary.json").write_text(json.dumps(summaries, indent=2) + "\n")
    table = score_table(summaries)
    (out / "summary.md").write_text(table)
    print(table)
    return 0


def score_table(summaries):
    """A Markdown table of the performance scores: one row per page, one column per preset."""
    presets = sorted({summary["preset"] for summary in summaries})
    rows = {}
    for summary in summaries:
        rows.setdefault(summary["page"], {})[summary["preset"]] = summary["scores"]["performance"]
    lines = [
        "| page | " + " | ".join(f"{preset} performance" for preset in presets) + " |",
        "| --- |" + " --- |" * len(presets),
    ]
    for page, scores in rows.items():
        cells = " | ".join(str(scores.get(preset, "")) for preset in presets)
        lines.append(f"| {page} | {cells} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
