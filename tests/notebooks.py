"""Helpers to read what an executed notebook printed.

Cells whose numbers a test checks carry a tag in their metadata, e.g. ``out-one-step``;
``output_of(nb, "out-one-step")`` returns the text that cell printed.
"""

import json
import re
from pathlib import Path

import nbformat


def kernel_config():
    """The build's kernel settings (``scripts/build_book.py``): encrypted kernel sockets."""
    from traitlets.config import Config

    return Config({"KernelManager": {"transport_encryption": "auto"}})


NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def execute_alone(name):
    """Execute ``book/<name>.ipynb`` by itself in a fresh kernel, as the build would."""
    from nbclient import NotebookClient

    book = Path(__file__).resolve().parents[1] / "book"
    nb = nbformat.read(book / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        nb, timeout=900, resources={"metadata": {"path": str(book)}}, config=kernel_config()
    )
    client.execute()
    return nb


def load_executed(built_book, name):
    """The chapter as the build executed it; the build keeps its glued values beside it."""
    path = Path(built_book) / "_build" / "jupyter_execute" / "book" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    glue_file = path.with_suffix(".glue.json")
    if glue_file.exists():
        nb.metadata["glued"] = {
            key: output["data"]["text/plain"]
            for key, output in json.loads(glue_file.read_text()).items()
        }
    return nb


GLUE_TEXT = "application/papermill.record/text/plain"


def glued(nb):
    """``{name: text}`` of every value the chapter glued (MyST-NB ``glue``).

    A notebook executed on its own keeps them as cell outputs; the book's build moves them into
    a ``.glue.json`` file that ``load_executed`` reads.
    """
    found = dict(nb.metadata.get("glued", {}))
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                found[name] = output["data"].get(GLUE_TEXT, output["data"].get("text/plain"))
    return found


def tagged_cells(nb, tag):
    return [cell for cell in nb.cells if tag in cell.get("metadata", {}).get("tags", [])]


def output_of(nb, tag):
    """The text (stdout and plain-text results) of the one cell tagged ``tag``."""
    cells = tagged_cells(nb, tag)
    assert len(cells) == 1, f"expected exactly one cell tagged {tag!r}, found {len(cells)}"
    pieces = []
    for output in cells[0].get("outputs", []):
        if output.get("output_type") == "stream":
            pieces.append(output["text"])
        elif any(kind.startswith("image/") for kind in output.get("data", {})):
            continue  # a figure's text/plain is only "<Figure size ...>"
        elif "data" in output and "text/plain" in output["data"]:
            pieces.append(output["data"]["text/plain"])
    return "".join(pieces)


def numbers_in(text):
    """Every number in ``text``, in order, as floats."""
    return [float(match) for match in NUMBER.findall(text)]
