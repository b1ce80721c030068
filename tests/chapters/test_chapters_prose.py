"""The chapters as text: links, numbers quoted from outputs, line lengths, the engine's story.

Each test reads the stored notebooks (and, for glue, the executed ones): what the prose says
must be true of the book as it is.
"""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.notebooks import glued as glued_values

ROOT = Path(__file__).resolve().parents[2]
MINE = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
IN_TOC = {
    Path(chapter["file"]).name
    for part in yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]
    for chapter in part["chapters"]
}
NUMBERS_IN_TOC = {int(name[:2]) for name in IN_TOC if name[:2].isdigit()}
GLUE = re.compile(r"\{glue:text\}`([A-Za-z0-9_]+)(?::[^`]*)?`")


def read(name):
    return nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)


def markdown(name):
    return "\n".join(c.source for c in read(name).cells if c.cell_type == "markdown")


@pytest.mark.parametrize("name", MINE)
def test_every_chapter_reference_is_a_checked_link_to_a_chapter_the_book_has(name):
    text = markdown(name)
    number = int(name[:2]) if name[:2].isdigit() else None  # the appendix has no number
    for target in re.findall(r"\{doc\}`[^`<]*<([^>]+)>`", text):
        assert target in IN_TOC, f"{name} links to {target}, which is not in _toc.yml"
    bare = re.sub(r"\{doc\}`[^`]*`", "", text)
    for line in bare.splitlines():
        if line.startswith("#"):
            continue
        for mention in re.findall(r"(?<![`\w])[Cc]hapter (\d+)", line):
            assert int(mention) == number, f"{name}: 'chapter {mention}' is not a link: {line}"
        for group in re.findall(r"[Cc]hapters ((?:\d+(?:,| and| to|-| or)? ?)+)", line):
            for mention in re.findall(r"\d+", group):
                assert int(mention) in NUMBERS_IN_TOC, f"{name}: {line}"


def test_no_page_promises_chapters_the_book_lacks():
    for name in MINE:
        text = markdown(name)
        assert "The book has 22 chapters" not in text
        for mention in re.findall(r"(?<![\d-])(1[4-9]|2[0-9])(?= [A-Z])", text):
            assert int(mention) in NUMBERS_IN_TOC, name
    intro = (ROOT / "book" / "intro.md").read_text()
    assert "22 chapters" not in intro


@pytest.mark.parametrize("name", MINE)
def test_glued_numbers_are_defined_by_the_chapter(executed, name):
    glued = glued_values(executed(name))
    for key in GLUE.findall(markdown(name)):
        assert key in glued, f"{name} quotes {key}, which no cell glues"


@pytest.mark.parametrize("name", MINE)
def test_glued_values_are_plain_numbers_or_text(executed, name):
    """MyST-NB formats a glued value from its text form: a NumPy scalar's repr would break it."""
    for text in glued_values(executed(name)).values():
        assert not text.startswith("np."), (name, text)


@pytest.mark.parametrize("name", MINE)
def test_code_lines_fit_the_page_column(name):
    for cell in read(name).cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                assert len(line) <= 88, f"{name}: {line}"


@pytest.mark.parametrize("name", MINE)
def test_the_engine_story_is_told_as_it_is(name):
    """The engine is written once; chapters read and check its pieces, they do not add them."""
    text = markdown(name)
    for claim in ("engine gained", "shared engine gained", "shared code gained", "engine learns"):
        assert claim not in text.lower(), f"{name}: {claim!r}"
    if name.startswith("03"):
        assert "agree to the\nlast digit on every machine" not in text
        assert "last digit can differ" in text


def test_numbers_quoted_in_prose_come_from_glue():
    """The sentences that once quoted numbers by hand now paste them from the output."""
    quoted = {
        "04_activation_functions": ["ch04_fit_mse", "ch04_error_ratio"],
        "07_derivatives": ["ch07_best_central_error"],
        "10_optimizers": ["ch10_rmsprop_start_peak", "ch10_adam_episode_length"],
        "11_out_of_sample_data": ["ch11_test_acc", "ch11_standard_error"],
        "12_validation_data": ["ch12_sorted_train", "ch12_chosen_width"],
        "13_training_dataset": ["ch13_chosen_std", "ch13_val_se"],
    }
    for name, keys in quoted.items():
        found = set(GLUE.findall(markdown(name)))
        assert set(keys) <= found, name
    assert "keep its angles well below" not in markdown("13_training_dataset")
    assert "which is why $s = 2$ hurt" not in markdown("13_training_dataset")


def test_the_intro_counts_the_chapters_with_explorers():
    words = {11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen"}
    with_explorers = [
        n for n in MINE if "resources.widgets" in (ROOT / "book" / f"{n}.ipynb").read_text()
    ]
    intro = (ROOT / "book" / "intro.md").read_text()
    assert f"in {words[len(with_explorers)]} of the chapters, lets you move" in intro
    numbered = [n for n in MINE if n[:2].isdigit()]
    assert f"{len(numbered)} chapters" not in intro  # spelled out, as below
    assert "Twenty-five chapters in six parts" in intro and len(numbered) == 25
