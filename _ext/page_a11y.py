"""Fixes to the theme's markup that axe-core and Lighthouse report on every page (issue 13).

The installed theme (pydata-sphinx-theme 0.17 under sphinx-book-theme 1.3) is not edited: each
fix rewrites the HTML a page template produced, as it is written, and is small enough to read:

* the search buttons say "Search Ctrl+K" but are named "Search" (``aria-label``): a speech
  user who says what they see would not reach them (WCAG 2.5.3, label in name). The label is
  dropped, so the name is the visible text; so is the label "Toggle hidden content" of the
  summary of a folded code cell, which reads "Show code cell source";
* the book's title link (the logo) in the left sidebar sits outside any landmark, so a screen
  reader's list of regions misses it: the sidebar's top items become a ``navigation`` region
  named after the book's home;
* ``_ext/page_speed.py``'s page rewrites run here too: no icon library, the head's scripts
  deferred, the widget state moved to a file of its own.

Every fix is a plain string or regular-expression substitution; ``tests/site/test_page_audit.py``
checks that each one still finds its target, so a theme update that changes the markup fails a
test instead of silently bringing a violation back.
"""

import re

from page_speed import defer_head_scripts, drop_icon_library, widget_state_apart

SEARCH_LABEL = re.compile(
    r'(<button class="btn search-button-field search-button__button[^"]*"[^>]*?)'
    r' aria-label="Search"'
)
SIDEBAR_START = '<div class="sidebar-primary-items__start sidebar-primary__section">'
SIDEBAR_START_LANDMARK = (
    '<div class="sidebar-primary-items__start sidebar-primary__section" role="navigation"'
    ' aria-label="Book title and search">'
)


def name_search_by_its_text(page):
    return SEARCH_LABEL.sub(r"\1", page)


HIDDEN_CELL_LABEL = '<summary aria-label="Toggle hidden content">'


def name_hidden_cells_by_their_text(page):
    """A folded code cell's summary ("Show code cell source") is named by what it says."""
    return page.replace(HIDDEN_CELL_LABEL, "<summary>")


def logo_in_a_landmark(page):
    return page.replace(SIDEBAR_START, SIDEBAR_START_LANDMARK)


FIXES = (
    drop_icon_library,
    defer_head_scripts,
    name_search_by_its_text,
    name_hidden_cells_by_their_text,
    logo_in_a_landmark,
)


def fix_page(page):
    for fix in FIXES:
        page = fix(page)
    return page


def wrap_templates(app):
    """Pass every page the HTML builder renders through ``fix_page``."""
    templates = getattr(app.builder, "templates", None)
    if templates is None or app.builder.format != "html":
        return
    render = templates.render

    def render_fixed(template, context):
        output = render(template, context)
        if not template.endswith(".html"):
            return output
        output = widget_state_apart(output, context["pagename"], context["pathto"], app.outdir)
        return fix_page(output)

    templates.render = render_fixed


def setup(app):
    app.setup_extension("page_speed")
    app.connect("builder-inited", wrap_templates)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
