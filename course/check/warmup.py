"""Public checks for notebook 00 (warm-up: NumPy and the course data).

Each ``check_<function>(fn)`` calls your function on small inputs whose
answers were worked out in advance, and raises ``AssertionError`` with what
was called, what came back, what was expected and the most likely cause.
It returns ``None`` when everything matches. The graded tests use other
inputs, so a function that special-cases these ones will not get the points.

The ``check_<function>_case`` runners check one call against given expected
values and known wrong results; they are shared with the hidden checks of
the graded cells, which run them on other inputs.
"""

import numpy as np

from course.check.core import CheckFailure, call, diagnose, expect, expect_close, expect_shape, expect_tuple

__all__ = [
    "check_channel_mean_std", "check_normalize", "check_one_hot", "check_accuracy",
    # case runners, shared with the hidden checks
    "check_channel_mean_std_case", "check_normalize_case", "check_one_hot_case", "check_accuracy_case",
    "AXIS_CAUSE", "DDOF_CAUSE", "VARIANCE_CAUSE", "NORMALIZE_CAUSES", "ACCURACY_CAUSES",
]

# -- channel_mean_std ----------------------------------------------------------------------------

AXIS_CAUSE = ("average over the images, rows and columns, keeping one value per channel: "
              "axis=(0, 1, 2) for NHWC images (channels last)")
DDOF_CAUSE = ("use the population standard deviation (ddof=0, numpy's default): divide by N*H*W, "
              "not N*H*W - 1")
VARIANCE_CAUSE = "you returned the variance; the standard deviation is its square root"
OVERFLOW_CAUSE = "X is uint8, so X**2 or X * X wraps around at 256: convert first with X.astype(np.float64)"


def _stats_images():
    # 4 images of 2 x 5 pixels, 3 channels (NHWC), uint8 like CIFAR-10.
    return ((np.arange(120).reshape(4, 2, 5, 3) * np.array([1, 7, 3])) % 256).astype(np.uint8)


_STATS_MEAN = np.array([58.5, 122.1, 104.7])
_STATS_STD = np.array([34.630189141845584, 76.12023384094402, 72.12634747441466])
_STATS_STD_DDOF1 = np.array([35.07135583350036, 77.08995744233836, 73.04519149129531])


def check_channel_mean_std_case(channel_mean_std, X, mean, std, mistakes=()):
    """One call ``channel_mean_std(X)`` against the expected ``mean`` and ``std`` (shape (C,)).

    ``mistakes``: ``(std a known mistake returns, cause)`` pairs. Shared with the hidden check.
    """
    result, record = call(channel_mean_std, X, name="channel_mean_std", arg_names=["X"])
    got_mean, got_std = expect_tuple(result, "(mean, std)", call=record)
    channels = len(mean)
    for value, what in ((got_mean, "mean"), (got_std, "std")):
        cause = AXIS_CAUSE
        if np.ndim(value) == 1 and np.shape(value)[0] != channels:
            cause = "the channels are the last axis (NHWC, channels last), not axis 1: " + AXIS_CAUSE
        expect_shape(value, (channels,), what=what, call=record, cause=cause)
        dtype = np.asarray(value).dtype
        expect(dtype == np.float64, f"{record} returned {what} of dtype {dtype}.", call=record,
               got=str(dtype), expected="float64",
               cause="compute in float64 (X.astype(np.float64)); float32 loses digits on large sums")
    expect_close(got_mean, mean, what="per-channel mean", call=record, tol=1e-7, cause=AXIS_CAUSE)
    overflow = OVERFLOW_CAUSE if np.asarray(X).dtype == np.uint8 else AXIS_CAUSE
    if not np.all(np.isfinite(np.asarray(got_std, dtype=np.float64))):
        cause = overflow
    else:
        cause = diagnose(got_std, mistakes, default=overflow)
    expect_close(got_std, std, what="per-channel std", call=record, tol=1e-7, cause=cause)


def check_channel_mean_std(channel_mean_std):
    """``channel_mean_std(X)`` returns the per-channel mean and standard deviation of NHWC images."""
    X = _stats_images()
    for images, scale in ((X, 1.0), (X.astype(np.float64) / 255.0, 255.0)):
        check_channel_mean_std_case(channel_mean_std, images, _STATS_MEAN / scale, _STATS_STD / scale,
                                    mistakes=[(_STATS_STD_DDOF1 / scale, DDOF_CAUSE)])


# -- normalize -----------------------------------------------------------------------------------

#: The causes of the known wrong normalisations, in the order the checks try them.
NORMALIZE_CAUSES = {
    "variance": "you divided by the variance (std**2); divide by the standard deviation",
    "precedence": "operator precedence: X - mean / std divides only the mean; write (X - mean) / std",
    "no_centering": "subtract the mean first: (X - mean) / std",
    "wrong_sign": "wrong sign: compute (X - mean), not (mean - X)",
    "times_std": "you multiplied by std; divide by it: (X - mean) / std",
}
_MEAN = np.array([1.0, 2.0, 3.0])
_STD = np.array([2.0, 4.0, 0.5])
# What each mistake returns for X = 5 in every channel, with _MEAN and _STD.
_NORMALIZE_MISTAKES = [
    ([[[[1.0, 0.1875, 8.0]]]], NORMALIZE_CAUSES["variance"]),
    ([[[[4.5, 4.5, -1.0]]]], NORMALIZE_CAUSES["precedence"]),
    ([[[[2.5, 1.25, 10.0]]]], NORMALIZE_CAUSES["no_centering"]),
    ([[[[-2.0, -0.75, -4.0]]]], NORMALIZE_CAUSES["wrong_sign"]),
    ([[[[8.0, 18.0, 5.5]]]], NORMALIZE_CAUSES["times_std"]),
]
_NORMALIZE_GRID = np.array([
    [-0.5, -0.25, -2.0], [1.0, 0.5, 4.0], [2.5, 1.25, 10.0], [4.0, 2.0, 16.0],
    [5.5, 2.75, 22.0], [7.0, 3.5, 28.0], [8.5, 4.25, 34.0], [10.0, 5.0, 40.0],
]).reshape(2, 2, 2, 3)


def check_normalize_case(normalize, X, mean, std, expected, mistakes=()):
    """One call ``normalize(X, mean, std)`` against ``expected``; ``mistakes`` as (value, cause) pairs.

    Shared with the hidden check.
    """
    got, record = call(normalize, X, mean.copy(), std.copy(), name="normalize", arg_names=["X", "mean", "std"])
    expect_shape(got, X.shape, what="images", call=record,
                 cause="mean and std have one value per channel and broadcast over the last axis "
                       "as they are; do not reshape them")
    dtype = np.asarray(got).dtype
    expect(dtype == np.float64, f"{record} returned {dtype} images.", call=record, got=str(dtype),
           expected="float64", cause="X may be uint8: convert with X.astype(np.float64) before "
                                     "subtracting, and do not cast the result back to X.dtype")
    cause = diagnose(got, mistakes, default="compute (X - mean) / std; mean and std broadcast over the channel axis")
    expect_close(got, expected, what="normalized images", call=record, tol=1e-7, cause=cause)


def check_normalize(normalize):
    """``normalize(X, mean, std)`` returns ``(X - mean) / std`` per channel, in float64, leaving X alone."""
    cases = [
        (np.full((1, 1, 1, 3), 5.0), np.array([[[[2.0, 0.75, 4.0]]]]), _NORMALIZE_MISTAKES),
        (np.arange(24, dtype=np.float64).reshape(2, 2, 2, 3), _NORMALIZE_GRID, []),
        (np.array([[[[0, 128, 255]]]], dtype=np.uint8), np.array([[[[-0.5, 31.5, 504.0]]]]), []),
    ]
    for X, expected, mistakes in cases:
        check_normalize_case(normalize, X, _MEAN, _STD, expected, mistakes)


# -- one_hot -------------------------------------------------------------------------------------

def check_one_hot_case(one_hot, labels, num_classes, want):
    """One call of ``one_hot``: shape (naming y.max() + 1), dtype, values. Shared with the hidden check."""
    got, record = call(one_hot, labels, num_classes, name="one_hot", arg_names=["y", "num_classes"])
    shape = np.shape(got)
    cause = "one row per label and one column per class: shape (N, num_classes)"
    if len(shape) == 2 and shape[0] == len(labels) and shape[1] != num_classes:
        cause = ("use num_classes for the number of columns, not y.max() + 1: the largest "
                 "class need not appear in y")
    expect_shape(got, want.shape, what="one-hot matrix", call=record, cause=cause)
    dtype = np.asarray(got).dtype
    expect(dtype == np.float64, f"{record} returned a {dtype} matrix.", call=record, got=str(dtype),
           expected="float64", cause="build it as floats, e.g. np.zeros((N, num_classes)), so it can "
                                     "enter float64 products and losses")
    expect_close(got, want, what="one-hot matrix", call=record, tol=0,
                 cause="labels are 0-based: label c sets column c of its row (Y[i, y[i]] = 1), "
                       "all other entries are 0")


def check_one_hot(one_hot):
    """``one_hot(y, num_classes)`` returns an (N, num_classes) float64 array with Y[i, y[i]] = 1."""
    y = np.array([0, 2, 1, 2, 0])
    expected = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]])
    cases = [
        (y, 4, expected),
        (np.array([3], dtype=np.uint8), 10, np.eye(10)[[3]]),
        (np.array([9, 0]), 10, np.eye(10)[[9, 0]]),
    ]
    for labels, num_classes, want in cases:
        check_one_hot_case(one_hot, labels, num_classes, want)


# -- accuracy ------------------------------------------------------------------------------------

AXIS1_CAUSE = "one prediction per example: take the argmax of each row, np.argmax(scores, axis=1)"
#: The causes of the known wrong accuracies.
ACCURACY_CAUSES = {
    "argmin": "the predicted class is the one with the highest score: np.argmax, not np.argmin",
    "count": "return the fraction of correct predictions (between 0 and 1), not their count",
    "percent": "return a fraction between 0 and 1, not a percentage",
    "zero": "nothing counted as correct: compare np.argmax(scores, axis=1) (the index of each row's "
            "highest score, not the score itself) with y, and divide as floats (not //)",
}

_ACCURACY_SCORES = np.array([[2.0, 1.0, 0.5], [0.1, 0.3, 0.2], [1.5, -1.0, 2.5],
                             [0.0, 0.9, -0.3], [3.0, 2.0, 1.0], [-1.0, -2.0, -0.5]])
_ACCURACY_CASES = [
    # scores, y, expected, [(known wrong result, likely cause)]
    (_ACCURACY_SCORES, np.array([0, 1, 1, 1, 2, 2]), 2 / 3, [
        (1 / 3, ACCURACY_CAUSES["argmin"]),
        (4.0, ACCURACY_CAUSES["count"]),
        (200 / 3, ACCURACY_CAUSES["percent"]),
        (0.0, ACCURACY_CAUSES["zero"]),
    ]),
    (5.0 * np.eye(4), np.arange(4), 1.0, [
        (4.0, ACCURACY_CAUSES["count"]),
        (100.0, ACCURACY_CAUSES["percent"]),
        (0.0, ACCURACY_CAUSES["zero"]),
    ]),
    (np.array([[0.2, 0.7]]), np.array([0]), 0.0, []),
]


def check_accuracy_case(accuracy, scores, y, expected, mistakes=()):
    """One call ``accuracy(scores, y)`` against ``expected``; ``mistakes`` as (value, cause) pairs.

    Shared with the hidden check.
    """
    try:
        got, record = call(accuracy, scores.copy(), y.copy(), name="accuracy", arg_names=["scores", "y"])
    except CheckFailure as e:
        if "broadcast" in str(e):   # comparing a per-column argmax (axis 0) with y
            raise CheckFailure(f"{e}\n  likely cause: {AXIS1_CAUSE}") from None
        raise
    expect(np.ndim(got) == 0, f"{record} must return a single number.", call=record, got=got,
           expected="one float: the fraction of correct predictions",
           cause="reduce the per-example results with np.mean")
    cause = diagnose(got, mistakes, default=AXIS1_CAUSE + ", then the mean of (prediction == y)")
    expect_close(got, expected, what="accuracy", call=record, tol=1e-12, cause=cause)


def check_accuracy(accuracy):
    """``accuracy(scores, y)`` is the fraction of rows whose highest score is at column y[i]."""
    for scores, y, expected, mistakes in _ACCURACY_CASES:
        check_accuracy_case(accuracy, scores, y, expected, mistakes)
