"""Small fixes that keep every page of the built book free of console errors.

Sphinx 7.4 emits an inline script twice when an extension adds it after the builder started
(it is stored once with the file name ``None`` and once with ``''``). For sphinx-thebe's
``const THEBE_JS_URL = ...`` the second copy is a SyntaxError on every page ("Identifier
'THEBE_JS_URL' has already been declared"). This extension drops such exact duplicates from
each page's list of scripts, keeping the first.
"""


def _key(script):
    filename = getattr(script, "filename", script) or ""
    attributes = tuple(sorted(getattr(script, "attributes", {}).items()))
    return filename, getattr(script, "priority", 500), attributes


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    # Run after every extension that adds scripts to a page (myst-nb uses the default 500).
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
