"""Batch normalization in the engine (part six): ``BatchNorm(n_features, momentum, epsilon)``.

The forward pass normalizes each feature over the batch with the biased variance, then scales
by ``gamma`` and shifts by ``beta``; the running statistics follow
``running = momentum * running + (1 - momentum) * batch statistic``, with the unbiased variance
feeding ``running_var``. The backward pass is checked with central differences on random
shapes, for the inputs, ``gamma`` and ``beta``, in training and in inference mode; the whole
layer against ``torch.nn.BatchNorm1d`` when PyTorch is installed (its ``momentum`` is our
``1 - momentum``).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resources.classes import (
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    BatchNorm,
    CategoricalCrossEntropy,
    DenseLayer,
    Dropout,
    ReLU,
    RMSProp,
    SoftMax,
)
from resources.model import CategoricalAccuracy, Model
from tests.engine.test_engine import SETTINGS, numerical_gradient, of_entries


@st.composite
def batchnorm_cases(draw):
    """A layer with random gamma and beta, a batch of 2 to 7 samples and its dvalues."""
    n, k = draw(st.integers(2, 7)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    inputs = rng.normal(draw(st.floats(-3, 3)), draw(st.floats(0.5, 3)), size=(n, k))
    layer = BatchNorm(k, momentum=draw(st.sampled_from([0.0, 0.5, 0.9])))
    layer.gamma = rng.normal(1, 0.5, size=(1, k))
    layer.beta = rng.normal(0, 0.5, size=(1, k))
    layer.running_mean = rng.normal(0, 1, size=(1, k))
    layer.running_var = rng.uniform(0.5, 2, size=(1, k))
    return layer, inputs, rng.normal(size=(n, k))


def check_gradients(layer, inputs, dvalues, training):
    """The layer's dinputs, dgamma and dbeta against central differences of sum(dvalues * out)."""
    running = layer.running_mean.copy(), layer.running_var.copy()

    def loss(values=inputs):
        layer.running_mean, layer.running_var = running[0].copy(), running[1].copy()
        layer.forward(values, training=training)
        return np.sum(dvalues * layer.output)

    loss()
    layer.backward(dvalues)
    dinputs, dgamma, dbeta = layer.dinputs, layer.dgamma, layer.dbeta
    scale = 1 + np.abs(dinputs).max()
    np.testing.assert_allclose(dinputs, numerical_gradient(loss, inputs), atol=1e-6 * scale)
    np.testing.assert_allclose(
        dgamma, numerical_gradient(of_entries(layer.gamma, loss), layer.gamma), atol=1e-6 * scale
    )
    np.testing.assert_allclose(
        dbeta, numerical_gradient(of_entries(layer.beta, loss), layer.beta), atol=1e-6 * scale
    )


@SETTINGS
@given(batchnorm_cases())
def test_backward_in_training_matches_central_differences(case):
    check_gradients(*case, training=True)


@SETTINGS
@given(batchnorm_cases())
def test_backward_in_inference_matches_central_differences(case):
    check_gradients(*case, training=False)


def test_forward_in_training_normalizes_each_feature_then_scales_and_shifts():
    rng = np.random.default_rng(0)
    inputs = rng.normal([3.0, -2.0, 0.5], [2.0, 0.1, 5.0], size=(40, 3))
    layer = BatchNorm(3)
    layer.forward(inputs)
    np.testing.assert_allclose(layer.normalized.mean(axis=0), 0, atol=1e-12)
    # the biased variance: each column's variance is var / (var + epsilon), just under 1
    variance = inputs.var(axis=0)
    np.testing.assert_allclose(layer.normalized.var(axis=0), variance / (variance + 1e-5))
    np.testing.assert_array_equal(layer.output, layer.normalized)  # gamma 1, beta 0 at first
    layer.gamma, layer.beta = np.array([[2.0, 3.0, 4.0]]), np.array([[1.0, -1.0, 0.0]])
    layer.forward(inputs)
    np.testing.assert_allclose(layer.output, layer.gamma * layer.normalized + layer.beta)


def test_a_new_layer_draws_nothing_from_numpys_generator():
    # so that a network with BatchNorm layers starts from the same dense weights as without
    np.random.seed(3)
    BatchNorm(5)
    after = np.random.random_sample()
    np.random.seed(3)
    assert np.random.random_sample() == after


def test_running_statistics_follow_the_stated_convention():
    rng = np.random.default_rng(1)
    layer = BatchNorm(2, momentum=0.8)
    np.testing.assert_array_equal(layer.running_mean, [[0, 0]])
    np.testing.assert_array_equal(layer.running_var, [[1, 1]])
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    for _ in range(3):
        batch = rng.normal(5, 2, size=(6, 2))
        layer.forward(batch)
        mean = 0.8 * mean + 0.2 * batch.mean(axis=0)
        var = 0.8 * var + 0.2 * batch.var(axis=0, ddof=1)  # unbiased, as PyTorch
        np.testing.assert_allclose(layer.running_mean, mean)
        np.testing.assert_allclose(layer.running_var, var)


def test_inference_uses_the_running_statistics_and_changes_nothing():
    rng = np.random.default_rng(2)
    layer = BatchNorm(3)
    layer.running_mean = np.array([[1.0, 2.0, 3.0]])
    layer.running_var = np.array([[4.0, 0.25, 1.0]])
    layer.gamma, layer.beta = np.array([[1.0, 2.0, 0.5]]), np.array([[0.0, 1.0, -1.0]])
    inputs = rng.normal(size=(5, 3))
    layer.forward(inputs, training=False)
    expected = layer.gamma * (inputs - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    np.testing.assert_allclose(layer.output, expected + layer.beta)
    np.testing.assert_array_equal(layer.running_mean, [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(layer.running_var, [[4.0, 0.25, 1.0]])
    layer.forward(inputs[:1], training=False)  # one sample is fine at inference
    np.testing.assert_allclose(layer.output, (expected + layer.beta)[:1])


def test_the_optimizers_see_gamma_and_beta_as_weights_and_biases():
    layer = BatchNorm(4)
    assert layer.weights is layer.gamma and layer.biases is layer.beta
    layer.forward(np.arange(12.0).reshape(3, 4) ** 1.5)
    layer.backward(np.ones((3, 4)))
    assert layer.dweights is layer.dgamma and layer.dbiases is layer.dbeta
    layer.weights = np.full((1, 4), 2.0)
    np.testing.assert_array_equal(layer.gamma, np.full((1, 4), 2.0))


OPTIMIZERS = [
    lambda: SGD(0.1),
    lambda: SGD(0.1, momentum=0.9),
    lambda: AdaGrad(0.1),
    lambda: RMSProp(0.01),
    lambda: Adam(0.01),
    lambda: AdamW(0.01, weight_decay=0.1),
]


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_every_optimizer_moves_gamma_and_beta(make_optimizer):
    rng = np.random.default_rng(3)
    layer = BatchNorm(3)
    inputs, dvalues = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    optimizer = make_optimizer()
    for _ in range(2):
        gamma, beta = layer.gamma.copy(), layer.beta.copy()
        layer.forward(inputs)
        layer.backward(dvalues)
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        optimizer.post_update_params()
        assert np.all(layer.gamma != gamma) and np.all(layer.beta != beta)
        # each step goes downhill along -dgamma and -dbeta, entry by entry (no momentum
        # carried over in the first step; AdamW's decay is small beside the step here)
        if _ == 0:
            assert np.all(np.sign(layer.gamma - gamma) == -np.sign(layer.dgamma))
            assert np.all(np.sign(layer.beta - beta) == -np.sign(layer.dbeta))


def test_plain_sgd_step_on_gamma_and_beta():
    rng = np.random.default_rng(4)
    layer = BatchNorm(2)
    layer.forward(rng.normal(size=(5, 2)))
    layer.backward(rng.normal(size=(5, 2)))
    gamma, beta = layer.gamma.copy(), layer.beta.copy()
    SGD(0.5).update_params(layer)
    np.testing.assert_allclose(layer.gamma, gamma - 0.5 * layer.dgamma)
    np.testing.assert_allclose(layer.beta, beta - 0.5 * layer.dbeta)


# -- against PyTorch ----------------------------------------------------------------------------


def test_training_and_inference_match_torch_batchnorm1d():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    n_features = 4
    ours = BatchNorm(n_features, momentum=0.9, epsilon=1e-5)
    # PyTorch's momentum weighs the new statistic: running = (1 - m) * running + m * batch,
    # so our momentum 0.9 is PyTorch's 0.1 (its default).
    theirs = torch.nn.BatchNorm1d(n_features, momentum=1 - 0.9, eps=1e-5).double()
    gamma, beta = rng.normal(1, 0.3, size=(1, n_features)), rng.normal(0, 0.3, size=(1, n_features))
    ours.gamma, ours.beta = gamma.copy(), beta.copy()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(gamma[0]))
        theirs.bias.copy_(torch.from_numpy(beta[0]))

    theirs.train()
    for step in range(4):
        inputs = rng.normal(2, 3, size=(6 + step, n_features))
        dvalues = rng.normal(size=inputs.shape)
        ours.forward(inputs, training=True)
        ours.backward(dvalues)
        x = torch.tensor(inputs, requires_grad=True)
        theirs.zero_grad()
        out = theirs(x)
        out.backward(torch.from_numpy(dvalues))
        np.testing.assert_allclose(ours.output, out.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.dinputs, x.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.dgamma[0], theirs.weight.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.dbeta[0], theirs.bias.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.running_mean[0], theirs.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var[0], theirs.running_var.numpy(), rtol=1e-12)

    theirs.eval()
    inputs = rng.normal(2, 3, size=(5, n_features))
    dvalues = rng.normal(size=inputs.shape)
    ours.forward(inputs, training=False)
    ours.backward(dvalues)
    x = torch.tensor(inputs, requires_grad=True)
    theirs.zero_grad()
    out = theirs(x)
    out.backward(torch.from_numpy(dvalues))
    np.testing.assert_allclose(ours.output, out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.dinputs, x.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.dgamma[0], theirs.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.dbeta[0], theirs.bias.grad.numpy(), rtol=1e-10)


# -- in a Model -----------------------------------------------------------------------------------


def model_with_batchnorm(optimizer=None):
    np.random.seed(0)
    model = Model()
    model.add(DenseLayer(2, 8, weight_init="he"))
    model.add(BatchNorm(8))
    model.add(ReLU())
    model.add(Dropout(0.1))
    model.add(DenseLayer(8, 3))
    model.add(SoftMax())
    model.set(
        loss=CategoricalCrossEntropy(),
        optimizer=optimizer or Adam(0.01),
        accuracy=CategoricalAccuracy(),
    )
    model.finalize()
    return model


def spiral_like(n=60):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(n, 2))
    y = (np.arctan2(X[:, 1], X[:, 0]) > 0).astype(int) + (X[:, 0] > 1)
    return X, y


def test_model_trains_batchnorm_in_training_mode_and_predicts_with_running_statistics():
    X, y = spiral_like()
    model = model_with_batchnorm()
    batchnorm = model.layers[1]
    assert batchnorm in model.trainable_layers
    model.train(X, y, epochs=5, print_every=None)
    assert not np.allclose(batchnorm.gamma, 1) and not np.allclose(batchnorm.beta, 0)
    assert not np.allclose(batchnorm.running_mean, 0)
    mean, var = batchnorm.running_mean.copy(), batchnorm.running_var.copy()
    probabilities = model.predict(X)
    model.evaluate(X, y)
    np.testing.assert_array_equal(batchnorm.running_mean, mean)  # inference changes nothing
    np.testing.assert_array_equal(batchnorm.running_var, var)
    np.testing.assert_allclose(model.predict(X[:1]), probabilities[:1])  # one sample is fine
    assert model.regularization_loss() == 0


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_a_model_trains_batchnorm_with_every_optimizer(make_optimizer):
    X, y = spiral_like()
    model = model_with_batchnorm(make_optimizer())
    model.train(X, y, epochs=2, print_every=None)
    batchnorm = model.layers[1]
    assert np.all(batchnorm.gamma != 1) and np.all(batchnorm.beta != 0)


@pytest.mark.parametrize("with_optimizer", [True, False])
def test_saved_model_with_batchnorm_round_trips(tmp_path, with_optimizer):
    X, y = spiral_like()
    model = model_with_batchnorm()
    model.train(X, y, epochs=20, print_every=None)
    path = tmp_path / "model.npz"
    model.save(path, optimizer=with_optimizer)
    loaded = Model.load(path)
    ours, theirs = model.layers[1], loaded.layers[1]
    assert isinstance(theirs, BatchNorm)
    assert (theirs.n_features, theirs.momentum, theirs.epsilon) == (8, 0.9, 1e-5)
    for name in ("gamma", "beta", "running_mean", "running_var"):
        np.testing.assert_array_equal(getattr(theirs, name), getattr(ours, name))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    if with_optimizer:  # training resumes from the same state: the same next steps
        np.random.seed(1)
        model.train(X, y, epochs=2, print_every=None)
        np.random.seed(1)
        loaded.train(X, y, epochs=2, print_every=None)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_parameters_file_keeps_the_running_statistics(tmp_path):
    X, y = spiral_like()
    model = model_with_batchnorm()
    model.train(X, y, epochs=5, print_every=None)
    model.save_parameters(tmp_path / "parameters.npz")
    fresh = model_with_batchnorm()
    fresh.load_parameters(tmp_path / "parameters.npz")
    np.testing.assert_array_equal(fresh.layers[1].running_var, model.layers[1].running_var)
    np.testing.assert_array_equal(fresh.predict(X), model.predict(X))


def test_a_saved_negative_running_variance_is_refused(tmp_path):
    X, y = spiral_like()
    model = model_with_batchnorm()
    model.train(X, y, epochs=1, print_every=None)
    model.layers[1].running_var[0, 0] = -1.0
    model.save_parameters(tmp_path / "p.npz")
    with pytest.raises(ValueError, match="'layer1.running_var' holds negative values"):
        model.load_parameters(tmp_path / "p.npz")


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inputs, training, error, fragment",
    [
        (np.ones((4, 2)), True, ValueError, "must have 3 columns"),
        (np.ones((1, 3)), True, ValueError, "at least 2 samples"),
        (np.array([[1.0, np.nan, 0.0], [0.0, 1.0, 2.0]]), True, ValueError, "NaN"),
        (np.array([[1.0, np.inf, 0.0], [0.0, 1.0, 2.0]]), False, ValueError, "finite"),
        (np.ones(3), True, ValueError, "must be 2-D"),
        (np.array([["a", "b", "c"]] * 2), True, TypeError, "must be numbers"),
        (np.ones((4, 3)), "yes", TypeError, "True or False"),
    ],
)
def test_bad_inputs_are_refused(inputs, training, error, fragment):
    layer = BatchNorm(3)
    with pytest.raises(error, match=fragment):
        layer.forward(inputs, training=training)
    np.testing.assert_array_equal(layer.running_mean, np.zeros((1, 3)))  # and nothing moved


@pytest.mark.parametrize(
    "settings, error, fragment",
    [
        ({"n_features": 0}, ValueError, "positive integer"),
        ({"n_features": 2.5}, TypeError, "positive integer"),
        ({"n_features": 2, "momentum": 1.0}, ValueError, r"momentum must lie in \[0, 1\)"),
        ({"n_features": 2, "momentum": -0.1}, ValueError, "momentum"),
        ({"n_features": 2, "epsilon": 0}, ValueError, r"epsilon must lie in \(0, inf\)"),
        ({"n_features": 2, "epsilon": "small"}, TypeError, "must be a number"),
    ],
)
def test_bad_settings_are_refused(settings, error, fragment):
    with pytest.raises(error, match=fragment):
        BatchNorm(**settings)


def test_backward_needs_forward_and_gradients_of_the_output_shape():
    layer = BatchNorm(2)
    with pytest.raises(ValueError, match="before BatchNorm.forward"):
        layer.backward(np.ones((3, 2)))
    layer.forward(np.arange(6.0).reshape(3, 2))
    with pytest.raises(ValueError, match=r"shaped like the forward output \(3, 2\)"):
        layer.backward(np.ones((2, 2)))
    with pytest.raises(ValueError, match="needs layer.backward"):
        SGD().update_params(BatchNorm(2))


def test_a_model_refuses_batchnorm_of_the_wrong_width():
    model = Model()
    model.add(DenseLayer(2, 8))
    model.add(BatchNorm(6))
    model.add(DenseLayer(8, 3))
    model.add(SoftMax())
    model.set(loss=CategoricalCrossEntropy(), accuracy=CategoricalAccuracy())
    with pytest.raises(ValueError, match="a layer with 8 outputs is followed by a layer with 6"):
        model.finalize()


def test_a_model_starting_with_batchnorm_checks_the_input_width():
    model = Model()
    model.add(BatchNorm(2))
    model.add(DenseLayer(2, 3))
    model.add(SoftMax())
    model.set(loss=CategoricalCrossEntropy(), optimizer=Adam(), accuracy=CategoricalAccuracy())
    model.finalize()
    with pytest.raises(ValueError, match="needs X with 2 columns"):
        model.predict(np.ones((4, 5)))
    X, y = spiral_like()
    model.train(X, y, epochs=2, print_every=None)
    assert model.predict(X).shape == (len(X), 3)
