"""The Model (``resources/model.py``): the same numbers as a hand-written loop, and its checks.

A run through ``Model.train`` must equal the loop the chapters wrote by hand, number for number;
mini-batches must be reproducible from a seed without touching NumPy's global generator;
``evaluate`` and ``predict`` must not depend on their batch size; bad input must fail clearly.
"""

import nnfs
import numpy as np
import pytest
from nnfs.datasets import spiral_data

from resources.classes import (
    SGD,
    Accuracy,
    Adam,
    CategoricalAccuracy,
    CategoricalCrossEntropy,
    DenseLayer,
    Dropout,
    Model,
    RegressionAccuracy,
    ReLU,
    SoftMax,
    SoftMaxCategoricalCrossEntropy,
)
from resources.model import _progress_line
from tests.engine.test_engine import numerical_gradient, of_entries


def spiral_model(optimizer=None, hidden=64):
    model = Model()
    model.add(DenseLayer(2, hidden))
    model.add(ReLU())
    model.add(DenseLayer(hidden, 3))
    model.add(SoftMax())
    model.set(
        loss=CategoricalCrossEntropy(),
        optimizer=optimizer or Adam(learning_rate=0.05, decay=5e-7),
        accuracy=CategoricalAccuracy(),
    )
    model.finalize()
    return model


def hand_written_run(X, y, epochs, optimizer=None):
    """Chapter 10's loop, written out (the tests' one reference for ``Model.train``).

    Returns its per-epoch losses, accuracies, learning rates and printed lines, and the layers.
    """
    dense1, activation1, dense2 = DenseLayer(2, 64), ReLU(), DenseLayer(64, 3)
    loss_activation = SoftMaxCategoricalCrossEntropy()
    optimizer = optimizer or Adam(learning_rate=0.05, decay=5e-7)
    losses, accuracies, rates, lines = [], [], [], []
    for epoch in range(epochs):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss = loss_activation.forward(dense2.output, y)
        accuracy = np.mean(np.argmax(loss_activation.output, axis=1) == y)
        losses.append(loss)
        accuracies.append(accuracy)
        rates.append(optimizer.current_learning_rate)
        lines.append(
            f"epoch: {epoch}, acc: {accuracy:.3f}, loss: {loss:.3f} (data_loss: {loss:.3f}, "
            f"reg_loss: {0:.3f}), lr: {optimizer.current_learning_rate}"
        )
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()
    return np.array(losses), np.array(accuracies), np.array(rates), lines, (dense1, dense2)


def test_a_run_through_the_model_equals_the_hand_written_loop(capsys):
    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    losses, accuracies, rates, lines, (dense1, dense2) = hand_written_run(X, y, 300)

    nnfs.init()  # the same seed again: the model's layers draw the same weights
    X, y = spiral_data(samples=100, classes=3)
    model = spiral_model()
    history = model.train(X, y, epochs=300, print_every=100)

    printed = capsys.readouterr().out.splitlines()
    assert printed == [lines[0], lines[100], lines[200]]
    assert printed[0] == (
        "epoch: 0, acc: 0.360, loss: 1.099 (data_loss: 1.099, reg_loss: 0.000), lr: 0.05"
    )
    np.testing.assert_array_equal(history["epoch"], np.arange(300))
    np.testing.assert_array_equal(history["data_loss"], losses)
    np.testing.assert_array_equal(history["loss"], losses)
    np.testing.assert_array_equal(history["accuracy"], accuracies)
    np.testing.assert_array_equal(history["learning_rate"], rates)
    np.testing.assert_array_equal(model.layers[0].weights, dense1.weights)
    np.testing.assert_array_equal(model.layers[2].biases, dense2.biases)


def test_finalize_uses_the_combined_gradient_only_for_softmax_with_cross_entropy():
    model = spiral_model()
    assert isinstance(model.softmax_classifier_output, SoftMaxCategoricalCrossEntropy)
    assert model.trainable_layers == [model.layers[0], model.layers[2]]
    other = Model()
    other.add(DenseLayer(2, 3))
    other.set(loss=CategoricalCrossEntropy(), accuracy=CategoricalAccuracy())
    other.finalize()
    assert other.softmax_classifier_output is None


@pytest.mark.parametrize("combined", [True, False])
def test_a_training_step_takes_the_numerical_gradient_of_the_loss(combined):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(7, 2)), rng.integers(0, 3, size=7)
    model = spiral_model(optimizer=SGD(learning_rate=1e-12), hidden=5)  # steps too small to see
    for layer in model.trainable_layers:
        layer.weights = rng.normal(size=layer.weights.shape)
        layer.biases = rng.normal(size=layer.biases.shape)
    if not combined:  # the separate chain: CCE's gradient, then SoftMax's backward
        model.softmax_classifier_output = None

    def loss():
        return model.loss.calculate(model.forward(X, training=False), y)

    expected = [
        (
            numerical_gradient(of_entries(layer.weights, loss), layer.weights),
            numerical_gradient(of_entries(layer.biases, loss), layer.biases),
        )
        for layer in model.trainable_layers
    ]
    model.train(X, y, epochs=1, print_every=None)
    for layer, (dweights, dbiases) in zip(model.trainable_layers, expected, strict=True):
        np.testing.assert_allclose(layer.dweights, dweights, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(layer.dbiases, dbiases, rtol=1e-5, atol=1e-8)


def test_mini_batches_are_reproducible_from_a_seed_and_leave_numpys_generator_alone():
    X, y = spiral_data(samples=50, classes=3)
    results = []
    for seed in (7, 7, 8):
        np.random.seed(0)
        model = spiral_model(optimizer=Adam(0.01))
        state = np.random.get_state()
        model.train(X, y, epochs=3, batch_size=32, print_every=None, seed=seed)
        after = np.random.get_state()
        assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2] == state[2]
        results.append(model.layers[0].weights.copy())
    np.testing.assert_array_equal(results[0], results[1])
    assert not np.array_equal(results[0], results[2])


def test_mini_batches_visit_every_sample_once_per_epoch():
    X, y = spiral_data(samples=50, classes=3)  # 150 samples: 4 batches of 40, 40, 40, 30
    np.random.seed(0)
    model = spiral_model(optimizer=SGD(0.5))
    model.train(X, y, epochs=2, batch_size=40, print_every=None, seed=1)
    assert model.optimizer.iterations == 8
    # without shuffling, the batches are the slices in order: the same updates by hand
    np.random.seed(0)
    in_order = spiral_model(optimizer=SGD(0.5))
    in_order.train(X, y, epochs=1, batch_size=40, print_every=None, shuffle=False)
    np.random.seed(0)
    by_hand = spiral_model(optimizer=SGD(0.5))
    for start in range(0, 150, 40):
        by_hand.train(X[start : start + 40], y[start : start + 40], epochs=1, print_every=None)
    np.testing.assert_array_equal(in_order.layers[0].weights, by_hand.layers[0].weights)


def test_epoch_numbers_are_means_over_the_batches():
    X, y = spiral_data(samples=50, classes=3)
    np.random.seed(0)
    model = spiral_model(optimizer=SGD(0.0001))  # so small a step that nothing moves much
    loss_before, accuracy_before = model.evaluate(X, y)
    history = model.train(X, y, epochs=1, batch_size=40, print_every=None, seed=0)
    np.testing.assert_allclose(history["data_loss"][0], loss_before, rtol=1e-4)
    np.testing.assert_allclose(history["accuracy"][0], accuracy_before, atol=2 / 150)


def test_evaluate_and_predict_do_not_depend_on_the_batch_size():
    X, y = spiral_data(samples=40, classes=3)
    model = spiral_model()
    model.train(X, y, epochs=20, print_every=None)
    whole = model.predict(X)
    assert whole.shape == (120, 3)
    for batch_size in (1, 7, 120, 500):
        np.testing.assert_allclose(model.predict(X, batch_size=batch_size), whole, rtol=1e-6)
        loss, accuracy = model.evaluate(X, y, batch_size=batch_size)
        np.testing.assert_allclose(loss, model.evaluate(X, y)[0], rtol=1e-6)
        assert accuracy == np.mean(np.argmax(whole, axis=1) == y)


def test_evaluate_leaves_the_parameters_alone():
    X, y = spiral_data(samples=30, classes=3)
    model = spiral_model()
    before = [layer.weights.copy() for layer in model.trainable_layers]
    model.evaluate(X, y)
    model.predict(X)
    for weights, layer in zip(before, model.trainable_layers, strict=True):
        np.testing.assert_array_equal(weights, layer.weights)


def test_validation_data_are_evaluated_after_training(capsys):
    X, y = spiral_data(samples=30, classes=3)
    X_val, y_val = spiral_data(samples=30, classes=3)
    model = spiral_model()
    model.train(X, y, epochs=5, print_every=None, validation_data=(X_val, y_val))
    loss, accuracy = model.evaluate(X_val, y_val)
    assert capsys.readouterr().out == f"validation, acc: {accuracy:.3f}, loss: {loss:.3f}\n"


def test_history_continues_over_several_train_calls():
    X, y = spiral_data(samples=20, classes=3)
    model = spiral_model()
    model.train(X, y, epochs=3, print_every=None)
    history = model.train(X, y, epochs=2, print_every=None)
    np.testing.assert_array_equal(history["epoch"], np.arange(5))
    assert model.optimizer.iterations == 5


def test_progress_line_format():
    record = dict(
        epoch=3, accuracy=0.5, loss=0.25, data_loss=0.2, regularization_loss=0.05,
        learning_rate=0.01,
    )  # fmt: skip
    assert _progress_line(record) == (
        "epoch: 3, acc: 0.500, loss: 0.250 (data_loss: 0.200, reg_loss: 0.050), lr: 0.01"
    )


# -- accuracy classes -------------------------------------------------------------------


def test_categorical_accuracy_takes_sparse_one_hot_and_binary_labels():
    accuracy = CategoricalAccuracy()
    output = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.2, 0.7, 0.1]])
    sparse = np.array([0, 2, 2, 1])
    assert accuracy.calculate(output, sparse) == 0.75
    assert accuracy.calculate(output, np.eye(3)[sparse]) == 0.75
    assert accuracy.calculate_accumulated() == 0.75  # 6 right of 8
    binary = np.array([[0.9], [0.2], [0.6], [0.4]])
    assert accuracy.calculate(binary, np.array([[1], [1], [1], [0]])) == 0.75
    accuracy.new_pass()
    assert accuracy.accumulated_count == 0


def test_regression_accuracy_uses_std_over_250_from_the_first_targets():
    y = np.linspace(0, 1, 101).reshape(-1, 1)
    accuracy = RegressionAccuracy()
    accuracy.init(y)
    assert accuracy.precision == pytest.approx(np.std(y) / 250)
    accuracy.init(10 * y)  # kept: later targets do not change it
    assert accuracy.precision == pytest.approx(np.std(y) / 250)
    near = y + 0.5 * accuracy.precision
    far = y + 2 * accuracy.precision
    assert accuracy.calculate(np.vstack([near, far]), np.vstack([y, y])) == 0.5
    assert RegressionAccuracy(precision=0.1).precision == 0.1


def test_accuracy_bad_input():
    with pytest.raises(ValueError, match="binary classifier needs labels of shape"):
        CategoricalAccuracy().calculate(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="got 2 labels for 3 samples"):
        CategoricalAccuracy().calculate(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="needs init"):
        RegressionAccuracy().calculate(np.zeros((3, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="same shape"):
        RegressionAccuracy(0.1).calculate(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="positive number"):
        RegressionAccuracy(precision=0)
    with pytest.raises(TypeError, match="must be a number"):
        RegressionAccuracy(precision="0.1")
    assert issubclass(RegressionAccuracy, Accuracy)


# -- bad input to the model -------------------------------------------------------------


def test_model_refuses_what_it_cannot_use():
    model = Model()
    with pytest.raises(TypeError, match="forward and backward"):
        model.add("dense")
    with pytest.raises(TypeError, match="loss must be a Loss"):
        model.set(loss=SoftMax())
    with pytest.raises(TypeError, match="optimizer must be an optimizer"):
        model.set(optimizer=CategoricalCrossEntropy())
    with pytest.raises(TypeError, match="accuracy must be an Accuracy"):
        model.set(accuracy=np.mean)
    with pytest.raises(ValueError, match="no layers"):
        model.finalize()
    model.add(DenseLayer(2, 4))
    with pytest.raises(ValueError, match="needs a loss and an accuracy"):
        model.finalize()
    model.add(DenseLayer(5, 3))
    model.set(loss=CategoricalCrossEntropy(), accuracy=CategoricalAccuracy())
    with pytest.raises(ValueError, match="4 outputs is followed by a layer with 5 inputs"):
        model.finalize()


def test_train_evaluate_predict_refuse_bad_calls():
    X, y = spiral_data(samples=10, classes=3)
    model = spiral_model()
    model.finalized = False
    for call in (
        lambda: model.train(X, y),
        lambda: model.evaluate(X, y),
        lambda: model.predict(X),
    ):
        with pytest.raises(ValueError, match=r"call model.finalize\(\) before"):
            call()
    model.finalize()
    with pytest.raises(ValueError, match="X with 2 columns"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"shape \(n_samples, n_features\)"):
        model.predict(np.zeros(4))
    with pytest.raises(ValueError, match="at least one sample"):
        model.predict(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="X has 30 rows"):
        model.train(X, y[:-1])
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        model.train(X, y, epochs=0)
    with pytest.raises(TypeError, match="batch_size must be a positive integer"):
        model.train(X, y, batch_size=True)
    with pytest.raises(TypeError, match="print_every must be a positive integer"):
        model.train(X, y, print_every=2.5)
    with pytest.raises(TypeError, match="validation_data must be a pair"):
        model.train(X, y, validation_data=X)
    with pytest.raises(ValueError, match="validation_data"):
        model.train(X, y, validation_data=(X, y[:3]))
    no_optimizer = Model()
    no_optimizer.add(DenseLayer(2, 3))
    no_optimizer.add(SoftMax())
    no_optimizer.set(loss=CategoricalCrossEntropy(), accuracy=CategoricalAccuracy())
    no_optimizer.finalize()
    with pytest.raises(ValueError, match="train needs an optimizer"):
        no_optimizer.train(X, y)
    assert no_optimizer.evaluate(X, y)[1] >= 0  # evaluating needs no optimizer


# -- regularization and dropout ---------------------------------------------------------


def chapter_15_model(rate=0.1):
    model = Model()
    model.add(DenseLayer(2, 64, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4))
    model.add(ReLU())
    model.add(Dropout(rate))
    model.add(DenseLayer(64, 3))
    model.add(SoftMax())
    model.set(
        loss=CategoricalCrossEntropy(),
        optimizer=Adam(learning_rate=0.05, decay=5e-5),
        accuracy=CategoricalAccuracy(),
    )
    model.finalize()
    return model


def test_with_dropout_and_l2_the_model_equals_the_hand_written_loop():
    """Chapter 15's loop, written out, for 60 epochs on a smaller spiral."""
    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    dense1 = DenseLayer(2, 64, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4)
    activation1, dropout1, dense2 = ReLU(), Dropout(0.1), DenseLayer(64, 3)
    loss_activation = SoftMaxCategoricalCrossEntropy()
    optimizer = Adam(learning_rate=0.05, decay=5e-5)
    losses = []
    for _ in range(60):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dropout1.forward(activation1.output)
        dense2.forward(dropout1.output)
        data_loss = loss_activation.forward(dense2.output, y)
        regularization_loss = loss_activation.loss.regularization_loss(
            dense1
        ) + loss_activation.loss.regularization_loss(dense2)
        losses.append((data_loss, regularization_loss))
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        dropout1.backward(dense2.dinputs)
        activation1.backward(dropout1.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()

    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    model = chapter_15_model()
    history = model.train(X, y, epochs=60, print_every=None)
    data_losses, regularization_losses = np.array(losses).T
    np.testing.assert_allclose(history["data_loss"], data_losses, rtol=1e-6)
    np.testing.assert_allclose(history["regularization_loss"], regularization_losses, rtol=1e-6)
    assert history["regularization_loss"][-1] > 0
    np.testing.assert_allclose(
        history["loss"], history["data_loss"] + history["regularization_loss"], rtol=1e-6
    )
    totals = [data_loss + regularization_loss for data_loss, regularization_loss in losses]
    np.testing.assert_array_equal(history["loss"], totals)  # the loop's own sums
    np.testing.assert_array_equal(model.layers[0].weights, dense1.weights)


def test_the_regularization_gradient_reaches_the_weights():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(6, 2)), rng.integers(0, 3, size=6)
    model = Model()
    model.add(DenseLayer(2, 4, weight_regularizer_l1=0.01, weight_regularizer_l2=0.05,
                         bias_regularizer_l2=0.02))  # fmt: skip
    model.add(ReLU())
    model.add(DenseLayer(4, 3, weight_regularizer_l2=0.1))
    model.add(SoftMax())
    model.set(loss=CategoricalCrossEntropy(), optimizer=SGD(1e-12), accuracy=CategoricalAccuracy())
    model.finalize()
    for layer in model.trainable_layers:
        layer.weights = rng.normal(size=layer.weights.shape)
        layer.biases = rng.normal(size=layer.biases.shape)

    def total_loss():
        output = model.forward(X, training=False)
        return model.loss.calculate(output, y) + model.regularization_loss()

    expected = [
        numerical_gradient(of_entries(layer.weights, total_loss), layer.weights)
        for layer in model.trainable_layers
    ]
    history = model.train(X, y, epochs=1, print_every=None)
    assert history["regularization_loss"][0] > 0.01
    for layer, dweights in zip(model.trainable_layers, expected, strict=True):
        np.testing.assert_allclose(layer.dweights, dweights, rtol=1e-5, atol=1e-8)


def test_dropout_is_off_in_evaluate_and_predict():
    X, y = spiral_data(samples=30, classes=3)
    model = chapter_15_model(rate=0.5)
    model.train(X, y, epochs=5, print_every=None)
    first = model.predict(X)
    np.testing.assert_array_equal(model.predict(X), first)  # no random masks
    without = Model()  # the same layers with the dropout layer left out
    for layer in model.layers:
        if not isinstance(layer, Dropout):
            without.add(layer)
    without.set(loss=CategoricalCrossEntropy(), accuracy=CategoricalAccuracy())
    without.finalize()
    np.testing.assert_array_equal(without.predict(X), first)
    assert model.evaluate(X, y) == without.evaluate(X, y)
    # in training the masks do change the output
    model.forward(X, training=True)
    assert not np.array_equal(model.layers[-1].output, first)


# -- regression and binary outputs ----------------------------------------------------------


def test_a_regression_run_equals_chapter_17s_loop():
    from nnfs.datasets import sine_data

    from resources.classes import Linear, MeanSquaredError

    nnfs.init()
    X, y = sine_data()
    dense1, activation1 = DenseLayer(1, 64, weight_scale=0.1), ReLU()
    dense2, activation2 = DenseLayer(64, 64, weight_scale=0.1), ReLU()
    dense3, activation3 = DenseLayer(64, 1, weight_scale=0.1), Linear()
    loss_function = MeanSquaredError()
    optimizer = Adam(learning_rate=0.005, decay=1e-3)
    precision = np.std(y) / 250
    losses, accuracies = [], []
    for _ in range(30):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        activation2.forward(dense2.output)
        dense3.forward(activation2.output)
        activation3.forward(dense3.output)
        losses.append(loss_function.calculate(activation3.output, y))
        accuracies.append(np.mean(np.absolute(activation3.output - y) < precision))
        loss_function.backward(activation3.output, y)
        activation3.backward(loss_function.dinputs)
        dense3.backward(activation3.dinputs)
        activation2.backward(dense3.dinputs)
        dense2.backward(activation2.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.pre_update_params()
        for layer in (dense1, dense2, dense3):
            optimizer.update_params(layer)
        optimizer.post_update_params()

    nnfs.init()
    X, y = sine_data()
    model = Model()
    model.add(DenseLayer(1, 64, weight_scale=0.1))
    model.add(ReLU())
    model.add(DenseLayer(64, 64, weight_scale=0.1))
    model.add(ReLU())
    model.add(DenseLayer(64, 1, weight_scale=0.1))
    model.add(Linear())
    model.set(
        loss=MeanSquaredError(),
        optimizer=Adam(learning_rate=0.005, decay=1e-3),
        accuracy=RegressionAccuracy(),
    )
    model.finalize()
    history = model.train(X, y, epochs=30, print_every=None)
    assert model.softmax_classifier_output is None
    assert model.accuracy.precision == pytest.approx(precision)
    np.testing.assert_array_equal(history["loss"], losses)
    np.testing.assert_array_equal(history["accuracy"], accuracies)
    np.testing.assert_array_equal(model.layers[4].weights, dense3.weights)


def test_a_binary_classifier_trains_evaluates_and_predicts():
    from resources.classes import BinaryCrossEntropy, Sigmoid

    X, y = spiral_data(samples=50, classes=2)
    y = y.reshape(-1, 1)
    model = Model()
    model.add(DenseLayer(2, 16))
    model.add(ReLU())
    model.add(DenseLayer(16, 1))
    model.add(Sigmoid())
    model.set(loss=BinaryCrossEntropy(), optimizer=Adam(0.01), accuracy=CategoricalAccuracy())
    model.finalize()
    model.train(X, y, epochs=50, batch_size=25, print_every=None, seed=0)
    probabilities = model.predict(X)
    assert probabilities.shape == (100, 1)
    loss, accuracy = model.evaluate(X, y, batch_size=30)
    assert accuracy == np.mean((probabilities > 0.5) == y)
    assert loss == pytest.approx(BinaryCrossEntropy().calculate(probabilities, y), rel=1e-6)


def test_progress_bar_counts_the_epochs():
    pytest.importorskip("ipywidgets")
    X, y = spiral_data(samples=10, classes=3)
    model = spiral_model()
    model.train(X, y, epochs=7, print_every=None, progress=True)
    # the bar is rebuilt on each call; the last one must have reached the end
    from resources.model import _ProgressBar

    bar = _ProgressBar(3)
    for done in (1, 2, 3):
        bar.update(done, {"accuracy": 0.5, "loss": 1.0})
    assert bar.bar.value == 3 and bar.label.value == "acc 0.500, loss 1.000"


# -- validation during training (validate_every) ------------------------------------------


def test_validate_every_records_each_check_in_the_history(capsys):
    np.random.seed(0)
    X, y = spiral_data(samples=50, classes=3)
    X_val, y_val = spiral_data(samples=20, classes=3)
    np.random.seed(1)
    model = spiral_model()
    history = model.train(
        X,
        y,
        epochs=7,
        batch_size=32,
        print_every=3,
        validation_data=(X_val, y_val),
        validate_every=3,
        seed=0,
    )
    # after epochs 3 and 6 and after the last one (7): epoch indices 2, 5, 6
    np.testing.assert_array_equal(history["validation_epoch"], [2, 5, 6])
    assert history["validation_epoch"].dtype.kind == "i"
    assert len(history["validation_loss"]) == len(history["validation_accuracy"]) == 3
    # the last check is exactly what evaluate gives on the trained model
    loss, accuracy = model.evaluate(X_val, y_val, batch_size=32)
    assert history["validation_loss"][-1] == loss
    assert history["validation_accuracy"][-1] == accuracy
    printed = capsys.readouterr().out
    # printed epochs are 0, 3 and 6; the check after epoch 6 is the one on a printed epoch
    assert printed.count("validation, acc:") == 1


def test_validating_does_not_change_the_training_run():
    np.random.seed(0)
    X, y = spiral_data(samples=50, classes=3)
    X_val, y_val = spiral_data(samples=20, classes=3)
    runs = []
    for every in (None, 1):
        np.random.seed(1)
        model = spiral_model()
        validation = (X_val, y_val) if every else None
        model.train(
            X,
            y,
            epochs=5,
            batch_size=16,
            print_every=None,
            seed=3,
            validation_data=validation,
            validate_every=every,
        )
        runs.append(model)
    np.testing.assert_array_equal(runs[0].history["loss"], runs[1].history["loss"])
    np.testing.assert_array_equal(runs[0].layers[0].weights, runs[1].layers[0].weights)
    assert len(runs[0].history["validation_epoch"]) == 0
    np.testing.assert_array_equal(runs[1].history["validation_epoch"], np.arange(5))


def test_validation_history_continues_across_calls():
    np.random.seed(0)
    X, y = spiral_data(samples=30, classes=3)
    model = spiral_model()
    model.train(X, y, epochs=2, print_every=None, validation_data=(X, y), validate_every=1)
    model.train(X, y, epochs=2, print_every=None)
    model.train(X, y, epochs=2, print_every=None, validation_data=(X, y), validate_every=2)
    np.testing.assert_array_equal(model.history["validation_epoch"], [0, 1, 5])
    np.testing.assert_array_equal(model.history["epoch"], np.arange(6))


def test_validate_every_needs_validation_data_and_a_count():
    np.random.seed(0)
    X, y = spiral_data(samples=10, classes=3)
    model = spiral_model()
    with pytest.raises(ValueError, match="validate_every needs validation_data"):
        model.train(X, y, epochs=1, validate_every=1)
    with pytest.raises(ValueError, match="validate_every must be a positive integer"):
        model.train(X, y, epochs=1, validation_data=(X, y), validate_every=0)
    with pytest.raises(TypeError, match="validate_every must be a positive integer"):
        model.train(X, y, epochs=1, validation_data=(X, y), validate_every=1.5)


# -- sigmoid outputs: binary and multi-label accuracy, the combined loss ----------------------


def test_binary_accuracy_scores_every_sigmoid_output_on_its_own():
    from resources.classes import BinaryAccuracy

    output = np.array([[0.9, 0.8], [0.1, 0.2], [0.9, 0.1]])
    labels = np.array([[1, 1], [0, 0], [1, 0]])
    assert BinaryAccuracy().calculate(output, labels) == 1.0
    assert CategoricalAccuracy(binary=True).calculate(output, labels) == 1.0
    wrong_one = np.array([[1, 0], [0, 0], [1, 0]])  # one of six answers wrong
    assert BinaryAccuracy().calculate(output, wrong_one) == pytest.approx(5 / 6)
    accuracy = BinaryAccuracy()  # accumulated over batches, element by element
    accuracy.calculate(output[:1], wrong_one[:1])
    accuracy.calculate(output[1:], wrong_one[1:])
    assert accuracy.calculate_accumulated() == pytest.approx(5 / 6)
    assert isinstance(BinaryAccuracy(), CategoricalAccuracy)


def test_categorical_accuracy_refuses_labels_that_are_not_one_hot():
    output = np.array([[0.9, 0.8], [0.1, 0.2], [0.9, 0.1]])
    with pytest.raises(ValueError, match="one-hot.*BinaryAccuracy"):
        CategoricalAccuracy().calculate(output, np.array([[1, 1], [0, 0], [1, 0]]))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 3\)"):
        CategoricalAccuracy().calculate(output, np.eye(3))


def test_binary_accuracy_bad_input():
    from resources.classes import BinaryAccuracy

    with pytest.raises(ValueError, match=r"\(3, 2\), got \(3,\)"):
        BinaryAccuracy().calculate(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        BinaryAccuracy().calculate(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="0 or 1"):
        BinaryAccuracy().calculate(np.zeros((2, 1)), np.array([[2], [0]]))
    with pytest.raises(TypeError, match="True or False"):
        CategoricalAccuracy(binary=1)


def test_dir_of_classes_lists_the_model_and_the_accuracies():
    import resources.classes

    names = dir(resources.classes)
    for name in (
        "Model",
        "Accuracy",
        "CategoricalAccuracy",
        "BinaryAccuracy",
        "RegressionAccuracy",
    ):
        assert name in names
        assert name in resources.classes.__all__
    assert "SigmoidBinaryCrossEntropy" in names


def _sigmoid_model(n_outputs, accuracy):
    from resources.classes import BinaryCrossEntropy, Sigmoid

    model = Model()
    model.add(DenseLayer(2, 16))
    model.add(ReLU())
    model.add(DenseLayer(16, n_outputs))
    model.add(Sigmoid())
    model.set(loss=BinaryCrossEntropy(), optimizer=Adam(0.01), accuracy=accuracy)
    model.finalize()
    return model


def test_finalize_combines_sigmoid_and_binary_cross_entropy():
    from resources.classes import SigmoidBinaryCrossEntropy

    model = _sigmoid_model(2, CategoricalAccuracy())
    assert isinstance(model.softmax_classifier_output, SigmoidBinaryCrossEntropy)
    assert model.accuracy.binary  # a sigmoid output is scored output by output


def test_a_multi_label_model_step_is_the_numerical_gradient_and_its_accuracy_element_wise():
    from resources.classes import BinaryAccuracy, BinaryCrossEntropy

    rng = np.random.default_rng(5)
    X = rng.normal(size=(9, 2))
    y = rng.integers(0, 2, size=(9, 3))
    model = _sigmoid_model(3, BinaryAccuracy())
    model.optimizer = SGD(learning_rate=1e-12)
    for layer in model.trainable_layers:
        layer.weights = rng.normal(size=layer.weights.shape)
        layer.biases = rng.normal(size=layer.biases.shape)

    def loss():
        return BinaryCrossEntropy().calculate(model.forward(X, training=False), y)

    expected = [
        numerical_gradient(of_entries(layer.weights, loss), layer.weights)
        for layer in model.trainable_layers
    ]
    history = model.train(X, y, epochs=1, print_every=None)
    for layer, dweights in zip(model.trainable_layers, expected, strict=True):
        np.testing.assert_allclose(layer.dweights, dweights, rtol=1e-5, atol=1e-8)
    output = model.predict(X)
    assert output.shape == (9, 3)
    assert history["accuracy"][0] == pytest.approx(np.mean((output > 0.5) == y), abs=1e-9)
    assert model.evaluate(X, y)[1] == np.mean((output > 0.5) == y)
