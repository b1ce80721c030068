"""Chapter 10's training run written as fast as we could in NumPy: a measuring stick.

The benchmark's ``floor`` column. It computes what the engine computes (float32 arrays, matrix
products summed in float64 and rounded to float32, Adam with the engine's formulas), but with
everything a readable, checked engine keeps given up for speed:

* no classes and no input checks: one loop over plain arrays;
* all parameters in one flat buffer (and all gradients in another), so Adam's update is a
  handful of NumPy calls for the whole network instead of a handful per array;
* the softmax on the transposed scores, 3 rows of 300 values instead of 300 rows of 3;
* the one-hot targets, the row of ones that sums over samples, and the float64 copy of the
  inputs made once, before the loop.

Its time per epoch is roughly the least that any NumPy engine of this design can reach on a
machine, so the engine is compared with it as well as with the baseline. Not for readers.
"""

import time

import numpy as np

SHAPES = [(2, 64), (1, 64), (64, 3), (1, 3)]  # weights 1, biases 1, weights 2, biases 2


def views(buffer):
    """Split a flat buffer into arrays of ``SHAPES`` that share its memory."""
    arrays, offset = [], 0
    for rows, columns in SHAPES:
        arrays.append(buffer[offset : offset + rows * columns].reshape(rows, columns))
        offset += rows * columns
    return arrays


def train(X, y, start, epochs, record_every, learning_rate=0.05, decay=5e-7):
    """Train from ``start`` (weights 1, biases 1, weights 2, biases 2); return (seconds, history).

    ``history`` holds ``(epoch, accuracy, loss, learning_rate)`` every ``record_every`` epochs.
    """
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7
    parameters = np.zeros(sum(r * c for r, c in SHAPES), dtype=np.float32)
    gradients, momentums, caches = (np.zeros_like(parameters) for _ in range(3))
    weights1, biases1, weights2, biases2 = views(parameters)
    for array, value in zip(views(parameters), start, strict=True):
        array[...] = value
    dweights1, dbiases1, dweights2, dbiases2 = views(gradients)
    n = len(X)
    X64 = X.astype(np.float64)
    ones64 = np.ones((1, n))
    one_hot_T = np.eye(3, dtype=np.float32)[y].T  # (3, n)
    samples = np.arange(n)
    history = []
    current_learning_rate = learning_rate

    start_time = time.perf_counter()
    for epoch in range(epochs):
        hidden = (X64 @ weights1.astype(np.float64)).astype(np.float32) + biases1
        relu = np.maximum(hidden, np.zeros_like(hidden))
        relu64 = relu.astype(np.float64)
        scores_T = (weights2.T.astype(np.float64) @ relu64.T).astype(np.float32) + biases2.T
        scores_T -= np.maximum(np.maximum(scores_T[0], scores_T[1]), scores_T[2])
        probabilities_T = np.exp(scores_T)
        probabilities_T /= probabilities_T[0] + probabilities_T[1] + probabilities_T[2]
        correct = probabilities_T[y, samples].clip(1e-7, 1 - 1e-7)
        loss = -np.log(correct).sum() / n  # every epoch, as chapter 10's loop does
        accuracy = np.mean(probabilities_T.argmax(axis=0) == y)
        if not epoch % record_every:
            history.append((epoch, float(accuracy), float(loss), current_learning_rate))

        dscores64 = ((probabilities_T - one_hot_T) / n).T.astype(np.float64)
        dweights2[...] = relu64.T @ dscores64
        dbiases2[...] = ones64 @ dscores64
        drelu = (dscores64 @ weights2.T.astype(np.float64)).astype(np.float32)
        dhidden64 = (drelu * (hidden > 0)).astype(np.float64)
        dweights1[...] = X64.T @ dhidden64
        dbiases1[...] = ones64 @ dhidden64

        t = epoch + 1
        momentums *= beta_1
        momentums += (1 - beta_1) * gradients
        caches *= beta_2
        caches += (1 - beta_2) * gradients**2
        current_learning_rate = learning_rate / (1 + decay * epoch)
        step = current_learning_rate / (1 - beta_1**t)
        parameters -= step * momentums / (np.sqrt(caches / (1 - beta_2**t)) + epsilon)
    return time.perf_counter() - start_time, history
