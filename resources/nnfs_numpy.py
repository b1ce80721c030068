"""What ``nnfs.init()`` changes in NumPy, in one place, and how to undo it.

``nnfs.init()`` replaces four NumPy functions for the whole process: ``np.zeros``, ``np.eye``
and ``np.random.randn`` then return float32 arrays, and ``np.dot`` sums in float64 and rounds
its result to float32. It also seeds NumPy's global random generator with 0. Every further
call wraps the functions once more. Chapters that reproduce the NNFS book's published numbers
call it once, at the top; code that must not change the reader's NumPy (an explorer being
built, a test) uses ``nnfs_numpy()`` instead.
"""

import contextlib

import nnfs
import numpy as np

PATCHED = ((np, "dot"), (np, "zeros"), (np, "eye"), (np.random, "randn"))


def numpy_functions():
    """The functions ``nnfs.init()`` replaces, as they are right now."""
    return [getattr(module, name) for module, name in PATCHED]


def restore_numpy_functions(functions):
    """Put back functions saved by ``numpy_functions()``."""
    for (module, name), function in zip(PATCHED, functions, strict=True):
        setattr(module, name, function)


@contextlib.contextmanager
def nnfs_numpy():
    """``nnfs.init()`` inside a ``with`` block only.

    Afterwards NumPy's functions and its global random state are exactly as before the block.
    """
    functions = numpy_functions()
    random_state = np.random.get_state()
    nnfs.init()
    try:
        yield
    finally:
        restore_numpy_functions(functions)
        np.random.set_state(random_state)
