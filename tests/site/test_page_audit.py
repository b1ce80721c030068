"""Pages that open at once and that everyone can use (issue 13).

* axe-core (pinned in ``package-lock.json``) on every built page, after its explorers have
  rendered: no violation of serious or critical impact. Every page's full list of violations is
  saved in ``test-artifacts/axe/``.
* Lighthouse 12.2 (pinned too) on the intro and on the heaviest widget page of each part of the
  book, with the desktop and the mobile presets, on the site served compressed, as a host does:
  performance at least 90 (desktop) and 70 (mobile), accessibility and best practices 100, SEO
  at least 95, and not one request leaving the machine. The reports (HTML to read, JSON) land in
  ``test-artifacts/lighthouse/``.
* The top of a chapter is readable (heading, text, typeset math) before any widget code has
  loaded, and every explorer responds within 1 s of being scrolled into view.
* The build-time pieces behind this: the math typeset by MathJax at build time, the meta
  description, and each fix to the theme's markup still finding what it fixes.
"""

import json
import re
import shutil
import sys
import time
from pathlib import Path

import pydata_sphinx_theme
import pytest
import yaml
from bs4 import BeautifulSoup
from docutils.core import publish_doctree
from fontTools.ttLib import TTFont

from tests.conftest import open_offline_page
from tests.site.test_site_browser import PAGES, WIDGET_REPORT, settle

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "_ext"), str(ROOT / "scripts")]

import page_a11y  # noqa: E402
import page_audit  # noqa: E402
import page_speed  # noqa: E402

AXE_ARTIFACTS = ROOT / "test-artifacts" / "axe"
LIGHTHOUSE_ARTIFACTS = ROOT / "test-artifacts" / "lighthouse"
VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
VIEW_IN_HTML = 'type="application/vnd.jupyter.widget-view+json"'  # VIEW in a page's source
THEME_FONTS = (
    Path(pydata_sphinx_theme.__file__).parent
    / "theme/pydata_sphinx_theme/static/vendor/fontawesome/webfonts"
)
WIDGET_FILES = ("require.js", "widgets-config.js", "embed-amd.js", "anywidget/index.js")


# -- the build-time pieces, without a build ----------------------------------------------------


def _doctree(text):
    return publish_doctree(text, settings_overrides={"report_level": 5})


def test_description_is_the_first_real_paragraph_shortened():
    long = " ".join(["word"] * 60)
    doctree = _doctree(f"Short.\n\nA *first* paragraph & more: {long}\n\nlater\n")
    text = page_speed.description(doctree)
    assert text.startswith("A first paragraph & more: word")
    assert len(text) <= page_speed.DESCRIPTION_LENGTH and text.endswith("\u2026")
    assert page_speed.description(_doctree("too short")) is None
    maths = _doctree("The loss :math:`L` is averaged over every sample of the batch.")
    assert page_speed.description(maths) == "The loss is averaged over every sample of the batch."


def test_display_math_is_wrapped_as_sphinx_wraps_it():
    assert page_speed.display_tex("x = 1") == "x = 1"
    assert page_speed.display_tex(r"a \\ b") == r"\begin{split}a \\ b\end{split}"
    assert page_speed.display_tex("a = 1\n\nb = 2") == (
        r"\begin{align}\begin{aligned}a = 1\\b = 2\end{aligned}\end{align}"
    )


def test_stylesheets_lose_only_rules_no_page_can_use(tmp_path):
    css = (
        ".used{color:red}.gone,.used .gone{margin:0}a:is(.used,.gone){top:0}"
        ".gone:not(.used),p:not(.gone){z:0}"
        "@media (min-width:9px){.gone{x:1}.used>p{x:2}}@font-face{font-family:F;src:url(f)}"
        '#used[data-x="{.gone}"]{y:1}#used[data-x="1"]{y:2}'
        '.fa-bars:before{content:"a"}.fa-gone:before{content:"b"}'
        ".bs-tooltip-top{a:1}.xy-top{b:2}.lm-Widget{c:3}:focus-visible{outline:0}.gone:hover{d:4}"
    )
    page = (
        '<p class="used" id="used" data-x="1"><a href="#"><i class="fa-bars"></i></a></p>'
        # A class a script builds from a prefix ("bs-" + placement) stays.
        '<script>tip.classList.add("bs-" + placement)</script>'
    )
    # A third-party bundle's own icon list keeps no icon rule; its other words count.
    bundle = tmp_path / "bundle.js"
    bundle.write_text('css(".fa-gone:before{}"); node.classList.add("lm-Widget")')
    purged = page_speed.purge_stylesheet(css, page, bundles=[bundle])
    assert purged == (
        ".used{color:red}a:is(.used){top:0}p:not(.gone){z:0}"
        "@media (min-width:9px){.used>p{x:2}}"
        '@font-face{font-family:F;src:url(f)}#used[data-x="1"]{y:2}'
        '.fa-bars:before{content:"a"}.bs-tooltip-top{a:1}.lm-Widget{c:3}:focus-visible{outline:0}'
    )


def test_the_audit_ends_with_a_table_of_scores():
    summaries = [
        {"page": "book/intro.html", "preset": preset, "scores": {"performance": score}}
        for preset, score in (("desktop", 99), ("mobile", 80))
    ]
    assert page_audit.score_table(summaries).splitlines() == [
        "| page | desktop performance | mobile performance |",
        "| --- | --- | --- |",
        "| book/intro.html | 99 | 80 |",
    ]


def test_icon_fonts_keep_the_icons_the_stylesheets_draw(tmp_path):
    fonts = tmp_path / page_speed.ICON_FONTS
    fonts.mkdir(parents=True)
    font = fonts / "fa-solid-900.ttf"
    shutil.copy(THEME_FONTS / font.name, font)
    css = tmp_path / "theme.css"
    css.write_text('.fa-bars:before{content:"\\f0c9"}.fa-sun:before{content:"\\f185"}')
    answer = page_speed.subset_icon_fonts(tmp_path, [css])
    assert answer["fonts"][0]["after"] < answer["fonts"][0]["before"] / 20
    cmap = TTFont(font).getBestCmap()
    assert {0xF0C9, 0xF185} <= set(cmap) and 0xF015 not in cmap  # bars, sun; not the house


PAGE = (
    '<!DOCTYPE html>\n<html lang="en"><head>'
    '<link rel="preload" as="script" href="_static/scripts/bootstrap.js?digest=1" />'
    '<script src="a.js"></script><script src="_static/documentation_options.js"></script>'
    '<script async="async" src="c.js"></script>'
    '<script defer src="_static/scripts/fontawesome.js?digest=1"></script>'
    '<script src="_static/searchtools.js"></script><script src="searchindex.js"></script>'
    '<script type="application/vnd.jupyter.widget-state+json">{"state": {}}</script>'
    '</head><body><div class="sidebar-primary-items__start sidebar-primary__section">'
    '<button class="btn search-button-field search-button__button" title="Search"'
    ' aria-label="Search">Search <kbd>Ctrl</kbd>+<kbd>K</kbd></button></div>'
    '<article><!--the text--></article><script src="d.js"></script></body></html>'
)


def test_the_page_around_the_text_is_fixed(tmp_path):
    fixed = page_a11y.fix_page(PAGE, "book/x", lambda path, _: f"../{path}", tmp_path)
    soup = BeautifulSoup(fixed, "html.parser")
    scripts = {script["src"]: script for script in soup.find_all("script", src=True)}
    # The head's scripts wait for the page, but documentation_options.js (read by the inline
    # lines after it) and async ones; the icon library and the search index are gone.
    assert scripts["a.js"].has_attr("defer") and not scripts["d.js"].has_attr("defer")
    assert not scripts["_static/documentation_options.js"].has_attr("defer")
    assert not scripts["c.js"].has_attr("defer")
    assert sorted(scripts) == ["_static/documentation_options.js", "a.js", "c.js", "d.js"]
    assert soup.find("link", rel="preload") is None  # the theme's scripts load at the end
    # The widget state is a script file of its own, named in the head.
    assert soup.find("script", type=page_speed.WIDGET_STATE_TYPE) is None
    assert '<meta name="jupyter-widget-state" content="../widget-state/book/x.js" />' in fixed
    state = (tmp_path / "widget-state" / "book" / "x.js").read_text()
    assert state == 'window.jupyterWidgetState = {"state": {}};\n'
    # The search button is named by its text; the sidebar's top is a landmark.
    button = soup.find("button")
    assert not button.has_attr("aria-label") and button["title"] == "Search"
    assert page_a11y.SIDEBAR_START_LANDMARK in fixed
    # The search page keeps its search tools.
    search = page_a11y.fix_page(PAGE, "search", lambda path, _: path, tmp_path)
    assert "searchtools.js" in search and "searchindex.js" in search


def test_only_the_page_around_the_text_is_parsed(tmp_path):
    """The chapter's text comes back as it was written, byte for byte."""
    text = '<p>a &amp; b<br>\n  <mjx-container jax="CHTML"><mjx-c class="mjx-c1D464"></mjx-c>'
    text += '</mjx-container></p>\n<details class="hide"><summary>x</summary></details>'

    def render(template, context):
        return PAGE.replace("<!--the text-->", context["body"])

    page = page_a11y.render_page(
        render,
        "page.html",
        {"body": text, "pagename": "book/x", "pathto": lambda path, _: path},
        tmp_path,
    )
    assert f"<article>{text}</article>" in page and "fontawesome" not in page


@pytest.fixture(scope="module")
def mathjax():
    if not (ROOT / "node_modules" / "mathjax-full").exists():
        pytest.fail("node_modules/mathjax-full is missing: `make assets` runs npm ci")
    renderer = page_speed.MathJax()
    yield renderer
    renderer.close()


def test_math_is_typeset_with_its_mathml(mathjax):
    html = mathjax.typeset("a-page", r"\frac{\partial L}{\partial w}", display=True)
    assert html.startswith('<mjx-container class="MathJax" jax="CHTML" display="true"')
    # What a screen reader reads: the formula's MathML, beside the visual markup.
    assert "<mjx-assistive-mml" in html and "<mfrac>" in html and "<mi>w</mi>" in html
    css = mathjax.stylesheet("a-page")
    assert page_speed.FONT_URL in css and "mjx-c1D464" in css  # the italic w it drew
    assert mathjax.stylesheet("another-page") is None


def test_math_mathjax_cannot_read_is_an_error(mathjax):
    with pytest.raises(ValueError, match="Undefined control sequence"):
        mathjax.typeset("a-page", r"\notamacro{x}", display=False)
    # The process is still usable afterwards.
    assert "mjx-container" in mathjax.typeset("a-page", "x^2", display=False)


# -- the built site ------------------------------------------------------------------------------


def _chapters():
    return [page for page in PAGES if page.startswith("book/")]


def test_fixes_to_the_theme_find_their_targets(built_book):
    """Each fix changed what it fixes on every chapter page (a theme update would show here)."""
    html = built_book / "_build" / "html"
    for page in _chapters():
        text = (html / page).read_text()
        assert "fontawesome.js" not in text, page
        assert "fa-solid" in text, page  # the icons are still there, drawn by the stylesheet
        assert re.search(r'<button class="btn search-button-field[^>]*>', text), page
        assert not re.search(r'<button class="btn search-button-field[^>]*aria-label', text), page
        assert page_a11y.SIDEBAR_START_LANDMARK in text, page
        assert page_a11y.HIDDEN_CELL_LABEL not in text, page
        assert "tex-chtml.js" not in text and "window.MathJax" not in text, page
        if VIEW_IN_HTML in text:  # its widget state is a file of its own, loaded with the widgets
            state = re.search(r'<meta name="jupyter-widget-state" content="([^"]+)"', text)
            assert state and (html / page).parent.joinpath(state.group(1)).is_file(), page
        description = re.findall(r'<meta name="description" content="([^"]+)"', text)
        assert len(description) == 1 and len(description[0]) >= 40, (page, description)
        code = BeautifulSoup(text, "html.parser").select("main div.highlight > pre")
        assert all(pre.get("tabindex") == "0" for pre in code), page  # a tab stop each
    theme_script = (html / page_speed.THEME_SCRIPT).read_text()
    assert page_speed.THEME_TAB_STOP_SELECTORS not in theme_script
    assert f"querySelectorAll({page_speed.TABLES_ONLY})" in theme_script


def test_code_blocks_are_written_with_a_tab_stop():
    from pygments import highlight
    from pygments.lexers import PythonLexer

    written = highlight("print('<pre>')\n", PythonLexer(), page_speed.FocusableCodeFormatter())
    assert written.count('<pre tabindex="0">') == 1 and written.count("<pre") == 1, written


def test_pages_carry_their_math_typeset(built_book):
    html = built_book / "_build" / "html"
    formulas = 0
    for page in _chapters():
        text = (html / page).read_text()
        inline = text.count('<span class="math notranslate nohighlight">')
        display = text.count('<div class="math notranslate nohighlight">')
        containers = text.count('<mjx-container class="MathJax" jax="CHTML"')
        assert containers == inline + display, page
        if containers:
            assert "../vendor/mathjax/output/chtml/fonts/woff-v2/MathJax_" in text, page
        formulas += containers
    assert formulas > 500  # the book has hundreds; a page that lost its math would show


def _violations(page):
    found = page_audit.axe_violations(page)
    return found, [v for v in found if v["impact"] in page_audit.AXE_FORBIDDEN]


@pytest.mark.parametrize("page_path", PAGES)
def test_axe_finds_no_serious_violation(browser, site_url, page_path):
    page = open_offline_page(browser)
    try:
        page.goto(site_url + page_path)
        if page_path == "index.html":  # the site root forwards to the intro
            page.wait_for_url(site_url + "book/intro.html")
        settle(page)  # the explorers render first: their markup is checked too
        found, serious = _violations(page)
    finally:
        page.context.close()
    AXE_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = page_path.replace("/", "_").removesuffix(".html")
    (AXE_ARTIFACTS / f"{name}.json").write_text(json.dumps(found, indent=2) + "\n")
    assert not serious, f"{page_path}:\n" + "\n".join(
        f"  {v['impact']} {v['id']} ({v['help']}) x{v['count']}: {v['nodes'][:4]}" for v in serious
    )


def test_axe_check_itself_notices_a_violation(browser, site_url):
    page = open_offline_page(browser)
    try:
        page.goto(site_url + "book/intro.html")
        page.evaluate(
            """() => document.querySelector("main").insertAdjacentHTML(
                 "beforeend", '<button class="probe"><svg width="9" height="9"></svg></button>')"""
        )
        _, serious = _violations(page)
    finally:
        page.context.close()
    assert any(v["id"] == "button-name" for v in serious), serious


# -- the top of a chapter first, the explorers when a reader nears them -----------------------


def _widget_pages(built_book):
    html = built_book / "_build" / "html"
    return [page for page in _chapters() if VIEW_IN_HTML in (html / page).read_text()]


def _loaded_widget_files(page):
    names = page.evaluate(
        "() => performance.getEntriesByType('resource').map((entry) => entry.name)"
    )
    return [name for name in names if name.endswith(WIDGET_FILES)]


def test_the_top_of_a_chapter_needs_no_widget_code(browser, site_url, built_book):
    pages = _widget_pages(built_book)
    assert len(pages) >= 5
    for page_path in pages:
        page = open_offline_page(browser)
        try:
            page.goto(site_url + page_path, wait_until="load")
            page.wait_for_timeout(1000)
            top = page.evaluate(
                """() => {
                  const heading = document.querySelector("main article h1");
                  const box = heading.getBoundingClientRect();
                  const paragraph = document.querySelector("main section p");
                  return {
                    heading: heading.textContent.trim(),
                    visible: box.bottom > 0 && box.top < innerHeight,
                    text: paragraph ? paragraph.textContent.trim().length : 0,
                    raw: /\\\\\\(|\\\\\\[/.test(document.querySelector("main").innerText),
                  };
                }"""
            )
            assert top["heading"] and top["visible"] and top["text"] > 40, (page_path, top)
            assert not top["raw"], f"{page_path}: raw TeX at the top"
            assert _loaded_widget_files(page) == [], page_path
            assert page.log.problems() == [], page_path
        finally:
            page.context.close()


EXPLORER_RENDERED = """(index) => {
  const tag = document.querySelectorAll('VIEW')[index];
  const area = tag.previousElementSibling;
  return Boolean(area && area.classList.contains("widget-subarea")
    && area.querySelector(".lm-Widget") && area.getBoundingClientRect().height > 5);
}""".replace("VIEW", VIEW)


# A reader skimming down the page: 300 px every 100 ms (3,000 px a second, several screens a
# second). Returns, for the explorer at ``index``, the milliseconds between the moment its
# output area enters the window and the moment it has rendered.
SCROLL_TO_EXPLORER = """async (index) => {
  const tag = document.querySelectorAll('VIEW')[index];
  const area = tag.parentElement;
  const rendered = () => {
    const sub = tag.previousElementSibling;
    return Boolean(sub && sub.classList.contains("widget-subarea")
      && sub.querySelector(".lm-Widget") && sub.getBoundingClientRect().height > 5);
  };
  const inView = () => {
    const box = area.getBoundingClientRect();
    return box.top < innerHeight && box.bottom > 0;
  };
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  while (!inView()) {
    const before = scrollY;
    window.scrollBy(0, 300);
    await pause(100);
    if (scrollY === before) break;  // the end of the page
  }
  area.scrollIntoView({ block: "center" });
  const entered = performance.now();
  while (!rendered() && performance.now() - entered < 15000) await pause(10);
  return rendered() ? performance.now() - entered : null;
}""".replace("VIEW", VIEW)


def test_every_explorer_responds_within_1_s_of_being_scrolled_into_view(
    browser, site_url, built_book
):
    """From the top, a reader skims down to each explorer in turn; each is ready on arrival."""
    timings = {}
    for page_path in _widget_pages(built_book):
        page = open_offline_page(browser)
        try:
            page.goto(site_url + page_path, wait_until="load")
            count = page.evaluate(f"() => document.querySelectorAll('{VIEW}').length")
            for index in range(count):
                ms = page.evaluate(SCROLL_TO_EXPLORER, index)
                timings[f"{page_path}#{index}"] = None if ms is None else round(ms)
            assert page.evaluate(WIDGET_REPORT) == [], page_path
            assert page.log.problems() == [], page_path
        finally:
            page.context.close()
    out = ROOT / "test-artifacts" / "explorer-response-ms.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(timings, indent=2) + "\n")
    slow = {key: ms for key, ms in timings.items() if ms is None or ms > 1000}
    assert not slow, f"explorers not ready 1 s after coming into view (ms): {slow}"


def test_chapter_9_explorer_answers_a_key_within_1_s_of_coming_into_view(browser, site_url):
    page = open_offline_page(browser)
    try:
        page.goto(site_url + "book/09_backpropagation.html", wait_until="load")
        rendered_ms = page.evaluate(SCROLL_TO_EXPLORER, 0)
        started = time.perf_counter()
        output = page.get_by_test_id("output")
        handle = page.get_by_test_id("slider-w0")  # the weight w0's range input
        handle.focus()
        before = output.inner_text()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "(before) => document.querySelector('[data-testid=output]').textContent !== before",
            arg=before,
            timeout=10_000,
        )
        answered_ms = rendered_ms + 1000 * (time.perf_counter() - started)
        assert page.log.problems() == []
    finally:
        page.context.close()
    assert answered_ms < 1000, f"the explorer answered {answered_ms:.0f} ms after coming into view"


# -- Lighthouse -----------------------------------------------------------------------------------


def _toc_parts():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [
        [f"{entry['file']}.html" for entry in part.get("chapters", [])]
        for part in toc.get("parts", [])
    ]


def _weight(html, page_path):
    """Bytes of a page's HTML (with its widget state) and of the images it shows."""
    page = html / page_path
    text = page.read_text()
    images = {
        (page.parent / source).resolve()
        for source in re.findall(r'<img[^>]+src="([^"#?]+)"', text)
        if not source.startswith(("http:", "https:", "data:"))
    }
    return len(text.encode()) + sum(path.stat().st_size for path in images if path.is_file())


def _pages_with_explorers(html):
    pages = [page for part in _toc_parts() for page in part if (html / page).exists()]
    return [page for page in pages if VIEW_IN_HTML in (html / page).read_text()]


# Lighthouse takes about 12 s a run and needs the machine to itself, so `make test` audits the
# pages most likely to miss a goal: the intro (the first page a reader opens, no explorer) and
# the heaviest pages with explorers. `make audit` runs it on every page.
HEAVIEST = 2


def lighthouse_pages(html):
    """The intro, then the ``HEAVIEST`` heaviest pages with an explorer, heaviest first."""
    with_widgets = _pages_with_explorers(html)
    return ["book/intro.html"] + sorted(with_widgets, key=lambda p: -_weight(html, p))[:HEAVIEST]


@pytest.fixture(scope="module")
def lighthouse_results(built_book, machine_to_ourselves):
    html = built_book / "_build" / "html"
    results = []
    with machine_to_ourselves(), page_audit.served_compressed(html) as site_url:
        for page_path in lighthouse_pages(html):
            for preset in ("desktop", "mobile"):
                name = f"{Path(page_path).stem}-{preset}"
                summary = page_audit.lighthouse(
                    site_url + page_path, preset, LIGHTHOUSE_ARTIFACTS / name
                )
                summary["page"] = page_path
                results.append(summary)
    (LIGHTHOUSE_ARTIFACTS / "summary.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


def test_lighthouse_reads_the_site_compressed_as_a_host_serves_it(tmp_path):
    import urllib.request

    (tmp_path / "page.html").write_text("<p>a page of text</p>" * 500)
    with page_audit.served_compressed(tmp_path) as url:
        request = urllib.request.Request(url + "page.html", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            assert response.url == url + "page.html"  # served as itself, not redirected
            assert response.headers["Content-Encoding"] == "gzip"
            assert len(response.read()) < 1000  # 10,500 bytes of text, compressed


def test_lighthouse_audits_the_intro_and_the_heaviest_explorer_pages(built_book):
    html = built_book / "_build" / "html"
    pages = lighthouse_pages(html)
    with_widgets = _pages_with_explorers(html)
    assert len(with_widgets) > HEAVIEST and pages[0] == "book/intro.html"
    assert len(pages) == 1 + HEAVIEST and set(pages[1:]) <= set(with_widgets)
    lightest_chosen = min(_weight(html, page) for page in pages[1:])
    others = [page for page in with_widgets if page not in pages]
    assert all(_weight(html, other) <= lightest_chosen for other in others)


def _misses(results):
    misses = {}
    for result in results:
        found = list(page_audit.below_goals(result))
        if result["runtime_error"]:
            found.append(f"runtime error: {result['runtime_error']}")
        if found:
            misses[f"{result['page']} ({result['preset']})"] = found
    return misses


def test_lighthouse_meets_the_goals(lighthouse_results):
    """Every goal, with both presets, on the intro and on the heaviest explorer pages.

    Measured with the machine to the audit (December 2026): intro desktop 100, mobile 95;
    chapters 9, 10 and 16 desktop 99-100, mobile 88-91. Until code blocks carried their tab
    stops in the HTML, the theme's script laid out each whole page to find the blocks that
    scroll, and the explorer pages scored 35-40 on the phone.
    """
    misses = _misses(lighthouse_results)
    assert not misses, json.dumps(misses, indent=2) + "\nsee test-artifacts/lighthouse/"


def test_lighthouse_saw_an_offline_page(lighthouse_results):
    """Every request Lighthouse recorded stayed on 127.0.0.1 (or was data: / blob:)."""
    for result in lighthouse_results:
        report = (
            LIGHTHOUSE_ARTIFACTS / f"{Path(result['page']).stem}-{result['preset']}.report.json"
        )
        items = json.loads(report.read_text())["audits"]["network-requests"]["details"]["items"]
        outside = [
            item["url"]
            for item in items
            if not item["url"].startswith(("http://127.0.0.1:", "data:", "blob:"))
        ]
        assert items and not outside, (result["page"], outside)
