"""The parallel build re-executes a chapter, and its page shows it, when what it imports changes.

jupyter-cache recognises a notebook by its own code; ``scripts/build_book.py`` adds a
fingerprint of ``resources/`` and ``book/``'s other files and empties the cache when it changes.
Shown on a one-notebook book whose notebook prints a value from ``resources/``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "scripts" / "build_book.py"


def _tiny_book(folder):
    (folder / "resources").mkdir(parents=True)
    (folder / "resources" / "__init__.py").write_text("")
    (folder / "resources" / "value.py").write_text("VALUE = 1\n")
    (folder / "book").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from resources.value import VALUE\nprint(VALUE)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, folder / "book" / "a.ipynb")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: book/a\n")


def _execute(folder, *options):
    env = dict(os.environ, PYTHONPATH=str(folder))
    result = subprocess.run(
        [sys.executable, str(BUILD), "--source", str(folder), *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    from jupyter_cache import get_cache

    cache = get_cache(folder / "_build" / ".jupyter_cache")
    (record,) = cache.list_cache_records()
    nb = cache.get_cache_bundle(record.pk).nb
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    return printed, result.stdout + result.stderr


def _execute_only(folder):
    return _execute(folder, "--execute-only")


def test_a_change_under_resources_re_executes_the_notebook(tmp_path):
    _tiny_book(tmp_path)
    printed, log = _execute_only(tmp_path)
    assert printed == "1\n"
    assert "executed 1 notebook" in log
    assert "without encryption" not in log  # the kernel talks over encrypted sockets

    printed, log = _execute_only(tmp_path)  # nothing changed: the cached run serves
    assert printed == "1\n" and "executed 0 notebook" in log

    # files git ignores (a model a chapter saved, a linter's cache) are not inputs
    (tmp_path / ".gitignore").write_text("book/*.npz\n.ruff_cache/\n")
    _, log = _execute_only(tmp_path)  # a new .gitignore is itself no input of the notebooks
    (tmp_path / "book" / "model.npz").write_bytes(b"saved by a chapter")
    (tmp_path / "book" / ".ruff_cache").mkdir()
    (tmp_path / "book" / ".ruff_cache" / "entry").write_text("cache")
    printed, log = _execute_only(tmp_path)
    assert printed == "1\n" and "executed 0 notebook" in log, log

    (tmp_path / "resources" / "value.py").write_text("VALUE = 2\n")
    printed, log = _execute_only(tmp_path)
    assert "changed since the cache was filled" in log
    assert printed == "2\n"


def _page_outputs(folder):
    """The printed outputs of the built page, and its figures."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(
        (folder / "_build" / "html" / "book" / "a.html").read_text(), "html.parser"
    )
    printed = [pre.get_text().strip() for pre in page.select(".cell_output pre")]
    return printed, page.select(".cell_output img")


def test_the_page_shows_the_new_output_and_its_figure(tmp_path):
    """Sphinx re-reads a page only when its source changes: after a change under resources/
    the page must still show the re-executed output, not the one its saved doctree held. The
    figure checks that the kernels draw with the notebook backend (a plot reaches the page)."""
    _tiny_book(tmp_path)
    path = tmp_path / "book" / "a.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()")
    )
    nbformat.write(nb, path)
    (tmp_path / "_config.yml").write_text(
        "title: tiny\nexecute:\n  execute_notebooks: cache\n  cache: _build/.jupyter_cache\n"
    )
    _, log = _execute(tmp_path)
    printed, images = _page_outputs(tmp_path)
    assert printed == ["1"], log
    assert len(images) == 1 and images[0]["src"].endswith(".png"), images

    (tmp_path / "resources" / "value.py").write_text("VALUE = 2\n")
    printed, log = _execute(tmp_path)
    assert printed == "2\n", log
    printed, images = _page_outputs(tmp_path)
    assert printed == ["2"], log
    assert len(images) == 1


def test_a_failing_cell_fails_the_build(tmp_path):
    _tiny_book(tmp_path)
    path = tmp_path / "book" / "a.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"].append(nbformat.v4.new_code_cell("raise RuntimeError('boom')"))
    path.write_text(json.dumps(nb))
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, str(BUILD), "--source", str(tmp_path), "--execute-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "boom" in result.stderr
