"""The optimizers of resources/classes.py against their formulas, on small hand-made cases.

The expected values are computed here independently, one number at a time with Python's
``math`` module (float64), from the formulas the chapter states; the engine works on NumPy
arrays in place. Both must agree.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resources.classes import SGD, AdaGrad, Adam, AdamW, DenseLayer, RMSProp


class HandLayer:
    """The least a layer needs for ``update_params``: parameters and their gradients."""

    def __init__(self, weights, biases, dtype=np.float64):
        self.weights = np.array(weights, dtype=dtype)
        self.biases = np.array(biases, dtype=dtype)
        self.dweights = np.zeros_like(self.weights)
        self.dbiases = np.zeros_like(self.biases)

    def set_gradients(self, dweights, dbiases):
        self.dweights = np.array(dweights, dtype=self.weights.dtype)
        self.dbiases = np.array(dbiases, dtype=self.biases.dtype)


W0 = [[0.5, -1.0], [2.0, 0.25]]
B0 = [[0.1, -0.2]]
# Three steps' gradients: different signs and sizes, so that caches and momentums matter.
GRADIENTS = [
    ([[0.2, -0.4], [1.0, 0.0]], [[0.3, -0.1]]),
    ([[-0.1, 0.5], [0.5, 2.0]], [[0.3, 0.2]]),
    ([[0.05, -0.3], [-1.5, 0.1]], [[-0.2, 0.4]]),
]


def flat(weights, biases):
    return [*np.ravel(weights), *np.ravel(biases)]


def run(optimizer, steps, dtype=np.float64):
    """Train a HandLayer ``steps`` steps with ``optimizer``; return its flat parameters."""
    layer = HandLayer(W0, B0, dtype)
    for dweights, dbiases in GRADIENTS[:steps]:
        layer.set_gradients(dweights, dbiases)
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        optimizer.post_update_params()
    return layer, np.array(flat(layer.weights, layer.biases))


def gradients(steps):
    return [flat(dw, db) for dw, db in GRADIENTS[:steps]]


def learning_rates(lr0, decay, steps):
    return [lr0 / (1 + decay * t) for t in range(steps)]


# --- reference formulas, one scalar parameter at a time --------------------------------------


def ref_sgd(lr0, decay, momentum, steps):
    params, updates = flat(W0, B0), [0.0] * 6
    for lr, grads in zip(learning_rates(lr0, decay, steps), gradients(steps), strict=True):
        for i, g in enumerate(grads):
            updates[i] = momentum * updates[i] - lr * g
            params[i] += updates[i]
    return np.array(params)


def ref_adagrad(lr0, decay, eps, steps):
    params, cache = flat(W0, B0), [0.0] * 6
    for lr, grads in zip(learning_rates(lr0, decay, steps), gradients(steps), strict=True):
        for i, g in enumerate(grads):
            cache[i] += g * g
            params[i] -= lr * g / (math.sqrt(cache[i]) + eps)
    return np.array(params)


def ref_rmsprop(lr0, decay, eps, rho, steps):
    params, cache = flat(W0, B0), [0.0] * 6
    for lr, grads in zip(learning_rates(lr0, decay, steps), gradients(steps), strict=True):
        for i, g in enumerate(grads):
            cache[i] = rho * cache[i] + (1 - rho) * g * g
            params[i] -= lr * g / (math.sqrt(cache[i]) + eps)
    return np.array(params)


def ref_adam(lr0, decay, eps, beta_1, beta_2, steps, grads_per_step=None):
    params, m, v = flat(W0, B0), [0.0] * 6, [0.0] * 6
    grads_per_step = grads_per_step or gradients(steps)
    for t, (lr, grads) in enumerate(
        zip(learning_rates(lr0, decay, steps), grads_per_step, strict=True), start=1
    ):
        for i, g in enumerate(grads):
            m[i] = beta_1 * m[i] + (1 - beta_1) * g
            v[i] = beta_2 * v[i] + (1 - beta_2) * g * g
            m_hat = m[i] / (1 - beta_1**t)
            v_hat = v[i] / (1 - beta_2**t)
            params[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return np.array(params)


def ref_adamw(lr0, decay, eps, beta_1, beta_2, weight_decay, steps, grads_per_step=None):
    # torch.optim.AdamW's order: shrink the parameter first, then Adam's step on the gradient.
    params, m, v = flat(W0, B0), [0.0] * 6, [0.0] * 6
    grads_per_step = grads_per_step or gradients(steps)
    for t, (lr, grads) in enumerate(
        zip(learning_rates(lr0, decay, steps), grads_per_step, strict=True), start=1
    ):
        for i, g in enumerate(grads):
            params[i] -= lr * weight_decay * params[i]
            m[i] = beta_1 * m[i] + (1 - beta_1) * g
            v[i] = beta_2 * v[i] + (1 - beta_2) * g * g
            m_hat = m[i] / (1 - beta_1**t)
            v_hat = v[i] / (1 - beta_2**t)
            params[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return np.array(params)


# --- the tests ---------------------------------------------------------------------------------


def test_sgd_one_step_by_hand():
    # w - lr * g with lr = 0.5: 0.5 - 0.1 = 0.4, -1.0 + 0.2 = -0.8, 2.0 - 0.5, 0.25 - 0; 0.1 - 0.15
    _, params = run(SGD(learning_rate=0.5), 1)
    np.testing.assert_allclose(params, [0.4, -0.8, 1.5, 0.25, -0.05, -0.15], rtol=1e-12)


@pytest.mark.parametrize("steps", [1, 2, 3])
@pytest.mark.parametrize("decay", [0.0, 0.1])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_formula(steps, decay, momentum):
    _, params = run(SGD(learning_rate=0.5, decay=decay, momentum=momentum), steps)
    np.testing.assert_allclose(params, ref_sgd(0.5, decay, momentum, steps), rtol=1e-12)


def test_sgd_momentum_remembers_the_last_update():
    layer, _ = run(SGD(learning_rate=0.5, momentum=0.9), 2)
    # u1 = -0.5 * g1; u2 = 0.9 * u1 - 0.5 * g2, for the first weight: 0.9*(-0.1) - 0.5*(-0.1)
    assert layer.weight_momentums[0, 0] == pytest.approx(0.9 * -0.1 + 0.05)


@pytest.mark.parametrize("steps", [1, 2, 3])
@pytest.mark.parametrize("decay", [0.0, 1e-2])
def test_adagrad_matches_formula(steps, decay):
    _, params = run(AdaGrad(learning_rate=0.3, decay=decay, epsilon=1e-7), steps)
    np.testing.assert_allclose(params, ref_adagrad(0.3, decay, 1e-7, steps), rtol=1e-12)


def test_adagrad_first_step_is_lr_times_sign():
    # After one step the cache is g**2, so the step is lr * g / (|g| + eps): about lr * sign(g).
    layer, _ = run(AdaGrad(learning_rate=0.3), 1)
    assert layer.weights[0, 0] == pytest.approx(0.5 - 0.3, abs=1e-6)
    assert layer.weights[1, 1] == 0.25  # zero gradient, no step


@pytest.mark.parametrize("steps", [1, 2, 3])
@pytest.mark.parametrize("decay", [0.0, 1e-2])
@pytest.mark.parametrize("rho", [0.9, 0.5])
def test_rmsprop_matches_formula(steps, decay, rho):
    _, params = run(RMSProp(learning_rate=0.02, decay=decay, rho=rho), steps)
    np.testing.assert_allclose(params, ref_rmsprop(0.02, decay, 1e-7, rho, steps), rtol=1e-12)


@pytest.mark.parametrize("steps", [1, 2, 3])
@pytest.mark.parametrize("decay", [0.0, 5e-7, 0.1])
def test_adam_matches_formula(steps, decay):
    _, params = run(Adam(learning_rate=0.05, decay=decay), steps)
    np.testing.assert_allclose(params, ref_adam(0.05, decay, 1e-7, 0.9, 0.999, steps), rtol=1e-12)


def test_adam_first_step_is_about_lr():
    # At t = 1 the corrections undo the (1 - beta) factors: m_hat = g, v_hat = g**2.
    layer, _ = run(Adam(learning_rate=0.05), 1)
    assert layer.weights[0, 0] == pytest.approx(0.5 - 0.05, abs=1e-6)
    assert layer.biases[0, 1] == pytest.approx(-0.2 + 0.05, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    lr=st.floats(1e-4, 1.0),
    decay=st.floats(0.0, 0.5),
    beta_1=st.floats(0.0, 0.99),
    beta_2=st.floats(0.5, 0.9999),
    seed=st.integers(0, 2**16),
)
def test_adam_matches_formula_for_any_settings(lr, decay, beta_1, beta_2, seed):
    rng = np.random.default_rng(seed)
    grads = rng.normal(size=(4, 6)).tolist()
    optimizer = Adam(learning_rate=lr, decay=decay, beta_1=beta_1, beta_2=beta_2)
    layer = HandLayer(W0, B0)
    for g in grads:
        layer.set_gradients([g[0:2], g[2:4]], [g[4:6]])
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        optimizer.post_update_params()
    expected = ref_adam(lr, decay, 1e-7, beta_1, beta_2, 4, grads)
    np.testing.assert_allclose(flat(layer.weights, layer.biases), expected, rtol=1e-9, atol=1e-12)


# --- AdamW: Adam plus decoupled weight decay ----------------------------------------------------


@pytest.mark.parametrize("steps", [1, 2, 3])
@pytest.mark.parametrize("decay", [0.0, 0.1])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01, 2.0])
def test_adamw_matches_formula(steps, decay, weight_decay):
    _, params = run(AdamW(learning_rate=0.05, decay=decay, weight_decay=weight_decay), steps)
    expected = ref_adamw(0.05, decay, 1e-7, 0.9, 0.999, weight_decay, steps)
    np.testing.assert_allclose(params, expected, rtol=1e-12)


def test_adamw_without_weight_decay_is_adam():
    _, with_adamw = run(AdamW(learning_rate=0.05, decay=0.1, weight_decay=0.0), 3)
    _, with_adam = run(Adam(learning_rate=0.05, decay=0.1), 3)
    np.testing.assert_array_equal(with_adamw, with_adam)


def test_adamw_decay_is_decoupled_from_the_gradient():
    # With zero gradients Adam's step is 0 / (0 + epsilon) = 0: only the decay acts, and it
    # multiplies weights and biases by (1 - lr * weight_decay) at every step, whatever the
    # size of the gradients seen before (L2 in the gradient would be divided by sqrt(v_hat)).
    optimizer = AdamW(learning_rate=0.1, decay=0.5, weight_decay=0.2)
    layer = HandLayer(W0, B0)
    expected = np.array(flat(W0, B0))
    for _ in range(4):
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        expected *= 1 - optimizer.current_learning_rate * 0.2
        optimizer.post_update_params()
    np.testing.assert_allclose(flat(layer.weights, layer.biases), expected, rtol=1e-14)
    assert np.all(layer.weight_momentums == 0) and np.all(layer.weight_cache == 0)


@settings(max_examples=40, deadline=None)
@given(
    lr=st.floats(1e-4, 0.5),
    decay=st.floats(0.0, 0.5),
    weight_decay=st.floats(0.0, 1.9),
    seed=st.integers(0, 2**16),
)
def test_adamw_matches_formula_for_any_settings(lr, decay, weight_decay, seed):
    grads = np.random.default_rng(seed).normal(size=(4, 6)).tolist()
    optimizer = AdamW(learning_rate=lr, decay=decay, weight_decay=weight_decay)
    layer = HandLayer(W0, B0)
    for g in grads:
        layer.set_gradients([g[0:2], g[2:4]], [g[4:6]])
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        optimizer.post_update_params()
    expected = ref_adamw(lr, decay, 1e-7, 0.9, 0.999, weight_decay, 4, grads)
    np.testing.assert_allclose(flat(layer.weights, layer.biases), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("decay", [0.0, 0.1])
def test_adamw_matches_pytorch(decay):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    grads = rng.normal(size=(6, 6))
    weights = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    biases = torch.tensor(B0, dtype=torch.float64, requires_grad=True)
    # PyTorch's defaults apply the decay to every parameter, biases included, as AdamW does.
    reference = torch.optim.AdamW(
        [weights, biases], lr=0.05, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.3
    )
    optimizer = AdamW(learning_rate=0.05, decay=decay, weight_decay=0.3)
    layer = HandLayer(W0, B0)
    for t, g in enumerate(grads):
        layer.set_gradients([g[0:2], g[2:4]], [g[4:6]])
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        optimizer.post_update_params()
        for group in reference.param_groups:  # the engine's schedule, set by hand
            group["lr"] = 0.05 / (1 + decay * t)
        weights.grad = torch.tensor(g[:4].reshape(2, 2), dtype=torch.float64)
        biases.grad = torch.tensor(g[None, 4:6], dtype=torch.float64)
        reference.step()
    np.testing.assert_allclose(layer.weights, weights.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layer.biases, biases.detach().numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "optimizer",
    [SGD(0.5), SGD(0.5, momentum=0.5), AdaGrad(0.3), RMSProp(0.02), Adam(0.05), AdamW(0.05)],
    ids=["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw"],
)
def test_updates_in_place_and_keep_float32(optimizer):
    layer = HandLayer(W0, B0, dtype=np.float32)
    weights, biases = layer.weights, layer.biases
    layer.set_gradients(*GRADIENTS[0])
    optimizer.pre_update_params()
    optimizer.update_params(layer)
    optimizer.post_update_params()
    assert layer.weights is weights and layer.biases is biases
    assert layer.weights.dtype == np.float32 and layer.biases.dtype == np.float32


def test_adam_on_a_dense_layer_float32_matches_float64_reference():
    layer = DenseLayer(2, 2)
    layer.weights = np.array(W0, dtype=np.float32)
    layer.biases = np.array(B0, dtype=np.float32)
    optimizer = Adam(learning_rate=0.05, decay=1e-3)
    for dweights, dbiases in GRADIENTS:
        layer.dweights = np.array(dweights, dtype=np.float32)
        layer.dbiases = np.array(dbiases, dtype=np.float32)
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        optimizer.post_update_params()
    expected = ref_adam(0.05, 1e-3, 1e-7, 0.9, 0.999, 3)
    np.testing.assert_allclose(flat(layer.weights, layer.biases), expected, rtol=1e-5, atol=1e-6)


# --- the learning-rate schedule ---------------------------------------------------------------


def test_schedule_formula_over_many_steps():
    optimizer = SGD(learning_rate=1.0, decay=1e-3)
    seen = []
    for _ in range(2000):
        optimizer.pre_update_params()
        seen.append(optimizer.current_learning_rate)
        optimizer.post_update_params()
    np.testing.assert_allclose(seen, [1.0 / (1 + 1e-3 * t) for t in range(2000)], rtol=1e-15)
    assert optimizer.iterations == 2000


def test_no_decay_keeps_the_learning_rate():
    optimizer = Adam(learning_rate=0.02)
    for _ in range(10):
        optimizer.pre_update_params()
        optimizer.post_update_params()
    assert optimizer.current_learning_rate == 0.02


@pytest.mark.parametrize(
    "iterations, published", [(99, 0.04999752512250644), (9999, 0.04975126853296942)]
)
def test_published_adam_learning_rates(iterations, published):
    # Chapter 10 prints current_learning_rate *before* the epoch's pre_update_params, so at
    # epoch 100 it shows the rate set at iteration 99 (and at 10000 the one of 9999).
    optimizer = Adam(learning_rate=0.05, decay=5e-7)
    optimizer.iterations = iterations
    optimizer.pre_update_params()
    assert optimizer.current_learning_rate == published
    assert published == 0.05 / (1 + 5e-7 * iterations)


# --- bad hyperparameters and misuse ----------------------------------------------------------

BAD = [
    (SGD, {"learning_rate": 0}, ValueError),
    (SGD, {"learning_rate": -0.1}, ValueError),
    (SGD, {"learning_rate": float("nan")}, ValueError),
    (SGD, {"learning_rate": "0.1"}, TypeError),
    (SGD, {"learning_rate": True}, TypeError),
    (SGD, {"learning_rate": None}, TypeError),
    (SGD, {"decay": -1e-3}, ValueError),
    (SGD, {"momentum": 1.0}, ValueError),
    (SGD, {"momentum": -0.5}, ValueError),
    (AdaGrad, {"epsilon": 0}, ValueError),
    (RMSProp, {"rho": 1.0}, ValueError),
    (RMSProp, {"rho": -0.1}, ValueError),
    (Adam, {"beta_1": 1.0}, ValueError),
    (Adam, {"beta_2": 1.5}, ValueError),
    (Adam, {"epsilon": -1e-7}, ValueError),
    (Adam, {"learning_rate": [0.1]}, TypeError),
    (AdamW, {"weight_decay": -0.01}, ValueError),
    (AdamW, {"weight_decay": float("nan")}, ValueError),
    (AdamW, {"weight_decay": "0.01"}, TypeError),
    (AdamW, {"weight_decay": None}, TypeError),
    (AdamW, {"weight_decay": 25.0, "learning_rate": 0.05}, ValueError),
    (AdamW, {"beta_2": 1.0}, ValueError),
]


@pytest.mark.parametrize("cls, kwargs, error", BAD, ids=[f"{c.__name__}-{k}" for c, k, _ in BAD])
def test_bad_hyperparameters_are_refused_clearly(cls, kwargs, error):
    name = next(iter(kwargs))
    with pytest.raises(error, match=name):
        cls(**kwargs)


@pytest.mark.parametrize("cls", [SGD, AdaGrad, RMSProp, Adam, AdamW])
def test_update_before_backward_is_refused(cls):
    with pytest.raises(ValueError, match="backward"):
        cls().update_params(DenseLayer(2, 3))


@pytest.mark.parametrize("cls", [SGD, AdaGrad, RMSProp, Adam, AdamW])
def test_update_of_something_without_weights_is_refused(cls):
    with pytest.raises(TypeError, match="weights"):
        cls().update_params(object())


def _layer_with(**attributes):
    layer = DenseLayer(2, 3)
    layer.dweights, layer.dbiases = np.ones((2, 3)), np.ones((1, 3))
    for name, value in attributes.items():
        setattr(layer, name, value)
    return layer


MISMATCHED = [
    ({"dweights": np.ones((1, 1))}, ValueError, ["layer.dweights", "(2, 3)", "(1, 1)"]),
    ({"dweights": np.ones((1, 3))}, ValueError, ["layer.dweights", "(2, 3)", "(1, 3)"]),
    ({"dbiases": np.ones(3)}, ValueError, ["layer.dbiases", "(1, 3)", "(3,)"]),
    ({"dweights": np.full((2, 3), "a")}, TypeError, ["layer.dweights", "numeric", "<U1"]),
    ({"dbiases": [[1.0, 1.0, 1.0]]}, TypeError, ["layer.dbiases", "list"]),
    ({"weights": np.ones((2, 3), dtype=int)}, TypeError, ["layer.weights", "float", "int"]),
]


@pytest.mark.parametrize("cls", [SGD, AdaGrad, RMSProp, Adam, AdamW])
@pytest.mark.parametrize("attributes, error, fragments", MISMATCHED)
def test_gradients_unlike_their_parameters_are_refused_clearly(cls, attributes, error, fragments):
    # NumPy would broadcast a (1, 1) or (3,) gradient into every entry without a word.
    layer = _layer_with(**attributes)
    before = layer.weights.copy(), layer.biases.copy()
    with pytest.raises(error) as raised:
        cls().update_params(layer)
    for fragment in fragments:
        assert fragment in str(raised.value), f"{fragment!r} not in {raised.value}"
    if layer.weights.dtype.kind == "f":  # refused before anything changed
        np.testing.assert_array_equal(layer.weights, before[0])
        np.testing.assert_array_equal(layer.biases, before[1])
