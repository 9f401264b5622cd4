"""Hidden checks for notebook 00 (warm-up). Never shipped to students.

Same functions and messages as the public checks in ``course.check.warmup``,
on other, seeded inputs and more cases (several shapes, dtypes, edge cases).
The expected values come from the reference implementations below; the
likely cause of a wrong answer is found by comparing it with the results of
the common mistakes (``autograder/mutants/warmup.py`` lists them).
"""

import numpy as np

from course.check.core import expect, expect_close, expect_shape
from course.check.warmup import AXIS_CAUSE, FLOOR_CAUSE, _call, _diagnose, _expect_number, _unpack_pair

__all__ = ["check_rel_error", "check_channel_mean_std", "check_normalize", "check_one_hot"]


def _rng(salt):
    return np.random.default_rng(20240 + salt)


# -- rel_error -----------------------------------------------------------------------------------

def _ref_rel_error(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _rel_error_mistakes(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        d = np.abs(x - y)
        return [
            (np.mean(d / np.maximum(1e-8, np.abs(x) + np.abs(y))),
             "you averaged the elementwise errors; rel_error is the largest one (np.max)"),
            (np.max(d / np.maximum(1e-8, np.abs(y))), "divide by both |x| and |y| (their sum), not by |y| alone"),
            (np.max(d / np.maximum(1e-8, np.abs(x))), "divide by both |x| and |y| (their sum), not by |x| alone"),
            (np.max(d / np.maximum(1e-8, np.abs(x + y))),
             "the denominator is |x + y|; it must be |x| + |y| (x and y may have opposite signs)"),
            (np.max(d / (np.abs(x) + np.abs(y))), FLOOR_CAUSE),
        ]


def _rel_error_cases():
    rng = _rng(1)
    a = rng.standard_normal((4, 6))
    b = a + 1e-3 * rng.standard_normal((4, 6))
    c = rng.standard_normal((2, 3, 5))
    yield a, b
    yield c, -c                                   # opposite signs everywhere: the answer is 1
    yield c, c.copy()                             # identical: 0
    z = np.zeros((3, 4))
    z2 = z.copy()
    z2[1, 2] = 1e-3
    yield z, z2                                   # zeros except one entry: 1, floor needed
    yield np.zeros(5), np.zeros(5)                # all zeros: 0, floor needed
    yield 3.0, 2.5                                # plain numbers
    yield rng.standard_normal(7), rng.standard_normal(7)


def check_rel_error(rel_error):
    """``rel_error(x, y)`` is ``max(|x - y| / max(1e-8, |x| + |y|))`` for arrays of any shape."""
    for x, y in _rel_error_cases():
        for first, second in ((x, y), (y, x)):    # symmetric in its arguments
            got, record = _call(rel_error, first, second, name="rel_error", arg_names=["x", "y"])
            _expect_number(got, record)
            cause = _diagnose(got, _rel_error_mistakes(first, second),
                              "compute |x - y| / max(1e-8, |x| + |y|) elementwise, then take the max")
            expect_close(got, _ref_rel_error(first, second), what="relative error", call=record, tol=1e-7,
                         cause=cause)


# -- channel_mean_std ----------------------------------------------------------------------------

def _ref_channel_mean_std(X):
    X = np.asarray(X, dtype=np.float64)
    return X.mean(axis=(0, 1, 2)), X.std(axis=(0, 1, 2))


def check_channel_mean_std(channel_mean_std):
    """``channel_mean_std(X)`` returns the per-channel mean and std of NHWC images, in float64."""
    rng = _rng(2)
    cases = [
        rng.integers(0, 256, size=(6, 4, 5, 3)).astype(np.uint8),       # CIFAR-like uint8
        rng.integers(200, 256, size=(3, 2, 7, 3)).astype(np.uint8),      # bright: X**2 overflows uint8
        rng.normal(0.5, 0.2, size=(5, 3, 2, 4)),                         # float, 4 channels
        rng.integers(0, 256, size=(1, 8, 8, 3)).astype(np.uint8),        # a single image
    ]
    for X in cases:
        result, record = _call(channel_mean_std, X, name="channel_mean_std", arg_names=["X"])
        mean, std = _unpack_pair(result, record, "(mean, std)")
        want_mean, want_std = _ref_channel_mean_std(X)
        C = X.shape[-1]
        for value, what in ((mean, "mean"), (std, "std")):
            cause = AXIS_CAUSE
            if np.ndim(value) == 1 and np.shape(value)[0] != C:
                cause = "the channels are the last axis (NHWC, channels last), not axis 1: " + AXIS_CAUSE
            expect_shape(value, (C,), what=what, call=record, cause=cause)
            dtype = np.asarray(value).dtype
            expect(dtype == np.float64, f"{record} returned {what} of dtype {dtype}.", call=record,
                   got=str(dtype), expected="float64",
                   cause="compute in float64 (X.astype(np.float64)); float32 loses digits on large sums")
        expect_close(mean, want_mean, what="per-channel mean", call=record, tol=1e-7, cause=AXIS_CAUSE)
        Xf = X.astype(np.float64)
        n = Xf.shape[0] * Xf.shape[1] * Xf.shape[2]
        mistakes = [(want_std * np.sqrt(n / (n - 1)) if n > 1 else np.inf,
                     "use the population standard deviation (ddof=0, numpy's default): divide by N*H*W, "
                     "not N*H*W - 1"),
                    (Xf.var(axis=(0, 1, 2)), "you returned the variance; the standard deviation is its square root")]
        overflow = "X is uint8, so X**2 or X * X wraps around at 256: convert first with X.astype(np.float64)"
        cause = _diagnose(std, mistakes, overflow if X.dtype == np.uint8 else AXIS_CAUSE)
        if not np.all(np.isfinite(np.asarray(std, dtype=np.float64))):
            cause = overflow
        expect_close(std, want_std, what="per-channel std", call=record, tol=1e-7, cause=cause)


# -- normalize -----------------------------------------------------------------------------------

def _normalize_mistakes(X, mean, std):
    Xf = X.astype(np.float64)
    return [
        ((Xf - mean) / std ** 2, "you divided by the variance (std**2); divide by the standard deviation"),
        (Xf - mean / std, "operator precedence: X - mean / std divides only the mean; write (X - mean) / std"),
        (Xf / std, "subtract the mean first: (X - mean) / std"),
        ((mean - Xf) / std, "wrong sign: compute (X - mean), not (mean - X)"),
        ((Xf - mean) * std, "you multiplied by std; divide by it: (X - mean) / std"),
    ]


def check_normalize(normalize):
    """``normalize(X, mean, std)`` returns ``(X - mean) / std`` per channel, in float64, leaving X alone."""
    rng = _rng(3)
    cases = []
    Xf = rng.normal(0.4, 0.3, size=(3, 2, 5, 3))
    cases.append((Xf, rng.uniform(-1, 1, 3), rng.uniform(0.2, 3.0, 3)))
    X = rng.integers(0, 256, size=(4, 3, 3, 3)).astype(np.uint8)
    cases.append((X, np.array([125.3, 123.0, 113.9]), np.array([63.0, 62.1, 66.7])))   # CIFAR-like stats
    X4 = rng.normal(size=(2, 4, 4, 4))
    cases.append((X4, rng.normal(size=4), rng.uniform(0.5, 2.0, 4)))                    # 4 channels
    cases.append((np.full((1, 2, 2, 3), 7.0), np.array([2.0, 3.0, 5.0]), np.array([0.5, 2.0, 4.0])))
    for X, mean, std in cases:
        got, record = _call(normalize, X, mean.copy(), std.copy(), name="normalize",
                            arg_names=["X", "mean", "std"])
        expect_shape(got, X.shape, what="images", call=record,
                     cause="mean and std have one value per channel and broadcast over the last axis "
                           "as they are; do not reshape them")
        dtype = np.asarray(got).dtype
        expect(dtype == np.float64, f"{record} returned {dtype} images.", call=record, got=str(dtype),
               expected="float64", cause="X may be uint8: convert with X.astype(np.float64) before "
                                         "subtracting, and do not cast the result back to X.dtype")
        want = (X.astype(np.float64) - mean) / std
        cause = _diagnose(got, _normalize_mistakes(X, mean, std),
                          "compute (X - mean) / std; mean and std broadcast over the channel axis")
        expect_close(got, want, what="normalized images", call=record, tol=1e-7, cause=cause)


# -- one_hot -------------------------------------------------------------------------------------

def check_one_hot(one_hot):
    """``one_hot(y, num_classes)`` returns an (N, num_classes) float64 array with Y[i, y[i]] = 1."""
    rng = _rng(4)
    cases = [
        (rng.integers(0, 10, size=17), 10),
        (np.array([0, 1, 1, 0, 2, 2]), 7),              # the largest classes do not appear
        (rng.integers(0, 100, size=8).astype(np.int32), 100),
        (np.array([4, 4, 4], dtype=np.int64), 5),       # one class only
        (np.array([2], dtype=np.uint8), 3),
    ]
    for y, num_classes in cases:
        got, record = _call(one_hot, y, num_classes, name="one_hot", arg_names=["y", "num_classes"])
        want = np.zeros((len(y), num_classes))
        want[np.arange(len(y)), y] = 1.0
        shape = np.shape(got)
        cause = "one row per label and one column per class: shape (N, num_classes)"
        if len(shape) == 2 and shape[0] == len(y) and shape[1] != num_classes:
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
