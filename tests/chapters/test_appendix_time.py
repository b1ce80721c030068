"""Appendix "Where the time goes": every claim of its prose, checked on the executed notebook.

Its figures are timings of the machine that runs it, so the tests check what the prose says
about them (which step is the largest, which word describes a ratio, that the masks agree),
not the timings themselves; the measurements that do not depend on the machine are exact.
"""

import re
from pathlib import Path

import nbformat
import pytest

from tests.notebooks import glued, numbers_in, output_of

NAME = "a1_where_the_time_goes"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def appendix(executed):
    return executed(NAME)


def value(nb, name):
    text = glued(nb)[name]
    try:
        return float(text)
    except ValueError:
        return text.strip("'\"")


def test_the_profile_shares_add_up_and_name_the_largest_step(appendix):
    shares = {
        step: value(appendix, f"apx_share_{step}") for step in ("forward", "backward", "update")
    }
    assert sum(shares.values()) == pytest.approx(100)
    assert all(share > 0 for share in shares.values())
    assert value(appendix, "apx_largest_step") == max(shares, key=shares.get)
    lines = output_of(appendix, "out-profile").splitlines()
    microseconds = [numbers_in(line)[0] for line in lines]
    assert sum(microseconds[:3]) == pytest.approx(microseconds[3], abs=0.2)
    assert value(appendix, "apx_epoch_us") == pytest.approx(microseconds[3], abs=0.1)


def test_a_product_costs_a_few_empty_calls(appendix):
    printed = numbers_in(output_of(appendix, "out-call-cost"))
    call_us, product_us = printed[2], printed[-2]  # 1x1 arrays; (300, 2) times (2, 64)
    assert value(appendix, "apx_product_calls") == pytest.approx(product_us / call_us, rel=0.05)
    assert value(appendix, "apx_product_calls") > 1  # the product does more than an empty call


def test_the_float64_word_matches_the_ratio(appendix):
    ratio = value(appendix, "apx_float64_epoch_ratio")
    assert value(appendix, "apx_float64_word") == ("slower" if ratio > 1 else "faster")
    # Three conversions and three more arrays: a product through nnfs.init()'s np.dot costs more.
    assert value(appendix, "apx_float64_product_ratio") > 1


def test_the_thread_word_matches_the_ratio_and_the_products_agree_to_rounding(appendix):
    ratio = value(appendix, "apx_thread_ratio")
    assert value(appendix, "apx_thread_word") == ("slower" if ratio > 1 else "faster")
    assert 0 <= value(appendix, "apx_thread_gap") < 1e-12  # "in the last bits of float64"


def test_the_uniform_mask_is_the_binomial_mask_and_cheaper(appendix):
    assert value(appendix, "apx_mask_same") == "the same"
    assert "the same mask: True" in output_of(appendix, "out-mask")
    assert value(appendix, "apx_mask_ratio") > 1  # "cost ... times less than the binomial ones"
    assert value(appendix, "apx_mask_vs_dense") > 0


def test_the_floor_is_below_the_engine_and_torch_is_described_truly(appendix):
    floor = value(appendix, "apx_floor_share")
    assert 0 < floor < 1  # the floor is faster than the engine, by a small factor
    assert floor > 0.1
    assert value(appendix, "apx_baseline_ratio") > 0
    sentence = value(appendix, "apx_torch_sentence")
    printed = output_of(appendix, "out-floor")
    if "torch" in printed.split("PyTorch is not installed")[0] and "torch " in printed:
        ratio = float(re.search(r"needed ([\d.]+) times", sentence).group(1))
        line = next(line for line in printed.splitlines() if line.startswith("torch"))
        assert ratio == pytest.approx(numbers_in(line)[-1], abs=0.01)
        assert ("more than it" in sentence) == (ratio > 1)
    else:
        assert "not installed" in sentence


def test_the_appendix_is_listed_after_the_last_chapter():
    toc = (ROOT / "_toc.yml").read_text()
    assert toc.index("book/22_prediction") < toc.index(f"book/{NAME}")


def test_every_glued_name_in_the_prose_is_glued(appendix):
    stored = nbformat.read(ROOT / "book" / f"{NAME}.ipynb", as_version=4)
    prose = "".join(cell.source for cell in stored.cells if cell.cell_type == "markdown")
    used = set(re.findall(r"\{glue:text\}`(\w+)", prose))
    assert used and used <= set(glued(appendix)), used - set(glued(appendix))


def test_the_appendix_leaves_numpy_as_it_found_it(appendix):
    # The benchmark calls nnfs.init(); the notebook puts NumPy's functions back afterwards.
    (last_code,) = [
        cell
        for cell in appendix.cells
        if cell.cell_type == "code" and "out-floor" in cell.metadata.get("tags", [])
    ]
    assert "restore_numpy_functions(NUMPY_OWN)" in last_code.source
