"""Public checks for notebook 02: backpropagation, activation functions, initialization, batch norm.

One ``check_<function>(fn)`` per graded function: it calls your function on
small fixed inputs, compares with values precomputed once from the reference
solution (the literals at the end of this file), tests properties, and fails
with a message that says what was called, what came back, what was expected
and the most likely cause. Numpy only. The hidden tests use other inputs.

The case runners (``check_forward_case``, ``check_backward_case``,
``check_batchnorm_backward_case``, ``call_batchnorm_forward``,
``with_flatten_hint``) and the ``CAUSE_*`` texts are shared with the hidden
checks of the graded cells, which run them on other inputs.
"""


import numpy as np

from course.check.core import (Threshold, Thresholds, call, diagnose, expect, expect_accuracy, expect_close,
                               expect_shape, expect_tuple, matches)

__all__ = [
    "check_graph_forward_backward", "check_sigmoid_neuron_forward_backward",
    "check_affine_forward", "check_affine_backward", "check_relu_forward", "check_relu_backward",
    "check_leaky_relu_forward", "check_leaky_relu_backward", "check_sigmoid_forward", "check_sigmoid_backward",
    "check_tanh_forward", "check_tanh_backward", "check_elu_forward", "check_elu_backward",
    "check_two_layer_net_loss", "check_two_layer_accuracy", "check_init_weights", "check_activation_statistics",
    "check_batchnorm_forward", "check_batchnorm_backward", "TWO_LAYER_ACCURACY",
    # shared with the hidden checks
    "check_forward_case", "check_backward_case", "check_batchnorm_backward_case", "call_batchnorm_forward",
    "with_flatten_hint", "relu_backward_causes", "GRAPH_RETURN", "CAUSE_RELU_GE", "CAUSE_RELU_PASSES_NEGATIVES", "CAUSE_RELU_TIMES_OUTPUT",
    "CAUSE_BN_LOCAL_ONLY", "CAUSE_BN_NO_MEAN_PATH", "CAUSE_BN_NO_VARIANCE_PATH", "CAUSE_UNSTABLE_SOFTMAX",
    "TWO_LAYER_ACCURACY_CAUSE",
]

TOL = 1e-9   # the expected values are the reference's exact float64 results

CAUSE_RELU_GE = ("at x == 0 ReLU outputs the constant 0, so its gradient there is 0: use the mask x > 0, "
                 "not x >= 0")
CAUSE_RELU_PASSES_NEGATIVES = "the gradient is passed through where x < 0; ReLU blocks it there (mask x > 0)"
CAUSE_RELU_TIMES_OUTPUT = ("dx is dout times the ReLU's output max(0, x); the local gradient is the mask of the "
                           "input instead: 1 where x > 0 and 0 elsewhere, whatever the size of x")
CAUSE_BN_LOCAL_ONLY = "dx misses the paths through the batch mean and variance, which depend on every x"
CAUSE_BN_NO_MEAN_PATH = ("dx misses the path through the batch mean: subtract mean(dx_hat) over the batch "
                         "(every x moves the mean, so the columns of dx sum to 0)")
CAUSE_BN_NO_VARIANCE_PATH = ("dx misses the path through the batch variance: subtract "
                             "x_hat * mean(dx_hat * x_hat) over the batch")
CAUSE_BN_COLUMN_SUMS = ("the columns of dx do not sum to 0, but they must (adding a constant to a column of x "
                        "does not change the output): the path through the batch mean is missing or wrong")
CAUSE_UNSTABLE_SOFTMAX = ("exp of a large score overflows: subtract each row's maximum score before exponentiating "
                          "(the softmax does not change)")


def call_batchnorm_forward(fn, x, gamma, beta, bn_param):
    """Call batchnorm_forward; report bn_param as it was passed in (train mode updates it in place).

    Shared with the hidden check.
    """
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in bn_param.items()}
    result, record = call(fn, x, gamma, beta, bn_param, arg_names=["x", "gamma", "beta", "bn_param"],
                          name="batchnorm_forward", allow_mutation=("bn_param",))
    record.args = (x, gamma, beta, before)
    return result, record


def _same_part(got, want, tol=1e-12):
    if isinstance(want, np.ndarray):
        return matches(got, want, tol)
    try:
        return bool(got == want)
    except Exception:
        return False


def check_forward_case(fn, name, inputs, want, cache_want, cache_text, *, arg_names=("x",), kwargs=None,
                       causes=(), tol=TOL):
    """One call ``fn(*inputs, **kwargs) -> (out, cache)``: ``out`` against ``want``, the cache against
    ``cache_want`` (a tuple of parts, or one value; ``cache_text`` says what it is, e.g. ``"(x, alpha)"``).
    ``causes``: (value a mistake returns, cause) pairs. Shared with the hidden checks."""
    kwargs = kwargs or {}
    result, record = call(fn, *inputs, arg_names=list(arg_names), name=name, **kwargs)
    out, cache = expect_tuple(result, "(out, cache)", call=record)
    expect_close(out, want, what="output", call=record, tol=tol, cause=diagnose(out, causes))
    parts = cache if isinstance(cache_want, tuple) and isinstance(cache, tuple) else (cache,)
    wants = cache_want if isinstance(cache_want, tuple) else (cache_want,)
    ok = len(parts) == len(wants) and all(_same_part(p, w) for p, w in zip(parts, wants))
    expect(ok, f"{record} returned the wrong cache.", call=record, got=cache, expected=cache_text,
           cause=f"keep the given `cache = {cache_text}` line: the backward pass reads it")
    return out


def check_backward_case(fn, name, dout, cache, want, causes=(), tol=TOL):
    """One call ``fn(dout, cache) -> dx`` against ``want`` (the shape of x); ``causes``: (value, cause)
    pairs of known mistakes. Shared with the hidden checks."""
    dx, record = call(fn, dout, cache, arg_names=["dout", "cache"], name=name)
    expect(not isinstance(dx, tuple), f"{record} must return dx alone (one array), not a tuple.",
           call=record, got=dx, expected=f"array of shape {np.shape(want)}")
    expect_shape(dx, np.shape(want), what="dx", call=record, cause="dx has the shape of x (and of dout)")
    expect_close(dx, want, what="dx", call=record, tol=tol, cause=diagnose(dx, causes))
    return dx


def relu_backward_causes(x, dout):
    """The known wrong ReLU gradients for this input and upstream gradient, with their causes.
    Shared with the hidden check."""
    return [(dout * (x >= 0), CAUSE_RELU_GE), (dout, CAUSE_RELU_PASSES_NEGATIVES),
            (dout * np.maximum(0, x), CAUSE_RELU_TIMES_OUTPUT)]


def with_flatten_hint(check):
    """Run ``check()``; add the likely cause when a forward pass fails on image-shaped x (not flattened).

    Shared with the hidden check.
    """
    try:
        check()
    except AssertionError as e:
        if " raised " in str(e) and "likely cause" not in str(e):
            raise type(e)(f"{e}\n  likely cause: x is a batch of images (N, d_1, ..., d_k): flatten each "
                          "example to a row of D = d_1 * ... * d_k values before the product") from None
        raise


# ---------------------------------------------------------------- 1. computational graphs

GRAPH_RETURN = "end the function with `return f, (dfdx, dfdy, dfdz)`"

def check_graph_forward_backward(fn):
    """The lecture's example f = (x + y) z at x = -2, y = 5, z = -4, and one more point."""
    for (x, y, z), (f_want, grads_want) in [((-2.0, 5.0, -4.0), (-12.0, (-4.0, -4.0, 3.0))),
                                            ((1.5, 0.5, 2.0), (4.0, (2.0, 2.0, 2.0))),
                                            ((3.0, -1.0, 0.5), (1.0, (0.5, 0.5, 2.0)))]:
        result, record = call(fn, x, y, z, arg_names=["x", "y", "z"], name="graph_forward_backward")
        f, grads = expect_tuple(result, "(f, grads)", call=record, cause=GRAPH_RETURN)
        expect_tuple(grads, "(dfdx, dfdy, dfdz)", call=record, cause=GRAPH_RETURN)
        expect_close(f, f_want, what="f", call=record, tol=TOL, cause="f = (x + y) * z")
        for name, got, want in zip(("dfdx", "dfdy", "dfdz"), grads, grads_want):
            cause = diagnose(got, [
                (x if name == "dfdz" else None, "df/dz: the multiply gate gives z the *whole* other input q = x + y, "
                                                "not x alone"),
                (y if name == "dfdz" else None, "df/dz: the multiply gate gives z the *whole* other input q = x + y, "
                                                "not y alone"),
                (1.0 if name != "dfdz" else None, f"{name}: the add gate's local gradient is 1, but chain it with "
                                                  "the upstream gradient df/dq = z"),
            ], default=f"{name}: chain rule gate by gate: q = x + y, f = q * z, df/dq = z, df/dx = df/dq * 1")
            expect_close(got, want, what=name, call=record, tol=TOL, cause=cause)


def check_sigmoid_neuron_forward_backward(fn):
    """The lecture's neuron: w = [2, -3, -3], x = [-1, -2] gives 0.73, dw = [-0.20, -0.39, 0.20], dx = [0.39, -0.59]."""
    w, x = np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0])
    result, record = call(fn, w, x, arg_names=["w", "x"], name="sigmoid_neuron_forward_backward")
    out, dw, dx = expect_tuple(result, "(out, dw, dx)", call=record)
    expect_close(out, NEURON_OUT, what="output", call=record, tol=TOL, cause=diagnose(out, [
        (NEURON_OUT_NO_BIAS, "the bias w[-1] is added to the weighted sum: w[0] x[0] + w[1] x[1] + w[2] = 1"),
    ], default="out = sigma(w[0] x[0] + w[1] x[1] + w[2]) = sigma(1)"))
    expect_shape(dw, (3,), what="dw", call=record, cause="one gradient per weight, the bias included")
    expect_shape(dx, (2,), what="dx", call=record)
    expect_close(dw, NEURON_DW, what="dw", call=record, tol=TOL, cause=diagnose(dw, [
        (NEURON_OUT * np.array([-1.0, -2.0, 1.0]), "the sigmoid gate's local gradient is s * (1 - s), not s"),
    ], default="each weight gets the local gradient s * (1 - s) times its input (1 for the bias)"))
    expect_close(dx, NEURON_DX, what="dx", call=record, tol=TOL, cause=diagnose(dx, [
        (NEURON_OUT * np.array([2.0, -3.0]), "the sigmoid gate's local gradient is s * (1 - s), not s"),
    ], default="each input gets the local gradient s * (1 - s) times its weight"))


# ---------------------------------------------------------------- 2. layers

def check_affine_forward(fn):
    """A batch of two 2x3 'images' (flattened to D = 6), M = 4 outputs."""
    with_flatten_hint(lambda: check_forward_case(
        fn, "affine_forward", (AFFINE_X, AFFINE_W.copy(), AFFINE_B.copy()), AFFINE_OUT, (AFFINE_X, AFFINE_W, AFFINE_B),
        "(x, w, b)", arg_names=["x", "w", "b"], causes=[(AFFINE_OUT_NO_BIAS, "the bias b is not added")]))


def check_affine_backward(fn):
    x, w, b = AFFINE_X, AFFINE_W, AFFINE_B
    result, record = call(fn, AFFINE_DOUT, (x, w, b), arg_names=["dout", "cache"], name="affine_backward")
    dx, dw, db = expect_tuple(result, "(dx, dw, db)", call=record)
    expect_shape(dx, x.shape, what="dx", call=record,
                 cause="dx has the shape of x: reshape dout @ w.T back to x.shape")
    expect_shape(dw, w.shape, what="dw", call=record,
                 cause="dw is transposed: dw = x.T @ dout (x flattened to (N, D)) has the shape of w (D, M)"
                 if np.shape(dw) == w.shape[::-1] else "dw has the shape of w (D, M)")
    expect_shape(db, b.shape, what="db", call=record,
                 cause="db is not summed over the batch: b is added to every row, so its gradient sums dout over axis 0"
                 if np.shape(db) == AFFINE_DOUT.shape else "db has the shape of b (M,)")
    expect_close(dx, AFFINE_DX, what="dx", call=record, tol=TOL, cause="dx is dout times the transpose of w, reshaped like x")
    expect_close(dw, AFFINE_DW, what="dw", call=record, tol=TOL, cause="dw is the transpose of the flattened x times dout")
    expect_close(db, AFFINE_DB, what="db", call=record, tol=TOL, cause="db is dout summed over the batch axis")


def check_relu_forward(fn):
    check_forward_case(fn, "relu_forward", (ACT_X.copy(),), RELU_OUT, ACT_X, "x")


def check_relu_backward(fn):
    x, dout = ACT_X, ACT_DOUT
    check_backward_case(fn, "relu_backward", dout.copy(), x.copy(), RELU_DX, causes=relu_backward_causes(x, dout))


def check_leaky_relu_forward(fn):
    check_forward_case(fn, "leaky_relu_forward", (ACT_X.copy(),), LEAKY_RELU_OUT, (ACT_X, 0.1), "(x, alpha)",
                       kwargs={"alpha": 0.1}, causes=[(RELU_OUT, "negative inputs are scaled by alpha, not zeroed")])
    check_forward_case(fn, "leaky_relu_forward", (ACT_X.copy(),), LEAKY_RELU_OUT_DEFAULT, (ACT_X, 0.01),
                       "(x, alpha)", causes=[(RELU_OUT, "negative inputs are scaled by alpha, not zeroed")])


def check_leaky_relu_backward(fn):
    x, dout = ACT_X, ACT_DOUT
    check_backward_case(fn, "leaky_relu_backward", dout.copy(), (x.copy(), 0.1), LEAKY_RELU_DX, causes=[
        (RELU_DX, "the slope for x <= 0 is alpha, not 0"),
        (dout * np.where(x >= 0, 1.0, 0.1), "at x == 0 use the slope alpha (mask x > 0), like TensorFlow"),
    ])


def check_sigmoid_forward(fn):
    check_forward_case(fn, "sigmoid_forward", (SMOOTH_X.copy(),), SIGMOID_OUT, SIGMOID_OUT, "out",
                       causes=[(1.0 - SIGMOID_OUT, "sigma(x) = 1 / (1 + exp(-x)): mind the sign")])


def check_sigmoid_backward(fn):
    s, dout = SIGMOID_OUT, ACT_DOUT
    check_backward_case(fn, "sigmoid_backward", dout.copy(), s.copy(), SIGMOID_DX, causes=[
        (dout * s, "the sigmoid's derivative is s * (1 - s), not s"),
        (dout * (1 - s), "the sigmoid's derivative is s * (1 - s), not (1 - s)"),
    ])


def check_tanh_forward(fn):
    check_forward_case(fn, "tanh_forward", (SMOOTH_X.copy(),), TANH_OUT, TANH_OUT, "out")


def check_tanh_backward(fn):
    t, dout = TANH_OUT, ACT_DOUT
    check_backward_case(fn, "tanh_backward", dout.copy(), t.copy(), TANH_DX, causes=[
        (dout * (1 - t), "tanh's derivative is 1 - t**2: the square is missing"),
    ])


def check_elu_forward(fn):
    x = ACT_X
    check_forward_case(fn, "elu_forward", (x.copy(),), ELU_OUT, (x, 0.5), "(x, alpha)", kwargs={"alpha": 0.5},
                       causes=[(np.where(x > 0, x, 0.5 * np.exp(np.minimum(x, 0))),
                                "ELU's negative part is alpha * (exp(x) - 1): the - 1 is missing")])
    check_forward_case(fn, "elu_forward", (x.copy(),), ELU_OUT_DEFAULT, (x, 1.0), "(x, alpha)")


def check_elu_backward(fn):
    x, dout = ACT_X, ACT_DOUT
    check_backward_case(fn, "elu_backward", dout.copy(), (x.copy(), 0.5), ELU_DX, causes=[
        (dout * np.where(x > 0, 1.0, ELU_OUT), "the slope for x < 0 is the derivative alpha * exp(x), "
                                               "not the output alpha * (exp(x) - 1)"),
        (dout * (x > 0), "for x < 0 the slope is alpha * exp(x), not 0"),
    ])


# ---------------------------------------------------------------- 3. two-layer network

def check_two_layer_net_loss(fn):
    """A small network (D = 4, H = 3, C = 2, reg = 0.1), then scores of 1000: the loss must stay finite."""
    params = {"W1": NET_W1, "b1": NET_b1, "W2": NET_W2, "b2": NET_b2}
    args = ({k: v.copy() for k, v in params.items()}, NET_X.copy(), NET_Y.copy(), NET_REG)
    result, record = call(fn, *args, arg_names=["params", "X", "y", "reg"], name="two_layer_net_loss")
    loss, grads = expect_tuple(result, "(loss, grads)", call=record)
    expect_close(loss, NET_LOSS, what="loss", call=record, tol=TOL,
                 cause="loss = mean softmax cross-entropy + reg * (sum(W1 * W1) + sum(W2 * W2))")
    expect(isinstance(grads, dict) and set(grads) == {"W1", "b1", "W2", "b2"},
           f"{record} must return grads as a dict with keys W1, b1, W2, b2.", call=record,
           got=sorted(grads) if isinstance(grads, dict) else grads, expected="['W1', 'W2', 'b1', 'b2']")
    want = {"W1": NET_DW1, "b1": NET_Db1, "W2": NET_DW2, "b2": NET_Db2}
    for key in ("W2", "b2", "W1", "b1"):
        expect_shape(grads[key], params[key].shape, what=f"grads[{key!r}]", call=record,
                     cause=f"grads[{key!r}] has the shape of params[{key!r}]")
        cause = None
        if key in ("W1", "W2"):
            W = params[key]
            cause = diagnose(grads[key], [
                (2 * NET_REG * W, f"grads[{key!r}] holds only the regularization gradient: {key} is a branching "
                                  "node (it feeds the network and the regularization), so the gradients add up "
                                  "(+=); the second must not replace the first (=)"),
                (want[key] - NET_REG * W, f"the gradient of reg * sum({key} * {key}) is 2 * reg * {key}: "
                                          "the factor 2 is missing"),
                (want[key] - 2 * NET_REG * W, f"add the regularization gradient 2 * reg * {key}"),
                (NET_DW1_NO_MASK if key == "W1" else None, "backpropagate through the ReLU (mask h > 0) "
                                                           "between the two affine layers"),
            ])
        expect_close(grads[key], want[key], what=f"grads[{key!r}]", call=record, tol=TOL,
                     cause=cause or ("check the backward pass through affine2, the ReLU (mask h > 0) and affine1"
                                     if key in ("W1", "b1") else "dscores = (softmax - one_hot(y)) / N"))
    # One example whose scores are (1000, 0), correct class 1: the loss is 1000, not inf or nan.
    big = {"W1": 1000.0 * np.eye(2), "b1": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)}
    result, record = call(fn, {k: v.copy() for k, v in big.items()}, np.array([[1.0, 0.0]]), np.array([1]), 0.0,
                          arg_names=["params", "X", "y", "reg"], name="two_layer_net_loss")
    loss, grads = expect_tuple(result, "(loss, grads)", call=record)
    expect_close(loss, 1000.0, what="loss for scores of 1000", call=record, tol=TOL, cause=CAUSE_UNSTABLE_SOFTMAX)
    expect(isinstance(grads, dict) and "W2" in grads, f"{record} must return grads as a dict with keys W1, b1, W2, "
           "b2.", call=record, got=grads, expected="['W1', 'W2', 'b1', 'b2']")
    expect_close(grads["W2"], [[1000.0, -1000.0], [0.0, 0.0]], what="grads['W2'] for scores of 1000", call=record,
                 tol=TOL, cause=CAUSE_UNSTABLE_SOFTMAX)


_REFERENCE_02 = ("the reference solution, notebook 02 unchanged, seed 0, {mode} mode ({sizes}), {data}, "
                 "measured 2026-12-01")
_FAST_02, _FULL_02 = "2000 random training images, 5 epochs", "all training images, 25 epochs"
TWO_LAYER_ACCURACY = Thresholds("test accuracy of the trained two-layer network", {
    ("cifar10", "fast"): Threshold(0.30, 0.369, _REFERENCE_02.format(
        mode="fast", sizes=_FAST_02, data="the course's 5170-image CIFAR-10 subset")),
    ("cifar10", "full"): Threshold(0.38, 0.438, _REFERENCE_02.format(
        mode="full", sizes=_FULL_02, data="the course's 5170-image CIFAR-10 subset")),
    ("synthetic", "fast"): Threshold(0.70, 0.805, _REFERENCE_02.format(
        mode="fast", sizes=_FAST_02, data="the embedded synthetic set")),
    ("synthetic", "full"): Threshold(0.90, 0.997, _REFERENCE_02.format(
        mode="full", sizes=_FULL_02, data="the embedded synthetic set")),
})
TWO_LAYER_ACCURACY_CAUSE = ("check two_layer_net_loss and the layers, then re-run the data and training cells "
                            "in order")


def check_two_layer_accuracy(predict, params, X_test, y_test, *, kind, fast):
    """The experiment's result: the accuracy of ``predict(params, X_test)`` against the graded minimum of
    :data:`TWO_LAYER_ACCURACY` for this data kind (``data.kind``) and mode; prints it and returns it.

    (The hidden check recomputes the accuracy from the weights in ``params`` on a fresh copy of the test set.)
    """
    pred, record = call(predict, params, X_test, name="predict", arg_names=["params", "X_test"])
    expect_shape(pred, (len(y_test),), what="predictions", call=record,
                 cause="one predicted class per test image: the argmax of each row of scores")
    accuracy = float(np.mean(np.asarray(pred) == np.asarray(y_test)))
    expect_accuracy(accuracy, TWO_LAYER_ACCURACY, kind=kind, fast=fast, cause=TWO_LAYER_ACCURACY_CAUSE, report=True)
    return accuracy


# ---------------------------------------------------------------- 5. initialization

def check_init_weights(fn):
    """Shapes, standard deviations, Gaussian shape and the use of rng for each scheme."""
    stds = {"small": lambda n: 0.01, "large": lambda n: 1.0, "xavier": lambda n: 1 / np.sqrt(n),
            "he": lambda n: np.sqrt(2 / n)}
    for scheme, fan_in, fan_out in [("small", 200, 600), ("large", 300, 300), ("xavier", 200, 800),
                                    ("he", 600, 200)]:
        state = np.random.get_state()[1].copy()
        W, record = call(fn, fan_in, fan_out, scheme, np.random.default_rng(5),
                         arg_names=["fan_in", "fan_out", "scheme", "rng"], name="init_weights", check_mutation=False)
        expect_shape(W, (fan_in, fan_out), what="W", call=record, cause="W has shape (fan_in, fan_out)")
        W = np.asarray(W, dtype=np.float64)
        std, got = stds[scheme](fan_in), float(W.std())
        cause = None
        if scheme == "xavier" and abs(got * np.sqrt(fan_out) - 1) < 0.03:
            cause = "Xavier divides by sqrt(fan_in), the number of inputs each unit sums over, not fan_out"
        if scheme in ("xavier", "he") and abs(got * fan_in / (1 if scheme == "xavier" else 2) - 1) < 0.03:
            cause = f"{scheme}'s *variance* is {'1' if scheme == 'xavier' else '2'} / fan_in: take the square root " \
                    "for the std; the square root is missing"
        if scheme == "he" and abs(got * np.sqrt(fan_in) - 1) < 0.03:
            cause = "He's variance is 2 / fan_in (ReLU zeroes half the units), not 1 / fan_in"
        expect(abs(got / std - 1) < 0.03, f"{record} returned weights with the wrong standard deviation.",
               call=record, got=got, expected=f"{std:.5g} (within 3%)",
               cause=cause or f"scheme {scheme!r} has std {std:.5g} for fan_in = {fan_in}")
        expect(abs(float(W.mean())) < 5 * std / np.sqrt(W.size), f"{record} returned weights whose mean is not 0.",
               call=record, got=float(W.mean()), expected="about 0", cause="draw from a zero-mean Gaussian")
        expect(np.array_equal(state, np.random.get_state()[1]),
               f"{record} drew from numpy's global random state (np.random.randn, ...).", show_values=False,
               cause="draw every number from the rng argument (rng.standard_normal), not the global random state")
        again, _ = call(fn, fan_in, fan_out, scheme, np.random.default_rng(5), name="init_weights", check_mutation=False)
        expect(np.array_equal(W, np.asarray(again)), f"{record} gave different weights for two generators with the "
               "same seed.", show_values=False, cause="draw every number from the rng argument")


def check_activation_statistics(fn):
    for act in ("tanh", "relu"):
        result, record = call(fn, STATS_X, [W.copy() for W in STATS_WEIGHTS], act,
                              arg_names=["X", "weights", "activation"], name="activation_statistics")
        means, stds = expect_tuple(result, "(means, stds)", call=record)
        want = {"means": (STATS_MEANS[act], STATS_PRE[act][0]), "stds": (STATS_STDS[act], STATS_PRE[act][1])}
        for what, got in (("means", means), ("stds", stds)):
            expect_shape(got, (3,), what=what, call=record, cause="one entry per layer (3 here); do not include "
                         "the input X" if np.shape(got) == (4,) else "one entry per layer (len(weights))")
            expect_close(got, want[what][0], what=what, call=record, tol=TOL, cause=diagnose(got, [
                (want[what][1], "record the statistics *after* the nonlinearity (the activations), not of h @ W"),
            ], default=f"h = {act}(h @ W) for each W in turn; record h.mean() and h.std() over all entries"))


# ---------------------------------------------------------------- 6. batch normalization

def check_batchnorm_forward(fn):
    bn_param = {"mode": "train", "momentum": 0.8, "eps": 1e-3, "running_mean": BN_RUNNING_MEAN.copy(),
                "running_var": BN_RUNNING_VAR.copy()}
    result, record = call_batchnorm_forward(fn, BN_X.copy(), BN_GAMMA, BN_BETA, bn_param)
    out, cache = expect_tuple(result, "(out, cache)", call=record)
    expect_close(out, BN_TRAIN_OUT, what="train-mode output", call=record, tol=TOL, cause=diagnose(out, [
        (BN_TRAIN_OUT_UNBIASED, "normalize with the biased variance x.var(axis=0) (divide by N, as Keras does), "
                                "not the unbiased one"),
    ], default="out = gamma * (x - mean) / sqrt(var + eps) + beta with the minibatch mean and variance"))
    expect(isinstance(cache, dict), f"{record} must return a dict as the train-mode cache.", call=record,
           got=type(cache).__name__, expected="dict", cause="keep the given `cache = {...}` line")
    for key, value in [("x", BN_CACHE_X), ("x_hat", BN_CACHE_X_HAT), ("mean", BN_CACHE_MEAN), ("var", BN_CACHE_VAR),
                       ("std", BN_CACHE_STD), ("gamma", BN_GAMMA), ("eps", 1e-3)]:
        expect(key in cache and matches(cache[key], value, 1e-9), f"{record} returned a cache whose {key!r} entry "
               "is wrong or missing.", call=record, got=cache.get(key), expected=value,
               cause="keep the given `cache = {...}` line; std is sqrt(var + eps) of the minibatch")
    for key, want, unbiased, swapped in [("running_mean", BN_NEW_RUNNING_MEAN, None, BN_NEW_RUNNING_MEAN_SWAPPED),
                                         ("running_var", BN_NEW_RUNNING_VAR, BN_NEW_RUNNING_VAR_UNBIASED,
                                          BN_NEW_RUNNING_VAR_SWAPPED)]:
        got = bn_param.get(key)
        expect_close(got, want, what=f"bn_param[{key!r}] after a train step", call=record, tol=TOL,
                     cause=diagnose(got, [
                         (swapped, "the momentum weighs the *old* average: running = momentum * running + "
                                   "(1 - momentum) * batch (Keras' convention)"),
                         (unbiased, "Keras updates the running variance with the biased variance (divide by N), "
                                    "the one it normalizes with"),
                     ], default="running = momentum * running + (1 - momentum) * batch statistic"))
    defaults = {"mode": "train"}
    result, record = call_batchnorm_forward(fn, BN_X.copy(), BN_GAMMA, BN_BETA, defaults)
    expect_close(result[0], BN_TRAIN_OUT_DEFAULTS, what="output with the default eps = 1e-5", call=record, tol=TOL)
    for key, want in [("running_mean", BN_DEFAULT_RUNNING_MEAN), ("running_var", BN_DEFAULT_RUNNING_VAR)]:
        expect_close(defaults.get(key), want, what=f"bn_param[{key!r}] from the defaults", call=record, tol=TOL,
                     cause="start from running_mean = zeros(D), running_var = ones(D) with momentum 0.9 when "
                           "bn_param lacks them")
    test_param = {"mode": "test", "eps": 1e-3, "running_mean": BN_RUNNING_MEAN.copy(),
                  "running_var": BN_RUNNING_VAR.copy()}
    result, record = call_batchnorm_forward(fn, BN_X_TEST.copy(), BN_GAMMA, BN_BETA, test_param)
    unchanged = (set(test_param) == {"mode", "eps", "running_mean", "running_var"}
                 and np.array_equal(test_param["running_mean"], BN_RUNNING_MEAN)
                 and np.array_equal(test_param["running_var"], BN_RUNNING_VAR))
    expect(unchanged, f"{record} changed bn_param in test mode.", call=record,
           got={k: v for k, v in test_param.items() if k != "mode"},
           expected={"eps": 1e-3, "running_mean": BN_RUNNING_MEAN, "running_var": BN_RUNNING_VAR},
           cause="test mode only reads the running averages; update them in train mode only")
    out = result[0] if isinstance(result, (tuple, list)) else result
    expect_close(out, BN_TEST_OUT, what="test-mode output", call=record, tol=TOL, cause=diagnose(out, [
        (BN_TEST_OUT_BATCH_STATS, "test mode normalizes with the running averages, not the batch statistics"),
    ], default="out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta"))


def check_batchnorm_backward_case(fn, dout, cache, want_dx, want_dgamma, want_dbeta, *, dx_causes=(),
                                  dgamma_causes=(), dbeta_causes=(), tol=TOL):
    """One call ``batchnorm_backward(dout, cache)`` against the expected gradients; the ``*_causes`` are
    (value, cause) pairs of known mistakes. A dx whose columns do not sum to 0 (and that matches no known
    mistake) is told so. Shared with the hidden check."""
    result, record = call(fn, dout, cache, arg_names=["dout", "cache"], name="batchnorm_backward")
    dx, dgamma, dbeta = expect_tuple(result, "(dx, dgamma, dbeta)", call=record)
    n, d = np.shape(dout)
    for what, got, shape in [("dx", dx, (n, d)), ("dgamma", dgamma, (d,)), ("dbeta", dbeta, (d,))]:
        expect_shape(got, shape, what=what, call=record, cause=f"{what} is not summed over the batch: sum over "
                     "axis 0" if np.shape(got) == (n, d) else f"{what} has shape {shape}")
    expect_close(dbeta, want_dbeta, what="dbeta", call=record, tol=tol,
                 cause=diagnose(dbeta, dbeta_causes, default="dbeta is dout summed over the batch axis"))
    expect_close(dgamma, want_dgamma, what="dgamma", call=record, tol=tol,
                 cause=diagnose(dgamma, dgamma_causes, default="dgamma is dout * x_hat summed over the batch axis"))
    cause = diagnose(dx, dx_causes)
    if cause is None:
        with np.errstate(all="ignore"):
            sums = np.asarray(dx, dtype=np.float64).sum(axis=0)
        scale = float(np.max(np.abs(want_dx), initial=0.0)) * n
        if np.all(np.isfinite(sums)) and np.max(np.abs(sums), initial=0.0) > 1e-9 * max(1.0, scale):
            cause = CAUSE_BN_COLUMN_SUMS
    expect_close(dx, want_dx, what="dx", call=record, tol=tol, cause=cause or (
        "follow the graph back through x_hat, the variance and the mean (or use the simplified formula)"))
    return dx, dgamma, dbeta


def check_batchnorm_backward(fn):
    cache = {"x": BN_CACHE_X, "x_hat": BN_CACHE_X_HAT, "mean": BN_CACHE_MEAN, "var": BN_CACHE_VAR,
             "std": BN_CACHE_STD, "gamma": BN_GAMMA, "eps": 1e-3}
    check_batchnorm_backward_case(fn, BN_DOUT.copy(), {k: np.copy(v) for k, v in cache.items()}, BN_DX, BN_DGAMMA,
                                  BN_DBETA, dx_causes=[(BN_DX_LOCAL_ONLY, CAUSE_BN_LOCAL_ONLY),
                                                       (BN_DX_NO_VARIANCE_PATH, CAUSE_BN_NO_VARIANCE_PATH),
                                                       (BN_DX_NO_MEAN_PATH, CAUSE_BN_NO_MEAN_PATH)])


# ---------------------------------------------------------------- precomputed values
# Generated once from the reference solution on seeded inputs (exact float64 values).

NEURON_OUT = 0.731058578630
NEURON_OUT_NO_BIAS = 0.982013790038
NEURON_DW = np.array([-0.196611933241, -0.393223866483, 0.196611933241])
NEURON_DX = np.array([0.393223866483, -0.589835799724])
AFFINE_X = np.array([[[0.0, 0.3, -0.27], [-0.89, -0.45, -0.99]], [[0.06, 1.34, -0.49], [-0.62, 0.49, 0.36]]])
AFFINE_W = np.array([[0.11, -0.93, -0.03, 0.7], [-1.34, -0.46, -1.9, -1.29], [-1.84, -0.24, -1.27, 0.27], [0.16, -0.19, -2.52, -0.54], [-0.05, 0.11, -1.53, -0.48], [-0.98, -0.81, 1.06, -0.81]])
AFFINE_B = np.array([-0.03, 0.88, -0.58, -0.11])
AFFINE_OUT = np.array([[0.9151, 1.7283, 1.0748000000000002, 0.9286], [-1.3939000000000001, 0.20550000000000002, -1.3112, -2.1209000000000002]])
AFFINE_OUT_NO_BIAS = np.array([[0.9451, 0.8483, 1.6548, 1.0386], [-1.3639000000000001, -0.6745, -0.7312, -2.0109000000000004]])
AFFINE_DOUT = np.array([[0.11, 0.06, -1.23, 0.08], [1.36, -1.55, 0.86, 0.12]])
AFFINE_DX = np.array([[[0.049199999999999994, 2.0587999999999997, 1.3669], [3.0625999999999998, 1.8446, -1.525]], [[1.6493000000000002, -2.8982, -3.1902000000000004], [-1.7199, -1.6119, 0.7371000000000002]]])
AFFINE_DW = np.array([[0.0816, -0.093, 0.0516, 0.0072], [1.8554000000000002, -2.059, 0.7834000000000001, 0.1848], [-0.6961, 0.7433, -0.08929999999999998, -0.0804], [-0.9411, 0.9076000000000001, 0.5615, -0.1456], [0.6169, -0.7865, 0.9749, 0.022799999999999994], [0.38070000000000004, -0.6174, 1.5272999999999999, -0.03600000000000001]])
AFFINE_DB = np.array([1.4700000000000002, -1.49, -0.37, 0.2])
ACT_X = np.array([[-1.5, 0.0, 2.0, -0.25], [0.75, -3.0, 0.0, 1.25]])
ACT_DOUT = np.array([[-0.64, 2.0, 0.76, -1.2], [0.07, 0.58, -0.19, 0.68]])
RELU_OUT = np.array([[0.0, 0.0, 2.0, 0.0], [0.75, 0.0, 0.0, 1.25]])
RELU_DX = np.array([[-0.0, 0.0, 0.76, -0.0], [0.07, 0.0, -0.0, 0.68]])
LEAKY_RELU_OUT = np.array([[-0.15000000000000002, 0.0, 2.0, -0.025], [0.75, -0.30000000000000004, 0.0, 1.25]])
LEAKY_RELU_DX = np.array([[-0.064, 0.2, 0.76, -0.12], [0.07, 0.057999999999999996, -0.019000000000000003, 0.68]])
ELU_OUT = np.array([[-0.3884349199257851, 0.0, 2.0, -0.11059960846429756], [0.75, -0.475106465816068, 0.0, 1.25]])
ELU_DX = np.array([[-0.07140165124749755, 1.0, 0.76, -0.4672804698428429], [0.07, 0.014438249826680544, -0.095, 0.68]])
LEAKY_RELU_OUT_DEFAULT = np.array([[-0.015, 0.0, 2.0, -0.0025], [0.75, -0.03, 0.0, 1.25]])
ELU_OUT_DEFAULT = np.array([[-0.7768698398515702, 0.0, 2.0, -0.22119921692859512], [0.75, -0.950212931632136, 0.0, 1.25]])
SMOOTH_X = np.array([[-10.0, -1.0, 0.0, 0.5], [1.0, 2.0, 10.0, -0.5]])
SIGMOID_OUT = np.array([[4.5397868702434395e-05, 0.2689414213699951, 0.5, 0.6224593312018546], [0.7310585786300049, 0.8807970779778823, 0.9999546021312976, 0.37754066879814546]])
SIGMOID_DX = np.array([[-2.905331695100907e-05, 0.3932238664829637, 0.19, -0.28200445464191337], [0.013762835326903729, 0.06089627953403383, -8.625203469822455e-06, 0.15980252429708428]])
TANH_OUT = np.array([[-0.9999999958776927, -0.7615941559557649, 0.0, 0.46211715726000974], [0.7615941559557649, 0.9640275800758169, 0.9999999958776927, -0.46211715726000974]])
TANH_DX = np.array([[-5.276553309840892e-09, 0.8399486832280523, 0.76, -0.9437372795591128], [0.029398203912981834, 0.040977478414835365, -1.5664767638590149e-09, 0.5347844584168306]])
NET_W1 = np.array([[-0.03, 0.33, 0.72], [-0.34, 0.1, -0.23], [0.06, -0.59, -0.29], [-0.1, 0.45, 0.57]])
NET_b1 = np.array([-0.13, -0.08, 0.06])
NET_W2 = np.array([[-1.0, -0.23], [-0.05, 0.63], [0.34, -0.16]])
NET_b2 = np.array([-0.04, -0.03])
NET_X = np.array([[1.52, -0.43, -0.3, 0.35], [-0.12, -0.2, -1.11, -0.01], [-0.44, 1.17, 0.65, -0.02], [0.67, -0.34, 1.05, -0.01], [0.58, -1.29, 0.35, -1.69]])
NET_Y = np.array([0, 1, 1, 0, 1])
NET_REG = 0.1
NET_LOSS = 0.9394988172488348
NET_DW1 = np.array([[0.006170477038719924, 0.16262667059703875, 0.0415000401244896], [-0.01192260937878576, 0.007070857625051217, -0.02053310048874176], [0.06602129691048297, -0.06726093504040348, -0.14459691845727368], [0.08494279341545019, 0.11116384319743704, 0.0989077675659062]])
NET_Db1 = np.array([0.009766134059173495, -0.002869349669299498, -0.04483188164533])
NET_DW2 = np.array([[-0.16369607002989217, -0.08230392997010784], [-0.025310464920230275, 0.14131046492023028], [-0.06367347406300153, 0.0996734740630015]])
NET_Db2 = np.array([0.09103634504730229, -0.09103634504730226])
NET_DW1_NO_MASK = np.array([[0.1492965730970193, 0.2031450255921729, 0.0431580694175199], [-0.11620251552766081, -0.022568455271180968, -0.014699665241778667], [0.0736760742646303, -0.06353281753253427, -0.09804939887313656], [0.11044003357083164, 0.20519379588073444, 0.029298679499459968]])
STATS_X = np.array([[-2.04, -0.3, -0.9], [0.16, 2.24, -0.83], [-0.62, 0.21, 0.49], [-0.18, -0.21, 0.7], [0.52, -1.03, -0.08], [0.04, -1.05, 0.26]])
STATS_WEIGHTS = [np.array([[-0.51, 0.58, 0.12, 0.05], [-0.35, -0.07, -1.2, -0.68], [0.22, -1.28, 0.51, -1.05]]), np.array([[0.45, -0.51, 0.47, 0.08], [-0.92, 0.75, 0.87, -0.04], [-0.16, -0.1, -0.59, 0.66], [-0.33, -0.03, -0.48, -0.38]]), np.array([[-0.77, 0.75], [-0.09, 0.58], [0.01, -0.42], [-0.2, -0.34]])]
STATS_TANH_MEANS = np.array([0.06388001857546421, -0.028551091210512348, -0.03983185464457112])
STATS_TANH_STDS = np.array([0.5948197275898506, 0.5109772300299027, 0.3103395471627543])
STATS_TANH_PRE_MEANS = np.array([0.016216666666666657, -0.008716363595066964, -0.046175889593251335])
STATS_TANH_PRE_STDS = np.array([0.9661223031905547, 0.6244576290264879, 0.3367530763867198])
STATS_RELU_MEANS = np.array([0.37985416666666666, 0.16560654166666666, 0.014139590833333328])
STATS_RELU_STDS = np.array([0.45096784713469934, 0.2734893344574853, 0.025281107277212438])
STATS_RELU_PRE_MEANS = np.array([0.016216666666666657, -0.05919858333333335, -0.07653141583333335])
STATS_RELU_PRE_STDS = np.array([0.9661223031905547, 0.492038537019283, 0.09298700726155101])
BN_X = np.array([[1.02, -2.75, -0.09999999999999998], [-1.7599999999999998, -3.6100000000000003, 3.81], [-0.3400000000000001, -4.109999999999999, 1.17], [3.81, -4.91, 0.08000000000000002]])
BN_GAMMA = np.array([1.5, 0.5, 2.0])
BN_BETA = np.array([0.1, -0.2, 0.3])
BN_RUNNING_MEAN = np.array([0.5, -1.0, 0.0])
BN_RUNNING_VAR = np.array([2.0, 0.5, 1.5])
BN_TRAIN_OUT = np.array([[0.3462164858647574, 0.4977636867196285, -1.4161338308751201], [-1.6818778273323551, -0.05025162887752299, 3.5913910039918355], [-0.6459447608791541, -0.3688651844572616, 0.21035121779010557], [2.381606102346752, -0.8786468733848447, -1.1856083909068205]])
BN_NEW_RUNNING_MEAN = np.array([0.5365, -1.569, 0.24799999999999994])
BN_NEW_RUNNING_VAR = np.array([2.44532375, 0.5229349999999999, 1.68755])
BN_TRAIN_OUT_UNBIASED = np.array([[0.3132360365332132, 0.40440380261489667, -1.1862916768030205], [-1.443197094021847, -0.07028776838858411, 3.1505743353610174], [-0.5460262143858092, -0.34627123990223513, 0.22235789748043913], [2.0759872718744425, -0.7878447943240781, -0.9866405560384357]])
BN_NEW_RUNNING_VAR_UNBIASED = np.array([2.727098333333333, 0.5639133333333333, 1.8500666666666667])
BN_NEW_RUNNING_MEAN_SWAPPED = np.array([0.6460000000000001, -3.276, 0.992])
BN_NEW_RUNNING_VAR_SWAPPED = np.array([3.781295, 0.5917399999999999, 2.2502])
BN_TRAIN_OUT_DEFAULTS = np.array([[0.34624531972544137, 0.49832536313265746, -1.4164822655107956], [-1.6820864990500461, -0.05013108645098252, 3.592059270419959], [-0.6460321167978189, -0.3690011152786795, 0.21033301598077925], [2.3818732961224236, -0.879193161402996, -1.1859100208899425]])
BN_DEFAULT_RUNNING_MEAN = np.array([0.06824999999999999, -0.3844999999999999, 0.12399999999999997])
BN_DEFAULT_RUNNING_VAR = np.array([1.3226618749999999, 0.9614675, 1.143775])
BN_X_TEST = np.array([[-0.63, -1.76, 0.73], [-0.02, 0.07, -0.75], [0.45, -0.54, -0.14]])
BN_TEST_OUT = np.array([[-1.0982464699295593, -0.736864557308649, 1.491687845055616], [-0.4514054551888239, 0.5558487846319136, -0.9243368271119341], [0.04698024469338234, 0.12494433731839272, 0.07145712560577225]])
BN_TEST_OUT_BATCH_STATS = np.array([[-1.8062844732885772, -0.8675766854811566, 2.876203116467333], [0.25791705695881706, 0.33406134838492524, -1.9911763886879685], [1.8483674163297605, -0.06648466290376875, 0.014973272220635436]])
BN_CACHE_X = np.array([[1.02, -2.75, -0.09999999999999998], [-1.7599999999999998, -3.6100000000000003, 3.81], [-0.3400000000000001, -4.109999999999999, 1.17], [3.81, -4.91, 0.08000000000000002]])
BN_CACHE_X_HAT = np.array([[0.16414432390983824, 1.395527373439257, -0.8580669154375601], [-1.1879185515549036, 0.29949674224495404, 1.6456955019959179], [-0.4972965072527694, -0.33773036891452307, -0.044824391104947216], [1.5210707348978347, -1.3572937467696893, -0.7428041954534103]])
BN_CACHE_MEAN = np.array([0.6825000000000001, -3.8449999999999998, 1.24])
BN_CACHE_VAR = np.array([4.22661875, 0.614675, 2.43775])
BN_CACHE_STD = np.array([2.056117396940165, 0.7846496033262236, 1.5616497686741415])
BN_DOUT = np.array([[-1.11, -1.22, 1.34], [-0.51, 0.29, -0.03], [-0.44, -0.51, 0.63], [-0.3, -0.15, 0.02]])
BN_DX = np.array([[-0.3849278821318595, -0.24847898438561222, 0.7473007478304902], [0.09868800226199272, 0.49724932286517204, -0.011395642228628244], [0.12631098282186637, -0.13839552338800798, 0.16146889835241862], [0.15992889704800045, -0.11037481509155214, -0.8973740039542802]])
BN_DGAMMA = np.array([0.1861275044749484, -1.2398527901829968, -1.242275982051393])
BN_DBETA = np.array([-2.36, -1.5899999999999999, 1.96])
BN_DX_NO_VARIANCE_PATH = np.array([[-0.37935577081384847, -0.5241192989286709, 1.08859235540586], [0.05836242627905361, 0.4380936389221413, -0.6659623821306437], [0.10942954927322551, -0.07168805000544133, 0.17929756441978872], [0.21156379526156938, 0.15771371001197085, -0.6019275376950048]])
BN_DX_NO_MEAN_PATH = np.array([[-0.8153507759398799, -0.5017767610715048, 1.3748422232997504], [-0.33173489154602764, 0.24395154617927942, 0.6161458332406322], [-0.30411191098615403, -0.3916933000739006, 0.789010373821679], [-0.27049399676001995, -0.36367259177744476, -0.26983252848501993]])
BN_DX_LOCAL_ONLY = np.array([[-0.8097786646218689, -0.7774170756145635, 1.7161338308751204], [-0.37206046752896677, 0.1847958622362487, -0.03842090666138329], [-0.3209933445347949, -0.3249858266913339, 0.8068390398890491], [-0.21885909854645103, -0.09558406667392173, 0.025613937774255528]])

STATS_MEANS = {"tanh": STATS_TANH_MEANS, "relu": STATS_RELU_MEANS}
STATS_STDS = {"tanh": STATS_TANH_STDS, "relu": STATS_RELU_STDS}
STATS_PRE = {"tanh": (STATS_TANH_PRE_MEANS, STATS_TANH_PRE_STDS), "relu": (STATS_RELU_PRE_MEANS, STATS_RELU_PRE_STDS)}
