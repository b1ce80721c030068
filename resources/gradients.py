"""Numerical derivatives: the reference every derived formula in the book is checked against.

Chapter 7 builds ``numerical_derivative`` and chapter 8 ``numerical_gradient`` by hand; every
later chapter, the exercise checker and the tests import them from here. Both use the central
difference ``(f(x + h) - f(x - h)) / (2h)`` in float64, whose error shrinks like ``h**2``.
"""

import numpy as np


def numerical_derivative(f, x, h=1e-5):
    """The slope of ``f`` at ``x`` by a central difference.

    ``x`` is a number or an array of points (any shape); ``f`` is applied to the whole array
    at once, so it must act entry by entry (``np.sin``, ``lambda v: v**2``). Returns a float
    for a number, else a float64 array shaped like ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    up = np.asarray(f(x + h), dtype=np.float64)
    down = np.asarray(f(x - h), dtype=np.float64)
    slope = (up - down) / (2 * h)
    return float(slope) if slope.ndim == 0 else slope


def numerical_gradient(f, x, h=1e-5):
    """The partial derivatives of a scalar function ``f`` at ``x``, one entry at a time.

    ``x`` is a list or array of any shape; ``f`` receives a float64 array of that shape and
    returns one number. Entry ``i`` of the result (float64, shaped like ``x``) is
    ``(f(x + h e_i) - f(x - h e_i)) / (2h)``, where ``e_i`` is 1 at ``i`` and 0 elsewhere.
    """
    x = np.array(x, dtype=np.float64)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        gradient[index] = (float(f(x + step)) - float(f(x - step))) / (2 * h)
    return gradient
