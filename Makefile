# The README's two commands. Run them inside a virtual environment (Python 3.11 or newer).
PYTHON ?= python
NPM ?= npm
# Root runs apt-get itself; anyone else goes through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# pytest-xdist workers for `make test` (the session's one book build is shared between them).
TEST_WORKERS ?= 2

.PHONY: book html test assets node chromium audit

# Install what a reader needs, fetch the site's own copies of MathJax and the widget scripts,
# then build the HTML book into _build/html (strict: any failing cell or warning fails it).
book:
	$(PYTHON) -m pip install -r requirements.txt
	$(MAKE) assets
	$(MAKE) html

# The build alone: scripts/build_book.py executes the notebooks in parallel (jupyter-cache,
# one kernel per core, re-run whenever resources/ changes), then runs Jupyter Book strictly.
html:
	$(PYTHON) scripts/build_book.py

# Install what the tests need (Python packages, the site's front-end files, a browser), then run
# them all (they include their own strict build and open every page in Chromium).
test:
	$(PYTHON) -m pip install -r requirements-dev.txt
	$(MAKE) assets chromium
	$(PYTHON) -m pytest -n $(TEST_WORKERS) --durations=30

# The pinned front-end files the site serves itself (package-lock.json), copied into
# site-assets/vendor/ for html_extra_path. Needs the Python requirements (anywidget) first.
assets: node
	$(NPM) ci --no-audit --no-fund --ignore-scripts
	$(PYTHON) scripts/site_assets.py

node:
	@command -v $(NPM) >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm; }

# The browser tests drive Debian's Chromium through Playwright.
chromium:
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

# Lighthouse (both presets) on every chapter of the built book in _build/html, served by a plain
# static server; reports and a summary in test-artifacts/lighthouse/audit/. `make test` runs the
# same audit on fewer pages (tests/site/test_page_audit.py), with axe-core on every page.
audit:
	$(PYTHON) scripts/page_audit.py _build/html
