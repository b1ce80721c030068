"""Fixes to the theme's markup that axe-core and Lighthouse report on every page (issue 13).

The installed theme (pydata-sphinx-theme 0.17 under sphinx-book-theme 1.3) is not edited: each
fix changes the page a template produced, as it is written, parsed by BeautifulSoup (installed
with the theme), and is small enough to read:

* the search buttons say "Search Ctrl+K" but are named "Search" (``aria-label``): a speech
  user who says what they see would not reach them (WCAG 2.5.3, label in name). The label is
  dropped, so the name is the visible text;
* the book's title link (the logo) in the left sidebar sits outside any landmark, so a screen
  reader's list of regions misses it: the sidebar's top items become a ``navigation`` region
  named after the book's home;
* ``_ext/page_speed.py``'s page changes run here too: no icon library, the theme's scripts not
  fetched ahead of the stylesheets, the search index on the search page only, the head's
  scripts deferred, the widget state moved to a file of its own.

The summary of a folded code cell ("Show code cell source") is labelled "Toggle hidden content"
by myst-nb, so its name is not what it says: its HTML is written by ``visit_hidden_cell`` below,
without that label.

Only the page around the chapter's text is parsed (the theme's header, sidebars and head): the
text itself, up to half a megabyte of typeset math and code, is put back untouched, so the fixes
cost the build a few milliseconds a page. Each fix reports whether it found its target, and
``tests/site/test_page_audit.py`` checks every built page, so a theme update that changes the
markup fails a test instead of silently bringing a violation back.
"""

from html import escape

from bs4 import BeautifulSoup
from bs4.dammit import EntitySubstitution
from bs4.formatter import HTMLFormatter
from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput
from page_speed import (
    defer_head_scripts,
    drop_icon_library,
    no_early_theme_scripts,
    search_scripts_on_the_search_page_only,
    widget_state_apart,
)

SEARCH_BUTTONS = 'button.search-button-field.search-button__button[aria-label="Search"]'
SIDEBAR_START = "div.sidebar-primary-items__start.sidebar-primary__section"
SIDEBAR_START_LANDMARK = (
    '<div class="sidebar-primary-items__start sidebar-primary__section" role="navigation"'
    ' aria-label="Book title and search">'
)
HIDDEN_CELL_LABEL = '<summary aria-label="Toggle hidden content">'


def name_search_by_its_text(soup):
    buttons = soup.select(SEARCH_BUTTONS)
    for button in buttons:
        del button["aria-label"]
    return bool(buttons)


def logo_in_a_landmark(soup):
    found = soup.select(SIDEBAR_START)
    for section in found:
        section["role"] = "navigation"
        section["aria-label"] = "Book title and search"
    return bool(found)


def visit_hidden_cell(translator, node):
    """A folded code cell, as myst-nb writes it, but its summary is named by what it says."""
    classes = " ".join(node["classes"])
    translator.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    translator.body.append(
        f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n'
        f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n'
        "</summary>\n"
    )


FIXES = (
    drop_icon_library,
    no_early_theme_scripts,
    defer_head_scripts,
    name_search_by_its_text,
    logo_in_a_landmark,
)

# Where the chapter's text goes while the rest of the page is parsed.
TEXT = "page-a11y: the page's text"


class TemplateOrder(HTMLFormatter):
    """BeautifulSoup's "minimal" formatter, but attributes stay in the template's order."""

    def __init__(self):
        super().__init__(
            entity_substitution=EntitySubstitution.substitute_xml, void_element_close_prefix=" /"
        )

    def attributes(self, tag):
        return list(tag.attrs.items())


def fix_page(page, pagename, pathto, outdir):
    """The page with every fix applied."""
    soup = BeautifulSoup(page, "html.parser")
    for fix in FIXES:
        fix(soup)
    search_scripts_on_the_search_page_only(soup, pagename)
    widget_state_apart(soup, pagename, pathto, outdir)
    return soup.decode(formatter=TemplateOrder())


def render_page(render, template, context, outdir):
    """``render(template, context)``, fixed; the page's text is not parsed, only put back."""
    text = context.get("body")
    if text:
        context = {**context, "body": f"<!--{TEXT}-->"}
    page = fix_page(render(template, context), context["pagename"], context["pathto"], outdir)
    return page.replace(f"<!--{TEXT}-->", text, 1) if text else page


def wrap_templates(app):
    """Pass every page the HTML builder renders through ``fix_page``."""
    templates = getattr(app.builder, "templates", None)
    if templates is None or app.builder.format != "html":
        return
    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_HideCellInput))
    render = templates.render

    def render_fixed(template, context):
        if not template.endswith(".html"):
            return render(template, context)
        return render_page(render, template, context, app.outdir)

    templates.render = render_fixed


def setup(app):
    app.setup_extension("page_speed")
    app.connect("builder-inited", wrap_templates)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
