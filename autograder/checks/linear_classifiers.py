"""Hidden checks for notebook 01 (linear classifiers). Not shipped to students.

One ``check_<name>(fn)`` per graded function, like the public checks in
``course.check.linear_classifiers`` but on other seeded inputs (several N, D,
C, C = 2 included), against the reference implementations below, plus the
speed ratio of the vectorized SVM loss and numerical stability of softmax.
The comparing is done by the public checks' shared case runners.
``grade_test_accuracy`` grades the notebook's experiment result (the tuned
classifier's test accuracy), recomputed from its weights on a fresh copy of
the notebook's test set.
"""

import time

import numpy as np
from threadpoolctl import threadpool_limits

import course.notebook
from course.check import linear_classifiers as public
from course.check.core import call, expect, expect_accuracy, expect_close, quiet, timed

# ----------------------------------------------------------------------------
# Reference implementations (with the switches the mutants' mistakes flip, so
# a failing check can name the mistake).
# ----------------------------------------------------------------------------


def svm_reference(W, X, y, reg, delta=1.0):
    """Vectorized multiclass SVM loss with margin ``delta``; ``(loss, dW, data_loss)``."""
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + delta)
    margins[rows, y] = 0.0
    dscores = (margins > 0).astype(np.float64)
    dscores[rows, y] = -dscores.sum(axis=1)
    data = margins.sum() / n
    return data + reg * np.sum(W * W), X.T @ dscores / n + 2 * reg * W, data


def svm_naive_reference(W, X, y, reg):
    """The explicit double loop (over examples, then classes) that the speed check races."""
    loss = 0.0
    dW = np.zeros_like(W)
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1.0
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    n = X.shape[0]
    return loss / n + reg * np.sum(W * W), dW / n + 2 * reg * W


def softmax_reference(W, X, y, reg):
    """Stable softmax loss; ``(loss, dW, data_loss)``."""
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    probs = np.exp(log_probs)
    probs[rows, y] -= 1.0
    data = -log_probs[rows, y].mean()
    return data + reg * np.sum(W * W), X.T @ probs / n + 2 * reg * W, data


def regularization_reference(W, kind, reg, beta=0.5):
    if kind == "l2":
        return reg * np.sum(W * W), 2 * reg * W
    if kind == "l1":
        return reg * np.sum(np.abs(W)), reg * np.sign(W)
    if kind == "elastic":
        return reg * np.sum(beta * W * W + np.abs(W)), reg * (2 * beta * W + np.sign(W))
    raise ValueError(kind)


# ----------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------

# (N, D, C, reg, seed): small and large, C = 2, D < C and D > C, reg 0 and not.
_SHAPES = [(7, 5, 3, 0.1, 11), (20, 4, 2, 0.0, 12), (13, 2, 6, 0.5, 13), (64, 31, 10, 1e-3, 14)]


def _problem(n, d, c, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    W = scale * 0.1 * rng.standard_normal((d, c))
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, size=n)
    y[:c] = np.arange(c) if n >= c else y[:c]  # every class appears
    return W, X, y


# ----------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------


def _svm_cases(fn, name):
    for n, d, c, reg, seed in _SHAPES:
        W, X, y = _problem(n, d, c, seed)
        loss, dW, data = svm_reference(W, X, y, reg)
        loss0, dW0, _ = svm_reference(W, X, y, reg, delta=0.0)
        public.check_loss_case(
            fn, name, W, X, y, reg, loss, dW, data, kind="svm",
            extra_loss=[(loss0, public.CAUSE_MARGIN_0)], extra_grad=[(dW0, public.CAUSE_MARGIN_0)],
        )


def check_svm_loss_naive(fn):
    """Hidden check of ``svm_loss_naive(W, X, y, reg) -> (loss, dW)``."""
    _svm_cases(fn, "svm_loss_naive")


# Speed: D = 3073 (CIFAR-10 + bias), C = 10, N = 500, one BLAS thread
# (threadpoolctl), shortest of several calls. The baseline is the explicit
# double loop above; the reference is ``svm_reference``, raced in the same run
# and interleaved with the student's calls so that both see the same load.
# Required: SPEEDUP_TARGET (20x), or, where even the reference cannot reach it,
# SPEEDUP_REFERENCE_SHARE (a third) of the reference's own speed-up. Measured
# on the 2-core CI machine (benchmarks/svm_vectorization.py and repeated races,
# idle and with two busy processes): loop 24-59 ms, reference 3.0-4.1 ms
# (7-14x; its two matrix products alone take 2.4-3.3 ms), a loss with three
# products instead of two 4x, np.einsum without BLAS 1.1-2.2x (4.4-5.4 times
# the reference's time, where a third of the speed-up allows 3).
# Loops over the examples or the classes are rejected before any timing, by
# counting the lines they run (public.check_no_python_loop).
SPEEDUP_TARGET = public.SPEEDUP_TARGET
SPEEDUP_REFERENCE_SHARE = public.SPEEDUP_REFERENCE_SHARE


def _race(fn, W, X, y, reg, calls=25, budget_s=0.6):
    """Shortest times ``(t_loop, t_reference, t_fn)`` in seconds.

    The loop gets 3 calls; the reference and ``fn`` alternate, up to
    ``calls`` each (at least 2) within ``budget_s``. The minimum is the call
    that was not preempted: on a busy machine a millisecond-long call is
    often interrupted, so the fast functions get many tries.
    """
    problem = (W, X, y, reg)
    t_loop = min(timed(svm_naive_reference, *problem, repeat=1) for _ in range(3))
    t_ref = t_fn = float("inf")
    made, start = 0, time.perf_counter()
    while made < calls and (made < 2 or time.perf_counter() - start < budget_s):
        t_ref = min(t_ref, timed(svm_reference, *problem, repeat=1))
        t_fn = min(t_fn, timed(fn, *problem, repeat=1))
        made += 1
    return t_loop, t_ref, t_fn


def required_speedup(t_loop, t_ref):
    """The speed-up a student's loss must reach, given the loop's and the reference's times."""
    return min(SPEEDUP_TARGET, SPEEDUP_REFERENCE_SHARE * t_loop / t_ref)


def check_svm_loss_vectorized(fn):
    """Hidden check of ``svm_loss_vectorized``: values, no Python loop, then speed against the loop."""
    _svm_cases(fn, "svm_loss_vectorized")
    public.check_no_python_loop(fn, "svm_loss_vectorized", d=17, n=30, c=4, seed=61)
    rng = np.random.default_rng(99)
    W = 1e-4 * rng.standard_normal((3073, 10))
    X = rng.standard_normal((500, 3073)) * 60.0
    y = rng.integers(0, 10, size=500)
    (loss, dW), record = call(fn, W, X, y, 5e-5, name="svm_loss_vectorized", arg_names=["W", "X", "y", "reg"])
    ref = svm_reference(W, X, y, 5e-5)
    expect_close(loss, ref[0], what="loss", call=record, tol=1e-7,
                 cause="it disagrees with the reference on a CIFAR-sized problem (N=500, D=3073, C=10)")
    # one BLAS thread: the ratio measures vectorization, not the core count (multi-threaded BLAS
    # on a busy 2-core machine is erratic)
    with threadpool_limits(limits=1, user_api="blas"), quiet():
        times = _race(fn, W, X, y, 5e-5)
        if times[0] / times[2] < required_speedup(*times[:2]):  # a second look before failing
            times = tuple(map(min, times, _race(fn, W, X, y, 5e-5)))
    t_loop, t_ref, t_fn = times
    ratio, required = t_loop / t_fn, required_speedup(t_loop, t_ref)
    expect(
        ratio >= required,
        f"svm_loss_vectorized is too slow: it took {t_fn * 1e3:.1f} ms on N=500 CIFAR-sized examples, "
        f"only {ratio:.1f}x faster than the explicit loops ({t_loop * 1e3:.1f} ms); it must be at least "
        f"{required:.1f}x faster ({SPEEDUP_TARGET:g}x, or on a computer as slow at matrix products as this "
        f"one, where the reference solution takes {t_ref * 1e3:.1f} ms, {SPEEDUP_REFERENCE_SHARE:.2g} of "
        f"the reference's {t_loop / t_ref:.1f}x).",
        cause="the matrix products do not use BLAS, or run more often than needed: compute all scores with "
              "one product X @ W and dW with one product X.T @ (a matrix of coefficients); np.einsum and "
              "elementwise multiply-and-sum are many times slower than @",
        show_values=False,
    )


def check_softmax_loss_vectorized(fn):
    """Hidden check of ``softmax_loss_vectorized``: values, gradients, and stability."""
    for n, d, c, reg, seed in _SHAPES:
        W, X, y = _problem(n, d, c, seed)
        loss, dW, data = softmax_reference(W, X, y, reg)
        public.check_loss_case(fn, "softmax_loss_vectorized", W, X, y, reg, loss, dW, data, kind="softmax")
    # Scores in the thousands (1e4): exp overflows without the max shift.
    for n, d, c, reg, seed in [(6, 4, 3, 0.0, 21), (9, 3, 2, 1e-4, 22)]:
        W, X, y = _problem(n, d, c, seed, scale=1e5)
        loss, dW, data = softmax_reference(W, X, y, reg)
        public.check_loss_case(fn, "softmax_loss_vectorized", W, X, y, reg, loss, dW, data, kind="softmax")
    public.check_no_python_loop(fn, "softmax_loss_vectorized", d=17, n=30, c=4, seed=62)


def check_regularization(fn):
    """Hidden check of ``regularization(W, kind, reg, beta=0.5) -> (penalty, dW)``."""
    rng = np.random.default_rng(31)
    for shape in [(5, 3), (4, 2), (7, 10)]:
        W = rng.standard_normal(shape)
        W[0, 0] = 0.0  # sign(0) = 0
        for kind in ("l2", "l1", "elastic"):
            for reg in (0.3, 2.5e-3):
                public.check_regularization_case(fn, W, kind, reg, None, *regularization_reference(W, kind, reg))
        for beta in (0.2, 0.9):
            public.check_regularization_case(fn, W, "elastic", 0.7, beta,
                                             *regularization_reference(W, "elastic", 0.7, beta))
    public.check_regularization_bad_kind(fn, "L3")


def check_numerical_gradient(fn):
    """Hidden check of ``numerical_gradient(f, x, h=1e-5) -> grad``."""
    rng = np.random.default_rng(41)
    # Cubic: centred differences give exactly 3 x^2 + h^2; forward ones 3 x^2 + 3 x h + h^2.
    for shape, h in [((6,), 1e-2), ((3, 4), 5e-3), ((2, 3, 2), 2e-2)]:
        x = rng.standard_normal(shape)
        public.check_numerical_gradient_case(
            fn, lambda v: float(np.sum(v ** 3)), "f(x) = sum(x**3)", x, h, 3 * x ** 2 + h ** 2, tol=1e-8,
            forward=3 * x ** 2 + 3 * x * h + h ** 2, default_h=3 * x ** 2 + 1e-10,
        )
    # A smooth function of a weight matrix at the default step.
    w = rng.standard_normal((4, 3))
    a = rng.standard_normal((4, 3))
    public.check_numerical_gradient_case(
        fn, lambda v: float(np.sum(np.sin(v) * a)), "f(x) = sum(sin(x) * A)", w, None, np.cos(w) * a, tol=1e-8,
    )
    # The softmax loss as a function of W (the notebook's gradient check).
    W, X, y = _problem(8, 5, 3, 42)
    _, dW, _ = softmax_reference(W, X, y, 0.1)
    public.check_numerical_gradient_case(
        fn, lambda v: float(softmax_reference(v, X, y, 0.1)[0]), "f(W) = softmax loss", W, None, dW, tol=1e-7,
    )


def _softmax_loss_for_training(W, X, y, reg):
    loss, dW, _ = softmax_reference(W, X, y, reg)
    return loss, dW


def check_LinearClassifier(cls):
    """Hidden check of the ``LinearClassifier`` class (train and predict)."""
    public.check_classifier_protocol(cls, seed=5, n=60, d=7, c=4, batch_size=9, num_iters=6)
    public.check_classifier_protocol(cls, seed=6, n=25, d=3, c=2, batch_size=5, num_iters=4)
    public.check_classifier_predict(cls, seed=8, n=30, d=6, c=5)
    public.check_classifier_learns(cls, _softmax_loss_for_training, "the reference softmax loss",
                                   seed=7, n=240, c=4, learning_rate=0.5, num_iters=150, min_accuracy=0.95)


def linear_features(data):
    """The notebook's given preprocessing (section 1), applied to a fresh copy of its split.

    Each image stretched into a row of float64 values, the training split's mean image
    subtracted, and a last column of ones appended (the bias trick): ``(X_test_b, y_test)``.
    """
    X_train = data.x_train.reshape(len(data.x_train), -1).astype(np.float64)
    X_test = data.x_test.reshape(len(data.x_test), -1).astype(np.float64) - X_train.mean(axis=0)
    return np.hstack([X_test, np.ones((len(X_test), 1))]), data.y_test


def accuracy_of_weights(W, X_test_b, y_test):
    """The test accuracy of the linear classifier with weights ``W``: argmax of the scores ``X_test_b @ W``.

    Fails, naming the problem, when ``W`` is not a finite ``(D, C)`` matrix for these features.
    """
    expect(isinstance(W, np.ndarray) and W.ndim == 2 and W.shape[0] == np.shape(X_test_b)[1],
           "best_softmax.W must be the trained weight matrix of shape (D, C) for the bias-augmented data.",
           got=f"{type(W).__name__} {np.shape(W) if W is not None else ''}",
           expected=f"array of shape ({np.shape(X_test_b)[1]}, 10)")
    expect(bool(np.all(np.isfinite(W))), "best_softmax.W contains NaN or inf: the training diverged "
           "(learning rate too large?).", show_values=False)
    return float(np.mean(np.argmax(np.asarray(X_test_b) @ W, axis=1) == np.asarray(y_test)))


def grade_weights(W, X_test_b, y_test, *, kind, fast):
    """Grade the test accuracy of weights ``W`` on the given features against ``TEST_ACCURACY``."""
    accuracy = accuracy_of_weights(W, X_test_b, y_test)
    expect_accuracy(accuracy, public.TEST_ACCURACY, kind=kind, fast=fast, cause=public.TEST_ACCURACY_CAUSE)
    return accuracy


def grade_test_accuracy(classifier, notebook=None):
    """Grade the experiment: the test accuracy of the student's tuned classifier; returns it.

    Recomputes the accuracy from ``classifier.W`` itself (argmax of the scores) on the
    notebook's test split read again from disk (``course.notebook.current().reload_data()``,
    with the notebook's preprocessing re-applied by :func:`linear_features`), so neither a
    wrong ``predict`` nor an edited ``X_test_b``, ``y_test`` or number counts.
    """
    nb = course.notebook.current() if notebook is None else notebook
    data = nb.reload_data()
    X_test_b, y_test = linear_features(data)
    return grade_weights(getattr(classifier, "W", None), X_test_b, y_test, kind=data.kind, fast=nb.fast)
