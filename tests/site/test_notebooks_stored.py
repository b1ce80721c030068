"""The notebooks in the repository are stored without outputs.

The build (and a reader's Run All) produces the outputs; storing none means the repository can
never disagree with what executing a notebook prints.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
# The appendix after chapter 22 has no exercises, so no solutions to fold.
WITH_EXERCISES = [path for path in NOTEBOOKS if path.stem != "a1_where_the_time_goes"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "book/ holds no notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    notebook = json.loads(path.read_text())
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{path.name} cell {index} has stored outputs"
        assert cell.get("execution_count") is None, f"{path.name} cell {index} has a count"
    assert "widgets" not in notebook.get("metadata", {}), f"{path.name} stores widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_listed_in_table_of_contents(path):
    toc = (ROOT / "_toc.yml").read_text()
    assert f"book/{path.stem}" in toc, f"{path.name} is missing from _toc.yml"


def test_ruff_lint_and_format_clean():
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_the_appendix_has_no_exercises():
    (appendix,) = set(NOTEBOOKS) - set(WITH_EXERCISES)
    assert "answer_1 = None" not in appendix.read_text()


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.name)
def test_solutions_fold_away_in_the_book_and_in_jupyterlab(path):
    """Solutions sit in HTML <details> blocks: folded on the built page and in JupyterLab alike
    (a MyST dropdown admonition folds only in the built book; JupyterLab shows its markup)."""
    notebook = json.loads(path.read_text())
    markdown = [
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown"
    ]
    folded = [text for text in markdown if "<summary>Solution</summary>" in text]
    assert folded, f"{path.name} has no folded solutions"
    for text in markdown:
        assert "{admonition} Solution" not in text, (
            f"{path.name}: a solution JupyterLab cannot fold"
        )
    for text in folded:
        assert text.count("<details>") == text.count("</details>"), (
            f"{path.name}: unclosed <details>"
        )
