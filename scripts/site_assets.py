"""Copy the front-end files the built book serves itself into ``site-assets/vendor/``.

The book must work with no network (a classroom without internet, a downloaded copy of the
site), so nothing on a page may load from a CDN. This script gathers exactly the files the pages
need, in pinned versions:

* MathJax 3.2.2's CHTML fonts, from ``node_modules`` (``npm ci``; versions pinned in
  ``package-lock.json``): the math itself is typeset while the book is built
  (``_ext/page_speed.py`` runs ``mathjax-full`` 3.2.2 through ``scripts/render_math.js``), so
  no MathJax script is served;
* require.js and ``@jupyter-widgets/html-manager`` (``dist/embed-amd.js`` and the icon fonts
  its CSS refers to), also from ``node_modules``;
* the anywidget front end: the AMD bundle that the installed Python package ``anywidget`` ships
  in its ``nbextension/`` folder, so the front end always matches the version that wrote the
  widget state;
* ``scripts/widgets-loader.js``, the only widget script a page loads at first: it adds the
  others when a reader nears an explorer;
* ``scripts/widgets-config.js``, our own few lines that point require.js at these local
  copies (and let widget labels use MathJax 3).

``_config.yml`` wires the folder in through ``html_extra_path`` (copied to the site root as
``vendor/``) and ``nb_ipywidgets_js``. Run it after ``npm ci``; ``make book``
and ``make test`` do both.
"""

import json
import shutil
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
DESTINATION = ROOT / "site-assets"
VENDOR = DESTINATION / "vendor"

# The versions package.json pins; checked against what npm actually installed.
PINNED = {
    "mathjax": "3.2.2",
    "mathjax-full": "3.2.2",
    "requirejs": "2.3.7",
    "@jupyter-widgets/html-manager": "1.0.15",
}


def installed_version(package):
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.exists():
        sys.exit(f"{manifest} is missing: run `npm ci` first")
    return json.loads(manifest.read_text())["version"]


def copy(source, target):
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)


def main():
    for package, version in PINNED.items():
        found = installed_version(package)
        if found != version:
            sys.exit(f"node_modules has {package} {found}, expected {version}: run `npm ci`")

    if DESTINATION.exists():
        shutil.rmtree(DESTINATION)

    mathjax = NODE_MODULES / "mathjax" / "es5"
    # The pages hold MathJax's CHTML markup (typeset at build time); they need only its fonts.
    copy(mathjax / "output/chtml/fonts/woff-v2", VENDOR / "mathjax" / "output/chtml/fonts/woff-v2")

    copy(NODE_MODULES / "requirejs" / "require.js", VENDOR / "requirejs" / "require.js")

    manager = NODE_MODULES / "@jupyter-widgets" / "html-manager" / "dist"
    copy(manager / "embed-amd.js", VENDOR / "html-manager" / "embed-amd.js")
    for font in manager.iterdir():
        if font.suffix in {".woff2", ".woff", ".ttf", ".eot", ".svg"}:
            copy(font, VENDOR / "html-manager" / font.name)

    import anywidget

    bundle = Path(anywidget.__file__).with_name("nbextension") / "index.js"
    copy(bundle, VENDOR / "anywidget" / "index.js")

    for name in ("widgets-loader.js", "widgets-config.js"):
        copy(ROOT / "scripts" / name, VENDOR / name)

    versions = dict(PINNED, anywidget=metadata.version("anywidget"))
    (VENDOR / "VERSIONS.json").write_text(json.dumps(versions, indent=2) + "\n")
    size = sum(path.stat().st_size for path in VENDOR.rglob("*") if path.is_file())
    print(f"site assets: {size / 1e6:.1f} MB in {VENDOR.relative_to(ROOT)} ({versions})")


if __name__ == "__main__":
    main()
