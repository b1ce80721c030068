"""The augmentation explorer of chapter 13: its JS under Node against ``resources.data.rotate``,
the Python side, and the stand-in page in Chromium (sliders, keyboard, 390 px). The built page
is checked in ``tests/chapters/test_chapters_11_13_static.py``.
"""

import numpy as np
import pytest

from resources.widgets import AugmentationExplorer
from resources.widgets.augmentation_explorer import HALF_GAP
from tests.explorers.node_harness import run_js
from tests.explorers.stand_in import (
    axe_violations,
    check_controls,
    keyboard_walk,
    narrow_screen,
    press_on,
    screenshot,
    stand_in_page,
)
from tests.notebooks import numbers_in


def make_explorer(**kwargs):
    rng = np.random.default_rng(21)
    return AugmentationExplorer(rng.uniform(-1, 1, (30, 2)), rng.integers(0, 3, 30), **kwargs)


DRIVER = """out({
  halfGap: m.HALF_GAP,
  out: data.grid.map(([s, k]) => ({
    augmented: m.augment(data.points, data.labels, data.unit, s, k),
    share: m.shareBeyond(data.unit, s, k),
  })),
});"""


def test_js_agrees_with_resources_data():
    explorer = make_explorer(max_copies=6, copies=6)
    grid = [(s, k) for s in (0.0, 0.1, 0.575, 1.0, 2.0) for k in (0, 1, 6)]
    payload = {
        "points": explorer.points,
        "labels": explorer.labels,
        "unit": explorer.unit_angles,
        "grid": grid,
    }
    js = run_js("augmentation_explorer.js", DRIVER, payload)
    np.testing.assert_allclose(js["halfGap"], HALF_GAP, rtol=1e-15)
    np.testing.assert_allclose(2 * HALF_GAP, (20 - 6 * np.pi), rtol=1e-15)
    for (s, k), result in zip(grid, js["out"], strict=True):
        explorer.angle_std, explorer.copies = s, k
        X_aug, y_aug = explorer.augmented()
        np.testing.assert_allclose(result["augmented"]["points"], X_aug, rtol=1e-12, atol=1e-14)
        assert result["augmented"]["labels"] == y_aug.tolist()
        assert result["share"] == pytest.approx(explorer.share_beyond(), abs=1e-12)


def test_python_side():
    explorer = make_explorer(angle_std=0.3, copies=2, seed=5)
    X = np.array(explorer.points)
    unit = np.random.default_rng(5).standard_normal((10, len(X)))
    X_aug, y_aug = explorer.augmented()
    assert X_aug.shape == (90, 2) and y_aug.shape == (90,)
    # Rotation by hand: x1' = cos a x1 - sin a x2, x2' = sin a x1 + cos a x2.
    a = 0.3 * unit[1]
    expected = np.column_stack(
        [np.cos(a) * X[:, 0] - np.sin(a) * X[:, 1], np.sin(a) * X[:, 0] + np.cos(a) * X[:, 1]]
    )
    np.testing.assert_allclose(X_aug[60:], expected, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(*X_aug.T), np.tile(np.hypot(*X.T), 3))
    assert explorer.share_beyond() == pytest.approx(
        np.mean(np.abs(0.3 * unit[:2]) > 0.575), abs=0.01
    )
    with pytest.raises(Exception, match="copies must lie"):
        explorer.copies = 11
    with pytest.raises(Exception, match="angle_std must be"):
        explorer.angle_std = -0.1
    with pytest.raises(ValueError, match="shape"):
        AugmentationExplorer(np.zeros((3, 3)), [0, 1, 2])


# --- in Chromium: the widget's module with a stand-in model ----------------------------------


@pytest.fixture
def page(tmp_path, browser):
    with stand_in_page(browser, tmp_path, make_explorer(angle_std=0.25, copies=7)) as tab:
        yield tab


def assert_shows(page, std, copies):
    explorer = make_explorer(angle_std=std, copies=copies)
    count = int(page.get_by_test_id("aug-count").inner_text())
    assert count == len(explorer.augmented()[1])
    share = numbers_in(page.get_by_test_id("aug-share").inner_text())[0]
    assert share == pytest.approx(100 * explorer.share_beyond(), abs=0.051)
    assert page.locator("[data-testid=aug-picture] circle").count() == count


def test_renders_and_follows_the_sliders(page):
    for std, copies in [(0.25, 7), (1.0, 3), (2.0, 10), (0.0, 0)]:
        page.get_by_test_id("aug-std").fill(str(std))
        page.get_by_test_id("aug-copies").fill(str(copies))
        assert page.evaluate("window.model.values.copies") == copies
        assert_shows(page, std, copies)


def test_keyboard_alone_works_the_explorer(page):
    walk = keyboard_walk(page)
    assert [c["testid"] for c in walk] == ["aug-std", "aug-copies"]
    assert check_controls(walk) == []
    assert [c["name"] for c in walk] == ["rotation spread s (rad)", "rotated copies"]
    after = press_on(page, "aug-std", "ArrowRight")
    assert after["testid"] == "aug-std" and after["valuetext"] == "0.30 radians"
    assert page.evaluate("window.model.values.angle_std") == pytest.approx(0.3)
    page.keyboard.press("PageUp")
    assert page.evaluate("window.model.values.angle_std") == pytest.approx(0.8)
    after = press_on(page, "aug-copies", "ArrowLeft")
    assert after["valuetext"] == "6" and page.evaluate("window.model.values.copies") == 6
    assert_shows(page, 0.8, 6)
    page.keyboard.press("Home")
    assert_shows(page, 0.8, 0)
    assert axe_violations(page) == []


def test_fits_a_390_px_screen(tmp_path, browser):
    with stand_in_page(browser, tmp_path, make_explorer(), width=390) as tab:
        report = narrow_screen(tab)
        screenshot(tab, "augmentation-explorer-390px")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report
