# The README's two commands. Run them inside a virtual environment (Python 3.11 or newer).
PYTHON ?= python

.PHONY: book test

# Install what a reader needs, then build the HTML book into _build/html (strict: any failing
# cell or warning fails the build).
book:
	$(PYTHON) -m pip install -r requirements.txt
	$(PYTHON) -m jupyter_book build --warningiserror --keep-going .

# Install what the tests need, then run them all (they include their own strict build).
test:
	$(PYTHON) -m pip install -r requirements-dev.txt
	$(PYTHON) -m pytest
