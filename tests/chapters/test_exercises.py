"""The exercises of every chapter, all checked by the book's one checker.

Every chapter lays its exercises out as ``resources/exercises.py`` describes: an answer cell
(``answer-n``, ``answer_n = None``), a hidden check cell (``check-n``, ``remove-input``,
collapsed in JupyterLab) that calls ``check`` or ``check_function``, and a folded solution.
The static tests read the stored notebooks; the dynamic test runs each chapter with the folded
solutions filled in, and after every check cell runs the same check with a wrong answer, an
answer of the wrong type and no answer at all.
"""

import json
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml

from tests.notebooks import kernel_config, output_of, tagged_cells

ROOT = Path(__file__).resolve().parents[2]
# The appendix after chapter 22 teaches no new skill to exercise.
APPENDIX = {"a1_where_the_time_goes"}
MINE = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb") if p.stem not in APPENDIX)
IN_TOC = [
    Path(chapter["file"]).name
    for part in yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]
    for chapter in part["chapters"]
    if Path(chapter["file"]).name not in APPENDIX
]
SOLUTION = re.compile(r"<details>\n<summary>Solution</summary>\n(.*?)</details>", re.S)
CODE = re.compile(r"```python\n(.*?)```", re.S)


def read(name):
    return nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)


def exercise_numbers(nb):
    found = []
    for cell in nb.cells:
        for tag in cell.metadata.get("tags", []):
            if match := re.fullmatch(r"answer-(\d+)", tag):
                found.append(int(match.group(1)))
    return found


def solutions(nb):
    """The code of each folded solution, by exercise number."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for block in SOLUTION.findall(cell.source):
            code = CODE.search(block).group(1)
            number = int(re.search(r"(?:def )?answer_(\d+)\b", code).group(1))
            found[number] = code
    return found


def test_every_chapter_of_the_book_is_checked_here():
    assert MINE == IN_TOC
    assert [int(name[:2]) for name in MINE] == list(range(1, len(MINE) + 1))  # no chapter missing


@pytest.mark.parametrize("name", MINE)
def test_exercise_layout(name):
    nb = read(name)
    numbers = exercise_numbers(nb)
    assert numbers == list(range(1, len(numbers) + 1)) and 2 <= len(numbers) <= 4, numbers
    found = solutions(nb)
    assert sorted(found) == numbers, "every exercise has one folded solution"
    for n in numbers:
        (answer,) = tagged_cells(nb, f"answer-{n}")
        assert answer.source.startswith(f"answer_{n} = None"), answer.source
        (check,) = tagged_cells(nb, f"check-{n}")
        assert "remove-input" in check.metadata["tags"], "the page hides the check's source"
        assert check.metadata.get("jupyter", {}).get("source_hidden") is True, "and JupyterLab"
        assert re.search(rf"\bcheck(_function|_backward)?\(\s*{n},\s*answer_{n},", check.source)
        assert "import" not in check.source
        index = nb.cells.index(check)
        assert nb.cells.index(answer) < index
        statement = next(c for c in reversed(nb.cells[:index]) if c.cell_type == "markdown").source
        assert f"**Exercise {n}.**" in statement or f"**Exercise {n}**" in "".join(
            c.source for c in nb.cells[:index] if c.cell_type == "markdown"
        )


@pytest.mark.parametrize("name", IN_TOC)
def test_one_checker_for_the_whole_book(name):
    """No chapter defines its own checker: every check goes through resources/exercises.py."""
    nb = read(name)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"^def check\w*\(", cell.source, re.M), name


def test_the_trivial_and_repeated_exercises_are_gone():
    """Parameter counting appears once (chapter 1, as a formula to derive); no true/false."""
    counting = []
    for name in MINE:
        nb = read(name)
        for n in exercise_numbers(nb):
            (check,) = tagged_cells(nb, f"check-{n}")
            if re.search(r"\.size\b.*\.size\b|weights\.size", check.source):
                counting.append((name, n))
        for cell in nb.cells:
            assert "True or false" not in cell.source, name
    assert counting == [("01_introducing_neural_networks", 2)]
    ch03 = read("03_adding_layers")
    (statement,) = [c for c in ch03.cells if "**Exercise 1.**" in c.source]
    assert "shape" not in statement.source  # its old answer was printed just above it


def _numbers_shown(value):
    """The ways a computed answer could appear in a cell's source."""
    shown = set()
    for v in np.ravel(np.asarray(value, dtype=float)):
        if float(v).is_integer():
            if abs(v) >= 10:
                shown.add(rf"(?<![\w.]){int(v)}(?![\d.])")
        else:
            for digits in (3, 4, 6):
                shown.add(re.escape(f"{v:.{digits}g}"))
    return shown


def _run_with_solutions(name, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    nb = read(name)
    found = solutions(nb)
    cells = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        answer = next((int(t[7:]) for t in tags if re.fullmatch(r"answer-\d+", t)), None)
        check = next((int(t[6:]) for t in tags if re.fullmatch(r"check-\d+", t)), None)
        if answer is not None:
            cell = nbformat.v4.new_code_cell(found[answer])
        cells.append(cell)
        if check is not None:
            n, source = check, cell.source
            extra = {
                f"value-{n}": (
                    f"_saved = answer_{n}\n"
                    "print(json.dumps(None if callable(_saved) or isinstance(_saved, str) "
                    "else np.asarray(_saved, dtype=float).tolist()))"
                ),
                f"wrong-{n}": (
                    f"answer_{n} = ((lambda *args: 12345.0) if callable(_saved) else "
                    "_saved + 'z' if isinstance(_saved, str) else "
                    f"np.asarray(_saved, dtype=float) + 1.0)\n{source}"
                ),
                f"type-{n}": (
                    f"answer_{n} = 3.0 if isinstance(_saved, str) else 'not a number'\n{source}"
                ),
                f"none-{n}": f"answer_{n} = None\n{source}",
                f"restore-{n}": f"answer_{n} = _saved",
            }
            for tag, code in extra.items():
                new = nbformat.v4.new_code_cell(code)
                new.metadata["tags"] = [tag]
                cells.append(new)
    cells.insert(0, nbformat.v4.new_code_cell("import json"))
    nb.cells = cells
    path = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = ROOT / "book"
    NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(book)}},
        config=kernel_config(),
    ).execute()
    return nb


@pytest.mark.parametrize("name", MINE)
def test_solutions_pass_and_wrong_answers_get_clear_messages(name, tmp_path, monkeypatch):
    nb = _run_with_solutions(name, tmp_path, monkeypatch)
    for n in exercise_numbers(read(name)):
        assert output_of(nb, f"check-{n}") == f"Exercise {n}: correct!\n", (name, n)
        assert output_of(nb, f"wrong-{n}").startswith(f"Exercise {n}: not quite."), (name, n)
        typed = output_of(nb, f"type-{n}")
        assert typed.startswith(f"Exercise {n}: not quite. Expected "), (name, n, typed)
        assert output_of(nb, f"none-{n}").startswith(f"Exercise {n}: not answered yet."), (
            name,
            n,
        )
        value = json.loads(output_of(nb, f"value-{n}"))
        if value is not None:
            (check,) = tagged_cells(nb, f"check-{n}")
            statement = "".join(c.source for c in nb.cells if f"**Exercise {n}.**" in c.source)
            for pattern in _numbers_shown(value):
                if re.search(pattern, statement):
                    continue  # the answer is one of the exercise's own inputs
                assert not re.search(pattern, check.source), (name, n, pattern)


@pytest.mark.parametrize("name", MINE)
def test_every_check_says_not_answered_in_the_build(executed, name):
    nb = executed(name)
    for n in exercise_numbers(nb):
        text = output_of(nb, f"check-{n}")
        assert text.startswith(f"Exercise {n}: not answered yet."), (name, n, text)
        assert text.count("\n") == 1, "one line, and no return value shown"
