"""Early stopping in ``Model.train`` (``patience=``) and the model's parameter snapshots.

Training must stop once ``patience`` validation checks in a row have not beaten the best
validation loss; the model must end with the parameters of its best check, identical to a
run stopped by hand at that epoch; the history must say what happened.
"""

import numpy as np
import pytest
from nnfs.datasets import spiral_data

from resources.classes import (
    Adam,
    CategoricalAccuracy,
    CategoricalCrossEntropy,
    DenseLayer,
    Dropout,
    Model,
    ReLU,
    SoftMax,
)


def overfitting_model():
    """A wide network for a small training set: its validation loss soon turns upwards."""
    np.random.seed(2)
    model = Model()
    model.add(DenseLayer(2, 128))
    model.add(ReLU())
    model.add(DenseLayer(128, 3))
    model.add(SoftMax())
    model.set(
        loss=CategoricalCrossEntropy(),
        optimizer=Adam(learning_rate=0.01),
        accuracy=CategoricalAccuracy(),
    )
    model.finalize()
    return model


@pytest.fixture(scope="module")
def data():
    np.random.seed(0)
    X, y = spiral_data(samples=30, classes=3)
    X_val, y_val = spiral_data(samples=60, classes=3)
    return X, y, X_val, y_val


def test_it_stops_after_patience_checks_without_improvement(data, capsys):
    X, y, X_val, y_val = data
    model = overfitting_model()
    history = model.train(
        X,
        y,
        epochs=3000,
        print_every=None,
        validation_data=(X_val, y_val),
        validate_every=10,
        patience=5,
    )
    losses = history["validation_loss"]
    best = int(np.argmin(losses))
    assert history["stopped_epoch"] is not None and history["stopped_epoch"] < 2999
    # the last check is the patience-th after the best, and none of them beat it
    assert len(losses) == best + 1 + 5
    assert np.all(losses[best + 1 :] >= losses[best])
    assert history["best_epoch"] == history["validation_epoch"][best]
    assert history["stopped_epoch"] == history["validation_epoch"][-1] == history["epoch"][-1]
    assert history["stopped_epoch"] == history["best_epoch"] + 5 * 10
    assert history["best_epoch"] > 100  # the loss fell for a while before it turned
    # the restored model gives the best check's validation loss again
    loss, accuracy = model.evaluate(X_val, y_val)
    assert loss == losses[best]
    assert accuracy == history["validation_accuracy"][best]
    assert capsys.readouterr().out == ""  # print_every=None: silent


def test_the_restored_parameters_are_those_of_a_run_stopped_by_hand(data):
    X, y, X_val, y_val = data
    model = overfitting_model()
    model.train(
        X,
        y,
        epochs=3000,
        print_every=None,
        validation_data=(X_val, y_val),
        validate_every=10,
        patience=5,
        batch_size=16,
        seed=4,
    )
    best_epoch = model.history["best_epoch"]
    by_hand = overfitting_model()
    by_hand.train(X, y, epochs=best_epoch + 1, print_every=None, batch_size=16, seed=4)
    for ours, theirs in zip(model.get_parameters(), by_hand.get_parameters(), strict=True):
        assert ours.keys() == theirs.keys()
        for name in ours:
            np.testing.assert_array_equal(ours[name], theirs[name])


def test_a_run_that_never_runs_out_of_patience_still_ends_at_its_best(data, capsys):
    X, y, X_val, y_val = data
    model = overfitting_model()
    history = model.train(
        X,
        y,
        epochs=300,
        print_every=100,
        validation_data=(X_val, y_val),
        validate_every=10,
        patience=1000,
    )
    assert history["stopped_epoch"] is None
    assert len(history["epoch"]) == 300
    best = int(np.argmin(history["validation_loss"]))
    assert history["best_epoch"] == history["validation_epoch"][best]
    assert model.evaluate(X_val, y_val)[0] == history["validation_loss"][best]
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == (
        f"early stopping: ran every epoch; restored epoch {history['best_epoch']} "
        f"(validation loss {history['validation_loss'][best]:.3f})"
    )


def test_the_summary_line_says_where_it_stopped(data, capsys):
    X, y, X_val, y_val = data
    model = overfitting_model()
    history = model.train(
        X,
        y,
        epochs=3000,
        print_every=1000,
        validation_data=(X_val, y_val),
        validate_every=10,
        patience=3,
    )
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"early stopping: stopped after epoch {history['stopped_epoch']}; ")
    assert f"restored epoch {history['best_epoch']} " in last


def test_without_patience_nothing_changes(data):
    X, y, X_val, y_val = data
    runs = []
    for patience in (None, 10**6):
        model = overfitting_model()
        model.train(
            X,
            y,
            epochs=50,
            print_every=None,
            validation_data=(X_val, y_val),
            validate_every=5,
            patience=patience,
        )
        runs.append(model)
    np.testing.assert_array_equal(runs[0].history["loss"], runs[1].history["loss"])
    assert "best_epoch" not in runs[0].history
    # the run with (endless) patience differs only in ending at its best check
    assert runs[1].history["stopped_epoch"] is None


def test_patience_needs_validate_every_and_a_count(data):
    X, y, X_val, y_val = data
    model = overfitting_model()
    with pytest.raises(ValueError, match="patience counts validation checks"):
        model.train(X, y, epochs=5, validation_data=(X_val, y_val), patience=3)
    with pytest.raises(ValueError, match="patience must be a positive integer"):
        model.train(X, y, epochs=5, validation_data=(X_val, y_val), validate_every=1, patience=0)
    with pytest.raises(TypeError, match="patience must be a positive integer"):
        model.train(X, y, epochs=5, validation_data=(X_val, y_val), validate_every=1, patience=2.0)


def test_get_and_set_parameters_copy_every_layer():
    model = overfitting_model()
    model.layers.insert(2, Dropout(0.1))
    model.finalize()
    snapshot = model.get_parameters()
    assert [sorted(p) for p in snapshot] == [
        ["biases", "weights"],
        [],
        [],
        ["biases", "weights"],
        [],
    ]
    model.layers[0].weights += 1.0  # training changes the layers in place ...
    assert not np.array_equal(model.layers[0].weights, snapshot[0]["weights"])
    model.set_parameters(snapshot)  # ... the snapshot is a copy, and comes back
    np.testing.assert_array_equal(model.layers[0].weights, snapshot[0]["weights"])
    model.layers[0].weights += 1.0
    assert not np.array_equal(model.layers[0].weights, snapshot[0]["weights"])
    with pytest.raises(ValueError, match="one entry per layer"):
        model.set_parameters(snapshot[:2])
    snapshot[0]["weights"] = np.zeros((3, 128))
    with pytest.raises(ValueError, match=r"DenseLayer.weights has shape \(2, 128\)"):
        model.set_parameters(snapshot)


def test_only_the_parameters_go_back_not_the_optimizers_state(data):
    """What chapter 25 says: the optimizer keeps the state of the stopped epoch."""
    X, y, X_val, y_val = data
    model = overfitting_model()
    history = model.train(
        X,
        y,
        epochs=3000,
        print_every=None,
        validation_data=(X_val, y_val),
        validate_every=10,
        patience=5,
    )
    assert history["stopped_epoch"] > history["best_epoch"]
    # one update per epoch (full batch): the step count is the stopped epoch's, not the best's
    assert model.optimizer.iterations == history["stopped_epoch"] + 1
    by_hand = overfitting_model()
    by_hand.train(X, y, epochs=history["best_epoch"] + 1, print_every=None)
    first, best = model.layers[0], by_hand.layers[0]
    assert np.array_equal(first.weights, best.weights)
    assert not np.array_equal(first.weight_momentums, best.weight_momentums)
