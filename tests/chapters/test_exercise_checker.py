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
