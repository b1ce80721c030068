"""The built pages' launch and download buttons point at things that exist.

Every chapter page has a Binder launch button that opens that chapter's notebook in JupyterLab
on mybinder.org, built from the repository named once in ``_config.yml`` (``repository.url``),
and download buttons whose targets are files of the built site. Live code on the page (Thebe)
stays off (see the report in the intro), so a page makes no request to a CDN for it.
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))


class _Links(HTMLParser):
    """Collect ``<a>`` tags (attributes and text) and ``<script src>`` values."""

    def __init__(self):
        super().__init__()
        self.anchors = []
        self.scripts = []
        self.buttons = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "a":
            self._open = dict(attrs, text="")
            self.anchors.append(self._open)
        elif tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag == "button":
            self.buttons.append(attrs)

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data


def _parse(path):
    parser = _Links()
    parser.feed(path.read_text())
    return parser


def _config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


@pytest.fixture(scope="module")
def html(built_book):
    return Path(built_book) / "_build" / "html"


def _page(html, stem):
    page = html / "book" / f"{stem}.html"
    assert page.is_file(), f"the build has no page for {stem}"
    return page


def test_the_repository_is_named_in_one_place():
    config = _config()
    url = config["repository"]["url"]
    assert url.startswith("https://github.com/"), "Binder's gh provider needs a GitHub URL"
    assert (ROOT / "_config.yml").read_text().count(url) == 1
    # Nothing else in the configuration repeats it (a fork changes one line).
    assert "repository_url" not in json.dumps(config.get("sphinx", {}))
    launch = config["launch_buttons"]
    assert launch["binderhub_url"].rstrip("/") == "https://mybinder.org"
    assert launch["notebook_interface"] == "jupyterlab"


@pytest.mark.parametrize("stem", CHAPTERS)
def test_binder_button_opens_this_chapter_in_jupyterlab(html, stem):
    config = _config()
    owner, name = urlsplit(config["repository"]["url"]).path.strip("/").split("/")[:2]
    branch = config["repository"].get("branch", "main")
    book_path = (config["repository"].get("path_to_book") or "").strip("/")
    links = [a for a in _parse(_page(html, stem)).anchors if "mybinder.org" in a.get("href", "")]
    assert len(links) == 1, f"{stem}: expected one Binder launch link, found {len(links)}"
    url = urlsplit(links[0]["href"])
    assert (url.scheme, url.netloc) == ("https", "mybinder.org")
    assert url.path == f"/v2/gh/{owner}/{name}/{branch}", f"{stem}: {links[0]['href']}"
    urlpath = parse_qs(url.query)["urlpath"]
    assert len(urlpath) == 1
    interface, _, notebook = unquote(urlpath[0]).partition("/tree/")
    assert interface == "lab", f"{stem}: Binder should open JupyterLab, not {interface!r}"
    expected = "/".join(p for p in (book_path, "book", f"{stem}.ipynb") if p)
    assert notebook == expected, f"{stem}: Binder would open {notebook!r}"
    assert (ROOT / notebook).is_file(), f"{notebook} is not in the repository"


def _download_links(page):
    return [
        a
        for a in _parse(page).anchors
        if "btn-download" in a.get("class", "") and not a.get("href", "").startswith("#")
    ]


@pytest.mark.parametrize("stem", CHAPTERS)
def test_download_buttons_target_files_of_the_build(html, stem):
    page = _page(html, stem)
    links = _download_links(page)
    assert links, f"{stem}: the page has no download button"
    page_url = page.relative_to(html).as_posix()
    targets = []
    for link in links:
        href = link["href"]
        assert "://" not in href, f"{stem}: download link leaves the site: {href}"
        target = html / unquote(urljoin(page_url, href).split("#")[0])
        assert target.is_file(), f"{stem}: download link {href} targets a missing file"
        targets.append(target)
    notebooks = [t for t in targets if t.suffix == ".ipynb"]
    assert notebooks, f"{stem}: no .ipynb download"
    # What the reader downloads is the chapter itself, a notebook that opens in Jupyter.
    downloaded = json.loads(notebooks[0].read_text())
    source = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text())
    assert downloaded["nbformat"] == 4
    assert [c["source"] for c in downloaded["cells"]] == [c["source"] for c in source["cells"]]


def test_intro_page_downloads_and_says_how_to_run_code(html):
    page = html / "book" / "intro.html"
    for link in _download_links(page):
        target = html / unquote(urljoin("book/intro.html", link["href"]))
        assert target.is_file(), f"intro: download link {link['href']} targets a missing file"
    text = re.sub(r"<[^>]+>", "", page.read_text())
    # Instead of live code on the page, the intro sends readers to Binder or a local JupyterLab.
    for phrase in ("mybinder.org", "Run All Cells", "ipywidgets 8", "jupyter lab"):
        assert phrase in text, f"the intro page does not mention {phrase!r}"


@pytest.mark.parametrize("stem", ["intro", *CHAPTERS])
def test_no_live_code_script_is_loaded_before_a_click(html, stem):
    """Thebe is off: no page loads it, and no page offers a *Live Code* button."""
    parsed = _parse(html / "book" / f"{stem}.html")
    assert not [s for s in parsed.scripts if "thebe@" in s or "unpkg.com" in s]
    assert not [b for b in parsed.buttons if "thebe-launch-button" in b.get("class", "")]


def test_thebe_decision_still_holds():
    """Live code stays off because sphinx-thebe loads the legacy thebe 0.8 (ipywidgets 7).

    If this fails, sphinx-thebe now loads another thebe: check whether that one renders
    ipywidgets 8 and anywidget outputs, then reconsider ``launch_buttons.thebe`` in
    ``_config.yml`` and the paragraph about live code in ``book/intro.md``.
    """
    sphinx_thebe = pytest.importorskip("sphinx_thebe")
    assert sphinx_thebe.THEBE_VERSION.startswith("0.8."), sphinx_thebe.THEBE_VERSION
    assert _config()["launch_buttons"].get("thebe") is False
