"""Hidden checks for notebook 00 (warm-up). Never shipped to students.

Same functions and messages as the public checks in ``course.check.warmup``
(their case runners do the comparing), on other, seeded inputs and more
cases (several shapes, dtypes, edge cases). The expected values come from
the reference implementations below; the likely cause of a wrong answer is
found by comparing it with the results of the common mistakes, computed from
the same inputs (``autograder/mutants/warmup.py`` lists them).
"""

import numpy as np

from course.check import warmup as public
from course.check.warmup import ACCURACY_CAUSES, DDOF_CAUSE, NORMALIZE_CAUSES, VARIANCE_CAUSE

__all__ = ["check_channel_mean_std", "check_normalize", "check_one_hot", "check_accuracy"]


def _rng(salt):
    return np.random.default_rng(20240 + salt)


# -- channel_mean_std ----------------------------------------------------------------------------

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
        Xf = X.astype(np.float64)
        std = Xf.std(axis=(0, 1, 2))
        n = Xf.shape[0] * Xf.shape[1] * Xf.shape[2]
        mistakes = [(std * np.sqrt(n / (n - 1)) if n > 1 else None, DDOF_CAUSE),
                    (Xf.var(axis=(0, 1, 2)), VARIANCE_CAUSE)]
        public.check_channel_mean_std_case(channel_mean_std, X, Xf.mean(axis=(0, 1, 2)), std, mistakes)


# -- normalize -----------------------------------------------------------------------------------

def _normalize_mistakes(X, mean, std):
    Xf = X.astype(np.float64)
    return [
        ((Xf - mean) / std ** 2, NORMALIZE_CAUSES["variance"]),
        (Xf - mean / std, NORMALIZE_CAUSES["precedence"]),
        (Xf / std, NORMALIZE_CAUSES["no_centering"]),
        ((mean - Xf) / std, NORMALIZE_CAUSES["wrong_sign"]),
        ((Xf - mean) * std, NORMALIZE_CAUSES["times_std"]),
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
        want = (X.astype(np.float64) - mean) / std
        public.check_normalize_case(normalize, X, mean, std, want, _normalize_mistakes(X, mean, std))


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
        public.check_one_hot_case(one_hot, y, num_classes, want)


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
        pred = scores.argmax(axis=1)
        want = float(np.mean(pred == y))
        mistakes = [
            (float(np.mean(scores.argmin(axis=1) == y)), ACCURACY_CAUSES["argmin"]),
            (float(np.sum(pred == y)), ACCURACY_CAUSES["count"]),
            (100.0 * want, ACCURACY_CAUSES["percent"]),
            (float(np.sum(pred == y) // len(y)), ACCURACY_CAUSES["zero"]),
        ]
        public.check_accuracy_case(accuracy, scores, y, want, mistakes)
