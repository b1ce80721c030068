"""Learning-rate schedules (chapter 25): how the step size changes as training goes on.

A schedule is a function of the step count ``k`` (the optimizer's ``iterations``: 0 before
the first update) and of the optimizer's starting ``learning_rate``; it returns the learning
rate of step ``k``. Every optimizer takes one::

    optimizer = Adam(learning_rate=0.02, schedule=CosineDecay(steps=1000, floor=0.05))

and calls ``schedule(k, learning_rate)`` in ``pre_update_params``. Without a schedule the
optimizer uses chapter 10's decay, ``learning_rate / (1 + decay * k)``, which
``InverseTimeDecay(decay)`` writes as a schedule (and computes the same numbers, bit for bit).

Any function ``f(k, learning_rate)`` that returns a positive number works as a schedule; the
classes below are the common ones, each with its hyperparameters checked when it is made.
"""

import math

from resources.checks import hyperparameter, positive_int

__all__ = ["InverseTimeDecay", "StepDecay", "CosineDecay", "LinearWarmup"]


def learning_rate_schedule(schedule, decay):
    """An optimizer's ``schedule``: ``None``, or a function of ``(k, learning_rate)`` without
    a ``decay`` beside it (both choose the rate). Returns it, or raises a clear error."""
    if schedule is None:
        return None
    if not callable(schedule):
        raise TypeError(
            "schedule must be a function of (k, learning_rate) such as "
            f"CosineDecay(steps=1000), got {schedule!r}"
        )
    if decay:
        raise ValueError(
            f"give decay or schedule, not both (got decay={decay} and schedule={schedule!r}); "
            "decay=d is the schedule InverseTimeDecay(d)"
        )
    return schedule


class InverseTimeDecay:
    """Chapter 10's decay: ``learning_rate / (1 + decay * k)``.

    ``decay`` in ``[0, inf)``; ``decay=0`` keeps the learning rate constant.
    """

    def __init__(self, decay):
        self.decay = hyperparameter(decay, "decay", 0)

    def __call__(self, k, learning_rate):
        return learning_rate / (1.0 + self.decay * k)

    def __repr__(self):
        return f"InverseTimeDecay(decay={self.decay})"


class StepDecay:
    """Multiply the learning rate by ``factor`` every ``step_size`` steps.

    ``learning_rate * factor ** (k // step_size)``: constant for ``step_size`` steps, then a
    drop, then constant again. ``step_size`` a positive integer, ``factor`` in ``(0, 1]``.
    """

    def __init__(self, step_size, factor=0.5):
        self.step_size = positive_int(step_size, "step_size")
        self.factor = hyperparameter(factor, "factor", 0, low_open=True)
        if self.factor > 1:
            raise ValueError(f"factor must lie in (0, 1] (a drop, not a rise), got {self.factor}")

    def __call__(self, k, learning_rate):
        return learning_rate * self.factor ** (k // self.step_size)

    def __repr__(self):
        return f"StepDecay(step_size={self.step_size}, factor={self.factor})"


class CosineDecay:
    """Half a cosine wave from ``learning_rate`` down to ``floor * learning_rate``.

    For ``k < steps``: ``low + (learning_rate - low) * (1 + cos(pi * k / steps)) / 2`` with
    ``low = floor * learning_rate``; from step ``steps`` on, ``low``. The rate falls slowly at
    first, fastest in the middle, and slowly again near the end. ``steps`` a positive integer,
    ``floor`` (a fraction of the starting rate) in ``[0, 1)``.
    """

    def __init__(self, steps, floor=0.0):
        self.steps = positive_int(steps, "steps")
        self.floor = hyperparameter(floor, "floor", 0, 1)

    def __call__(self, k, learning_rate):
        low = self.floor * learning_rate
        if k >= self.steps:
            return low
        return low + (learning_rate - low) * (1 + math.cos(math.pi * k / self.steps)) / 2

    def __repr__(self):
        return f"CosineDecay(steps={self.steps}, floor={self.floor})"


class LinearWarmup:
    """Grow the rate linearly for ``steps`` steps, then hand over to the schedule ``then``.

    For ``k < steps``: ``learning_rate * (k + 1) / steps`` (the first step already moves,
    the last warm-up step reaches ``learning_rate``); from then on ``then(k - steps,
    learning_rate)``: the wrapped schedule starts its own count where the warm-up ends.
    ``then=None`` keeps the rate constant after the warm-up.
    """

    def __init__(self, steps, then=None):
        self.steps = positive_int(steps, "steps")
        if then is not None and not callable(then):
            raise TypeError(
                f"then must be a schedule, a function of (k, learning_rate), got {then!r}"
            )
        self.then = then

    def __call__(self, k, learning_rate):
        if k < self.steps:
            return learning_rate * (k + 1) / self.steps
        if self.then is None:
            return learning_rate
        return self.then(k - self.steps, learning_rate)

    def __repr__(self):
        return f"LinearWarmup(steps={self.steps}, then={self.then!r})"
