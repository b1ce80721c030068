"""The ReLU-pieces explorer on chapter 4's built page: no kernel, no network.

The page is served from the strict build (``built_book``) and may only talk to localhost.
Moving the explorer's controls must redraw it and show the error the engine computes for the
same parameters. The test needs the site's own copies of the widget scripts (``vendor/`` in the
built site); without them a page would fetch the widget manager from a CDN, so it skips.
"""

from pathlib import Path

import pytest

from resources.widgets import ReluPiecesExplorer
from tests.conftest import open_offline_page


@pytest.fixture(scope="module")
def chapter_page(built_book, browser, site_url):
    site = Path(built_book) / "_build" / "html"
    if not (site / "vendor" / "html-manager").exists():
        pytest.skip("the built site has no local widget scripts (vendor/html-manager)")
    tab = open_offline_page(browser)
    tab.goto(f"{site_url}book/04_activation_functions.html")
    tab.get_by_test_id("relu-mse").wait_for(timeout=60_000)
    yield tab, tab.log.errors, tab.log.refused
    tab.context.close()


def _shown_mse(tab):
    return float(tab.get_by_test_id("relu-mse").inner_text().split(":")[1])


def test_explorer_renders_and_responds_on_the_static_page(chapter_page):
    tab, errors, outside = chapter_page
    reference = ReluPiecesExplorer(n_hidden=8, preset="sine")
    assert _shown_mse(tab) == pytest.approx(reference.mse(), abs=1e-5)
    assert tab.locator("[data-testid^=relu-piece-]").count() == 8

    curve = tab.get_by_test_id("relu-curve").get_attribute("d")
    tab.get_by_test_id("relu-neuron-4").click()
    tab.get_by_test_id("relu-w2").fill("-2")
    reference.set_neuron(4, w2=-2.0)
    assert tab.get_by_test_id("relu-curve").get_attribute("d") != curve
    assert _shown_mse(tab) == pytest.approx(reference.mse(), abs=1e-5)
    assert "switches on at x = 0.500" in tab.get_by_test_id("relu-neuron-readout").inner_text()

    tab.get_by_test_id("relu-preset-zero").click()
    assert _shown_mse(tab) == pytest.approx(0.5, abs=1e-5)
    tab.get_by_test_id("relu-preset-sine").click()
    assert _shown_mse(tab) == pytest.approx(ReluPiecesExplorer().mse(), abs=1e-5)
    assert errors == []
    assert outside == [], f"the page reached outside the site: {outside}"
