"""The book's one exercise checker, ``resources/exercises.py``: verdicts, tolerance, messages."""

import numpy as np
import pytest

from resources.exercises import (
    RTOL,
    Sealed,
    check,
    check_function,
    is_close,
    numerical_derivative,
    numerical_gradient,
    seal,
    sealed,
)


def verdict(capsys, *args, function=False):
    assert (check_function if function else check)(*args) is None  # a cell shows only the line
    line = capsys.readouterr().out
    ok = ": correct!" in line
    assert line.count("\n") == 1, line  # exactly one printed line
    return ok, line


def test_correct_unanswered_and_wrong(capsys):
    ok, line = verdict(capsys, 1, 0.5, 0.5, "h")
    assert ok and line == "Exercise 1: correct!\n"
    ok, line = verdict(capsys, 2, None, 0.5, "h")
    assert not ok and line.startswith("Exercise 2: not answered yet.")
    ok, line = verdict(capsys, 3, 0.7, 0.5, "add the bias")
    assert not ok and line.startswith("Exercise 3: not quite.") and "Hint: add the bias" in line


@pytest.mark.parametrize("answer", ["0.5", {"a": 1}, print, b"x", {1.0}])
def test_a_wrong_type_gets_a_message_not_an_exception(capsys, answer):
    ok, line = verdict(capsys, 4, answer, 0.5, "h")
    assert not ok and "Expected a number" in line and type(answer).__name__ in line


def test_shapes_must_agree(capsys):
    ok, line = verdict(capsys, 5, [1.0, 2.0], [[1.0, 2.0]], "h")
    assert not ok and "shape (1, 2)" in line and "shape (2,)" in line
    ok, line = verdict(capsys, 5, (300, 3), (300, 3), "h")
    assert ok
    ok, line = verdict(capsys, 5, 3.0, [3.0], "h")
    assert not ok and "a single number" in line


def test_one_tolerance_and_a_close_answer_is_told_to_compute(capsys):
    assert verdict(capsys, 6, 2.0 * (1 + RTOL / 2), 2.0, "")[0]
    ok, line = verdict(capsys, 6, 2.0 * (1 + 20 * RTOL), 2.0, "")
    assert not ok and "close" in line
    ok, line = verdict(capsys, 6, 2.5, 2.0, "")
    assert not ok and "close" not in line
    ok, line = verdict(capsys, 6, [np.nan], [1.0], "")
    assert not ok and "nan" in line
    assert is_close([1.0, 2.0], [1.0, 2.0 + 1e-9]) and not is_close([1.0], [1.0, 1.0])


def test_sealed_values_round_trip_and_stay_out_of_sight(capsys):
    token = seal(4 * np.pi - 10)
    assert "2.56" not in token and repr(sealed(token)) == "Sealed(...)"
    assert verdict(capsys, 7, 4 * np.pi - 10, sealed(token), "")[0]
    assert not verdict(capsys, 7, 10 - 2 * np.pi, sealed(token), "")[0]
    matrix = [[0.25, -0.25], [-0.25, 0.25]]
    assert Sealed(seal(matrix)).value == matrix
    with pytest.raises(ValueError, match="token made by seal"):
        sealed("2.566")
    with pytest.raises(ValueError, match="finite"):
        seal(float("nan"))


def test_function_answers_against_a_numerical_derivative(capsys):
    f = lambda x: x * np.exp(x)  # noqa: E731
    reference = lambda x: numerical_derivative(f, x)  # noqa: E731
    points = [-1.0, 0.0, 0.5, 2.0]
    ok, line = verdict(
        capsys, 8, lambda x: (1 + x) * np.exp(x), reference, points, "", function=True
    )
    assert ok, line
    ok, line = verdict(capsys, 8, lambda x: np.exp(x), reference, points, "", function=True)
    assert not ok and "at -1" in line
    ok, line = verdict(capsys, 8, 3.0, reference, points, "", function=True)
    assert not ok and "Expected a function" in line
    ok, line = verdict(capsys, 8, lambda x: 1 / 0, reference, points, "", function=True)
    assert not ok and "ZeroDivisionError" in line
    ok, line = verdict(capsys, 8, lambda x: "one", reference, points, "", function=True)
    assert not ok and "return numbers" in line
    ok, line = verdict(capsys, 8, None, reference, points, "", function=True)
    assert not ok and "not answered yet" in line


def test_numerical_gradient_matches_a_known_gradient():
    def f(v):
        return v[0] ** 2 * v[1] + np.sin(v[2])

    x = np.array([1.5, -2.0, 0.3])
    want = [2 * 1.5 * -2.0, 1.5**2, np.cos(0.3)]
    assert np.allclose(numerical_gradient(f, x), want, rtol=1e-8)
    assert numerical_gradient(lambda m: np.sum(m**2), np.ones((2, 3))).shape == (2, 3)


def test_choice_exercises_compare_sets_of_letters(capsys):
    token = seal("ace")
    assert verdict(capsys, 9, "e, c, A", sealed(token), "")[0]
    ok, line = verdict(capsys, 9, "ac", sealed(token), "")
    assert not ok and "1 missing" in line
    ok, line = verdict(capsys, 9, "acde", sealed(token), "")
    assert not ok and "1 too many" in line
    ok, line = verdict(capsys, 9, 3, sealed(token), "")
    assert not ok and "string of letters" in line


def test_function_answers_with_several_arguments(capsys):
    def reference(s, n, m):
        return s * n * m

    points = [(300, 2, 3), (1, 4, 3)]
    assert verdict(capsys, 10, lambda s, n, m: s * m * n, reference, points, "", function=True)[0]
    ok, line = verdict(capsys, 10, lambda s, n: s * n, reference, points, "", function=True)
    assert not ok and "TypeError" in line


def test_a_close_number_is_told_to_check_working_and_rounding(capsys):
    # Chapter 9, exercise 1 answered without the bias: 5.86 against 5.9 is within 1 %, and the
    # message must not assume that the reader merely typed rounded digits.
    ok, line = verdict(capsys, 1, 5.86, 5.9, "add the bias")
    assert not ok and "close (within 1 %)" in line
    assert "check your working and your rounding" in line and "rather than typing" not in line


def test_a_function_is_close_only_when_close_at_every_point(capsys):
    # Chapter 7, exercise 2 answered 12x**2 (the -1 forgotten) agrees within 1 % at x = -3
    # (108 against 107) but not at x = 0.5 (3 against 2): wrong, and the message says where.
    reference = lambda x: numerical_derivative(lambda t: 4 * t**3 - t, x)  # noqa: E731
    points = [-3.0, 0.5, 2.0]
    ok, line = verdict(capsys, 2, lambda x: 12 * x**2, reference, points, "", function=True)
    assert not ok and "close" not in line and "at 0.5 is not the expected one" in line
    assert "at -3" in line  # where it nearly agrees, so the reader sees why one point misleads
    # Chapter 8, exercise 4 answered s * (1 + s) for the sigmoid's slope s * (1 - s): close
    # where s is tiny (x = -6), far off elsewhere.
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    slope = lambda x: numerical_derivative(sigmoid, x)  # noqa: E731
    wrong = lambda x: sigmoid(x) * (1 + sigmoid(x))  # noqa: E731
    ok, line = verdict(capsys, 4, wrong, slope, [-6.0, 0.0, 1.0], "", function=True)
    assert not ok and "close" not in line and "at 0 is not the expected one" in line
    # Within 1 % everywhere (a rounded constant): close, with the same advice as for numbers.
    rounded = lambda x: 12.05 * x**2 - 1  # noqa: E731
    ok, line = verdict(capsys, 2, rounded, reference, points, "", function=True)
    assert not ok and "close (within 1 %) at every checked point" in line
    assert "check your working and your rounding" in line


def test_inputs_are_shown_briefly(capsys):
    # Chapter 13, exercise 3 style: a function of a 200x2 and a 50x2 array. A wrong answer's
    # message names the inputs by shape, in one short line, never as the arrays themselves.
    train, test = np.ones((200, 2)), np.zeros((50, 2))
    reference = lambda a, b: a.mean(axis=0) - b.mean(axis=0)  # noqa: E731
    ok, line = verdict(
        capsys, 3, lambda a, b: a.std(axis=0), reference, [(train, test)], "", function=True
    )
    assert not ok and "shape (200, 2)" in line and "shape (50, 2)" in line and len(line) < 200
    ok, line = verdict(capsys, 3, lambda a, b: 1 / 0, reference, [(train, test)], "", function=True)
    assert not ok and "ZeroDivisionError" in line and len(line) < 200
    small = [np.array([1.0, -2.0, 0.5])]
    ok, line = verdict(capsys, 3, lambda v: v * 2, lambda v: v, small, "", function=True)
    assert not ok and "[1, -2, 0.5]" in line


def test_np_std_with_ddof_1_is_close_not_correct(capsys):
    # A question that allows two conventions must name one; the checker cannot guess: the
    # sample standard deviation (ddof=1) of 200 values is 0.25 % away from np.std's (ddof=0).
    values = np.random.default_rng(0).normal(size=200)
    ok, line = verdict(capsys, 3, values.std(ddof=1), values.std(), "use np.std", function=False)
    assert not ok and "close" in line and "check your working" in line


def test_the_wrong_answers_of_the_reviews_with_the_chapters_own_points(capsys):
    # Chapter 7, exercise 2: the derivative of 4x^3 - x at 25 points in [-3, 3].
    points = list(np.linspace(-3, 3, 25))
    reference = lambda x: numerical_derivative(lambda v: 4 * v**3 - v, x)  # noqa: E731
    ok, line = verdict(capsys, 2, lambda x: 12 * x**2, reference, points, "", function=True)
    assert not ok and "close" not in line and "at -2.75 is not the expected one" in line
    # Chapter 8, exercise 4: the sigmoid's slope at 25 points in [-6, 6]; s(1 + s) is within
    # 1 % at -6 and -5.5 only.
    points = list(np.linspace(-6, 6, 25))
    reference = lambda x: numerical_gradient(  # noqa: E731
        lambda v: 1 / (1 + np.exp(-v[0])), [x]
    )[0]
    s = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    ok, line = verdict(capsys, 4, lambda x: s(x) * (1 + s(x)), reference, points, "", function=True)
    assert not ok and "close" not in line and "at -5 is not the expected one" in line
    # Chapter 13, exercise 3: standardising with ddof=1 instead of np.std's ddof=0 is within
    # 1 % everywhere: close, the inputs named by their shapes only.
    rng = np.random.default_rng(3)
    blocks = [
        (
            rng.normal([10.0, -3.0], [5.0, 0.5], size=(200, 2)),
            rng.normal([12.0, -3.0], [5.0, 0.5], size=(50, 2)),
        )
        for _ in range(3)
    ]
    reference = lambda t, o: (o - t.mean(axis=0)) / t.std(axis=0)  # noqa: E731
    sample_std = lambda t, o: (o - t.mean(axis=0)) / t.std(axis=0, ddof=1)  # noqa: E731
    ok, line = verdict(capsys, 3, sample_std, reference, blocks, "", function=True)
    assert not ok and "close (within 1 %) at every checked point" in line and len(line) < 300
    mean_only = lambda t, o: o - t.mean(axis=0)  # noqa: E731
    ok, line = verdict(capsys, 3, mean_only, reference, blocks, "", function=True)
    assert not ok and "an array of shape (200, 2), an array of shape (50, 2)" in line
    assert len(line) < 300
