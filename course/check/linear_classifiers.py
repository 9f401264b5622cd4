"""Public checks for notebook 01: linear classifiers, SVM and softmax losses,
gradient checking.

Each ``check_<name>(fn)`` raises ``AssertionError`` with a message that says
what was called, what came back, what was expected and the likely mistake,
and returns None when ``fn`` passes. The expected values are the lectures'
worked examples (the cat/car/frog scores), closed-form properties, and small
literal arrays computed once from seeded inputs; there is no implementation
of a graded function here.

The ``check_*_case`` runners, the loop detector and the classifier checks
are shared with the hidden checks of the graded cells, which run them on
other inputs; the ``CAUSE_*`` texts are named once here so that both sides
(and the mutant catalogue) say the same thing.
"""

import math

import numpy as np

from .core import (CheckFailure, Threshold, Thresholds, call, describe, diagnose, expect, expect_accuracy,
                   expect_close, expect_shape, expect_tuple, rel_error)
from .loops import lines_run

__all__ = [
    "check_svm_loss_naive",
    "check_svm_loss_vectorized",
    "check_softmax_loss_vectorized",
    "check_regularization",
    "check_numerical_gradient",
    "check_LinearClassifier",
    "check_test_accuracy",
    "TEST_ACCURACY",
    "TEST_ACCURACY_CAUSE",
    "SPEEDUP_TARGET",
    "SPEEDUP_REFERENCE_SHARE",
    # shared with the hidden checks
    "check_loss_case", "check_no_python_loop", "check_regularization_case", "check_regularization_bad_kind",
    "check_numerical_gradient_case", "check_classifier_protocol", "check_classifier_predict",
    "check_classifier_learns", "LECTURE_SCORES", "LECTURE_LABELS",
    "CAUSE_CORRECT_CLASS", "CAUSE_MARGIN_0", "CAUSE_SUM", "CAUSE_NO_REG", "CAUSE_HALF_REG", "CAUSE_NO_REG_GRAD",
    "CAUSE_REG_GRAD_1", "CAUSE_GRAD_SUM", "CAUSE_SIGN", "CAUSE_TRANSPOSE", "CAUSE_LOG10", "CAUSE_OVERFLOW",
    "CAUSE_FORWARD", "CAUSE_IGNORES_H",
]

# --- Likely causes, named once so checks and the mutant catalogue agree. -----
CAUSE_CORRECT_CLASS = ("the sum includes the correct class j == y_i, which adds max(0, s_yi - s_yi + 1) = 1 "
                       "per example: skip j == y_i")
CAUSE_MARGIN_0 = "the margin is 0 instead of 1: each term is max(0, s_j - s_yi + 1)"
CAUSE_SUM = "the data loss is summed over the examples instead of averaged: divide by N"
CAUSE_NO_REG = "the loss lacks the regularization term reg * np.sum(W * W)"
CAUSE_HALF_REG = "the regularization term is reg * np.sum(W * W), without a factor 0.5"
CAUSE_NO_REG_GRAD = "the gradient lacks the regularization term 2 * reg * W"
CAUSE_REG_GRAD_1 = "the regularization gradient is reg * W; the derivative of reg * sum(W**2) is 2 * reg * W"
CAUSE_GRAD_SUM = "the gradient is summed over the examples instead of averaged: divide by N"
CAUSE_SIGN = "the gradient has the wrong sign: it must point uphill (the direction in which the loss grows)"
CAUSE_TRANSPOSE = ("the gradient is transposed: dW must have W's shape (D, C), as X.T @ dscores does "
                   "(dscores.T @ X gives (C, D))")
CAUSE_LOG10 = "the loss uses the base-10 logarithm: cross-entropy uses the natural log, np.log"
CAUSE_OVERFLOW = ("np.exp overflows for large scores: subtract each row's maximum score before exponentiating "
                  "(the probabilities do not change)")
CAUSE_FORWARD = "forward differences (f(x + h) - f(x)) / h; use centred ones: (f(x + h) - f(x - h)) / (2 h)"
CAUSE_IGNORES_H = "the step h you were given is not used"

# Speed of svm_loss_vectorized against the explicit double loop (hidden check,
# N=500, D=3073, C=10, one BLAS thread): at least SPEEDUP_TARGET times faster,
# or, on a computer whose matrix products are too slow for that even in the
# reference solution, at least SPEEDUP_REFERENCE_SHARE of the reference's
# speed-up measured in the same run. The floor of any vectorized SVM loss is
# its two (N, D) x (D, C) products; on the 2-core CI machine they alone take
# 2.7-3.3 ms against 25-33 ms for the loop, so no float64 solution reaches 20x
# there (benchmarks/svm_vectorization.py prints both).
SPEEDUP_TARGET = 20.0
SPEEDUP_REFERENCE_SHARE = 1 / 3
# Extra lines of the student's code a vectorized loss may run when N or C
# grows (a branch taken differently); a loop runs its body once per item.
LOOP_SLACK = 2

# Test accuracy of the tuned softmax classifier (notebook 01, section 6.3): the
# graded minimum per data kind and mode, a few points below what the reference
# solution reached with the notebook unchanged (the figures in its summary).
_REFERENCE_RUN = ("the reference solution, notebook 01 unchanged, seed 0, {mode} mode ({sizes}), "
                  "{data}, measured 2026-11")
_CIFAR = "the course's 5170-image CIFAR-10 subset"
_SYNTHETIC = "the embedded synthetic set"
_FAST_SIZES = "3000 / 500 / 1000 images, 6 + 4 search trials"
_FULL_SIZES = "all training images, 30 + 20 search trials"
TEST_ACCURACY = Thresholds("test accuracy of the tuned softmax classifier", {
    ("cifar10", "fast"): Threshold(0.30, 0.342, _REFERENCE_RUN.format(mode="fast", sizes=_FAST_SIZES, data=_CIFAR)),
    ("cifar10", "full"): Threshold(0.33, 0.372, _REFERENCE_RUN.format(mode="full", sizes=_FULL_SIZES, data=_CIFAR)),
    ("synthetic", "fast"): Threshold(0.18, 0.224, _REFERENCE_RUN.format(mode="fast", sizes=_FAST_SIZES,
                                                                       data=_SYNTHETIC)),
    ("synthetic", "full"): Threshold(0.20, 0.235, _REFERENCE_RUN.format(mode="full", sizes=_FULL_SIZES,
                                                                       data=_SYNTHETIC)),
})
TEST_ACCURACY_CAUSE = ("a poor learning rate / regularization pair: widen or refine the random search and pick "
                       "the model with the best validation accuracy")


def _cause(got, candidates):
    """The known mistake ``got`` reproduces. Normwise (entries near 0 do not spoil a match)."""
    return diagnose(got, candidates, tol=1e-9, normwise=True)


def check_loss_case(fn, name, W, X, y, reg, loss_expected, dW_expected, data_loss, kind,
                    extra_loss=(), extra_grad=(), tol=1e-7):
    """Run ``fn(W, X, y, reg)`` and compare with the expected loss and gradient.

    ``kind`` ("svm" or "softmax") picks the mistakes to recognise;
    ``extra_loss``/``extra_grad`` add (value, cause) pairs of other mistakes.
    Shared with the hidden checks.
    """
    n = X.shape[0]
    reg_term = reg * np.sum(W * W)
    reg_grad = 2 * reg * W
    result, record = call(fn, W, X, y, reg, name=name, arg_names=["W", "X", "y", "reg"])
    loss, dW = expect_tuple(result, "(loss, dW)", call=record)

    expect(np.ndim(loss) == 0, f"{name} must return the loss as a single number.", call=record,
           got=f"shape {np.shape(loss)}", expected="a float",
           cause="sum (and average) the per-example losses into one number")
    scores_max = float(np.max(np.abs(X @ W)))
    if kind == "softmax" and not np.isfinite(float(loss)):
        raise CheckFailure(
            f"{name} returned a loss of {describe(loss)} for scores up to {scores_max:.3g}.\n"
            f"  called with: {record.inputs()}\n  expected:    {loss_expected:.6g}\n"
            f"  likely cause: {CAUSE_OVERFLOW}"
        )
    loss_causes = list(extra_loss) + [
        (data_loss, CAUSE_NO_REG),
        (data_loss * n + reg_term, CAUSE_SUM),
        (data_loss + 0.5 * reg_term, CAUSE_HALF_REG),
    ]
    if kind == "svm":
        loss_causes += [(data_loss + 1 + reg_term, CAUSE_CORRECT_CLASS),
                        (data_loss * n + n + reg_term, CAUSE_SUM + "; also, " + CAUSE_CORRECT_CLASS)]
    else:
        loss_causes += [(data_loss / math.log(10) + reg_term, CAUSE_LOG10)]
    cause = _cause(loss, loss_causes)
    default = ("compare your loss with the formula in the lesson term by term, "
               "starting with the lecture's worked example")
    expect_close(loss, loss_expected, what="loss", call=record, tol=tol, cause=cause or default)

    got_shape = np.shape(dW)
    if got_shape != W.shape:
        expect_shape(dW, W.shape, what="gradient dW", call=record,
                     cause=CAUSE_TRANSPOSE if got_shape == W.shape[::-1] else "dW must have W's shape (D, C)")
    data_grad = dW_expected - reg_grad
    grad_causes = list(extra_grad) + [
        (-dW_expected, CAUSE_SIGN),
        (data_grad, CAUSE_NO_REG_GRAD),
        (data_grad + 0.5 * reg_grad, CAUSE_REG_GRAD_1),
        (data_grad * n + reg_grad, CAUSE_GRAD_SUM),
        (-data_grad + reg_grad, CAUSE_SIGN),
    ]
    if W.shape[0] == W.shape[1]:
        grad_causes.append((dW_expected.T, CAUSE_TRANSPOSE))
    if kind == "softmax":
        grad_causes.append((data_grad / math.log(10) + reg_grad, CAUSE_LOG10))
        default = "dW = X.T @ (P - Y) / N + 2 * reg * W, with P the probabilities and Y the one-hot labels"
    else:
        default = ("for each positive margin, column j of dW gets +x_i and column y_i gets -x_i "
                   "(then divide by N and add 2 * reg * W)")
    cause = _cause(dW, grad_causes)
    expect_close(dW, dW_expected, what="gradient dW", call=record, tol=tol, cause=cause or default)


# --- The lecture's worked example -------------------------------------------
# Three images (cat, car, frog) and the scores of the classes cat, car, frog.
# With X = identity the scores are W itself: row i holds image i's scores.
LECTURE_SCORES = np.array([[3.2, 5.1, -1.7],    # cat image
                           [1.3, 4.9, 2.0],     # car image
                           [2.2, 2.5, -3.1]])   # frog image
LECTURE_LABELS = np.array([0, 1, 2])            # cat, car, frog
# Hinge losses 2.9, 0 and 12.9 (not 10.9, as one lecture copy prints): mean 5.27.
_SVM_WORKED_DW = [[-1 / 3, 1 / 3, 0.0], [0.0, 0.0, 0.0], [1 / 3, 1 / 3, -2 / 3]]

# A small seeded problem (D=4, C=3, N=5), values rounded to 2 decimals.
_W_SMALL = np.array([[0.51, 0.82, 0.57], [-0.49, -0.7, 0.03], [0.43, 0.25, 0.91], [0.38, 0.32, -0.37]])
_X_SMALL = np.array([[-1.11, 1.48, 0.05, 0.81], [-1.38, -0.44, -1.29, -0.78], [0.9, -1.48, -0.53, 0.16],
                     [-0.67, -0.25, -0.22, 0.42], [-0.43, 0.27, 0.06, 0.42]])
_Y_SMALL = np.array([0, 2, 1, 1, 2])


def _svm_public_cases(fn, name):
    S, I3 = LECTURE_SCORES, np.eye(3)
    dW = np.array(_SVM_WORKED_DW)
    m0 = CAUSE_MARGIN_0
    # (W, X, y, reg, loss, dW, data loss, loss with margin 0, dW with margin 0)
    cases = [
        (S, I3, LECTURE_LABELS, 0.0, 15.8 / 3, dW, 15.8 / 3, 12.8 / 3, None),
        (S, I3, LECTURE_LABELS, 0.05, 9.743666666666666, dW + 0.1 * S, 15.8 / 3, 8.743666666666666, None),
        (_W_SMALL, _X_SMALL, _Y_SMALL, 0.1, 1.9796799999999999,
         np.array([[0.23000000000000007, -0.3320000000000001, 0.48199999999999993],
                   [-1.0699999999999998, 0.518, 0.31999999999999995],
                   [-0.33, 0.008, 0.6399999999999999],
                   [-0.20400000000000007, -0.04600000000000001, 0.316]]),
         1.9796799999999999 - 0.1 * np.sum(_W_SMALL ** 2), 0.5581799999999999,
         np.array([[-0.17199999999999996, 0.022000000000000047, 0.5299999999999999],
                   [-0.478, -0.178, 0.424], [-0.21399999999999997, -0.16400000000000003, 0.6960000000000001],
                   [-0.07400000000000004, -0.176, 0.316]])),
    ]
    for W, X, y, reg, loss, grad, data, loss0, grad0 in cases:
        check_loss_case(fn, name, W, X, y, reg, loss, grad, data, kind="svm",
                         extra_loss=[(loss0, m0)], extra_grad=[(grad0, m0)] if grad0 is not None else [])


def check_svm_loss_naive(fn):
    """Check ``svm_loss_naive(W, X, y, reg) -> (loss, dW)`` on the lecture's example and a small problem."""
    _svm_public_cases(fn, "svm_loss_naive")


def check_no_python_loop(fn, name, d=30, n=20, c=3, seed=5):
    """Fail if the Python lines ``fn(W, X, y, reg)`` runs grow with the examples N or the classes C.

    Runs ``fn`` on (n, c), (10 n, c) and (n, 5 c) and compares the number of
    lines of the student's own code executed (``course.check.loops``): a
    vectorized loss runs the same lines for all three, a loop does not.
    Shared with the hidden checks.
    """
    sizes = {"base": (n, c), "examples": (10 * n, c), "classes": (n, 5 * c)}
    counts = {}
    for key, (n_k, c_k) in sizes.items():
        rng = np.random.default_rng(seed)
        W = 0.1 * rng.standard_normal((d, c_k))
        X = rng.standard_normal((n_k, d))
        y = rng.integers(0, c_k, size=n_k)
        try:
            counts[key] = lines_run(fn, W, X, y, 0.1)
        except Exception as e:  # it passed the value checks, so this input size is the trouble
            raise CheckFailure(f"{name}(W, X, y, reg) raised {type(e).__name__}: {e}\n"
                               f"  called with: N={n_k} examples, D={d}, C={c_k} classes") from None
    for what in ("examples", "classes"):
        n_k, c_k = sizes[what]
        expect(
            counts[what] <= counts["base"] + LOOP_SLACK,
            f"{name} runs a Python loop over the {what}: it ran {counts['base']} lines of your code "
            f"for N={n} examples and C={c} classes, but {counts[what]} for N={n_k}, C={c_k}.",
            cause=f"a vectorized loss runs the same few lines whatever N and C; replace the loop over the "
                  f"{what} with whole-array operations (one product X @ W for all scores, broadcasting for "
                  f"the margins or probabilities, X.T @ (coefficients) for dW)",
            show_values=False,
        )


def check_svm_loss_vectorized(fn):
    """Check ``svm_loss_vectorized`` on the same cases as the naive loss, and that it has no Python loop.

    (The graded check also measures its speed against an explicit loop.)
    """
    _svm_public_cases(fn, "svm_loss_vectorized")
    check_no_python_loop(fn, "svm_loss_vectorized")


def check_softmax_loss_vectorized(fn):
    """Check ``softmax_loss_vectorized``: the lecture's cat example, a small problem, scores of 1e4."""
    S, I3 = LECTURE_SCORES, np.eye(3)
    # The cat image alone: probabilities 0.13, 0.87, 0.00, loss -ln(0.13) = 2.04 (the slide's 0.89 is log10).
    cat = (S[:1], np.ones((1, 1)), np.array([0]), 0.0, 2.04035515280017,
           np.array([[-0.8700174609828268, 0.8690495352082659, 0.0009679257745610442]]))
    three = (S, I3, LECTURE_LABELS, 0.0, 2.758654710918577,
             np.array([[-0.29000582032760897, 0.2896831784027553, 0.0003226419248536814],
                       [0.008414961159646567, -0.025360611978143766, 0.016945650818497176],
                       [0.1415518086089139, 0.19107495557905507, -0.33262676418796894]]))
    small = (_W_SMALL, _X_SMALL, _Y_SMALL, 0.1, 1.338830028837656,
             np.array([[0.10177379376359998, 0.011180695292413972, 0.26704551094398604],
                       [-0.403924136756462, 0.052299530634972474, 0.11962460612148954],
                       [-0.06315914377236466, 0.03470291372232824, 0.34645623005003645],
                       [-0.0067259954243757275, -0.0026762464838290256, 0.07540224190820478]]))
    # Scores around 1e4 (the lecture scores times 3000): finite loss 7500.
    big = (S * 3000, I3, LECTURE_LABELS, 0.0, 7500.0,
           np.array([[-1 / 3, 1 / 3, 0.0], [0.0, 0.0, 0.0], [0.0, 1 / 3, -1 / 3]]))
    for W, X, y, reg, loss, grad in (cat, three, small, big):
        check_loss_case(fn, "softmax_loss_vectorized", W, X, y, reg, loss, grad,
                        loss - reg * np.sum(W * W), kind="softmax")
    check_no_python_loop(fn, "softmax_loss_vectorized")


# --- Regularization ----------------------------------------------------------

def check_regularization_case(fn, W, kind, reg, beta, penalty_expected, dW_expected):
    """One call ``regularization(W, kind, reg[, beta])`` against the expected penalty and gradient
    (``beta=None``: not passed, the default 0.5 applies). Shared with the hidden check."""
    args = (W, kind, reg) if beta is None else (W, kind, reg, beta)
    result, record = call(fn, *args, name="regularization", arg_names=["W", "kind", "reg", "beta"])
    penalty, dW = expect_tuple(result, "(penalty, dW)", call=record)
    b = 0.5 if beta is None else beta
    sq, ab = np.sum(W * W), np.sum(np.abs(W))
    causes = [(penalty_expected / reg, f"the penalty is not multiplied by reg (kind {kind!r})")]
    if kind == "l2":
        causes.append((0.5 * reg * sq, "the L2 penalty is reg * sum(W**2), without a factor 0.5"))
    if kind == "elastic":
        causes += [(reg * (b * ab + sq), "beta multiplies the wrong term: elastic net is beta * W**2 + |W|"),
                   (reg * (b * sq + (1 - b) * ab), "the lectures' elastic net is beta * W**2 + |W| "
                                                    "(no 1 - beta factor)")]
    expect(np.ndim(penalty) == 0, f"regularization(W, {kind!r}, reg) must return the penalty as one number.",
           call=record, got=f"shape {np.shape(penalty)}", expected="a float", cause="sum over all entries of W")
    expect_close(penalty, penalty_expected, what=f"{kind} penalty", call=record, tol=1e-9,
                 cause=_cause(penalty, causes))
    expect_shape(dW, W.shape, what="gradient dW", call=record, cause="dW must have W's shape")
    gcauses = [(dW_expected / reg, f"the gradient is not multiplied by reg (kind {kind!r})"),
               (-dW_expected, CAUSE_SIGN)]
    if kind == "l2":
        gcauses.append((reg * W, CAUSE_REG_GRAD_1))
    if kind == "l1":
        gcauses.append((reg * W, "the gradient of |W| is sign(W) (np.sign), not W"))
        gcauses.append((reg * np.ones_like(W), "the gradient of |W| is sign(W) (np.sign): -1 where W < 0"))
    if kind == "elastic":
        gcauses += [(reg * (2 * W + b * np.sign(W)), "beta multiplies the wrong term: elastic net is "
                                                      "beta * W**2 + |W|, gradient 2 * beta * W + sign(W)"),
                    (reg * (b * W + np.sign(W)), "the gradient of beta * W**2 is 2 * beta * W")]
    expect_close(dW, dW_expected, what=f"{kind} gradient", call=record, tol=1e-9,
                 cause=_cause(dW, gcauses))


def check_regularization_bad_kind(fn, kind):
    """``regularization(W, kind, 0.1)`` with an unknown ``kind`` must raise a ValueError naming it.
    Shared with the hidden check."""
    W = np.ones((2, 2))
    try:
        result = fn(W, kind, 0.1)
    except ValueError as e:
        expect(kind in str(e), f"regularization(W, {kind!r}, 0.1) raised ValueError, but its message does not "
               f"name the bad kind {kind!r}.", got=str(e), expected=f"a message containing {kind!r}")
        return
    except NotImplementedError:
        raise CheckFailure("regularization is not implemented yet: it raised NotImplementedError.") from None
    except Exception as e:
        raise CheckFailure(
            f"regularization(W, {kind!r}, 0.1) raised {type(e).__name__}: {e}\n"
            f"  expected:    ValueError naming the kind (the kinds are 'l2', 'l1', 'elastic')"
        ) from None
    raise CheckFailure(
        f"regularization(W, {kind!r}, 0.1) returned {describe(result)} for an unknown kind.\n"
        f"  expected:    a ValueError naming the kind, e.g. raise ValueError(f\"unknown kind {{kind!r}}\")"
    )


def check_regularization(fn):
    """Check ``regularization(W, kind, reg, beta=0.5)`` for "l2", "l1", "elastic" and a bad kind."""
    W = np.array([[0.5, -1.5, 0.0], [2.0, -0.25, 1.0]])
    cases = [
        ("l2", 0.1, None, 0.7562500000000001, [[0.1, -0.3, 0.0], [0.4, -0.05, 0.2]]),
        ("l1", 0.1, None, 0.525, [[0.1, -0.1, 0.0], [0.1, -0.1, 0.1]]),
        ("elastic", 0.1, None, 0.9031250000000001, [[0.15, -0.25, 0.0], [0.3, -0.125, 0.2]]),
        ("elastic", 0.1, 0.2, 0.67625, [[0.12, -0.16, 0.0], [0.18, -0.11, 0.14]]),
    ]
    for kind, reg, beta, penalty, dW in cases:
        check_regularization_case(fn, W, kind, reg, beta, penalty, np.array(dW))
    check_regularization_bad_kind(fn, "l3")


# --- Numerical gradient -------------------------------------------------------

def check_numerical_gradient_case(fn, f, f_desc, x, h, expected, tol, forward=None, default_h=None):
    """One call ``numerical_gradient(f, x[, h])`` (``h=None``: not passed) against ``expected``.

    ``forward``: what forward differences give; ``default_h``: what ignoring ``h`` gives.
    ``x`` must hold the same values afterwards. Shared with the hidden check.
    """
    before = np.array(x, copy=True)
    args = (f, x) if h is None else (f, x, h)
    grad, record = call(fn, *args, name="numerical_gradient", arg_names=["f", "x", "h"], check_mutation=False)
    if not np.array_equal(x, before):
        diff = float(np.max(np.abs(x - before)))
        tiny = diff <= 1e-12 * (1.0 + float(np.max(np.abs(before))))
        raise CheckFailure(
            f"numerical_gradient(f, x) modified its input `x`: afterwards x differs from before by up to {diff:.3g}"
            f" ({f_desc}, x of shape {x.shape}).\n"
            + ("  likely cause: x[k] is restored by adding and subtracting h, which leaves rounding errors: "
               "keep old = x[k] and write it back with x[k] = old"
               if tiny else
               "  likely cause: x[k] is changed to evaluate f but not restored: set x[k] = old after "
               "evaluating f(x + h e_k) and f(x - h e_k)")
        )
    expect_shape(grad, x.shape, what="gradient", call=record, cause="the gradient has one entry per entry of x")
    causes = [(-expected, CAUSE_SIGN)]
    if forward is not None:
        causes.append((forward, CAUSE_FORWARD))
    if default_h is not None:
        causes.append((default_h, CAUSE_IGNORES_H, 1e-5))  # rounding: f evaluated with a tiny step
    cause = _cause(grad, causes)
    if cause is None and h is None:
        # With the default step, forward differences are off by about h/2 * f''.
        err = rel_error(grad, expected) if np.shape(grad) == np.shape(expected) else np.inf
        if 1e-7 < err < 1e-3:
            cause = CAUSE_FORWARD + " (the error is of the order of h)"
    expect_close(grad, expected, what=f"gradient of {f_desc}", call=record, tol=tol,
                 cause=cause or "grad[k] = (f(x + h e_k) - f(x - h e_k)) / (2 h) for every index k of x")


def check_numerical_gradient(fn):
    """Check ``numerical_gradient(f, x, h=1e-5)`` on closed-form gradients; x must be left unchanged."""
    # sum(x**3): centred differences give exactly 3 x^2 + h^2.
    x = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.5]])
    h = 1e-2
    check_numerical_gradient_case(fn, lambda v: float(np.sum(v ** 3)), "f(x) = sum(x**3)", x, h,
                                  3 * x ** 2 + h ** 2, tol=1e-8, forward=3 * x ** 2 + 3 * x * h + h ** 2,
                                  default_h=3 * x ** 2 + 1e-10)
    # sum(sin(x)) at the default step: the gradient is cos(x).
    x = np.array([0.3, -1.2, 2.0, 0.0])
    check_numerical_gradient_case(fn, lambda v: float(np.sum(np.sin(v))), "f(x) = sum(sin(x))", x, None,
                                  np.cos(x), tol=1e-8)


# --- LinearClassifier ---------------------------------------------------------

class _SpyLoss:
    """A loss_fn that records its inputs and returns a fixed gradient."""

    def __init__(self, G):
        self.G = G
        self.calls = []

    def __call__(self, W, X, y, reg):
        self.calls.append((np.array(W, dtype=np.float64, copy=True), np.array(X, copy=True),
                           np.array(y, copy=True), reg))
        return 10.0 - len(self.calls), self.G.copy()


def _construct(cls, loss_fn):
    clf, _ = call(cls, loss_fn, name="LinearClassifier", arg_names=["loss_fn"])
    return clf


def check_classifier_protocol(cls, seed, n, d, c, batch_size, num_iters, learning_rate=0.1, reg=0.25):
    """train() samples minibatches, calls loss_fn once per step, steps W -= lr * dW, returns the losses.
    Shared with the hidden check."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, 0] = np.arange(n)               # the first feature identifies the row
    y = np.arange(n) % c
    G = rng.standard_normal((d, c))
    spy = _SpyLoss(G)
    clf = _construct(cls, spy)
    history, record = call(clf.train, X, y, learning_rate=learning_rate, reg=reg, num_iters=num_iters,
                           batch_size=batch_size, name="LinearClassifier.train", arg_names=["X", "y"])
    where = f"(X of shape {X.shape}, {c} classes, num_iters={num_iters}, batch_size={batch_size})"
    expect(len(spy.calls) == num_iters,
           f"LinearClassifier.train called loss_fn {len(spy.calls)} times for num_iters={num_iters} {where}.",
           got=len(spy.calls), expected=num_iters, cause="call self.loss_fn once per iteration, on a fresh minibatch")
    expect(isinstance(history, (list, tuple, np.ndarray)) and len(history) == num_iters,
           f"LinearClassifier.train must return the loss history: one loss per iteration {where}.",
           got=history if history is None else f"{type(history).__name__} of length {len(history)}"
           if hasattr(history, "__len__") else history,
           expected=f"a list of {num_iters} floats", cause="append each iteration's loss to loss_history")
    expect(np.allclose(np.asarray(history, dtype=np.float64), 10.0 - np.arange(1, num_iters + 1)),
           "LinearClassifier.train's loss history must hold the loss that loss_fn returned at each iteration, "
           "in order.", got=np.asarray(history, dtype=np.float64),
           expected=10.0 - np.arange(1, num_iters + 1), cause="append `loss`, the first value loss_fn returns")
    seen = set()
    for k, (W, Xb, yb, reg_k) in enumerate(spy.calls):
        expect(W.shape == (d, c), f"LinearClassifier.train passed W of the wrong shape to loss_fn {where}.",
               got=f"shape {W.shape}", expected=f"shape (D, C) = {(d, c)}, with C = max(y) + 1")
        if k == 0:
            expect(np.max(np.abs(W)) < 0.1, "LinearClassifier.train must start from small weights.",
                   got=f"max |W| = {np.max(np.abs(W)):.3g}", expected="W = 0.001 * standard normal noise")
        expect(Xb.shape == (batch_size, d) and yb.shape == (batch_size,),
               f"LinearClassifier.train passed a minibatch of the wrong size to loss_fn {where}.",
               got=f"X_batch {Xb.shape}, y_batch {yb.shape}", expected=f"X_batch {(batch_size, d)}, "
               f"y_batch {(batch_size,)}", cause="sample batch_size row indices and index X and y with them")
        expect(reg_k == reg, "LinearClassifier.train must pass its reg argument on to loss_fn.",
               got=reg_k, expected=reg, cause="call self.loss_fn(self.W, X_batch, y_batch, reg)")
        idx = Xb[:, 0].astype(int)
        rows_ok = bool(np.all((idx >= 0) & (idx < n)) and np.array_equal(Xb, X[np.clip(idx, 0, n - 1)]))
        expect(rows_ok, "LinearClassifier.train's minibatch rows are not rows of X.",
               show_values=False, cause="X_batch = X[idx] with an index array idx")
        expect(np.array_equal(yb, y[idx]),
               "LinearClassifier.train's minibatch labels do not belong to its examples: use the same "
               "indices for X and y.", got=yb, expected=y[idx],
               cause="idx = rng.choice(N, batch_size); X_batch, y_batch = X[idx], y[idx]")
        seen.update(idx.tolist())
    if num_iters > 1:
        expect(len(seen) > batch_size,
               f"LinearClassifier.train used the same {batch_size} examples at every iteration {where}.",
               show_values=False, cause="sample a new random minibatch at each iteration (np.random.choice "
               "or a Generator's choice)")
    W_final = np.asarray(clf.W, dtype=np.float64)
    steps = [w for w, *_ in spy.calls[1:]] + [W_final]
    for k, (W_before, W_after) in enumerate(zip([w for w, *_ in spy.calls], steps)):
        if np.allclose(W_after, W_before - learning_rate * G, rtol=1e-10, atol=1e-12):
            continue
        if np.allclose(W_after, W_before + learning_rate * G, rtol=1e-10, atol=1e-12):
            cause = "the step goes uphill: W must move against the gradient, W -= learning_rate * dW"
        elif np.allclose(W_after, W_before - G, rtol=1e-10, atol=1e-12):
            cause = "the learning rate is not applied: W -= learning_rate * dW"
        else:
            cause = "after each loss_fn call, update self.W -= learning_rate * dW (and nothing else)"
        raise CheckFailure(
            f"LinearClassifier.train did not make the SGD step W <- W - learning_rate * dW after iteration {k} "
            f"{where}, learning_rate={learning_rate}.\n  likely cause: {cause}"
        )


def _blobs(seed, n, c, spread=0.5):
    """Separable classes around a circle of radius 3, plus a bias feature of ones: X (n, 3)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    angles = 2 * np.pi * y / c
    X = np.stack([3 * np.cos(angles), 3 * np.sin(angles), np.ones(n)], axis=1)
    X[:, :2] += spread * rng.standard_normal((n, 2))
    return X, y


def check_classifier_learns(cls, loss_fn, loss_desc, seed, n, c, learning_rate, num_iters, min_accuracy):
    """Training with ``loss_fn`` on separable blobs lowers the loss and predicts well. Shared with the hidden check."""
    X, y = _blobs(seed, n, c)
    clf = _construct(cls, loss_fn)
    history, record = call(clf.train, X, y, learning_rate=learning_rate, reg=1e-4, num_iters=num_iters,
                           batch_size=32, name="LinearClassifier.train", arg_names=["X", "y"])
    history = np.asarray(history, dtype=np.float64)
    start, end = history[:10].mean(), history[-10:].mean()
    expect(bool(np.isfinite(end)) and end < 0.7 * start,
           f"LinearClassifier.train with {loss_desc} did not lower the loss on separable data "
           f"({n} examples, {c} classes, learning_rate={learning_rate}, num_iters={num_iters}).",
           got=f"mean loss {start:.4g} over the first 10 iterations, {end:.4g} over the last 10",
           expected=f"below {0.7 * start:.4g} at the end",
           cause="the update must be W -= learning_rate * dW on a fresh minibatch each iteration")
    pred, record = call(clf.predict, X, name="LinearClassifier.predict", arg_names=["X"])
    expect_shape(pred, (n,), what="predictions", call=record,
                 cause="one label per row of X: np.argmax(X @ self.W, axis=1)")
    accuracy = float(np.mean(np.asarray(pred) == y))
    expect(accuracy >= min_accuracy,
           f"After training on separable data, LinearClassifier.predict is right on only {accuracy:.0%} "
           f"of the training examples.", got=f"{accuracy:.3f}", expected=f">= {min_accuracy}",
           cause="predict must return the class with the highest score, np.argmax(X @ self.W, axis=1)")


def check_classifier_predict(cls, seed, n, d, c):
    """``predict`` returns the integer argmax of ``X @ W`` for a given W. Shared with the hidden check."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d, c))
    clf = _construct(cls, _SpyLoss(np.zeros((d, c))))
    clf.W = W.copy()
    pred, record = call(clf.predict, X, name="LinearClassifier.predict", arg_names=["X"])
    expect_shape(pred, (n,), what="predictions", call=record,
                 cause="one label per row of X: take the argmax over the class axis, axis=1")
    pred = np.asarray(pred)
    expect(np.issubdtype(pred.dtype, np.integer), "LinearClassifier.predict must return integer labels.",
           got=f"dtype {pred.dtype}", expected="an integer dtype", cause="use np.argmax, which returns indices")
    expected = np.argmax(X @ W, axis=1)
    expect(np.array_equal(pred, expected), "LinearClassifier.predict returned the wrong labels for a given W.",
           call=record, got=pred, expected=expected,
           cause="the label of row i is the class with the highest score: np.argmax(X @ self.W, axis=1)")


def _squared_loss(W, X, y, reg):
    """Squared error to the one-hot labels (not a graded loss; used to test the training loop)."""
    Y = np.eye(W.shape[1])[y]
    diff = X @ W - Y
    n = X.shape[0]
    return 0.5 * np.sum(diff * diff) / n + reg * np.sum(W * W), X.T @ diff / n + 2 * reg * W


def check_LinearClassifier(cls):
    """Check the ``LinearClassifier`` class: ``cls(loss_fn)``, ``train(...)`` and ``predict(X)``."""
    check_classifier_protocol(cls, seed=1, n=40, d=5, c=3, batch_size=8, num_iters=5)
    check_classifier_predict(cls, seed=3, n=20, d=4, c=3)
    check_classifier_learns(cls, _squared_loss, "a squared-error loss", seed=2, n=150, c=3,
                             learning_rate=0.05, num_iters=200, min_accuracy=0.95)


# --- The experiment: test accuracy of the tuned classifier --------------------

def check_test_accuracy(classifier, X_test, y_test, *, kind, fast):
    """Check the experiment's result: ``classifier.predict(X_test)`` accuracy against the graded minimum
    of :data:`TEST_ACCURACY` for this data kind (``data.kind``: ``"cifar10"`` or ``"synthetic"``) and mode.

    (The hidden check recomputes the accuracy from ``classifier.W`` on a fresh copy of the test set.)
    """
    pred, record = call(classifier.predict, X_test, name="best_softmax.predict", arg_names=["X_test"])
    expect_shape(pred, (len(y_test),), what="predictions", call=record)
    accuracy = float(np.mean(np.asarray(pred) == np.asarray(y_test)))
    expect_accuracy(accuracy, TEST_ACCURACY, kind=kind, fast=fast, cause=TEST_ACCURACY_CAUSE, report=True)
    return accuracy
