"""Learning-rate schedules (``resources/schedules.py``) and the optimizers' ``schedule=``.

Each schedule must follow its formula; chapter 10's ``decay=`` must stay the default and give
the same numbers bit for bit (``InverseTimeDecay`` computes exactly those); every optimizer
must take the rate a schedule gives; bad hyperparameters must be refused clearly. PyTorch's
``torch.optim.lr_scheduler``, where installed, gives the same rates.
"""

import math

import numpy as np
import pytest

from resources.classes import SGD, AdaGrad, Adam, AdamW, DenseLayer, RMSProp
from resources.schedules import CosineDecay, InverseTimeDecay, LinearWarmup, StepDecay

OPTIMIZERS = [
    lambda **kw: SGD(learning_rate=0.5, **kw),
    lambda **kw: SGD(learning_rate=0.5, momentum=0.9, **kw),
    lambda **kw: AdaGrad(learning_rate=0.5, **kw),
    lambda **kw: RMSProp(learning_rate=0.01, **kw),
    lambda **kw: Adam(learning_rate=0.01, **kw),
    lambda **kw: AdamW(learning_rate=0.01, weight_decay=0.1, **kw),
]
OPTIMIZER_IDS = ["SGD", "SGD-momentum", "AdaGrad", "RMSProp", "Adam", "AdamW"]


def rates(optimizer, steps):
    """The learning rate ``optimizer`` uses at each of ``steps`` steps (no layer needed)."""
    seen = []
    for _ in range(steps):
        optimizer.pre_update_params()
        seen.append(optimizer.current_learning_rate)
        optimizer.post_update_params()
    return seen


# --- each schedule against its formula --------------------------------------------------------


def test_inverse_time_decay_is_chapter_10s_formula():
    schedule = InverseTimeDecay(1e-3)
    for k in (0, 1, 7, 999, 10**6):
        assert schedule(k, 0.05) == 0.05 / (1 + 1e-3 * k)
    assert InverseTimeDecay(0)(12345, 0.05) == 0.05


def test_step_decay_halves_every_step_size_steps():
    schedule = StepDecay(step_size=100, factor=0.5)
    expected = {0: 1.0, 99: 1.0, 100: 0.5, 199: 0.5, 200: 0.25, 1050: 0.5**10}
    for k, rate in expected.items():
        assert schedule(k, 1.0) == rate
        assert schedule(k, 0.02) == pytest.approx(0.02 * rate, rel=1e-15)


def test_cosine_decay_follows_half_a_cosine_to_its_floor():
    schedule = CosineDecay(steps=1000, floor=0.1)
    lr = 0.02
    for k in (0, 1, 250, 500, 750, 999):
        expected = 0.1 * lr + (lr - 0.1 * lr) * (1 + math.cos(math.pi * k / 1000)) / 2
        assert schedule(k, lr) == pytest.approx(expected, rel=1e-15)
    assert schedule(0, lr) == pytest.approx(lr, rel=1e-15)
    assert schedule(500, lr) == pytest.approx(0.55 * lr, rel=1e-15)  # halfway: the mean
    assert schedule(1000, lr) == schedule(5000, lr) == pytest.approx(0.1 * lr, rel=1e-15)
    values = [schedule(k, lr) for k in range(1200)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))  # never rises
    assert CosineDecay(steps=10)(10, lr) == 0.0  # floor 0: down to zero


def test_linear_warmup_climbs_then_hands_over():
    warmup = LinearWarmup(steps=4)
    assert [warmup(k, 0.1) for k in range(6)] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])
    cosine = CosineDecay(steps=10, floor=0.0)
    warm_cosine = LinearWarmup(steps=4, then=cosine)
    for k in range(4, 20):
        assert warm_cosine(k, 0.1) == cosine(k - 4, 0.1)  # the cosine counts from the hand-over
    assert warm_cosine(4, 0.1) == 0.1
    assert LinearWarmup(steps=3, then=lambda k, lr: lr / 2)(3, 0.1) == 0.05  # any function


# --- the default is chapter 10's decay, unchanged ---------------------------------------------


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPTIMIZER_IDS)
@pytest.mark.parametrize("decay", [0.0, 1e-3, 5e-7])
def test_the_default_reproduces_the_old_decay_exactly(make, decay):
    optimizer = make(decay=decay)
    lr = optimizer.learning_rate
    old = [lr / (1.0 + decay * k) if decay else lr for k in range(3000)]
    assert optimizer.schedule is None
    assert rates(optimizer, 3000) == old  # exactly: the same float operations
    assert rates(make(schedule=InverseTimeDecay(decay)), 3000) == old


def test_published_adam_rate_through_the_schedule():
    # chapter 10 prints lr 0.04975126853296942 at epoch 10000 (the rate set at iteration 9999)
    optimizer = Adam(learning_rate=0.05, schedule=InverseTimeDecay(5e-7))
    optimizer.iterations = 9999
    optimizer.pre_update_params()
    assert optimizer.current_learning_rate == 0.04975126853296942


# --- every optimizer follows a given schedule -------------------------------------------------


def train(optimizer, steps, set_rate=None):
    """Train one DenseLayer on fixed gradients; ``set_rate(k)`` overrides the rate by hand."""
    rng = np.random.default_rng(0)
    layer = DenseLayer(3, 4)
    layer.weights = rng.normal(size=(3, 4))
    layer.biases = rng.normal(size=(1, 4))
    for k in range(steps):
        layer.dweights = rng.normal(size=(3, 4))
        layer.dbiases = rng.normal(size=(1, 4))
        optimizer.pre_update_params()
        if set_rate is not None:
            optimizer.current_learning_rate = set_rate(k)
        optimizer.update_params(layer)
        optimizer.post_update_params()
    return np.concatenate([layer.weights.ravel(), layer.biases.ravel()])


SCHEDULES = [
    StepDecay(step_size=7, factor=0.3),
    CosineDecay(steps=25, floor=0.05),
    LinearWarmup(steps=5, then=CosineDecay(steps=20)),
    LinearWarmup(steps=5, then=StepDecay(step_size=4)),
]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPTIMIZER_IDS)
@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_every_optimizer_follows_a_given_schedule(make, schedule):
    scheduled = make(schedule=schedule)
    lr = scheduled.learning_rate
    assert rates(make(schedule=schedule), 30) == [schedule(k, lr) for k in range(30)]
    # the parameters move exactly as if the rate had been set by hand at every step
    by_hand = train(make(), 30, set_rate=lambda k: schedule(k, lr))
    np.testing.assert_array_equal(train(scheduled, 30), by_hand)
    assert scheduled.iterations == 30


def test_adam_bias_correction_keeps_its_own_step_count():
    # a warm-up changes the rate, never Adam's t: the first step still moves each parameter by
    # about the step's rate (m_hat / sqrt(v_hat) is +-1 on the first step)
    optimizer = Adam(learning_rate=0.1, schedule=LinearWarmup(steps=10))
    layer = DenseLayer(2, 2)
    before = layer.weights.copy()
    layer.dweights, layer.dbiases = np.ones((2, 2)), np.ones((1, 2))
    optimizer.pre_update_params()
    optimizer.update_params(layer)
    np.testing.assert_allclose(before - layer.weights, 0.01, rtol=1e-5)


# --- bad hyperparameters refused --------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: InverseTimeDecay(-1e-3), ValueError, r"decay must lie in \[0, inf\)"),
        (lambda: InverseTimeDecay("0.1"), TypeError, "decay must be a number"),
        (lambda: StepDecay(0), ValueError, "step_size must be a positive integer"),
        (lambda: StepDecay(2.5), TypeError, "step_size must be a positive integer"),
        (lambda: StepDecay(10, factor=0), ValueError, r"factor must lie in \(0, inf\)"),
        (lambda: StepDecay(10, factor=1.5), ValueError, r"factor must lie in \(0, 1\]"),
        (lambda: CosineDecay(0), ValueError, "steps must be a positive integer"),
        (lambda: CosineDecay(True), TypeError, "steps must be a positive integer"),
        (lambda: CosineDecay(10, floor=1.0), ValueError, r"floor must lie in \[0, 1\)"),
        (lambda: CosineDecay(10, floor=-0.1), ValueError, r"floor must lie in \[0, 1\)"),
        (lambda: CosineDecay(10, floor=float("nan")), ValueError, "floor must lie in"),
        (lambda: LinearWarmup(-3), ValueError, "steps must be a positive integer"),
        (lambda: LinearWarmup(3, then=0.5), TypeError, "then must be a schedule"),
    ],
)
def test_bad_hyperparameters_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_optimizers_refuse_a_bad_schedule_or_decay_beside_one(make):
    with pytest.raises(TypeError, match=r"schedule must be a function of \(k, learning_rate\)"):
        make(schedule=0.5)
    with pytest.raises(ValueError, match="give decay or schedule, not both"):
        make(decay=1e-3, schedule=CosineDecay(100))
    assert make(decay=0.0, schedule=CosineDecay(100)).schedule is not None


def test_a_model_with_a_scheduled_optimizer_saves_only_without_it(tmp_path):
    from resources.classes import CategoricalAccuracy, CategoricalCrossEntropy, Model, SoftMax

    model = Model()
    model.add(DenseLayer(2, 3))
    model.add(SoftMax())
    model.set(
        loss=CategoricalCrossEntropy(),
        optimizer=Adam(schedule=CosineDecay(10)),
        accuracy=CategoricalAccuracy(),
    )
    model.finalize()
    with pytest.raises(ValueError, match="learning-rate schedule"):
        model.save(tmp_path / "m.npz")
    model.save(tmp_path / "m.npz", optimizer=False)
    assert (tmp_path / "m.npz").exists()


# --- PyTorch's schedulers, where installed ---------------------------------------------------


def test_the_schedules_match_pytorchs_lr_scheduler():
    torch = pytest.importorskip("torch")
    scheduler_module = torch.optim.lr_scheduler

    def torch_rates(make_scheduler, steps, lr=0.1):
        parameter = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([parameter], lr=lr)
        scheduler = make_scheduler(optimizer)
        seen = []
        for _ in range(steps):
            seen.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        return seen

    ours = [StepDecay(10, factor=0.5)(k, 0.1) for k in range(40)]
    theirs = torch_rates(lambda o: scheduler_module.StepLR(o, step_size=10, gamma=0.5), 40)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    ours = [CosineDecay(30, floor=0.1)(k, 0.1) for k in range(30)]
    theirs = torch_rates(lambda o: scheduler_module.CosineAnnealingLR(o, 30, eta_min=0.01), 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    ours = [InverseTimeDecay(0.01)(k, 0.1) for k in range(40)]
    theirs = torch_rates(lambda o: scheduler_module.LambdaLR(o, lambda k: 1 / (1 + 0.01 * k)), 40)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    ours = [LinearWarmup(5)(k, 0.1) for k in range(12)]
    theirs = torch_rates(
        lambda o: scheduler_module.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=4),
        12,
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_any_schedule_is_pytorchs_lambda_lr_of_its_rate_at_one():
    """Chapter 25's table: ``LambdaLR(optimizer, lambda k: schedule(k, 1.0))`` gives our rates."""
    torch = pytest.importorskip("torch")
    for schedule in (
        InverseTimeDecay(0.045),
        StepDecay(5, factor=0.1),
        CosineDecay(30, floor=0.1),
        LinearWarmup(10, then=CosineDecay(30, floor=0.1)),
    ):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k, s=schedule: s(k, 1.0))
        theirs = []
        for _ in range(60):
            theirs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        ours = [schedule(k, 0.1) for k in range(60)]
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
