"""The optimizer explorer's stored runs are what the engine trains today."""

import json

import numpy as np
import pytest

from resources.widgets import optimizer_explorer as oe


@pytest.fixture(scope="module")
def stored():
    return json.loads(oe.STORED_RUNS.read_text())


def test_the_stored_grid_is_the_default_grid(stored):
    assert stored["grid"] == json.loads(json.dumps(oe.DEFAULT_GRID))
    keys = [key for key, *_ in oe.all_settings(oe.DEFAULT_GRID)]
    assert sorted(stored["runs"]) == sorted(keys)


@pytest.mark.parametrize("key", ["Adam|3|0|0", "SGD|3|0|2", "RMSProp|1|1|0", "AdaGrad|2|2|0"])
def test_stored_runs_match_a_fresh_training_run(stored, key):
    X, y, start = oe.starting_point()
    settings = {
        k: (name, lr, decay, m) for k, name, lr, decay, m in oe.all_settings(stored["grid"])
    }
    optimizer = oe.make_optimizer(*settings[key])
    grid = stored["grid"]
    losses, accuracies, layers = oe.train_run(
        X, y, start, optimizer, grid["epochs"], grid["record_every"]
    )
    run = stored["runs"][key]
    # Rounded to 3 decimals when stored; long runs may drift by float32 rounding across CPUs.
    np.testing.assert_allclose(run["loss"], losses, atol=2e-3)
    np.testing.assert_allclose(run["accuracy"], accuracies, atol=0.01)
    regions = oe.decision_map(layers, grid["map_size"], grid["extent"])
    agree = np.mean([a == b for a, b in zip(run["regions"], regions, strict=True)])
    assert agree > 0.99


def test_building_the_explorer_trains_nothing(monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("OptimizerExplorer() must not train")

    monkeypatch.setattr(oe, "precompute", no_training)
    explorer = oe.OptimizerExplorer()
    assert explorer.precompute_seconds is None and len(explorer.runs) == 90
