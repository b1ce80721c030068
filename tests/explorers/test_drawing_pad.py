"""The drawing pad of chapter 22: its JavaScript reduces strokes exactly as
``resources.datasets`` does and runs the model's forward pass like ``model.predict``, under
Node, on a stand-in page (strokes drawn with the mouse and with the keyboard), on the built
book page (offline, no kernel) and in JupyterLab, where the page sends the drawing to the
kernel."""

import json
import time

import numpy as np
import pytest

from resources.classes import DenseLayer, ReLU, SoftMax
from resources.datasets import scale_pixels, strokes_to_image, train_digits_model
from resources.widgets import DrawingPad
from resources.widgets.drawing_pad import _encode
from tests.explorers.node_harness import run_js
from tests.explorers.stand_in import (
    axe_violations,
    check_controls,
    keyboard_walk,
    narrow_screen,
    screenshot,
    stand_in_page,
)
from tests.site.test_jupyterlab import lab  # noqa: F401 (the JupyterLab server fixture)

SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="module")
def model():
    return train_digits_model(seed=0).model


def _random_strokes(rng, size=224):
    strokes = []
    for _ in range(int(rng.integers(1, 4))):
        n = int(rng.integers(1, 25))
        strokes.append(np.round(rng.uniform(0, size, size=(n, 2)), 2).tolist())
    return strokes


def _python_reference(model, strokes, size=224):
    image = strokes_to_image(strokes, size)
    if image.sum() == 0:
        return image, None
    return image, model.predict(scale_pixels(image.reshape(1, 64)))[0]


def _assert_agrees(model, strokes, image, probabilities, size=224):
    expected_image, expected = _python_reference(model, strokes, size)
    np.testing.assert_array_equal(np.array(image).reshape(8, 8), expected_image)
    if expected is None:
        assert probabilities is None
    else:
        np.testing.assert_allclose(probabilities, expected, rtol=0, atol=1e-12)


# -- the JavaScript under Node ------------------------------------------------------------------


def test_js_reduction_and_forward_pass_equal_python(model):
    pad = DrawingPad(model)
    rng = np.random.default_rng(22)
    drawings = [_random_strokes(rng) for _ in range(12)]
    drawings += [[], [[[100.0, 100.0]]], [[[10.0, 10.0], [10.0, 10.0]]], [[[0, 0], [224, 224]]]]
    got = run_js(
        "drawing_pad.js",
        """const layers = m.decodeLayers(data.layers);
        out(data.drawings.map((s) => m.readDrawing(s, 224, data.reduction, layers)));""",
        {"layers": pad.layers, "reduction": pad.reduction, "drawings": drawings},
    )
    for strokes, result in zip(drawings, got, strict=True):
        _assert_agrees(model, strokes, result["image"], result["probabilities"])


def test_js_decodes_the_stored_weights_exactly_and_scales_like_python():
    weights = np.random.default_rng(0).standard_normal((3, 4))
    got = run_js(
        "drawing_pad.js",
        "out([m.decodeFloat64(data.w), m.scalePixels([0, 3, 8, 16], { pixel_max: 16 })]);",
        {"w": _encode(weights)},
    )
    assert np.array_equal(np.array(got[0]).reshape(3, 4), weights)
    assert got[1] == scale_pixels([0, 3, 8, 16]).tolist()


# -- the Python side --------------------------------------------------------------------------


def test_python_side_predicts_like_the_model(model):
    strokes = [[[60.0, 40.0], [170.0, 40.0], [100.0, 190.0]]]
    pad = DrawingPad(model, strokes=strokes)
    image, expected = _python_reference(model, strokes)
    np.testing.assert_array_equal(pad.image_from_strokes(), image)
    np.testing.assert_array_equal(pad.predict(), expected)
    # A list of layers works too and gives the same numbers.
    by_layers = DrawingPad(model.layers, strokes=strokes)
    np.testing.assert_allclose(by_layers.predict(), expected, rtol=0, atol=1e-15)
    assert [layer["type"] for layer in pad.layers] == ["dense", "relu", "dense", "softmax"]
    assert pad.labels == [str(k) for k in range(10)]


@pytest.mark.parametrize(
    ("layers", "words"),
    [
        (lambda: [DenseLayer(64, 10), ReLU()], "last layer is SoftMax"),
        (lambda: [DenseLayer(10, 10), SoftMax()], "64 pixels"),
        (lambda: [DenseLayer(64, 10), object(), SoftMax()], "got object"),
    ],
)
def test_models_the_page_cannot_run_are_refused(layers, words):
    with pytest.raises(ValueError, match=words):
        DrawingPad(layers())


def test_bad_settings_are_refused(model):
    with pytest.raises(ValueError, match="size"):
        DrawingPad(model, size=10)
    with pytest.raises(ValueError, match="stroke 0"):
        DrawingPad(model, strokes=[[[1.0, 2.0, 3.0]]])
    with pytest.raises(ValueError, match="10 labels"):
        DrawingPad(model, labels=["a", "b"])


# -- in Chromium, on a stand-in page -------------------------------------------------------------


def draw(tab, strokes_in_fractions, steps=6):
    """Draw with the mouse; each stroke a list of (x, y) as fractions of the canvas."""
    box = tab.get_by_test_id("pad-canvas").bounding_box()
    for stroke in strokes_in_fractions:
        x0, y0 = stroke[0]
        tab.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
        tab.mouse.down()
        for x, y in stroke[1:]:
            tab.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=steps)
        tab.mouse.up()


def shown(tab):
    """The strokes the page recorded, the 8x8 image it shows and its probabilities."""
    image = tab.get_by_test_id("pad-preview").get_attribute("data-image")
    probabilities = tab.get_by_test_id("pad-bars").get_attribute("data-probabilities")
    strokes = tab.get_by_test_id("pad-canvas").get_attribute("data-strokes")
    return tab.evaluate(
        "(texts) => texts.map((t) => JSON.parse(t))", [strokes, image, probabilities]
    )


SEVEN = [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)], [(0.35, 0.5), (0.65, 0.5)]]


@pytest.fixture
def page(tmp_path, browser, model):
    with stand_in_page(browser, tmp_path, DrawingPad(model)) as tab:
        yield tab


def test_drawn_strokes_are_read_as_python_reads_them(page, model):
    assert page.get_by_test_id("pad-verdict").inner_text() == "Nothing drawn yet."
    draw(page, SEVEN)
    strokes, image, probabilities = shown(page)
    assert len(strokes) == 2 and all(len(s) > 3 for s in strokes)
    _assert_agrees(model, strokes, image, probabilities)
    assert page.evaluate("window.model.values.strokes") == strokes
    assert page.evaluate("window.model.values.image") == image
    assert page.evaluate("window.model.values.probabilities") == probabilities
    assert page.evaluate("window.model.saved") == 2  # once per finished stroke
    best = int(np.argmax(probabilities))
    assert f"reads {best} " in page.get_by_test_id("pad-verdict").inner_text()
    meter = page.get_by_test_id(f"pad-bar-{best}")
    assert float(meter.get_attribute("aria-valuenow")) == pytest.approx(
        100 * probabilities[best], abs=0.05
    )
    screenshot(page, "drawing-pad")

    page.get_by_test_id("pad-undo").click()
    strokes, image, probabilities = shown(page)
    assert len(strokes) == 1
    _assert_agrees(model, strokes, image, probabilities)
    page.get_by_test_id("pad-clear").click()
    strokes, image, probabilities = shown(page)
    assert strokes == [] and sum(image) == 0 and probabilities is None


def test_python_strokes_are_shown(page, model):
    strokes = [[[112.0, 30.0], [112.0, 200.0]]]
    page.evaluate("(s) => window.pythonSets('strokes', s)", strokes)
    got_strokes, image, probabilities = shown(page)
    assert got_strokes == strokes
    _assert_agrees(model, strokes, image, probabilities)


def test_the_keyboard_alone_draws_and_clears(page, model):
    walk = keyboard_walk(page)
    assert [c["testid"] for c in walk] == ["pad-canvas", "pad-clear", "pad-undo"]
    assert check_controls(walk) == []
    page.get_by_test_id("pad-canvas").focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Space")  # pen down
    for _ in range(6):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")  # pen up: the stroke is done
    strokes, image, probabilities = shown(page)
    assert strokes == [[[112, 96 + 8 * k] for k in range(7)]]
    _assert_agrees(model, strokes, image, probabilities)
    page.keyboard.press("Delete")
    assert shown(page)[0] == []
    violations = [v for v in axe_violations(page) if v["impact"] in SERIOUS]
    assert violations == []


def test_fits_a_390_px_screen_and_draws_there(tmp_path, browser, model):
    with stand_in_page(browser, tmp_path, DrawingPad(model), width=390) as tab:
        draw(tab, SEVEN)
        report = narrow_screen(tab)
        screenshot(tab, "drawing-pad-390px")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report
        strokes, image, probabilities = shown(tab)
        _assert_agrees(model, strokes, image, probabilities)
        # The canvas is drawn smaller than its 224 pixels; the strokes stay in its coordinates.
        assert tab.get_by_test_id("pad-canvas").bounding_box()["width"] < 390
        assert max(max(x, y) for s in strokes for x, y in s) <= 224


# -- on the built book page, offline, no kernel ----------------------------------------------


def _stored_pad_state(executed):
    nb = executed("22_prediction")
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    found = [e["state"] for e in states.values() if "reduction" in e["state"]]
    assert len(found) == 1, "chapter 22 shows one drawing pad"
    return found[0]


def test_drawing_pad_works_on_the_static_page(offline_page, site_url, executed, model):
    state = _stored_pad_state(executed)
    # The page runs the chapter's model: train_digits_model(seed=0), weights bit for bit.
    dense = [layer for layer in model.layers if isinstance(layer, DenseLayer)]
    stored = [layer for layer in state["layers"] if layer["type"] == "dense"]
    for layer, saved in zip(dense, stored, strict=True):
        assert saved["weights"] == _encode(layer.weights)
        assert saved["biases"] == _encode(layer.biases.reshape(-1))

    tab = offline_page
    tab.goto(site_url + "book/22_prediction.html")
    # The page loads the widget manager when a widget comes near the viewport: scroll to it.
    view = tab.locator("script[type='application/vnd.jupyter.widget-view+json']")
    assert view.count() == 1
    view.evaluate("(script) => script.parentElement.scrollIntoView()")
    tab.wait_for_selector("[data-testid=drawing-pad][data-ready=true]", timeout=60_000)
    tab.get_by_test_id("pad-canvas").scroll_into_view_if_needed()
    strokes, image, probabilities = shown(tab)
    assert strokes == state["strokes"]  # it opens with the chapter's example drawing
    _assert_agrees(model, strokes, image, probabilities)
    tab.get_by_test_id("pad-clear").click()
    assert tab.get_by_test_id("pad-verdict").inner_text() == "Nothing drawn yet."
    draw(tab, SEVEN)
    strokes, image, probabilities = shown(tab)
    assert len(strokes) == 2
    _assert_agrees(model, strokes, image, probabilities)
    screenshot(tab, "drawing-pad-static-page")
    assert tab.log.problems() == []


# -- in JupyterLab, with a kernel: the page sends the drawing back to Python ----------------


def test_drawing_pad_in_jupyterlab_syncs_with_the_kernel(lab, browser):  # noqa: F811
    from tests.site.test_jupyterlab import (
        KERNEL_EXECUTE,
        _accept_kernel,
        _artifacts_on_failure,
        _browser_page,
        _click_menu,
        _wait_for_run_all,
    )

    with _browser_page(browser) as tab, _artifacts_on_failure(tab, lab, "drawing-pad-lab"):
        tab.goto(f"{lab.base}/lab/tree/book/22_prediction.ipynb?reset&token={lab.token}")
        tab.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for()
        _accept_kernel(tab)
        _click_menu(tab, "Run", "Run All Cells")
        _wait_for_run_all(tab, 300)
        pad = tab.locator("[data-testid=drawing-pad][data-ready=true]")
        pad.wait_for()
        pad.scroll_into_view_if_needed()
        tab.get_by_test_id("pad-clear").click()
        draw(tab, SEVEN)
        strokes, image, probabilities = shown(tab)
        assert len(strokes) == 2

        ask = (
            "print(__import__('json').dumps({'strokes': pad.strokes, 'image': pad.image, "
            "'probabilities': pad.probabilities, 'python': pad.predict().tolist(), "
            "'python_image': pad.image_from_strokes().tolist()}))"
        )
        deadline = time.monotonic() + 30
        while True:
            kernel = json.loads(tab.evaluate(KERNEL_EXECUTE, ask))
            if kernel["strokes"] == strokes or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert kernel["strokes"] == strokes, "the kernel did not receive the page's strokes"
        assert kernel["image"] == image and kernel["probabilities"] == probabilities
        np.testing.assert_array_equal(np.array(kernel["python_image"]).reshape(64), image)
        np.testing.assert_allclose(kernel["python"], probabilities, rtol=0, atol=1e-12)


# -- keeping drawings, for measuring a model on one's own handwriting ---------------------------


def test_kept_drawings_come_back_as_images_and_labels(model):
    pad = DrawingPad(model)
    images, labels = pad.kept()
    assert images.shape == (0, 8, 8) and labels.shape == (0,)  # nothing kept: empty arrays
    with pytest.raises(ValueError, match="the pad is empty"):
        pad.keep(7)
    seven = [[[60.0, 40.0], [170.0, 40.0], [100.0, 190.0]]]
    one = [[[95.0, 50.0], [125.0, 25.0], [125.0, 200.0]]]
    pad.strokes = seven
    assert pad.keep(7) == 1
    pad.strokes = one
    assert pad.keep(np.int64(1)) == 2
    images, labels = pad.kept()
    np.testing.assert_array_equal(images[0], strokes_to_image(seven, 224))
    np.testing.assert_array_equal(images[1], strokes_to_image(one, 224))
    np.testing.assert_array_equal(labels, [7, 1])
    for bad, error in [(10, ValueError), (-1, ValueError), ("7", TypeError), (True, TypeError)]:
        with pytest.raises(error, match="class index 0-9"):
            pad.keep(bad)
    assert len(pad.kept()[1]) == 2


def test_labels_default_to_the_models_class_names(model):
    assert model.class_names == [str(k) for k in range(10)]
    model_with_names = train_digits_model(seed=0, epochs=1).model
    model_with_names.class_names = [f"digit {k}" for k in range(10)]
    assert DrawingPad(model_with_names).labels[3] == "digit 3"


def test_python_side_scales_with_the_models_input_rule(model):
    import copy

    from resources.datasets import DIGITS_INPUT_RULE, prepare_inputs

    strokes = [[[60.0, 40.0], [170.0, 40.0], [100.0, 190.0]]]
    other = copy.copy(model)  # the same layers, another input rule
    other.input_rule = dict(DIGITS_INPUT_RULE, scaled_to=[0.0, 1.0])
    pad = DrawingPad(other, strokes=strokes)
    flat = pad.image_from_strokes().reshape(1, 64)
    expected = model.predict(prepare_inputs(flat, other.input_rule))[0]
    np.testing.assert_array_equal(pad.predict(), expected)
    assert not np.allclose(pad.predict(), model.predict(scale_pixels(flat))[0])
