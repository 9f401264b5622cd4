"""Hidden checks for notebook 00 (warm-up). Never shipped to students.

Same functions and messages as the public checks in ``course.check.warmup``,
on other, seeded inputs and more cases (several shapes, dtypes, edge cases).
The expected values come from the reference implementations below; the
likely cause of a wrong answer is found by comparing it with the results of
the common mistakes (``autograder/mutants/warmup.py`` lists them).
"""

import numpy as np

from course.check import warmup as public
from course.check.core import call, expect, expect_close, expect_shape
from course.check.warmup import (AXIS1_CAUSE, AXIS_CAUSE, ZERO_CAUSE, _call_accuracy, _diagnose,
                                  _expect_fraction, _unpack_pair)

__all__ = ["check_channel_mean_std", "check_normalize", "check_one_hot", "check_accuracy"]


def _rng(salt):
    return np.random.default_rng(20240 + salt)


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
        result, record = call(channel_mean_std, X, name="channel_mean_std", arg_names=["X"])
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
        got, record = call(normalize, X, mean.copy(), std.copy(), name="normalize",
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
        want = np.zeros((len(y), num_classes))
        want[np.arange(len(y)), y] = 1.0
        public._check_one_hot_case(one_hot, y, num_classes, want)


# -- accuracy ------------------------------------------------------------------------------------

def check_accuracy(accuracy):
    """``accuracy(scores, y)`` is the fraction of rows whose highest score is at column y[i]."""
    rng = _rng(5)
    cases = []
    for n, c in ((50, 10), (7, 3), (1, 5), (200, 100)):
        scores = rng.normal(size=(n, c))
        y = rng.integers(0, c, size=n)
        hit = rng.random(n) < 0.6          # make about 60 % of the rows correct
        y[hit] = scores[hit].argmax(axis=1)
        cases.append((scores, y))
    cases.append((rng.normal(size=(12, 10)).astype(np.float32), rng.integers(0, 10, size=12)))
    for scores, y in cases:
        got, record = _call_accuracy(accuracy, scores.copy(), y.copy())
        _expect_fraction(got, record)
        pred = scores.argmax(axis=1)
        want = float(np.mean(pred == y))
        n = len(y)
        mistakes = [
            (float(np.mean(scores.argmin(axis=1) == y)),
             "the predicted class is the one with the highest score: np.argmax, not np.argmin"),
            (float(np.sum(pred == y)), "return the fraction of correct predictions (between 0 and 1), "
                                       "not their count"),
            (100.0 * want, "return a fraction between 0 and 1, not a percentage"),
            (float(np.sum(pred == y) // n), ZERO_CAUSE),
        ]
        cause = _diagnose(got, mistakes, AXIS1_CAUSE + ", then the mean of (prediction == y)")
        expect_close(got, want, what="accuracy", call=record, tol=1e-12, cause=cause)
