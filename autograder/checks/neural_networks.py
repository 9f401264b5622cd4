"""Hidden checks for notebook 02 (backpropagation, activations, initialization, batch norm).

Each ``check_<function>(fn)`` raises AssertionError with a student-facing
message, or returns None. Gradients are checked against centred numerical
gradients of reference forward passes in float64 (relative error below 1e-8),
on seeded inputs other than the public checks'. Numpy only.
"""


import numpy as np

import course.notebook
from course.check import neural_networks as public
from course.check.core import (CheckFailure, call, diagnose, expect, expect_accuracy, expect_close, expect_shape,
                               expect_tuple, matches, rel_error)


GRAD_TOL = 1e-8      # analytic vs numerical gradient, float64 (the lecture's "relative error < 1e-8")
VALUE_TOL = 1e-10    # forward values vs the reference


# ---------------------------------------------------------------- helpers

def _rng(seed):
    return np.random.default_rng(20_000 + seed)


def numerical_gradient(f, x, dout, h=1e-5):
    """Centred-difference gradient of sum(f(x) * dout) with respect to the array x."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        pos = np.array(f(x), dtype=np.float64)
        x[ix] = old - h
        neg = np.array(f(x), dtype=np.float64)
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * dout) / (2 * h)
    return grad


def numerical_gradient_scalar(f, x, h=1e-5):
    """Centred-difference gradient of the scalar f(x) with respect to the array x."""
    return numerical_gradient(lambda v: np.array(f(v)), x, np.array(1.0), h)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# ---------------------------------------------------------------- 1. computational graphs

def check_graph_forward_backward(fn):
    cases = [(-2.0, 5.0, -4.0), (3.0, -1.5, 2.0), (0.5, 0.25, -3.0), (-1.25, -2.0, 0.75)]
    for x, y, z in cases:
        result, record = call(fn, x, y, z, arg_names=["x", "y", "z"], name="graph_forward_backward")
        f, grads = expect_tuple(result, "(f, grads)", call=record, cause=public.GRAPH_RETURN)
        expect_tuple(grads, "(dfdx, dfdy, dfdz)", call=record, cause=public.GRAPH_RETURN)
        dfdx, dfdy, dfdz = grads
        expect_close(f, (x + y) * z, what="f", call=record, tol=VALUE_TOL,
                     cause=diagnose(f, [(x + y * z, "operator precedence: f = (x + y) * z, not x + y * z")]))
        for name, got, want in [("dfdx", dfdx, z), ("dfdy", dfdy, z), ("dfdz", dfdz, x + y)]:
            cause = diagnose(got, [
                (x, f"{name}: the multiply gate gives z the *whole* other input q = x + y, not x alone"),
                (y, f"{name}: the multiply gate gives z the *whole* other input q = x + y, not y alone"),
                (x + y, f"{name}: that is df/dz; the gradients are returned in the order (dfdx, dfdy, dfdz)"),
                (z * (x + y), f"{name}: the add gate passes the upstream gradient dfdq = z unchanged; "
                              "do not multiply it by q"),
                (1.0, f"{name}: the add gate's local gradient is 1, but chain it with the upstream "
                      "gradient dfdq = z"),
            ], default=f"{name}: apply the chain rule gate by gate: q = x + y, f = q * z, "
                       "df/dq = z, df/dx = df/dq * dq/dx")
            expect_close(got, want, what=name, call=record, tol=VALUE_TOL, cause=cause)
    # elementwise on arrays
    rng = _rng(1)
    x, y, z = rng.normal(size=(3, 4))
    (f, (dfdx, dfdy, dfdz)), record = call(fn, x, y, z, arg_names=["x", "y", "z"], name="graph_forward_backward")
    expect_close(f, (x + y) * z, what="f for array inputs", call=record, tol=VALUE_TOL,
                 cause="use elementwise operations (+, *) so arrays work too")
    expect_close(dfdz, x + y, what="dfdz for array inputs", call=record, tol=VALUE_TOL)


def check_sigmoid_neuron_forward_backward(fn):
    rng = _rng(2)
    cases = [(np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0]))]
    cases += [(rng.normal(size=d + 1), rng.normal(size=d)) for d in (1, 4, 7)]
    for w, x in cases:
        result, record = call(fn, w, x, arg_names=["w", "x"], name="sigmoid_neuron_forward_backward")
        out, dw, dx = expect_tuple(result, "(out, dw, dx)", call=record)
        dot = w[:-1] @ x + w[-1]
        s = _sigmoid(dot)
        expect_close(out, s, what="output", call=record, tol=VALUE_TOL, cause=diagnose(out, [
            (_sigmoid(w[:-1] @ x), "the bias w[-1] is added to the weighted sum"),
            (_sigmoid(-dot), "sigma(a) = 1 / (1 + exp(-a)): mind the sign"),
        ], default="out = 1 / (1 + exp(-(w[:-1] @ x + w[-1])))"))
        expect_shape(dw, w.shape, what="dw", call=record, cause="dw has one entry per weight, bias included")
        expect_shape(dx, x.shape, what="dx", call=record)
        f = lambda v: _sigmoid(v[:-1] @ x + v[-1])  # noqa: E731
        want_dw = numerical_gradient_scalar(f, w)
        want_dx = numerical_gradient_scalar(lambda v: _sigmoid(w[:-1] @ v + w[-1]), x)
        xb = np.append(x, 1.0)
        expect_close(dw, want_dw, what="dw", call=record, tol=GRAD_TOL, cause=diagnose(dw, [
            (s * xb, "the sigmoid gate's local gradient is s * (1 - s), not s"),
            ((1 - s) * xb, "the sigmoid gate's local gradient is s * (1 - s), not (1 - s)"),
            (s * (1 - s) * np.append(x, 0.0), "the bias's gradient: the bias is multiplied by 1, so dw[-1] = s * (1 - s)"),
            (s * (1 - s) * w, "dw[i] is the local gradient times the *input* x[i], not the weight"),
        ], default="dw = s * (1 - s) * [x, 1]"))
        expect_close(dx, want_dx, what="dx", call=record, tol=GRAD_TOL, cause=diagnose(dx, [
            (s * w[:-1], "the sigmoid gate's local gradient is s * (1 - s), not s"),
            (s * (1 - s) * x, "dx[i] is the local gradient times the *weight* w[i], not the input"),
        ], default="dx = s * (1 - s) * w[:-1]"))


# ---------------------------------------------------------------- 2. layers

def _check_forward(fn, name, ref, inputs, cache_want, cache_text, arg_names=("x",), kwargs=None, causes=()):
    """``public.check_forward_case`` with the expected output and the mistakes computed from ``inputs``."""
    kwargs = kwargs or {}
    return public.check_forward_case(
        fn, name, inputs, ref(*inputs, **kwargs), cache_want, cache_text, arg_names=arg_names, kwargs=kwargs,
        causes=[(wrong(*inputs, **kwargs), cause) for wrong, cause in causes], tol=VALUE_TOL)


def _check_backward(fn, name, ref_forward, x, dout, cache, kink_value=None, causes=()):
    """``public.check_backward_case`` against the numerical gradient of ``ref_forward`` at ``x``."""
    want = numerical_gradient(ref_forward, x, dout)
    if kink_value is not None:  # at x == 0 the numerical gradient averages both sides: use the convention
        at_zero = x == 0
        want[at_zero] = (dout * kink_value)[at_zero]
    return public.check_backward_case(fn, name, dout, cache, want, causes=causes, tol=GRAD_TOL)


def _affine_ref(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b


def check_affine_forward(fn):
    rng = _rng(3)
    for shape, m in [((4, 5), 3), ((3, 2, 3), 4), ((2, 4), 4)]:
        x = rng.normal(size=shape)
        d = int(np.prod(shape[1:]))
        w = rng.normal(size=(d, m))
        b = rng.normal(size=m)
        public.with_flatten_hint(lambda: _check_forward(
            fn, "affine_forward", _affine_ref, (x, w, b), (x, w, b), "(x, w, b)", arg_names=["x", "w", "b"], causes=[
                (lambda x, w, b: x.reshape(x.shape[0], -1) @ w, "the bias b is not added"),
                (lambda x, w, b: x.reshape(x.shape[0], -1) @ w - b, "add b, do not subtract it"),
            ]))


def check_affine_backward(fn):
    rng = _rng(4)
    for shape, m in [((5, 6), 3), ((4, 2, 3), 2), ((3, 4), 4)]:
        x = rng.normal(size=shape)
        d = int(np.prod(shape[1:]))
        w = rng.normal(size=(d, m))
        b = rng.normal(size=m)
        dout = rng.normal(size=(shape[0], m))
        result, record = call(fn, dout, (x, w, b), arg_names=["dout", "cache"], name="affine_backward")
        dx, dw, db = expect_tuple(result, "(dx, dw, db)", call=record)
        x2 = x.reshape(shape[0], -1)
        expect_shape(dx, x.shape, what="dx", call=record,
                     cause="dx has the shape of x: reshape dout @ w.T back to x.shape")
        expect_shape(dw, w.shape, what="dw", call=record,
                     cause="dw is transposed: dw = x.T @ dout (after flattening x) has the shape of w (D, M)"
                     if np.shape(dw) == (m, d) else "dw = x.T @ dout has the shape of w (D, M)")
        expect_shape(db, b.shape, what="db", call=record,
                     cause="db is not summed over the batch: db = dout.sum(axis=0)"
                     if np.shape(db) == dout.shape else "db has the shape of b (M,): dout.sum(axis=0)")
        want_dx = numerical_gradient(lambda v: _affine_ref(v, w, b), x, dout)
        want_dw = numerical_gradient(lambda v: _affine_ref(x, v, b), w, dout)
        want_db = numerical_gradient(lambda v: _affine_ref(x, w, v), b, dout)
        expect_close(dx, want_dx, what="dx", call=record, tol=GRAD_TOL,
                     cause="dx = dout @ w.T, reshaped to x.shape")
        expect_close(dw, want_dw, what="dw", call=record, tol=GRAD_TOL, cause=diagnose(dw, [
            ((dout.T @ x2).T if d == m else None, "dw is transposed: dw = x.T @ dout"),
            (x2.T @ dout / shape[0], "do not average dw over the batch: the loss already did that"),
        ], default="dw = x.T @ dout (after flattening x to (N, D))"))
        expect_close(db, want_db, what="db", call=record, tol=GRAD_TOL, cause=diagnose(db, [
            (dout.mean(axis=0), "db is the *sum* of dout over the batch, not the mean"),
        ], default="db = dout.sum(axis=0)"))


def _with_zeros(rng, shape, scale=2.0):
    """Seeded values away from 0 (so finite differences are exact), with a few exact zeros."""
    x = rng.uniform(0.1, 1.0, size=shape) * rng.choice([-1.0, 1.0], size=shape) * scale
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, size=max(1, flat.size // 6), replace=False)] = 0.0
    return x


def check_relu_forward(fn):
    rng = _rng(5)
    for shape in [(4, 5), (2, 3, 4)]:
        x = _with_zeros(rng, shape)
        _check_forward(fn, "relu_forward", lambda v: np.maximum(0, v), (x,), x, "x", causes=[
                           (lambda v: np.abs(v), "negative inputs become 0, not their absolute value"),
                           (lambda v: np.minimum(0, v), "ReLU keeps the positive part: max(0, x)"),
                       ])


def check_relu_backward(fn):
    rng = _rng(6)
    for shape in [(5, 6), (2, 3, 4)]:
        x = _with_zeros(rng, shape)
        dout = rng.normal(size=shape)
        _check_backward(fn, "relu_backward", lambda v: np.maximum(0, v), x, dout, x, kink_value=0.0, causes=[
            *public.relu_backward_causes(x, dout),
            (1.0 * (x > 0), "multiply the mask by the upstream gradient dout"),
            (dout * (x < 0), "the mask is inverted: the gradient flows where x > 0"),
        ])


def _leaky_ref(alpha):
    return lambda v: np.where(v > 0, v, alpha * v)


def check_leaky_relu_forward(fn):
    rng = _rng(7)
    x = _with_zeros(rng, (4, 6))
    for kwargs, alpha in [({}, 0.01), ({"alpha": 0.2}, 0.2), ({"alpha": 0.05}, 0.05)]:
        _check_forward(fn, "leaky_relu_forward", lambda v, alpha=0.01: _leaky_ref(alpha)(v), (x,), (x, alpha),
                       "(x, alpha)", kwargs=kwargs, causes=[
                           (lambda v, alpha=0.01: np.maximum(0, v), "negative inputs are scaled by alpha, not zeroed"),
                           (lambda v, alpha=0.01: np.where(v > 0, v, -alpha * v), "the negative part is alpha * x (negative)"),
                       ])


def check_leaky_relu_backward(fn):
    rng = _rng(8)
    for alpha, shape in [(0.01, (5, 4)), (0.3, (3, 2, 3))]:
        x = _with_zeros(rng, shape)
        dout = rng.normal(size=shape)
        _check_backward(fn, "leaky_relu_backward", _leaky_ref(alpha), x, dout, (x, alpha),
                        kink_value=alpha, causes=[
                            (dout * (x > 0), "the slope for x <= 0 is alpha, not 0"),
                            (dout * np.where(x >= 0, 1.0, alpha), "at x == 0 use the slope alpha (mask x > 0), "
                                                                  "like TensorFlow"),
                            (dout * np.where(x > 0, 1.0, 0.01), "use the alpha stored in the cache"),
                            (dout, "the negative side's slope is alpha, not 1"),
                        ])


def check_sigmoid_forward(fn):
    rng = _rng(9)
    x = rng.uniform(-10, 10, size=(4, 5))
    x[0, :3] = [-10.0, 0.0, 10.0]
    _check_forward(fn, "sigmoid_forward", _sigmoid, (x,), _sigmoid(x), "out", causes=[(lambda v: 1 / (1 + np.exp(v)), "sigma(x) = 1 / (1 + exp(-x)): mind the sign"),
                (lambda v: np.exp(-v) / (1 + np.exp(-v)), "that is 1 - sigma(x)")])


def check_sigmoid_backward(fn):
    rng = _rng(10)
    for shape in [(5, 4), (2, 3, 2)]:
        x = rng.uniform(-3, 3, size=shape)
        s = _sigmoid(x)
        dout = rng.normal(size=shape)
        _check_backward(fn, "sigmoid_backward", _sigmoid, x, dout, s, causes=[
            (dout * s, "the sigmoid's derivative is s * (1 - s), not s"),
            (dout * (1 - s), "the sigmoid's derivative is s * (1 - s), not (1 - s)"),
            (dout * _sigmoid(s) * (1 - _sigmoid(s)), "the cache holds the output s = sigmoid(x), not x: "
                                                     "use s * (1 - s) directly"),
            (s * (1 - s), "multiply the local gradient by the upstream gradient dout"),
        ])


def check_tanh_forward(fn):
    rng = _rng(11)
    x = rng.uniform(-5, 5, size=(3, 6))
    _check_forward(fn, "tanh_forward", np.tanh, (x,), np.tanh(x), "out", causes=[(lambda v: 2 * _sigmoid(v) - 1, "tanh(x) = 2 * sigmoid(2x) - 1, not 2 * sigmoid(x) - 1")])


def check_tanh_backward(fn):
    rng = _rng(12)
    for shape in [(4, 5), (3, 2, 2)]:
        x = rng.uniform(-2, 2, size=shape)
        t = np.tanh(x)
        dout = rng.normal(size=shape)
        _check_backward(fn, "tanh_backward", np.tanh, x, dout, t, causes=[
            (dout * (1 - t), "tanh's derivative is 1 - tanh(x)**2: the square is missing"),
            (dout * (1 - np.tanh(t) ** 2), "the cache holds the output t = tanh(x), not x: use 1 - t**2 directly"),
            (dout * t * (1 - t), "that is the sigmoid's derivative; tanh's is 1 - t**2"),
        ])


def _elu_ref(alpha):
    return lambda v: np.where(v > 0, v, alpha * np.expm1(np.minimum(v, 0)))


def check_elu_forward(fn):
    rng = _rng(13)
    x = rng.uniform(-4, 4, size=(4, 5))
    x[0, :2] = [0.0, 30.0]
    for kwargs, alpha in [({}, 1.0), ({"alpha": 0.5}, 0.5)]:
        _check_forward(fn, "elu_forward", lambda v, alpha=1.0: _elu_ref(alpha)(v), (x,), (x, alpha), "(x, alpha)",
                       kwargs=kwargs, causes=[
                           (lambda v, alpha=1.0: np.where(v > 0, v, alpha * np.exp(np.minimum(v, 0))),
                            "ELU's negative part is alpha * (exp(x) - 1): the - 1 is missing"),
                           (lambda v, alpha=1.0: np.where(v > 0, v, np.expm1(np.minimum(v, 0))),
                            "multiply the negative part by alpha"),
                       ])


def check_elu_backward(fn):
    rng = _rng(14)
    for alpha, shape in [(1.0, (5, 4)), (0.7, (2, 3, 3))]:
        x = rng.uniform(0.1, 3, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        dout = rng.normal(size=shape)
        e = np.exp(np.minimum(x, 0))
        _check_backward(fn, "elu_backward", _elu_ref(alpha), x, dout, (x, alpha), causes=[
            (dout * (x > 0), "for x < 0 the slope is alpha * exp(x), not 0"),
            (dout * np.where(x > 0, 1.0, e), "for x < 0 the slope is alpha * exp(x): multiply by alpha"),
            (dout * np.where(x > 0, 1.0, alpha * (e - 1)), "the slope for x < 0 is the derivative "
                                                           "alpha * exp(x), not the output alpha * (exp(x) - 1)"),
            (dout * np.where(x > 0, 1.0, alpha), "for x < 0 the slope is alpha * exp(x), not alpha"),
        ])


# ---------------------------------------------------------------- 3. two-layer network

def _two_layer_ref(params, X, y, reg):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = X @ W1 + b1
    a = np.maximum(0, h)
    scores = a @ W2 + b2
    n = X.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    data_loss = -logp[np.arange(n), y].mean()
    loss = data_loss + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    ds = np.exp(logp)
    ds[np.arange(n), y] -= 1
    ds /= n
    dW2 = a.T @ ds
    db2 = ds.sum(0)
    dh = (ds @ W2.T) * (h > 0)
    dW1 = X.T @ dh
    db1 = dh.sum(0)
    data_grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    grads = {"W1": dW1 + 2 * reg * W1, "b1": db1, "W2": dW2 + 2 * reg * W2, "b2": db2}
    return loss, grads, data_loss, data_grads


def _net_params(rng, d, h, c, scale=0.5):
    return {"W1": scale * rng.normal(size=(d, h)), "b1": 0.1 * rng.normal(size=h),
            "W2": scale * rng.normal(size=(h, c)), "b2": 0.1 * rng.normal(size=c)}


def check_two_layer_net_loss(fn):
    rng = _rng(15)
    for n, d, h, c, reg in [(6, 5, 8, 3, 0.3), (7, 6, 5, 4, 0.0), (9, 4, 6, 5, 0.05)]:
        params = _net_params(rng, d, h, c)
        X = rng.normal(size=(n, d))
        y = rng.integers(0, c, size=n)
        result, record = call(fn, params, X, y, reg, arg_names=["params", "X", "y", "reg"],
                              name="two_layer_net_loss")
        loss, grads = expect_tuple(result, "(loss, grads)", call=record)
        want_loss, want_grads, data_loss, data_grads = _two_layer_ref(params, X, y, reg)
        W = params["W1"], params["W2"]
        expect_close(loss, want_loss, what="loss", call=record, tol=VALUE_TOL, cause=diagnose(loss, [
            (data_loss, "the regularization term reg * (sum(W1 * W1) + sum(W2 * W2)) is missing"),
            (data_loss + 0.5 * reg * sum(np.sum(w * w) for w in W), "the regularization is reg * sum(W * W), "
                                                                    "without a factor 0.5"),
            (data_loss * n + reg * sum(np.sum(w * w) for w in W), "average the data loss over the N examples"),
            (want_loss + reg * (np.sum(params["b1"] ** 2) + np.sum(params["b2"] ** 2)),
             "biases are not regularized"),
        ], default="loss = mean cross-entropy of the softmax + reg * (sum(W1 * W1) + sum(W2 * W2))"))
        expect(isinstance(grads, dict) and set(grads) == {"W1", "b1", "W2", "b2"},
               f"{record} must return grads as a dict with keys W1, b1, W2, b2.", call=record,
               got=grads if not isinstance(grads, dict) else sorted(grads), expected="['W1', 'W2', 'b1', 'b2']")
        for key in ("W1", "b1", "W2", "b2"):
            expect_shape(grads[key], params[key].shape, what=f"grads[{key!r}]", call=record,
                         cause=f"grads[{key!r}] has the shape of params[{key!r}]")
            value = params[key]
            numeric = numerical_gradient_scalar(
                lambda v: _two_layer_ref({**params, key: v}, X, y, reg)[0], value)
            expect(rel_error(numeric, want_grads[key]) < 1e-7, "internal error: reference gradient check failed",
                   show_values=False)
            cause = None
            if key in ("W1", "W2"):
                cause = diagnose(grads[key], [
                    (2 * reg * value if reg else None,
                     f"grads[{key!r}] holds only the regularization gradient: {key} feeds both the network and "
                     "the regularization (a branching node), so their gradients add up (+=), the second must "
                     "not replace the first (=)"),
                    (data_grads[key], f"the regularization gradient 2 * reg * {key} is missing from grads[{key!r}]"),
                    (data_grads[key] + reg * value if reg else None,
                     f"the gradient of reg * sum({key} * {key}) is 2 * reg * {key}: the factor 2 is missing"),
                ])
            else:
                cause = diagnose(grads[key], [
                    (data_grads[key] + 2 * reg * value if reg else None, "biases are not regularized"),
                ])
            expect_close(grads[key], want_grads[key], what=f"grads[{key!r}]", call=record, tol=GRAD_TOL,
                         cause=cause or "backpropagate dscores = (softmax - one_hot(y)) / N through affine2, "
                                        "ReLU (mask h > 0) and affine1, then add 2 * reg * W")
    # large scores: the softmax must be stable
    params = _net_params(rng, 4, 5, 3, scale=40.0)
    X = 10 * rng.normal(size=(5, 4))
    y = rng.integers(0, 3, size=5)
    (loss, grads), record = call(fn, params, X, y, 0.0, arg_names=["params", "X", "y", "reg"],
                                 name="two_layer_net_loss")
    want_loss, want_grads, _, _ = _two_layer_ref(params, X, y, 0.0)
    expect_close(loss, want_loss, what="loss for large scores", call=record, tol=1e-8,
                 cause=public.CAUSE_UNSTABLE_SOFTMAX)
    expect_close(grads["W2"], want_grads["W2"], what="grads['W2'] for large scores", call=record, tol=1e-8,
                 cause=public.CAUSE_UNSTABLE_SOFTMAX)
    # near-zero weights: the loss is about ln(C)
    params = _net_params(rng, 8, 6, 10, scale=1e-4)
    X = rng.normal(size=(20, 8))
    y = rng.integers(0, 10, size=20)
    (loss, _), record = call(fn, params, X, y, 0.0, arg_names=["params", "X", "y", "reg"],
                             name="two_layer_net_loss")
    expect(abs(float(loss) - np.log(10)) < 0.05, f"{record} with near-zero weights must give a loss near "
           "ln(10) = 2.303 (all 10 classes equally likely).", call=record, got=loss, expected="about 2.303")


# ---------------------------------------------------------------- 5. initialization

_STD = {"small": lambda n: 0.01, "large": lambda n: 1.0, "xavier": lambda n: 1 / np.sqrt(n),
        "he": lambda n: np.sqrt(2 / n)}
_WRONG_STD = {
    "xavier": [(lambda fi, fo: 1 / np.sqrt(fo), "Xavier divides by sqrt(fan_in) (the inputs a unit sums over), "
                                                 "not fan_out"),
               (lambda fi, fo: 1 / fi, "Xavier's *variance* is 1 / fan_in, so its std is 1 / sqrt(fan_in): "
                                       "the square root is missing"),
               (lambda fi, fo: np.sqrt(2 / (fi + fo)), "this notebook's Xavier (the lecture's) uses "
                                                       "variance 1 / fan_in, not 2 / (fan_in + fan_out)")],
    "he": [(lambda fi, fo: 1 / np.sqrt(fi), "He initialization has variance 2 / fan_in (ReLU zeroes half "
                                            "the units), not 1 / fan_in"),
           (lambda fi, fo: 2 / fi, "He's *variance* is 2 / fan_in, so its std is sqrt(2 / fan_in): "
                                   "the square root is missing"),
           (lambda fi, fo: np.sqrt(2 / fo), "He uses fan_in, not fan_out"),
           (lambda fi, fo: 2 / np.sqrt(fi), "He's std is sqrt(2 / fan_in), not 2 / sqrt(fan_in)")],
    "small": [(lambda fi, fo: 0.1, "the small scheme has std 0.01")],
    "large": [],
}


def check_init_weights(fn):
    for scheme, fan_in, fan_out in [("small", 300, 700), ("large", 400, 500), ("xavier", 250, 800),
                                    ("xavier", 900, 300), ("he", 300, 700), ("he", 800, 250)]:
        state = np.random.get_state()[1].copy()
        rng = np.random.default_rng(31 + fan_in)
        W, record = call(fn, fan_in, fan_out, scheme, rng, arg_names=["fan_in", "fan_out", "scheme", "rng"], name="init_weights", check_mutation=False)
        expect_shape(W, (fan_in, fan_out), what="W", call=record, cause="W has shape (fan_in, fan_out)")
        W = np.asarray(W)
        expect(W.dtype == np.float64, f"{record} must return float64 weights.", call=record, got=str(W.dtype),
               expected="float64")
        std = _STD[scheme](fan_in)
        got_std = float(W.std())
        cause = None
        for wrong, text in _WRONG_STD[scheme]:
            if abs(got_std / wrong(fan_in, fan_out) - 1) < 0.02:
                cause = text
        expect(abs(got_std / std - 1) < 0.02, f"{record} returned weights with the wrong standard deviation.",
               call=record, got=got_std, expected=f"{std:.5g} (within 2%)",
               cause=cause or f"scheme {scheme!r} draws from a Gaussian with std {std:.5g} for fan_in = {fan_in}")
        expect(abs(float(W.mean())) < 5 * std / np.sqrt(W.size), f"{record} returned weights whose mean is not 0.",
               call=record, got=float(W.mean()), expected="about 0", cause="draw from a zero-mean Gaussian")
        tail = float(np.mean(np.abs(W) > 2 * std))
        expect(0.035 < tail < 0.056, f"{record} returned weights that are not Gaussian.", call=record,
               got=f"{tail:.1%} of the weights beyond 2 std", expected="about 4.6% (a Gaussian)",
               cause="draw with rng.standard_normal (or rng.normal), not rng.uniform or rng.random")
        expect(np.array_equal(state, np.random.get_state()[1]),
               f"{record} used numpy's global random state (np.random.randn, np.random.normal, ...).",
               show_values=False, cause="draw every number from the rng argument, e.g. rng.standard_normal(shape)")
        W2, _ = call(fn, fan_in, fan_out, scheme, np.random.default_rng(31 + fan_in), name="init_weights",
                     check_mutation=False)
        expect(np.array_equal(W, np.asarray(W2)), f"{record} returned different weights for two generators "
               "with the same seed.", show_values=False, cause="draw every number from the rng argument")
    try:
        fn(10, 10, "glorot_uniform_typo", np.random.default_rng(0))
    except ValueError:
        pass
    except Exception as e:  # noqa: BLE001
        raise CheckFailure(f"init_weights(10, 10, 'glorot_uniform_typo', rng) raised {type(e).__name__}: {e}\n"
                           "  expected a ValueError naming the unknown scheme") from None
    else:
        raise CheckFailure("init_weights(10, 10, 'glorot_uniform_typo', rng) returned weights for an unknown "
                           "scheme.\n  likely cause: end with `else: raise ValueError(...)` naming the scheme")


_ACT = {"tanh": np.tanh, "relu": lambda h: np.maximum(0, h), "sigmoid": _sigmoid}


def _stats_ref(X, weights, f):
    h, means, stds, pre_m, pre_s, unit_s = X, [], [], [], [], []
    for W in weights:
        z = h @ W
        h = f(z)
        means.append(h.mean())
        stds.append(h.std())
        pre_m.append(z.mean())
        pre_s.append(z.std())
        unit_s.append(h.std(axis=0).mean())
    return [np.array(v) for v in (means, stds, pre_m, pre_s, unit_s)]


def check_activation_statistics(fn):
    rng = _rng(16)
    cases = [("tanh", (60, 30), [30, 25, 20, 20], 1.0), ("relu", (50, 20), [20, 30, 30], 1.3),
             ("sigmoid", (40, 10), [10, 15], 1.0), ("tanh", (80, 40), [40] * 6, 0.5)]
    for act, xshape, sizes, gain in cases:
        X = rng.normal(size=xshape)
        dims = [xshape[1]] + sizes
        weights = [gain * rng.normal(size=(a, b)) / np.sqrt(a) for a, b in zip(dims[:-1], dims[1:])]
        result, record = call(fn, X, weights, act, arg_names=["X", "weights", "activation"],
                              name="activation_statistics")
        means, stds = expect_tuple(result, "(means, stds)", call=record)
        L = len(weights)
        ref = _stats_ref(X, weights, _ACT[act])
        in_first = [np.concatenate([[X.mean()], ref[0]]), np.concatenate([[X.std()], ref[1]])]
        for got, want, what in [(means, ref[0], "means"), (stds, ref[1], "stds")]:
            cause = None
            if np.shape(got) == (L + 1,):
                cause = "one entry per layer (len(weights)); do not include the input X"
            expect_shape(got, (L,), what=what, call=record, cause=cause or "one entry per layer (len(weights))")
            cause = diagnose(got, [
                (ref[2] if what == "means" else ref[3], "record the statistics *after* the nonlinearity "
                                                        "(the activations), not of h @ W"),
                (ref[4], "std over all N * H entries of a layer (h.std()), not per unit then averaged"),
                (in_first[0 if what == "means" else 1][:L], "record each layer's output, not its input "
                                                            "(the first entry belongs to layer 1)"),
                (_stats_ref(X, weights, np.tanh)[0 if what == "means" else 1],
                 f"apply the activation named by `activation` ({act!r}), not always tanh"),
            ], default=f"h = {act}(h @ W) for each W; record h.mean() and h.std()")
            expect_close(got, want, what=what, call=record, tol=1e-9, cause=cause)


# ---------------------------------------------------------------- 6. batch normalization

def _bn_ref(x, gamma, beta, mean, var, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _bn_cache(x, gamma, eps):
    mean, var = x.mean(0), x.var(0)
    std = np.sqrt(var + eps)
    return {"x": x, "x_hat": (x - mean) / std, "mean": mean, "var": var, "std": std, "gamma": gamma, "eps": eps}


def check_batchnorm_forward(fn):
    rng = _rng(17)
    for n, d, eps, momentum, given in [(6, 4, 1e-5, 0.9, False), (5, 3, 1e-3, 0.99, True), (8, 5, 0.1, 0.7, True)]:
        x = 3.0 + 2.0 * rng.normal(size=(n, d))
        gamma = rng.uniform(0.5, 2.0, size=d)
        beta = rng.normal(size=d)
        rm0 = rng.normal(size=d) if given else np.zeros(d)
        rv0 = rng.uniform(0.5, 2.0, size=d) if given else np.ones(d)
        bn_param = {"mode": "train"}
        if given:
            bn_param.update(eps=eps, momentum=momentum, running_mean=rm0.copy(), running_var=rv0.copy())
        result, record = public.call_batchnorm_forward(fn, x, gamma, beta, bn_param)
        out, cache = expect_tuple(result, "(out, cache)", call=record)
        mean, var, uvar = x.mean(0), x.var(0), x.var(0, ddof=1)
        want = _bn_ref(x, gamma, beta, mean, var, eps)
        expect_close(out, want, what="train-mode output", call=record, tol=1e-9, cause=diagnose(out, [
            (_bn_ref(x, gamma, beta, mean, uvar, eps), "normalize with the biased variance x.var(axis=0) "
                                                       "(divide by N), as Keras does, not the unbiased one"),
            (gamma * (x - mean) / (np.sqrt(var) + eps) + beta, "eps goes inside the square root: "
                                                               "(x - mean) / sqrt(var + eps)"),
            (_bn_ref(x, gamma, beta, rm0, rv0, eps), "train mode normalizes with the minibatch statistics, "
                                                     "not the running averages"),
            ((x - mean) / np.sqrt(var + eps), "scale by gamma and shift by beta after normalizing"),
            (_bn_ref(x, gamma, beta, x.mean(1, keepdims=True), x.var(1, keepdims=True), eps),
             "the statistics are over the batch (axis=0), one per feature"),
        ], default="out = gamma * (x - mean) / sqrt(var + eps) + beta with the minibatch mean and variance"))
        expect(isinstance(cache, dict), f"{record} must return a dict as the train-mode cache.", call=record,
               got=type(cache).__name__, expected="dict", cause="keep the given `cache = {...}` line")
        for key, value in _bn_cache(x, gamma, eps).items():
            expect(key in cache and matches(cache[key], value, 1e-9), f"{record} returned a cache whose "
                   f"{key!r} entry is wrong or missing.", call=record, got=cache.get(key), expected=value,
                   cause="keep the given `cache = {...}` line; std is sqrt(var + eps) of the minibatch")
        for key, batch, biased_value, start in [("running_mean", mean, mean, rm0), ("running_var", var, uvar, rv0)]:
            expect(key in bn_param, f"{record} did not store bn_param[{key!r}].", call=record,
                   got=sorted(bn_param), expected=f"a dict holding {key!r}",
                   cause=f"assign the updated average: bn_param[{key!r}] = ...")
            got = bn_param[key]
            expect_close(got, momentum * start + (1 - momentum) * batch, what=f"bn_param[{key!r}]",
                         call=record, tol=1e-9, cause=diagnose(got, [
                             ((1 - momentum) * start + momentum * batch,
                              "the momentum weighs the *old* average: running = momentum * running + "
                              "(1 - momentum) * batch (Keras' convention)"),
                             (momentum * start + (1 - momentum) * uvar if key == "running_var" else None,
                              "Keras updates the running variance with the biased variance (divide by N), "
                              "the same one it normalizes with"),
                             (start, "update the running averages in train mode"),
                             (batch, "blend the batch statistic into the running average with the momentum"),
                         ], default=f"running = momentum * running + (1 - momentum) * batch statistic, "
                                    f"starting from {'zeros' if key == 'running_mean' else 'ones'} when absent"))
        # test mode: running averages, bn_param unchanged
        x_test = rng.normal(size=(n + 1, d))
        test_param = {"mode": "test", "eps": eps, "running_mean": rm0.copy(), "running_var": rv0.copy()}
        result, record = public.call_batchnorm_forward(fn, x_test, gamma, beta, test_param)
        unchanged = (set(test_param) == {"mode", "eps", "running_mean", "running_var"}
                     and np.array_equal(test_param["running_mean"], rm0)
                     and np.array_equal(test_param["running_var"], rv0))
        expect(unchanged, f"{record} changed bn_param in test mode.", call=record,
               got={k: v for k, v in test_param.items() if k != "mode"},
               expected={"eps": eps, "running_mean": rm0, "running_var": rv0},
               cause="test mode only reads the running averages; update them in train mode only")
        out = result[0] if isinstance(result, (tuple, list)) else result
        want = _bn_ref(x_test, gamma, beta, rm0, rv0, eps)
        expect_close(out, want, what="test-mode output", call=record, tol=1e-9, cause=diagnose(out, [
            (_bn_ref(x_test, gamma, beta, x_test.mean(0), x_test.var(0), eps),
             "test mode normalizes with the running averages bn_param['running_mean'] and ['running_var'], "
             "not the batch statistics"),
        ], default="out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta"))


def check_batchnorm_backward(fn):
    rng = _rng(18)
    for n, d, eps in [(6, 4, 1e-5), (4, 3, 1e-3), (9, 2, 0.5)]:
        x = 1.5 + 2.0 * rng.normal(size=(n, d))
        gamma = rng.uniform(0.5, 2.0, size=d)
        beta = rng.normal(size=d)
        dout = rng.normal(size=(n, d))
        cache = _bn_cache(x, gamma, eps)

        def fwd(xv, gv, bv):
            return _bn_ref(xv, gv, bv, xv.mean(0), xv.var(0), eps)
        x_hat, std = cache["x_hat"], cache["std"]
        dxh = dout * gamma
        # dx sums to 0 over the batch, so some entries are tiny and finite differences are only good to
        # about 1e-9 there: compare dx with the closed form, itself checked against finite differences.
        want_dx = (dxh - dxh.mean(0) - x_hat * (dxh * x_hat).mean(0)) / std
        expect(rel_error(want_dx, numerical_gradient(lambda v: fwd(v, gamma, beta), x, dout)) < 1e-7,
               "internal error: reference batch-norm gradient check failed", show_values=False)
        public.check_batchnorm_backward_case(
            fn, dout, cache, want_dx, numerical_gradient(lambda v: fwd(x, v, beta), gamma, dout),
            numerical_gradient(lambda v: fwd(x, gamma, v), beta, dout), tol=GRAD_TOL,
            dbeta_causes=[(dout.mean(0), "dbeta is the *sum* of dout over the batch, not the mean")],
            dgamma_causes=[((dout * x).sum(0), "dgamma multiplies dout by the normalized x_hat, not by x"),
                           ((dout * x_hat).mean(0), "dgamma is a *sum* over the batch, not a mean")],
            dx_causes=[(dxh / std, public.CAUSE_BN_LOCAL_ONLY),
                       ((dxh - dxh.mean(0)) / std, public.CAUSE_BN_NO_VARIANCE_PATH),
                       ((dxh - x_hat * (dxh * x_hat).mean(0)) / std, public.CAUSE_BN_NO_MEAN_PATH),
                       (dout / std, "multiply by gamma: out = gamma * x_hat + beta")])


# ---------------------------------------------------------------- 3. the experiment: the trained network's accuracy

def two_layer_features(data):
    """The notebook's given preprocessing (section 3, "Data"), applied to a fresh copy of its split.

    Images flattened to rows scaled to [0, 1], centred with the training split's mean image and
    divided by the training split's standard deviation (over all its values): ``(X_test, y_test)``.
    """
    X_train = data.x_train.reshape(len(data.x_train), -1).astype(np.float64) / 255.0
    mean_image, scale = X_train.mean(axis=0), X_train.std()
    X_test = (data.x_test.reshape(len(data.x_test), -1).astype(np.float64) / 255.0 - mean_image) / scale
    return X_test, data.y_test


def accuracy_of_two_layer_net(params, X, y):
    """Test accuracy of the network affine - ReLU - affine with the weights in ``params``, from the weights."""
    shapes = {k: np.shape(params.get(k)) for k in ("W1", "b1", "W2", "b2")} if isinstance(params, dict) else None
    ok = shapes is not None and len(shapes["W1"]) == 2 and shapes["W1"][0] == X.shape[1] and \
        shapes["b1"] == shapes["W1"][1:] and len(shapes["W2"]) == 2 and shapes["W2"][0] == shapes["W1"][1] and \
        shapes["b2"] == shapes["W2"][1:]
    expect(ok, "net must be the trained parameter dict of the two-layer network: W1 (D, H), b1 (H,), W2 (H, C), "
           "b2 (C,).", got=shapes if shapes is not None else type(params).__name__,
           expected=f"W1 of shape ({X.shape[1]}, H) and matching b1, W2, b2")
    weights = {k: np.asarray(params[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2")}
    expect(all(np.all(np.isfinite(w)) for w in weights.values()),
           "net's weights contain NaN or inf: the training diverged (learning rate too large?).", show_values=False)
    hidden = np.maximum(0.0, X @ weights["W1"] + weights["b1"])
    return float(np.mean(np.argmax(hidden @ weights["W2"] + weights["b2"], axis=1) == y))


def grade_two_layer_accuracy(params, notebook=None):
    """Grade the experiment: the test accuracy of the student's trained network ``net``; returns it.

    Recomputed from the weights in ``params`` on the notebook's test split read again from disk
    (``course.notebook.current().reload_data()``, the notebook's preprocessing re-applied by
    :func:`two_layer_features`), never from ``predict``, ``X_test`` or a number the student holds.
    """
    nb = course.notebook.current() if notebook is None else notebook
    data = nb.reload_data()
    X_test, y_test = two_layer_features(data)
    accuracy = accuracy_of_two_layer_net(params, X_test, y_test)
    expect_accuracy(accuracy, public.TWO_LAYER_ACCURACY, kind=data.kind, fast=nb.fast,
                    cause=public.TWO_LAYER_ACCURACY_CAUSE)
    return accuracy
