"""The book's one exercise checker.

Every chapter checks its exercises with these functions, so every check speaks the same way,
accepts the same tolerance and never raises on a reader's answer (Run All keeps going):

- ``check(n, answer, expected, hint)``: a number, a shape tuple or an array of numbers (or,
  for a choice exercise, a string of letters such as ``"ace"``);
- ``check_function(n, answer, reference, points, hint)``: a function the reader wrote (for
  instance a derivative), compared with ``reference`` at each of ``points``;
- ``numerical_derivative(f, x)`` and ``numerical_gradient(f, x)`` (from ``resources.gradients``,
  re-exported here): central differences in float64, the reference a derivation exercise is
  checked against (so no formula appears in the check).

Each prints one line that starts ``Exercise n: correct!``, ``Exercise n: not answered yet.`` or
``Exercise n: not quite.`` (with what was wrong and the hint) and returns nothing, so that a
check cell shows just that line.

**Tolerance.** One rule for the whole book: an answer is accepted when
``np.allclose(answer, expected, rtol=RTOL, atol=ATOL)`` holds (``RTOL = 1e-5``,
``ATOL = 1e-8``) and the shapes are the same. That is loose enough for float32 arithmetic and
for central differences, and tight enough that a wrong formula or a hand-rounded value fails.
A number or array within 1 % is told that it is close ("check your working and your rounding":
a slip such as a forgotten term can land that near too). A function is called close only when it
is within 1 % at every checked point; a function that is off at some point is wrong, and the
message names that point. Inputs appear in messages briefly (a number, a short list, or the
shape of a large array), never as pages of numbers.

**Expected values stay off the page.** The check cell must not show the answer:

- compute the expected value in the check cell from the exercise's own inputs with the book's
  code (``softmax_jacobian(s)``, a ``DenseLayer``'s ``backward``, ``numerical_gradient(...)``);
- or, for a constant that no computation from the inputs gives away, store it sealed:
  ``python -c "from resources.exercises import seal; print(seal(4 * 3.14159 - 10))"`` prints a
  token, and the check cell passes ``expected=sealed("<token>")``. A sealed value is encoded, not
  encrypted: it only keeps the answer out of sight of a reader scrolling past.

**Notebook layout** (``tests/chapters/test_exercises.py`` checks it in every chapter):

- the exercise's statement in a markdown cell, ``**Exercise n.** ...``;
- an answer cell tagged ``answer-n`` whose source starts ``answer_n = None``;
- a check cell tagged ``check-n`` and ``remove-input`` (hidden on the page; its printed line
  stays) with the metadata ``"jupyter": {"source_hidden": true}`` (collapsed in JupyterLab); its
  source imports nothing and calls ``check``/``check_function`` once with ``answer_n``;
- a folded solution: a markdown cell with ``<details>`` / ``<summary>Solution</summary>`` and a
  ``python`` code block that assigns ``answer_n = ...`` (a test runs it through the check).

``CHECK_CELL_METADATA`` is that metadata, for notebooks written with ``nbformat``.
"""

import base64
import json
import zlib

import numpy as np

from resources.gradients import numerical_derivative, numerical_gradient

RTOL = 1e-5
ATOL = 1e-8
CLOSE = 1e-2  # within this relative distance an answer is "close": computed, not typed

CHECK_CELL_METADATA = {"tags": ["remove-input"], "jupyter": {"source_hidden": True}}

_SEAL_PREFIX = "nnfs1:"


# -- sealed constants --------------------------------------------------------------------------


class Sealed:
    """An expected value kept out of sight; ``repr`` does not show it."""

    def __init__(self, token):
        if not isinstance(token, str) or not token.startswith(_SEAL_PREFIX):
            raise ValueError(f"sealed() expects a token made by seal(), got {token!r}")
        try:
            raw = zlib.decompress(base64.b85decode(token[len(_SEAL_PREFIX) :]))
            self._value = json.loads(raw.decode())
        except (ValueError, zlib.error) as error:
            raise ValueError(f"sealed() could not read the token {token!r}: {error}") from None

    @property
    def value(self):
        return self._value

    def __repr__(self):
        return "Sealed(...)"


def seal(value):
    """A token that stores ``value`` out of sight: a number, nested lists of numbers, or a
    string of choice letters such as ``"ace"``."""
    if isinstance(value, str):
        payload = value
    else:
        array = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"seal() expects finite numbers or a string, got {value!r}")
        payload = array.tolist()
    raw = json.dumps(payload).encode()
    return _SEAL_PREFIX + base64.b85encode(zlib.compress(raw, 9)).decode()


def sealed(token):
    """The expected value stored in ``token`` (made by :func:`seal`), for ``check``."""
    return Sealed(token)


# -- the checks --------------------------------------------------------------------------------


def _say(exercise, verdict, detail="", hint=""):
    line = f"Exercise {exercise}: {verdict}"
    if detail:
        line += f" {detail}"
    if hint:
        line += f" Hint: {hint}"
    print(line)


def _as_numbers(value):
    """``value`` as a float64 array, or ``None`` if it is not numbers (no exception)."""
    if isinstance(value, str | bytes | dict | set) or callable(value):
        return None
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    return array


def _describe(value):
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _brief(point):
    """A checked input, shown in one short phrase: ``-3``, ``[1, 2]`` or ``an array of shape
    (200, 2)``; a tuple (several arguments) as its parts in parentheses."""
    if isinstance(point, tuple):
        return "(" + ", ".join(_brief(part) for part in point) + ")"
    array = _as_numbers(point)
    if array is None:
        return _describe(point)
    if array.ndim == 0:
        return f"{float(array):g}"
    if array.size <= 6:
        return np.array2string(array, separator=", ", formatter={"float_kind": "{:g}".format})
    return f"an array of shape {array.shape}"


_CLOSE_ADVICE = "check your working and your rounding."


def _verdict(got, want):
    """``"shape"``, ``"nan"``, ``"correct"``, ``"close"`` (within 1 %) or ``"wrong"``."""
    if got.shape != want.shape:
        return "shape"
    if not np.all(np.isfinite(got)):
        return "nan"
    if np.allclose(got, want, rtol=RTOL, atol=ATOL):
        return "correct"
    if np.allclose(got, want, rtol=CLOSE, atol=CLOSE * 1e-3):
        return "close"
    return "wrong"


def _compare(exercise, got, want, hint, what="your answer"):
    """Print the verdict for arrays ``got`` and ``want`` (same rules everywhere)."""
    verdict = _verdict(got, want)
    if verdict == "shape":
        shape = "a single number" if want.shape == () else f"shape {want.shape}"
        _say(
            exercise,
            "not quite.",
            f"Expected {shape}, {what} has "
            + ("a single number." if got.shape == () else f"shape {got.shape}."),
            hint,
        )
        return False
    if verdict == "nan":
        _say(exercise, "not quite.", f"{what.capitalize()} contains nan or inf.", hint)
        return False
    if verdict == "correct":
        _say(exercise, "correct!")
        return True
    if verdict == "close":
        _say(
            exercise,
            "not quite.",
            f"{what.capitalize()} is close (within 1 %) but not within the book's tolerance "
            f"(relative {RTOL:g}): {_CLOSE_ADVICE}",
            hint,
        )
        return False
    detail = "" if what == "your answer" else f"{what.capitalize()} is not the expected one."
    _say(exercise, "not quite.", detail, hint)
    return False


def _check_letters(exercise, answer, want, hint):
    """A choice exercise: the set of letters in ``answer`` must be the set in ``want``."""
    if not isinstance(answer, str):
        _say(
            exercise, "not quite.", f"Expected a string of letters, got {_describe(answer)}.", hint
        )
        return False
    given = {c for c in answer.lower() if c.isalpha()}
    if given == set(want.lower()):
        _say(exercise, "correct!")
        return True
    missing, extra = len(set(want.lower()) - given), len(given - set(want.lower()))
    notes = [f"{missing} missing" if missing else "", f"{extra} too many" if extra else ""]
    _say(exercise, "not quite.", f"Letters: {', '.join(n for n in notes if n)}.", hint)
    return False


def _check(exercise, answer, expected, hint):
    """``check``, returning ``True`` only for a correct answer."""
    want = expected.value if isinstance(expected, Sealed) else expected
    if answer is None:
        _say(exercise, "not answered yet.", "Replace None with your answer and run this again.")
        return False
    if isinstance(want, str):
        return _check_letters(exercise, answer, want, hint)
    want = np.asarray(want, dtype=float)  # the author's value: an error here is the author's
    got = _as_numbers(answer)
    if got is None:
        kind = "a number" if want.shape == () else "numbers (a list, tuple or NumPy array)"
        _say(exercise, "not quite.", f"Expected {kind}, got {_describe(answer)}.", hint)
        return False
    return _compare(exercise, got, want, hint)


def _check_function(exercise, answer, reference, points, hint):
    """``check_function``, returning ``True`` only for a correct answer."""
    if answer is None:
        _say(exercise, "not answered yet.", "Replace None with your function and run this again.")
        return False
    if not callable(answer):
        _say(
            exercise,
            "not quite.",
            f"Expected a function (def or lambda), got {_describe(answer)}.",
            hint,
        )
        return False
    verdicts = []  # (point, verdict, got, want) at each checked point
    for point in points:
        if isinstance(point, tuple):  # several arguments
            args = point
        else:
            args = (np.array(point, dtype=float) if np.ndim(point) else float(point),)
        want = np.asarray(reference(*args), dtype=float)
        try:
            result = answer(*args)
        except Exception as error:  # the reader's code: report it, never raise
            _say(
                exercise,
                "not quite.",
                f"Your function raised {type(error).__name__}: {error} (at {_brief(point)}).",
                hint,
            )
            return False
        got = _as_numbers(result)
        if got is None:
            _say(
                exercise,
                "not quite.",
                f"Your function should return numbers, it returned {_describe(result)}.",
                hint,
            )
            return False
        verdicts.append((point, _verdict(got, want), got, want))
    if all(v == "correct" for _, v, _, _ in verdicts):
        _say(exercise, "correct!")
        return True
    # Report the first point where it is worst: a wrong shape, nan, a wrong value; "close"
    # only when the function is close (or right) at every checked point.
    for kind in ("shape", "nan"):
        for point, v, got, want in verdicts:
            if v == kind:
                return _compare(exercise, got, want, hint, what=f"its value at {_brief(point)}")
    wrong = [point for point, v, _, _ in verdicts if v == "wrong"]
    if wrong:
        near = [point for point, v, _, _ in verdicts if v in ("correct", "close")]
        detail = f"Its value at {_brief(wrong[0])} is not the expected one"
        if near:
            detail += f" (though it agrees, or nearly, at {_brief(near[0])})"
        _say(exercise, "not quite.", detail + ".", hint)
        return False
    _say(
        exercise,
        "not quite.",
        "Your function is close (within 1 %) at every checked point but not within the book's "
        f"tolerance (relative {RTOL:g}): {_CLOSE_ADVICE}",
        hint,
    )
    return False


def check(exercise, answer, expected, hint=""):
    """Say whether ``answer`` equals ``expected`` within the book's tolerance.

    ``answer``: the reader's number, tuple (a shape) or array-like of numbers; ``None`` means
    not answered yet. ``expected``: a number, array-like or :func:`sealed` token (the author's).
    A string ``expected`` (usually sealed) makes a choice exercise: ``answer`` is a string of
    letters, and the set of letters must match (order, case and separators do not matter).
    Prints one line (its verdict) and returns nothing, so a notebook shows only that line;
    never raises on ``answer``.
    """
    _check(exercise, answer, expected, hint)


def check_function(exercise, answer, reference, points, hint=""):
    """Say whether the reader's function ``answer`` agrees with ``reference`` at ``points``.

    ``answer`` and ``reference`` take one point (a number or an array) and return numbers;
    ``points``: a list of such points (a tuple is a point of several arguments, unpacked into
    ``answer(*point)``). ``reference`` is typically ``lambda x: numerical_derivative(f, x)`` or
    ``lambda x: numerical_gradient(f, x)``, so the expected formula never appears. ``None``
    means not answered yet; a value that is not a function, or a function that raises, gets a
    clear message instead of an exception. Prints one line and returns nothing.
    """
    _check_function(exercise, answer, reference, points, hint)


def check_backward(exercise, answer, forward, shapes, hint=""):
    """Say whether the reader's backward pass of a layer agrees with a numerical gradient.

    ``answer(inputs, weights, dvalues)`` must return ``(dweights, dbiases, dinputs)`` for a
    layer whose output is ``forward(inputs, weights, biases)``. ``shapes``: a list of
    ``(n_samples, n_inputs, n_neurons)``; for each, random ``inputs`` (n_samples, n_inputs),
    ``weights`` (n_inputs, n_neurons), ``biases`` (1, n_neurons) and ``dvalues`` (n_samples,
    n_neurons) are drawn (seeded), and the three gradients are compared with the numerical
    gradients of ``sum(dvalues * forward(inputs, weights, biases))``. Prints one line and
    returns nothing; never raises on ``answer``.
    """
    _check_backward(exercise, answer, forward, shapes, hint)


def _layer_gradients(forward, inputs, weights, biases, dvalues):
    """The numerical (dweights, dbiases, dinputs) of ``sum(dvalues * forward(...))``."""

    def loss(x, w, b):
        return np.sum(dvalues * forward(x, w, b))

    return (
        numerical_gradient(lambda w: loss(inputs, w, biases), weights),
        numerical_gradient(lambda b: loss(inputs, weights, b), biases),
        numerical_gradient(lambda x: loss(x, weights, biases), inputs),
    )


def _check_backward(exercise, answer, forward, shapes, hint):
    """``check_backward``, returning ``True`` only for a correct answer."""
    if answer is None:
        _say(exercise, "not answered yet.", "Replace None with your function and run this again.")
        return False
    if not callable(answer):
        _say(
            exercise,
            "not quite.",
            f"Expected a function (def or lambda), got {_describe(answer)}.",
            hint,
        )
        return False
    rng = np.random.default_rng(0)
    names = ("dweights", "dbiases", "dinputs")
    for n_samples, n_inputs, n_neurons in shapes:
        inputs = rng.normal(size=(n_samples, n_inputs))
        weights = rng.normal(size=(n_inputs, n_neurons))
        biases = rng.normal(size=(1, n_neurons))
        dvalues = rng.normal(size=(n_samples, n_neurons))
        want = _layer_gradients(forward, inputs, weights, biases, dvalues)
        where = f"(inputs of shape {inputs.shape}, weights {weights.shape})"
        try:
            result = answer(inputs.copy(), weights.copy(), dvalues.copy())
        except Exception as error:  # the reader's code: report it, never raise
            _say(
                exercise,
                "not quite.",
                f"Your function raised {type(error).__name__}: {error} {where}.",
                hint,
            )
            return False
        if not isinstance(result, tuple | list) or len(result) != 3:
            _say(
                exercise,
                "not quite.",
                "Your function should return three arrays (dweights, dbiases, dinputs), "
                f"it returned {_describe(result)}.",
                hint,
            )
            return False
        for name, value, expected in zip(names, result, want, strict=True):
            got = _as_numbers(value)
            if got is None:
                _say(
                    exercise,
                    "not quite.",
                    f"Its {name} should be numbers, it is {_describe(value)}.",
                    hint,
                )
                return False
            if got.shape != expected.shape or not np.allclose(got, expected, rtol=RTOL, atol=ATOL):
                if got.shape != expected.shape:
                    detail = f"Its {name} has shape {got.shape}, expected {expected.shape}."
                else:
                    detail = f"Its {name} differs from the numerical gradient {where}."
                _say(
                    exercise,
                    "not quite.",
                    detail,
                    hint,
                )
                return False
    _say(exercise, "correct!")
    return True


def is_close(a, b):
    """The book's tolerance as a plain test: same shape and ``allclose(rtol=RTOL, atol=ATOL)``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


__all__ = [
    "ATOL",
    "CHECK_CELL_METADATA",
    "RTOL",
    "Sealed",
    "check",
    "check_backward",
    "check_function",
    "is_close",
    "numerical_derivative",
    "numerical_gradient",
    "seal",
    "sealed",
]
