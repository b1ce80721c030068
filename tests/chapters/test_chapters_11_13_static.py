"""The explorers of chapters 11 and 13 on the built pages: no kernel, no network.

The pages come from the strict build and are served on 127.0.0.1 (``offline_page`` refuses
every other request). The explorers are driven like a reader would drive them, and what they
show is compared with the engine: a ``CheckpointExplorer`` / ``AugmentationExplorer`` rebuilt
in Python from the widget state the build stored in the executed notebook.
"""

import numpy as np
import pytest

from resources.widgets import AugmentationExplorer, CheckpointExplorer
from tests.explorers.stand_in import open_built_page
from tests.notebooks import numbers_in

ANYWIDGET_MODEL = "AnyModel"
SETTLE_MS = 60_000


def _stored_state(executed, chapter, trait):
    """The state of the one anywidget in ``chapter`` that has ``trait``."""
    nb = executed(chapter)
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    found = [
        entry["state"]
        for entry in states.values()
        if entry["model_name"] == ANYWIDGET_MODEL and trait in entry["state"]
    ]
    assert len(found) == 1, f"expected one explorer with {trait!r} in {chapter}"
    return found[0]


def _open(page, site_url, chapter, testid):
    open_built_page(page, site_url, chapter, testid, timeout=SETTLE_MS)


def _move(page, testid, value):
    page.get_by_test_id(testid).fill(str(value))
    page.get_by_test_id(testid).dispatch_event("input")


# -- chapter 11 -------------------------------------------------------------------------------


@pytest.fixture
def checkpoint_reference(executed):
    state = _stored_state(executed, "11_out_of_sample_data", "checkpoints")
    checkpoints = [
        [np.array(p["w1"]), np.array([p["b1"]]), np.array(p["w2"]), np.array([p["b2"]])]
        for p in state["checkpoints"]
    ]
    reference = CheckpointExplorer(
        state["epochs"],
        checkpoints,
        state["train_points"],
        state["train_labels"],
        state["test_points"],
        state["test_labels"],
    )
    return reference, state


def _shown_scores(page):
    return {
        key: float(page.get_by_test_id(f"ckpt-{key}").inner_text())
        for key in ("train-acc", "train-loss", "test-acc", "test-loss")
    }


def test_checkpoint_explorer_on_the_static_page(
    offline_page, site_url, executed, checkpoint_reference
):
    reference, state = checkpoint_reference
    page = offline_page
    _open(page, site_url, "11_out_of_sample_data", "ckpt-readout")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=ckpt-test-acc]').textContent !== ''"
    )
    last = len(state["epochs"]) - 1
    # It opens at the end of training, where the chapter printed the final scores.
    assert numbers_in(page.get_by_test_id("ckpt-epoch").inner_text()) == [state["epochs"][last]]
    train_acc, train_loss, test_acc, test_loss, *_ = numbers_in(
        "".join(o.get("text", "") for o in _tagged(executed, "out-test")["outputs"])
    )
    shown = _shown_scores(page)
    assert shown["train-acc"] == pytest.approx(train_acc, abs=1.5e-3)
    assert shown["test-acc"] == pytest.approx(test_acc, abs=1.5e-3)
    assert shown["test-loss"] == pytest.approx(test_loss, abs=1.5e-3)
    assert shown["train-loss"] == pytest.approx(train_loss, abs=1.5e-3)

    pixels = page.get_by_test_id("ckpt-regions").screenshot()
    for index in (0, 3, 7, last - 2):
        _move(page, "ckpt-slider", index)
        epoch = state["epochs"][index]
        page.wait_for_function(
            f"() => document.querySelector('[data-testid=ckpt-epoch]').textContent"
            f".includes('epoch {epoch}')"
        )
        engine = reference.evaluate(index)
        shown = _shown_scores(page)
        for key, name in [
            ("train-acc", "train_accuracy"),
            ("train-loss", "train_loss"),
            ("test-acc", "test_accuracy"),
            ("test-loss", "test_loss"),
        ]:
            assert shown[key] == pytest.approx(engine[name], abs=6e-4), (epoch, key)
    assert page.get_by_test_id("ckpt-regions").screenshot() != pixels
    page.get_by_test_id("ckpt-show-test").click()
    assert page.get_by_test_id("ckpt-show-test").is_checked() is False
    assert page.log.problems() == []


def _tagged(executed, tag):
    nb = executed("11_out_of_sample_data")
    (cell,) = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    return cell


# -- chapter 13 -------------------------------------------------------------------------------


def test_augmentation_explorer_on_the_static_page(offline_page, site_url, executed):
    state = _stored_state(executed, "13_training_dataset", "unit_angles")
    reference = AugmentationExplorer(
        state["points"], state["labels"], angle_std=state["angle_std"], copies=state["copies"]
    )
    assert np.array_equal(np.array(reference.unit_angles), np.array(state["unit_angles"]))
    page = offline_page
    _open(page, site_url, "13_training_dataset", "aug-readout")
    for std, copies in [(state["angle_std"], state["copies"]), (1.0, 3), (2.0, 10), (0.1, 0)]:
        _move(page, "aug-std", std)
        _move(page, "aug-copies", copies)
        reference.angle_std, reference.copies = std, copies
        count = int(page.get_by_test_id("aug-count").inner_text())
        assert count == len(reference.augmented()[1]) == 75 * (copies + 1)
        share = numbers_in(page.get_by_test_id("aug-share").inner_text())[0]
        assert share == pytest.approx(100 * reference.share_beyond(), abs=0.051)
        assert page.locator("[data-testid=aug-picture] circle").count() == count
    assert page.log.problems() == []
