"""The tangent explorer: a curve, a point on it, its tangent line and two slopes.

The computation lives twice: in ``tangent_explorer.js`` (so the widget responds on a static
HTML page, with no Python running) and here, in Python, where the ReLU curve goes through the
book's engine (``resources.classes.ReLU``), which is the reference. The tests check that both
agree over a grid of settings.
"""

import math

import anywidget
import numpy as np
import traitlets

from resources.classes import ReLU
from resources.widgets.prelude import css, esm

X_MIN, X_MAX = -2.0, 2.0
H_MIN, H_MAX = 1e-12, 1.0


class SettingError(traitlets.TraitError, ValueError):
    """A setting outside what the explorer accepts (a ``ValueError`` too)."""


def _relu_value_and_slope(values):
    """ReLU of each value and its slope, from the engine's forward and backward passes."""
    relu = ReLU()
    relu.forward(np.asarray(values, dtype=np.float64).reshape(1, -1))
    relu.backward(np.ones_like(relu.output))
    return relu.output[0], relu.dinputs[0]


def _relu(x):
    return float(_relu_value_and_slope([x])[0][0])


def _relu_slope(x):
    return float(_relu_value_and_slope([x])[1][0])


#: name -> (label, f, f'); the same names and formulas as ``CURVES`` in the JS module.
CURVES = {
    "square": ("f(x) = 2x²", lambda x: 2 * x * x, lambda x: 4 * x),
    "cubic": ("f(x) = x³ − x", lambda x: x * x * x - x, lambda x: 3 * x * x - 1),
    "sine": ("f(x) = sin x", math.sin, math.cos),
    "relu": ("f(x) = ReLU(x) = max(0, x)", _relu, _relu_slope),
}


def explorer_state(curve, x, h):
    """Every number the explorer shows for one setting (the mirror of ``explorerState`` in JS).

    Returns a dict with ``value`` = f(x), ``numerical_slope`` = (f(x+h) - f(x-h)) / (2h),
    ``analytical_slope`` = f'(x), ``error`` = |numerical - analytical| and ``intercept`` of
    the tangent line y = f'(x) x + intercept.
    """
    if curve not in CURVES:
        raise ValueError(f"unknown curve {curve!r}; choose one of {', '.join(CURVES)}")
    _, f, df = CURVES[curve]
    x, h = float(x), float(h)
    value = f(x)
    numerical = (f(x + h) - f(x - h)) / (2 * h)
    analytical = df(x)
    return {
        "value": value,
        "numerical_slope": numerical,
        "analytical_slope": analytical,
        "error": abs(numerical - analytical),
        "intercept": value - analytical * x,
    }


class TangentExplorer(anywidget.AnyWidget):
    """Pick a curve, move the point ``x`` and the step ``h``; see the tangent and both slopes.

    ``curve``, ``x`` and ``h`` are the settings (synced with the page); ``value``,
    ``numerical_slope``, ``analytical_slope`` and ``error`` are recomputed in Python whenever
    a setting changes, so a notebook can drive the explorer: ``explorer.x = 1.5`` or
    ``explorer.step(0.25)``.
    """

    _esm = esm("tangent_explorer.js")
    _css = css("tangent_explorer.css")

    curve = traitlets.Unicode("square").tag(sync=True)
    x = traitlets.Float(1.0).tag(sync=True)
    h = traitlets.Float(1e-3).tag(sync=True)

    value = traitlets.Float(0.0).tag(sync=True)
    numerical_slope = traitlets.Float(0.0).tag(sync=True)
    analytical_slope = traitlets.Float(0.0).tag(sync=True)
    error = traitlets.Float(0.0).tag(sync=True)

    def __init__(self, curve="square", x=1.0, h=1e-3, **kwargs):
        super().__init__(curve=curve, x=x, h=h, **kwargs)
        self._recompute()

    @traitlets.validate("curve")
    def _check_curve(self, proposal):
        if proposal["value"] not in CURVES:
            raise SettingError(
                f"unknown curve {proposal['value']!r}; choose one of {', '.join(CURVES)}"
            )
        return proposal["value"]

    @traitlets.validate("x")
    def _check_x(self, proposal):
        x = proposal["value"]
        if not X_MIN <= x <= X_MAX:
            raise SettingError(f"x must lie in [{X_MIN}, {X_MAX}], got {x}")
        return x

    @traitlets.validate("h")
    def _check_h(self, proposal):
        h = proposal["value"]
        if not H_MIN <= h <= H_MAX:
            raise SettingError(f"h must lie in [{H_MIN:g}, {H_MAX:g}], got {h}")
        return h

    @traitlets.observe("curve", "x", "h")
    def _on_setting(self, change):
        self._recompute()

    def _recompute(self):
        state = explorer_state(self.curve, self.x, self.h)
        with self.hold_sync():
            self.value = state["value"]
            self.numerical_slope = state["numerical_slope"]
            self.analytical_slope = state["analytical_slope"]
            self.error = state["error"]

    @property
    def state(self):
        """The current numbers, as a dict (see :func:`explorer_state`)."""
        return explorer_state(self.curve, self.x, self.h)

    def step(self, dx=0.25):
        """Move the point by ``dx`` (stopping at the ends of the range); return the new state."""
        self.x = min(X_MAX, max(X_MIN, self.x + dx))
        return self.state
