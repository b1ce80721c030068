"""``check_backward``: a layer's backward pass written by the reader, checked numerically.

The checker must accept the dense layer's three gradients, and say clearly what is wrong with
each plausible mistake (a missing transpose, a bias gradient without ``keepdims``, a swapped
product, a function that raises or returns too little), never raising itself.
"""

import pytest

from resources.exercises import check_backward

SHAPES = [(1, 1, 1), (3, 4, 2), (5, 2, 3), (4, 3, 5)]


def dense(inputs, weights, biases):
    return inputs @ weights + biases


def right(inputs, weights, dvalues):
    return inputs.T @ dvalues, dvalues.sum(axis=0, keepdims=True), dvalues @ weights.T


def verdict(capsys, answer, forward=dense):
    check_backward(4, answer, forward, SHAPES, "a hint")
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out


def test_the_right_backward_pass_is_accepted(capsys):
    assert verdict(capsys, right) == "Exercise 4: correct!\n"
    # Lists of lists are numbers too.
    as_lists = lambda x, w, d: tuple(a.tolist() for a in right(x, w, d))  # noqa: E731
    assert verdict(capsys, as_lists) == "Exercise 4: correct!\n"


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (
            lambda x, w, d: (x.T @ d, d.sum(axis=0), d @ w.T),
            "Its dbiases has shape (1,), expected (1, 1).",
        ),
        (
            lambda x, w, d: (x.T @ d, d.sum(axis=0, keepdims=True), d @ w),
            "Your function raised ValueError",  # the missing transpose, on a (4, 2) weight
        ),
        (
            lambda x, w, d: (d.T @ x, d.sum(axis=0, keepdims=True), d @ w.T),
            "Its dweights",
        ),
        (
            lambda x, w, d: (x.T @ d, d.mean(axis=0, keepdims=True), d @ w.T),
            "Its dbiases differs from the numerical gradient",
        ),
        (lambda x, w, d: (x.T @ d, d @ w.T), "should return three arrays"),
        (lambda x, w, d: 12345.0, "should return three arrays"),
        (lambda x, w, d: (x.T @ d, "b", d @ w.T), "Its dbiases should be numbers"),
        (lambda x, w: None, "Your function raised TypeError"),
    ],
)
def test_wrong_backward_passes_are_told_what_is_wrong(capsys, answer, says):
    out = verdict(capsys, answer)
    assert out.startswith("Exercise 4: not quite."), out
    assert says in out, out
    assert out.rstrip().endswith("Hint: a hint")


def test_a_mistake_invisible_on_one_shape_is_caught_on_another(capsys):
    # With one input and one neuron, d.T @ x has the shape of x.T @ d; (3, 4, 2) tells them apart.
    out = verdict(capsys, lambda x, w, d: (d.T @ x, d.sum(axis=0, keepdims=True), d @ w.T))
    assert out.startswith("Exercise 4: not quite. Its dweights has shape (2, 4), expected (4, 2).")


def test_not_answered_and_not_a_function(capsys):
    assert verdict(capsys, None).startswith("Exercise 4: not answered yet.")
    assert verdict(capsys, "not a number").startswith("Exercise 4: not quite. Expected a function")


def test_the_reference_is_the_forward_pass_not_a_formula(capsys):
    # The same right answer fails against another layer: the checker differentiates `forward`.
    def scaled(inputs, weights, biases):
        return 2.0 * (inputs @ weights + biases)

    assert "not quite." in verdict(capsys, right, forward=scaled)
    doubled = lambda x, w, d: tuple(2.0 * a for a in right(x, w, d))  # noqa: E731
    assert verdict(capsys, doubled, forward=scaled) == "Exercise 4: correct!\n"


def test_the_reader_cannot_spoil_the_reference(capsys):
    # An answer that writes into its arguments does not change what it is compared with.
    def vandal(inputs, weights, dvalues):
        result = right(inputs, weights, dvalues)
        inputs[...] = 0.0
        weights[...] = 0.0
        dvalues[...] = 0.0
        return result

    assert verdict(capsys, vandal) == "Exercise 4: correct!\n"
