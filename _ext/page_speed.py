"""Pages that open at once: math typeset at build time, no icon library, a meta description.

Measured on the built book (issue 13), a chapter page loaded MathJax (1.1 MB) and typeset its
math in the browser (about 3.4 s of main-thread work on a throttled phone, and the text moved
as it did), and the theme's ``fontawesome.js`` (1.5 MB) to draw a dozen icons. This extension:

* typesets every formula while the book is built, with MathJax 3.2.2 itself
  (``scripts/render_math.js``, a Node process that lives for the build; ``mathjax-full`` is
  pinned in ``package-lock.json``), so a page carries its math as MathJax's CHTML markup, with
  the page's own small stylesheet and MathJax's fonts from ``vendor/``; each formula keeps its
  MathML for screen readers. No MathJax script runs on the page. A formula MathJax cannot read
  is a build warning (so the strict build fails), not red text on a page;
* drops the theme's ``fontawesome.js``: the theme's stylesheet already draws the same icons
  from Font Awesome's web fonts, which the browser fetches only when an icon is shown; and cuts
  those fonts (275 kB) to the icons the site draws, with subset-font (``scripts/subset_icons.js``);
* purges the site's stylesheets (the theme's alone is 397 kB, and every page must read them
  before it paints) with PurgeCSS (``scripts/purge_css.js``): a rule stays when the classes,
  ids, tags and attributes it needs are words of the site's pages or scripts;
* defers the head's scripts, stops the theme from fetching its own scripts ahead of the
  stylesheets, loads the search index on the search page only, and moves the widget state out
  of the page into a script file that ``scripts/widgets-loader.js`` loads with the widget
  manager, so that the text paints first (these changes to the page, made with BeautifulSoup,
  run in ``_ext/page_a11y.py``'s pass over each page);
* lays out a chapter's sections only when a reader nears them (``_static/page-speed.css``),
  and fetches a figure only when a reader nears it (docutils' ``image_loading`` setting writes
  ``loading="lazy"`` on every ``<img>``), so the figures do not compete with the stylesheets;
* writes code blocks with their tab stops (``tabindex="0"``), where the theme's script found
  the blocks that scroll by laying out the whole page as it opened;
* gives every page a ``<meta name="description">`` (search engines show it): the page's first
  paragraph, shortened.

The widget manager is loaded on demand by ``scripts/widgets-loader.js`` (see ``_config.yml``),
and ``_ext/page_a11y.py`` fixes the theme's markup.
"""

import html
import json
import shutil
import subprocess
from pathlib import Path

from docutils import nodes
from pygments.formatters import HtmlFormatter
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
RENDER_MATH = ROOT / "scripts" / "render_math.js"
FONTS = "vendor/mathjax/output/chtml/fonts/woff-v2"
FONT_URL = "MATHJAX-FONT-URL"  # the placeholder render_math.js writes into its stylesheets
DESCRIPTION_LENGTH = 155


class MathJax:
    """One ``node scripts/render_math.js`` process, asked one formula at a time."""

    def __init__(self):
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed to typeset the book's math: `make assets`")
        self.process = subprocess.Popen(
            [node, str(RENDER_MATH)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.page = None
        self.formulas = 0

    def ask(self, request):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{RENDER_MATH.name} stopped (is `npm ci` done?)")
        answer = json.loads(line)
        if "error" in answer:
            raise ValueError(answer["error"])
        return answer

    def typeset(self, page, tex, display):
        if page != self.page:
            self.ask({"page": page})
            self.page, self.formulas = page, 0
        self.formulas += 1
        return self.ask({"tex": tex, "display": display})["html"]

    def stylesheet(self, page):
        """The CSS for the formulas of ``page`` (None if it has none)."""
        if page != self.page or not self.formulas:
            return None
        return self.ask({"css": True})["css"]

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=10)


def _mathjax(builder):
    if getattr(builder, "_prerendered_math", None) is None:
        builder._prerendered_math = MathJax()
    return builder._prerendered_math


def _typeset(translator, node, tex, display):
    try:
        return _mathjax(translator.builder).typeset(
            translator.builder.current_docname, tex, display
        )
    except ValueError as error:
        logger.warning("MathJax cannot typeset %r: %s", tex, error, location=node)
        return html.escape(tex)


def visit_math(translator, node):
    translator.body.append(
        translator.starttag(node, "span", "", CLASS="math notranslate nohighlight")
    )
    translator.body.append(_typeset(translator, node, node.astext(), display=False))
    translator.body.append("</span>")
    raise nodes.SkipNode


def display_tex(text):
    """The TeX of a display formula as Sphinx's MathJax writer builds it.

    Blank-line separated parts become rows of one ``aligned`` block, and a part that breaks
    lines (``\\\\``) is wrapped in ``split``.
    """
    parts = [part for part in text.split("\n\n") if part.strip()]
    rows = [rf"\begin{{split}}{part}\end{{split}}" if r"\\" in part else part for part in parts]
    if len(rows) > 1:
        return r"\begin{align}\begin{aligned}" + r"\\".join(rows) + r"\end{aligned}\end{align}"
    return "".join(rows)


def visit_displaymath(translator, node):
    translator.body.append(translator.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node.get("nowrap"):
        tex = node.astext()
    else:
        if node.get("number"):
            number = get_node_equation_number(translator, node)
            translator.body.append(f'<span class="eqno">({number})')
            translator.add_permalink_ref(node, _("Link to this equation"))
            translator.body.append("</span>")
        tex = display_tex(node.astext())
    translator.body.append(_typeset(translator, node, tex, display=True))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


# -- each page's head ------------------------------------------------------------------------


def _text_without_math(paragraph):
    """A paragraph's words as a reader sees them, without its formulas.

    A formula's TeX (``\\frac{\\partial L}{\\partial w}``) would read oddly in a search result.
    """
    return "".join(
        node.astext()
        for node in paragraph.findall(nodes.Text)
        if not any(isinstance(parent, nodes.math) for parent in _ancestors(node))
    )


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def description(doctree):
    """The first paragraph of a page as plain text, at most DESCRIPTION_LENGTH long."""
    if doctree is None:
        return None
    for paragraph in doctree.findall(nodes.paragraph):
        text = " ".join(_text_without_math(paragraph).split())
        if len(text) >= 40:
            if len(text) > DESCRIPTION_LENGTH:
                text = text[: DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"
            return text
    return None


def page_head(app, pagename, templatename, context, doctree):
    extra = []
    if 'name="description"' not in context.get("metatags", ""):
        text = description(doctree)
        if text is None:  # the search page, the index: say what they are, in which book
            what = {"search": "Search", "genindex": "Index"}.get(pagename, context.get("title"))
            text = f"{what} of the book {context.get('docstitle')}"
        extra.append(f'<meta name="description" content="{html.escape(text)}" />')
    mathjax = getattr(app.builder, "_prerendered_math", None)
    css = mathjax.stylesheet(pagename) if mathjax else None
    if css:
        fonts = context["pathto"](FONTS, 1)
        # MathJax's CHTML gives every character its box in CSS, so text drawn in a fallback
        # font until MathJax's own arrives takes the same room: swapping moves nothing.
        css = css.replace(FONT_URL, fonts).replace(
            "{\n  font-family: MJX", "{\n  font-display: swap;\n  font-family: MJX"
        )
        extra.append("<style>" + css + "</style>")
    if extra:
        context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(extra)


PURGE_CSS = ROOT / "scripts" / "purge_css.js"
# Scripts the site ships but no page loads: their words must not keep rules alive
# (fontawesome.js names every icon; the pages draw theirs from the stylesheet's web fonts).
NOT_LOADED = ("fontawesome.js",)
# Third-party bundles, served from vendor/, whose icon class names are their own stylesheet's.
BUNDLES = "vendor"


def _run_node_script(script, request, node):
    """Run one of ``scripts/*.js`` with ``request`` as JSON on stdin; return its JSON answer."""
    result = subprocess.run(
        [node, str(script)],
        cwd=ROOT,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{script.name} failed (is `npm ci` done?):\n{result.stderr}")
    return json.loads(result.stdout)


def purgecss(stylesheets, content=(), raw=(), bundles=()):
    """PurgeCSS (``scripts/purge_css.js``) on ``stylesheets``, a dict of name to CSS text.

    ``content`` are files (pages, scripts) whose words are the classes, ids, tags and
    attributes that can be on a page; ``raw`` is content given as HTML text; ``bundles`` are
    third-party scripts whose icon class names do not count. Returns a dict of name to
    ``(css, rejected selectors)``.
    """
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed to purge the site's stylesheets: `make assets`")
    request = {
        "css": [{"name": name, "raw": css} for name, css in stylesheets.items()],
        "content": [str(path) for path in content],
        "raw": [{"raw": text, "extension": "html"} for text in raw],
        "bundles": [str(path) for path in bundles],
    }
    answer = _run_node_script(PURGE_CSS, request, node)
    answer = answer["css"]
    return {sheet["name"]: (sheet["css"], sheet["rejected"]) for sheet in answer}


def purge_stylesheet(css, html, bundles=()):
    """``css`` without the rules whose selectors need something ``html`` does not name."""
    return purgecss({"sheet.css": css}, raw=[html], bundles=bundles)["sheet.css"][0]


def purge_site_stylesheets(out):
    """Every stylesheet of the built site in ``out``, purged against its pages and scripts.

    The content is every page and every script the site serves (the widget manager's included):
    a class a script adds while a page runs is a word in that script.
    """
    scripts = [path for path in out.rglob("*.js") if path.name not in NOT_LOADED]
    bundles = [path for path in scripts if path.relative_to(out).parts[0] == BUNDLES]
    content = [*out.rglob("*.html"), *(path for path in scripts if path not in bundles)]
    sheets = sorted((out / "_static").rglob("*.css"))
    purged = purgecss(
        {str(path): path.read_text(encoding="utf-8") for path in sheets}, content, (), bundles
    )
    for path in sheets:
        path.write_text(purged[str(path)][0], encoding="utf-8")
    return purged


SUBSET_ICONS = ROOT / "scripts" / "subset_icons.js"
ICON_FONTS = "_static/vendor/fontawesome/webfonts"


def subset_icon_fonts(out, stylesheets):
    """The theme's icon fonts cut to the icons the purged ``stylesheets`` draw (subset-font).

    Font Awesome's fonts (157 kB for the solid icons, 118 kB for the brands) hold some 2,000
    icons; a page fetches them as it first paints, for the dozen icons of its header and
    sidebars. Returns ``scripts/subset_icons.js``'s answer (each font's bytes before and after).
    """
    fonts = sorted(path for path in (out / ICON_FONTS).glob("*") if path.is_file())
    if not fonts:
        return None
    request = {"css": [str(path) for path in stylesheets], "fonts": [str(path) for path in fonts]}
    return _run_node_script(SUBSET_ICONS, request, shutil.which("node") or "node")


def finished(app, exception):
    mathjax = getattr(app.builder, "_prerendered_math", None)
    if mathjax is not None:
        mathjax.close()
        app.builder._prerendered_math = None
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    if not theme_tab_stops_for_tables_only(out):
        logger.warning(f"{THEME_SCRIPT}: the tab-stop pass to narrow was not found")
    purged = purge_site_stylesheets(out)
    subset_icon_fonts(out, [Path(name) for name in purged])


# -- the rendered page -----------------------------------------------------------------------
# Each function takes the page as parsed by BeautifulSoup (``_ext/page_a11y.py`` parses it once
# and runs them all) and returns whether it found what it changes.

DOCUMENTATION_OPTIONS = "documentation_options.js"


def _head_scripts(soup):
    return soup.head.find_all("script", src=True) if soup.head else []


def defer_head_scripts(soup):
    """Sphinx's and the extensions' scripts in the head run after the page is parsed.

    They only attach behaviour (copy buttons, toggles, search) once the document is ready, so
    they need not hold up the first paint. ``documentation_options.js`` stays as it is: the
    inline lines that follow it in the head set ``DOCUMENTATION_OPTIONS.pagename``.
    """
    deferred = False
    for script in _head_scripts(soup):
        if DOCUMENTATION_OPTIONS in script["src"] or script.has_attr("async"):
            continue
        if script.has_attr("defer") or script.has_attr("type"):
            continue
        script["defer"] = "defer"
        deferred = True
    return deferred


SEARCH_SCRIPTS = ("searchtools.js", "language_data.js", "searchindex.js")


def search_scripts_on_the_search_page_only(soup, pagename):
    """The search index (140 kB) and its tools load on the search page alone.

    The theme loads them on every page for its search-as-you-type box, which the book leaves
    off (``DOCUMENTATION_OPTIONS.search_as_you_type`` is false): its search box sends the reader
    to the search page, which loads them itself.
    """
    if pagename == "search":
        return False
    found = [
        script
        for script in _head_scripts(soup)
        if script["src"].split("?")[0].endswith(SEARCH_SCRIPTS)
    ]
    for script in found:
        script.decompose()
    return bool(found)


WIDGET_STATE_FOLDER = "widget-state"
WIDGET_STATE_TYPE = "application/vnd.jupyter.widget-state+json"


def widget_state_apart(soup, pagename, pathto, outdir):
    """The page's widget state (up to 200 kB of JSON) moved to a script file of its own.

    A reader who never nears an explorer then never downloads it, and the page's text arrives
    sooner. ``scripts/widgets-loader.js`` loads the file (named by the page's
    ``<meta name="jupyter-widget-state">``) and puts the state back on the page, as the widget
    manager expects it, before loading the manager. A script file (``window.jupyterWidgetState
    = {...}``), not a JSON file: browsers let a page opened from disk load a script, not fetch
    a file.
    """
    found = soup.head.find("script", type=WIDGET_STATE_TYPE) if soup.head else None
    if found is None:
        return False
    state = found.string or ""
    json.loads(state)  # the state is valid JSON, hence a valid script expression
    path = f"{WIDGET_STATE_FOLDER}/{pagename}.js"
    target = Path(outdir) / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"window.jupyterWidgetState = {state};\n", encoding="utf-8")
    found.replace_with(
        soup.new_tag("meta", attrs={"name": "jupyter-widget-state", "content": pathto(path, 1)})
    )
    return True


THEME_SCRIPTS = ("_static/scripts/bootstrap.js", "_static/scripts/pydata-sphinx-theme.js")


def no_early_theme_scripts(soup):
    """The theme's two scripts are not fetched ahead of the stylesheets.

    The theme asks for them early (``<link rel="preload">`` in the head) although the page runs
    them only once it is parsed (``<script defer>`` at the end of the body): fetched early, their
    110 kB compete with the stylesheets the first paint waits for. The end of the body still
    loads them.
    """
    found = (
        [
            link
            for link in soup.head.find_all("link", rel="preload", href=True)
            if link.get("as") == "script" and any(name in link["href"] for name in THEME_SCRIPTS)
        ]
        if soup.head
        else []
    )
    for link in found:
        link.decompose()
    return bool(found)


def drop_icon_library(soup):
    """The page without the theme's fontawesome.js (its stylesheet draws the icons)."""
    found = [s for s in _head_scripts(soup) if "_static/scripts/fontawesome.js" in s["src"]]
    for script in found:
        script.decompose()
    return bool(found)


class FocusableCodeFormatter(HtmlFormatter):
    """Pygments' HTML, its ``<pre>`` a tab stop, so code that scrolls sideways can be scrolled
    from the keyboard (WCAG 2.1.1). On a phone nearly every code block scrolls."""

    def _wrap_pre(self, inner):
        for number, (kind, text) in enumerate(super()._wrap_pre(inner)):
            yield kind, text.replace("<pre", '<pre tabindex="0"', 1) if number == 0 else text


# The theme gives each scrolling block its tab stop in the browser instead: on load it reads
# every block's scroll width, which lays out the whole page at once (1.4-2.3 s of blocking time
# on Lighthouse's phone). The blocks have their tab stops in the HTML, so the theme's script
# is left only the tables.
THEME_SCRIPT = "_static/scripts/pydata-sphinx-theme.js"
THEME_TAB_STOP_SELECTORS = (
    '["pre",".nboutput > .output_area",".cell_output > .output",".jp-RenderedHTMLCommon",'
    '".pst-scrollable-table-container"].join(", ")'
)
TABLES_ONLY = '".pst-scrollable-table-container"'


def theme_tab_stops_for_tables_only(out):
    """Narrow the theme script's tab-stop pass to tables; False if its code was not found."""
    script = out / THEME_SCRIPT
    text = script.read_text(encoding="utf-8")
    if THEME_TAB_STOP_SELECTORS not in text:
        return f"querySelectorAll({TABLES_ONLY})" in text  # narrowed by an earlier build
    script.write_text(text.replace(THEME_TAB_STOP_SELECTORS, TABLES_ONLY), encoding="utf-8")
    return True


def lazy_images_and_focusable_code(app):
    """Every ``<img>`` the HTML writer writes carries ``loading="lazy"`` (a docutils setting),
    and this build's highlighter writes code with ``FocusableCodeFormatter``."""
    app.env.settings["image_loading"] = "lazy"
    if app.builder.format == "html":
        app.builder.highlighter.formatter = FocusableCodeFormatter


def setup(app):
    app.connect("builder-inited", lazy_images_and_focusable_code)
    app.add_html_math_renderer("prerendered", (visit_math, None), (visit_displaymath, None))
    app.connect("html-page-context", page_head, priority=850)
    app.connect("build-finished", finished)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
