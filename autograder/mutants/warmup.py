"""Plausible wrong implementations of the warm-up's graded functions.

tests/test_mutants.py asserts that the hidden check (and, for ``public=True``,
the public check) rejects each one with a message containing ``message``.
"""

import numpy as np

from autograder.mutants import Mutant

# -- channel_mean_std ----------------------------------------------------------------------------


def _stats_axis0(X):
    return X.mean(axis=0), X.std(axis=0)


def _stats_global(X):
    return X.mean(), X.std()


def _stats_channels_first(X):
    return X.mean(axis=(0, 2, 3)), X.std(axis=(0, 2, 3))


def _stats_ddof1(X):
    return X.mean(axis=(0, 1, 2)), X.std(axis=(0, 1, 2), ddof=1)


def _stats_uint8_square(X):
    mean = X.mean(axis=(0, 1, 2))
    with np.errstate(invalid="ignore"):
        return mean, np.sqrt((X ** 2).mean(axis=(0, 1, 2)) - mean ** 2)


def _stats_float32(X):
    Xf = X.astype(np.float32)
    return Xf.mean(axis=(0, 1, 2)), Xf.std(axis=(0, 1, 2))


def _stats_variance(X):
    return X.mean(axis=(0, 1, 2)), X.var(axis=(0, 1, 2))


# -- normalize -----------------------------------------------------------------------------------


def _norm_variance(X, mean, std):
    return (X - mean) / std ** 2


def _norm_precedence(X, mean, std):
    return X - mean / std


def _norm_no_centering(X, mean, std):
    return X / std


def _norm_in_place(X, mean, std):
    X -= mean
    X /= std
    return X


def _norm_keeps_dtype(X, mean, std):
    return ((X - mean) / std).astype(X.dtype)


def _norm_channels_first(X, mean, std):
    return (X - mean[:, None, None]) / std[:, None, None]


def _norm_wrong_sign(X, mean, std):
    return (mean - X) / std


# -- one_hot -------------------------------------------------------------------------------------


def _onehot_infer_classes(y, num_classes):
    return np.eye(y.max() + 1)[y]


def _onehot_transposed(y, num_classes):
    return np.eye(num_classes)[y].T


def _onehot_one_based(y, num_classes):
    return np.eye(num_classes)[y - 1]


def _onehot_int(y, num_classes):
    out = np.zeros((len(y), num_classes), dtype=int)
    out[np.arange(len(y)), y] = 1
    return out


def _onehot_all_rows(y, num_classes):
    out = np.zeros((len(y), num_classes))
    out[:, y] = 1.0           # sets every row's columns y, not row i's column y[i]
    return out


# -- accuracy ------------------------------------------------------------------------------------


def _acc_argmin(scores, y):
    return float(np.mean(np.argmin(scores, axis=1) == y))


def _acc_count(scores, y):
    return int(np.sum(np.argmax(scores, axis=1) == y))


def _acc_percent(scores, y):
    return 100.0 * float(np.mean(np.argmax(scores, axis=1) == y))


def _acc_axis0(scores, y):
    return float(np.mean(np.argmax(scores, axis=0) == y))


def _acc_flat_argmax(scores, y):
    return float(np.mean(np.argmax(scores) == y))


def _acc_int_division(scores, y):
    return np.sum(np.argmax(scores, axis=1) == y) // len(y)


def _acc_max_not_argmax(scores, y):
    return float(np.mean(np.max(scores, axis=1) == y))


MUTANTS = [
    Mutant("channel_mean_std", "axis_0", "averages over the images only (one value per pixel)",
           _stats_axis0, "axis=(0, 1, 2)", public=True),
    Mutant("channel_mean_std", "global", "one mean and std for the whole array",
           _stats_global, "axis=(0, 1, 2)", public=True),
    Mutant("channel_mean_std", "channels_first", "assumes NCHW images (channels on axis 1)",
           _stats_channels_first, "channels last", public=True),
    Mutant("channel_mean_std", "ddof_1", "sample standard deviation (ddof=1)",
           _stats_ddof1, "ddof=0", public=True),
    Mutant("channel_mean_std", "uint8_square", "E[X^2] - E[X]^2 with X**2 computed in uint8 (wraps at 256)",
           _stats_uint8_square, "uint8", public=True),
    Mutant("channel_mean_std", "float32", "computes in float32",
           _stats_float32, "float64", public=True),
    Mutant("channel_mean_std", "variance", "returns the variance instead of the standard deviation",
           _stats_variance, "variance", public=False),

    Mutant("normalize", "variance", "divides by std**2", _norm_variance, "variance", public=True),
    Mutant("normalize", "precedence", "X - mean / std", _norm_precedence, "precedence", public=True),
    Mutant("normalize", "no_centering", "forgets to subtract the mean", _norm_no_centering,
           "subtract the mean", public=True),
    Mutant("normalize", "in_place", "modifies X in place with -= and /=", _norm_in_place,
           "in place", public=True),
    Mutant("normalize", "keeps_dtype", "casts the result back to X.dtype (uint8 for images)",
           _norm_keeps_dtype, "float64", public=True),
    Mutant("normalize", "channels_first", "reshapes mean and std for NCHW images",
           _norm_channels_first, "broadcast", public=True),
    Mutant("normalize", "wrong_sign", "(mean - X) / std", _norm_wrong_sign, "wrong sign", public=True),

    Mutant("one_hot", "infer_classes", "uses y.max() + 1 columns instead of num_classes",
           _onehot_infer_classes, "num_classes", public=True),
    Mutant("one_hot", "transposed", "returns (num_classes, N)", _onehot_transposed,
           "shape (N, num_classes)", public=True),
    Mutant("one_hot", "one_based", "treats labels as 1-based", _onehot_one_based, "0-based", public=True),
    Mutant("one_hot", "int_dtype", "returns an integer matrix", _onehot_int, "float64", public=True),
    Mutant("one_hot", "all_rows", "out[:, y] = 1 sets the columns of every row", _onehot_all_rows,
           "0-based", public=True),

    Mutant("accuracy", "argmin", "predicts the class with the lowest score", _acc_argmin, "np.argmin",
           public=True),
    Mutant("accuracy", "count", "returns the number of correct predictions", _acc_count, "not their count",
           public=True),
    Mutant("accuracy", "percent", "returns a percentage", _acc_percent, "not a percentage", public=True),
    Mutant("accuracy", "axis_0", "argmax over the examples (axis 0)", _acc_axis0, "axis=1", public=True),
    Mutant("accuracy", "flat_argmax", "argmax of the whole score matrix (no axis)", _acc_flat_argmax,
           "axis=1", public=True),
    Mutant("accuracy", "int_division", "integer division // of the count by N", _acc_int_division, "//",
           public=True),
    Mutant("accuracy", "max_not_argmax", "compares the highest score, not its index, with y",
           _acc_max_not_argmax, "not the score itself", public=True),
]
