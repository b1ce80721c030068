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
  from Font Awesome's web fonts, which the browser fetches only when an icon is shown;
* trims the site's stylesheets (460 kB that every page must read before it paints) to the
  rules whose classes a page or a script of the site names, and the icon rules to the icons
  the pages use;
* defers the head's scripts and moves the widget state out of the page into a script file
  that ``scripts/widgets-loader.js`` loads with the widget manager, so that the text paints
  first (these page rewrites run in ``_ext/page_a11y.py``'s pass over each page);
* lays out a chapter's sections only when a reader nears them (``_static/page-speed.css``);
* gives every page a ``<meta name="description">`` (search engines show it): the page's first
  paragraph, shortened.

The widget manager is loaded on demand by ``scripts/widgets-loader.js`` (see ``_config.yml``),
and ``_ext/page_a11y.py`` fixes the theme's markup.
"""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

from docutils import nodes
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

PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.S)
TAG = re.compile(r"<[^>]+>")
ASSISTIVE = re.compile(r"<mjx-assistive-mml\b.*?</mjx-assistive-mml>", re.S)


def description(body):
    """The first paragraph of a page body as plain text, at most DESCRIPTION_LENGTH long."""
    for match in PARAGRAPH.finditer(body or ""):
        text = ASSISTIVE.sub("", match.group(1))
        # A formula's visual markup has no text; its MathML (removed above) would read oddly.
        text = html.unescape(TAG.sub("", text))
        text = " ".join(text.split())
        if len(text) >= 40:
            if len(text) > DESCRIPTION_LENGTH:
                text = text[: DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"
            return text
    return None


def page_head(app, pagename, templatename, context, doctree):
    extra = []
    if 'name="description"' not in context.get("metatags", ""):
        text = description(context.get("body"))
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


ICON_RULE = re.compile(r"(?P<selectors>(?:\.fa-[\w-]+:(?:before|after),?)+)\{content:[^}]*\}")
ICON_CLASS = re.compile(r"\bfa-[\w-]+")
THEME_CSS = "_static/styles/pydata-sphinx-theme.css"


def trim_icon_rules(css, used):
    """The theme's stylesheet without the rules of the ~1,900 icons no page uses.

    The stylesheet carries Font Awesome's whole class list (86 kB of ``.fa-name:before``
    rules) and every page must download it before it can paint. A rule is kept when any of its
    selectors names an icon class in ``used``.
    """

    def keep(match):
        names = set(ICON_CLASS.findall(match.group("selectors")))
        return match.group(0) if names & used else ""

    return ICON_RULE.sub(keep, css)


WORD = re.compile(r"[A-Za-z_][\w-]*")
NAMED = re.compile(r"[.#](-?[A-Za-z_][\w-]*)")
NESTING = ("@media", "@supports", "@layer", "@container", "@document")


def _block_end(css, start):
    """The index just past the ``}`` that closes the block opened at ``css[start] == "{"``."""
    depth, index, quote = 0, start, None
    while index < len(css):
        char = css[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(css)


def _selectors(prelude):
    """A selector list split at its top-level commas (not those inside ``:is(...)``)."""
    parts, depth, current = [], 0, []
    for char in prelude:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _names(selector):
    """The classes and ids a selector needs on an element for it to match.

    Names inside attribute values and inside functional pseudo-classes (``:not(.a)``,
    ``:is(.a, .b)``) do not count: a selector that excludes a class, or names one of several,
    may match without it.
    """
    selector = re.sub(r"\[[^\]]*\]", "", selector)
    while "(" in selector:
        simpler = re.sub(r"\([^()]*\)", "", selector)
        if simpler == selector:
            break
        selector = simpler
    return set(NAMED.findall(selector))


def _is_used(name, used):
    """A class is used when a page or script names it, or a script builds it from a prefix.

    Scripts build some class names from a fixed start (Bootstrap's ``"bs-" + placement``):
    a used word that ends in ``-`` keeps every class that starts with it.
    """
    if name in used:
        return True
    return any(name[: index + 1] in used for index, char in enumerate(name) if char == "-")


def purge_stylesheet(css, used):
    """``css`` without the selectors that name a class or id no page or script contains.

    ``used`` is every word found in the site's pages and scripts (the classes a script adds
    while the page runs are words in that script). A selector stays when each class and id it
    names is a used word; a rule goes when none of its selectors stays. At-rules that hold
    rules (``@media``, ``@supports``) are purged inside; others (``@font-face``,
    ``@keyframes``) stay whole. A word found anywhere counts as used, so the purge errs on the
    side of keeping a rule.
    """
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out, index = [], 0
    while index < len(css):
        brace = css.find("{", index)
        semicolon = css.find(";", index)
        if brace == -1:
            out.append(css[index:])
            break
        if semicolon != -1 and semicolon < brace:  # @import, @charset: a statement
            out.append(css[index : semicolon + 1])
            index = semicolon + 1
            continue
        prelude = css[index:brace]
        end = _block_end(css, brace)
        head = prelude.strip()
        if head.startswith(NESTING):
            inner = purge_stylesheet(css[brace + 1 : end - 1], used)
            if inner.strip():
                out.append(f"{head}{{{inner}}}")
        elif head.startswith("@"):
            out.append(css[index:end])
        else:
            kept = [
                selector
                for selector in _selectors(head)
                if all(_is_used(name, used) for name in _names(selector))
            ]
            if kept:
                out.append(",".join(part.strip() for part in kept) + css[brace:end])
        index = end
    return "".join(out)


def finished(app, exception):
    mathjax = getattr(app.builder, "_prerendered_math", None)
    if mathjax is not None:
        mathjax.close()
        app.builder._prerendered_math = None
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    # Every word of the pages and of every script the site serves (the widget manager's
    # included): the classes and ids that can ever be on a page.
    sources = [*out.rglob("*.html"), *out.rglob("*.js")]
    used = set()
    for path in sources:
        used |= set(WORD.findall(path.read_text(encoding="utf-8", errors="replace")))
    for stylesheet in (out / "_static").rglob("*.css"):
        css = stylesheet.read_text(encoding="utf-8")
        if stylesheet.name == Path(THEME_CSS).name:
            css = trim_icon_rules(css, {word for word in used if word.startswith("fa-")})
        stylesheet.write_text(purge_stylesheet(css, used), encoding="utf-8")


# -- the rendered page -----------------------------------------------------------------------

HEAD_SCRIPT = re.compile(
    r'<script (?P<attributes>(?:[\w-]+="[^"]*" )*)src="(?P<src>[^"]+)"></script>'
)
WIDGET_STATE = re.compile(
    r'\s*<script type="application/vnd.jupyter.widget-state\+json">.*?</script>', re.S
)


def defer_head_scripts(page):
    """Sphinx's and the extensions' scripts in the head run after the page is parsed.

    They only attach behaviour (copy buttons, toggles, search) once the document is ready, so
    they need not hold up the first paint. ``documentation_options.js`` stays as it is: the
    inline lines that follow it in the head set ``DOCUMENTATION_OPTIONS.pagename``.
    """
    head, separator, body = page.partition("</head>")
    if not separator:
        return page

    def deferred(match):
        attributes, source = match.group("attributes"), match.group("src")
        if "documentation_options.js" in source or re.search(r"\b(async|defer|type)=", attributes):
            return match.group(0)
        return f'<script {attributes}defer src="{source}"></script>'

    return HEAD_SCRIPT.sub(deferred, head) + separator + body


WIDGET_STATE_FOLDER = "widget-state"


def widget_state_apart(page, pagename, pathto, outdir):
    """The page's widget state (up to 200 kB of JSON) moved to a script file of its own.

    A reader who never nears an explorer then never downloads it, and the page's text arrives
    sooner. ``scripts/widgets-loader.js`` loads the file (named by the page's
    ``<meta name="jupyter-widget-state">``) and puts the state back on the page, as the widget
    manager expects it, before loading the manager. A script file (``window.jupyterWidgetState
    = {...}``), not a JSON file: browsers let a page opened from disk load a script, not fetch
    a file.
    """
    head, separator, body = page.partition("</head>")
    found = WIDGET_STATE.search(head)
    if not separator or not found:
        return page
    state = found.group(0).split(">", 1)[1].rsplit("</script>", 1)[0]
    json.loads(state)  # the state is valid JSON, hence a valid script expression
    path = f"{WIDGET_STATE_FOLDER}/{pagename}.js"
    target = Path(outdir) / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"window.jupyterWidgetState = {state};\n", encoding="utf-8")
    meta = f'\n<meta name="jupyter-widget-state" content="{pathto(path, 1)}" />'
    return head[: found.start()] + meta + head[found.end() :] + separator + body


FONTAWESOME = re.compile(
    r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>'
)


def drop_icon_library(page):
    """The page without the theme's fontawesome.js (its stylesheet draws the icons)."""
    return FONTAWESOME.sub("", page)


def setup(app):
    app.add_html_math_renderer("prerendered", (visit_math, None), (visit_displaymath, None))
    app.connect("html-page-context", page_head, priority=850)
    app.connect("build-finished", finished)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
