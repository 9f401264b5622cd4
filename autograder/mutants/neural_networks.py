"""Plausible wrong implementations of notebook 02's graded functions.

Every mutant must be rejected by the hidden check of its function (and by
the public check when ``public=True``), with ``message`` in the failure.
"""

import numpy as np

from autograder.mutants import Mutant


def _sig(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# ---------------------------------------------------------------- graph and neuron

def _graph(fx=None, fy=None, fz=None, f=None):
    def impl(x, y, z):
        q = x + y
        return (f(x, y, z) if f else q * z), (
            fx(x, y, z) if fx else z, fy(x, y, z) if fy else z, fz(x, y, z) if fz else q)
    return impl


def _neuron(kind):
    def impl(w, x):
        w = np.asarray(w, dtype=float)
        x = np.asarray(x, dtype=float)
        dot = w[:-1] @ x + (0.0 if kind == "no_bias" else w[-1])
        s = _sig(dot)
        local = s if kind == "s_not_s1ms" else s * (1 - s)
        dw = local * np.append(x, 0.0 if kind == "bias_grad_zero" else 1.0)
        dx = local * (x if kind == "dx_uses_x" else w[:-1])
        if kind == "dw_uses_w":
            dw = local * w
        return float(s), dw, dx
    return impl


# ---------------------------------------------------------------- layers

def _affine_forward(kind):
    def impl(x, w, b):
        if kind == "no_reshape":
            out = x @ w + b
        elif kind == "no_bias":
            out = x.reshape(x.shape[0], -1) @ w
        else:
            out = x.reshape(x.shape[0], -1) @ w + b
        return out, (x, w, b)
    return impl


def _affine_backward(kind):
    def impl(dout, cache):
        x, w, b = cache
        x2 = x.reshape(x.shape[0], -1)
        dx = (dout @ w.T).reshape(x.shape)
        dw = x2.T @ dout
        db = dout.sum(axis=0)
        if kind == "db_not_summed":
            db = dout
        elif kind == "db_mean":
            db = dout.mean(axis=0)
        elif kind == "dw_transposed":
            dw = dout.T @ x2
        elif kind == "dx_not_reshaped":
            dx = dout @ w.T
        elif kind == "dw_averaged":
            dw = x2.T @ dout / x.shape[0]
        return dx, dw, db
    return impl


def _relu_forward_in_place(x):
    x[x < 0] = 0
    return x, x


def _relu_backward(kind):
    def impl(dout, cache):
        x = cache
        if kind == "ge":
            return dout * (x >= 0)
        if kind == "passes_negatives":
            return dout.copy()
        if kind == "no_dout":
            return 1.0 * (x > 0)
        if kind == "times_output":           # dout * relu(x): the output, not the mask of the input
            return dout * np.maximum(0, x)
        if kind == "in_place":
            dout[x <= 0] = 0
            return dout
        raise AssertionError(kind)
    return impl


def _leaky_backward(kind):
    def impl(dout, cache):
        x, alpha = cache
        if kind == "zero_slope":
            return dout * (x > 0)
        if kind == "ge":
            return dout * np.where(x >= 0, 1.0, alpha)
        if kind == "ignores_alpha":
            return dout * np.where(x > 0, 1.0, 0.01)
        raise AssertionError(kind)
    return impl


def _sigmoid_backward(kind):
    def impl(dout, cache):
        s = cache
        if kind == "s":
            return dout * s
        if kind == "cache_as_x":
            t = _sig(s)
            return dout * t * (1 - t)
        if kind == "no_dout":
            return s * (1 - s)
        raise AssertionError(kind)
    return impl


def _tanh_backward(kind):
    def impl(dout, cache):
        t = cache
        if kind == "no_square":
            return dout * (1 - t)
        if kind == "cache_as_x":
            return dout * (1 - np.tanh(t) ** 2)
        raise AssertionError(kind)
    return impl


def _elu_forward_no_minus_one(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0))), (x, alpha)


def _elu_forward_ignores_alpha(x, alpha=1.0):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0))), (x, alpha)


def _elu_backward(kind):
    def impl(dout, cache):
        x, alpha = cache
        e = np.exp(np.minimum(x, 0))
        if kind == "no_alpha":
            return dout * np.where(x > 0, 1.0, e)
        if kind == "output_not_derivative":
            return dout * np.where(x > 0, 1.0, alpha * (e - 1))
        if kind == "constant_alpha":
            return dout * np.where(x > 0, 1.0, alpha)
        raise AssertionError(kind)
    return impl


# ---------------------------------------------------------------- two-layer net

def _two_layer(kind):
    def impl(params, X, y, reg=0.0):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        h = X @ W1 + b1
        a = np.maximum(0, h)
        scores = a @ W2 + b2
        n = X.shape[0]
        if kind == "unstable_softmax":
            e = np.exp(scores)
            p = e / e.sum(axis=1, keepdims=True)
        else:
            shifted = scores - scores.max(axis=1, keepdims=True)
            p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        data = -np.log(p[np.arange(n), y]).mean()
        loss = data + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        if kind == "loss_not_averaged":
            loss = data * n + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        if kind == "half_reg_loss":
            loss = data + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        ds = p.copy()
        ds[np.arange(n), y] -= 1
        ds /= n
        dW2 = a.T @ ds
        db2 = ds.sum(0)
        da = ds @ W2.T
        dh = da if kind == "no_relu_mask" else da * (h > 0)
        dW1 = X.T @ dh
        db1 = dh.sum(0)
        if kind == "assign_not_accumulate":   # the branching node W: = instead of +=
            dW1 = 2 * reg * W1
            dW2 = 2 * reg * W2
        elif kind == "reg_grad_no_factor_2":
            dW1 = dW1 + reg * W1
            dW2 = dW2 + reg * W2
        elif kind == "no_reg_grad":
            pass
        else:
            dW1 = dW1 + 2 * reg * W1
            dW2 = dW2 + 2 * reg * W2
        if kind == "reg_biases":
            loss = loss + reg * (np.sum(b1 * b1) + np.sum(b2 * b2))
            db1 = db1 + 2 * reg * b1
            db2 = db2 + 2 * reg * b2
        return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    return impl


# ---------------------------------------------------------------- initialization

def _init(std_of, draw="normal", use_global=False, validate=True):
    def impl(fan_in, fan_out, scheme, rng):
        if scheme not in ("small", "large", "xavier", "he"):
            if validate:
                raise ValueError(f"unknown scheme {scheme!r}")
            scheme = "xavier"
        std = std_of(scheme, fan_in, fan_out)
        if use_global:
            return std * np.random.randn(fan_in, fan_out)
        if draw == "uniform":
            return std * np.sqrt(3) * rng.uniform(-1, 1, size=(fan_in, fan_out))
        return std * rng.standard_normal((fan_in, fan_out))
    return impl


def _std(overrides):
    base = {"small": lambda i, o: 0.01, "large": lambda i, o: 1.0,
            "xavier": lambda i, o: 1 / np.sqrt(i), "he": lambda i, o: np.sqrt(2 / i)}
    base.update(overrides)
    return lambda scheme, i, o: base[scheme](i, o)


def _stats(kind):
    def impl(X, weights, activation):
        f = {"tanh": np.tanh, "relu": lambda v: np.maximum(0, v), "sigmoid": _sig}[activation]
        if kind == "always_tanh":
            f = np.tanh
        h = X
        means, stds = ([X.mean()], [X.std()]) if kind in ("includes_input", "off_by_one") else ([], [])
        for W in weights:
            z = h @ W
            h = f(z)
            rec = z if kind == "pre_activation" else h
            means.append(rec.mean())
            stds.append(rec.std(axis=0).mean() if kind == "per_unit_std" else rec.std())
        if kind == "off_by_one":
            means, stds = means[:-1], stds[:-1]
        return np.array(means), np.array(stds)
    return impl


# ---------------------------------------------------------------- batch normalization

def _bn_forward(kind):
    def impl(x, gamma, beta, bn_param):
        mode = bn_param["mode"]
        eps = bn_param.get("eps", 1e-5)
        momentum = bn_param.get("momentum", 0.9)
        d = x.shape[1]
        rm = bn_param.get("running_mean", np.zeros(d))
        rv = bn_param.get("running_var", np.ones(d))
        mean, var = x.mean(0), x.var(0)
        if kind == "unbiased_normalization":
            var = x.var(0, ddof=1)
        if mode == "test" and kind not in ("batch_stats_in_test", "updates_in_test"):
            return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
        std = np.sqrt(var + eps)
        x_hat = (x - mean) / std
        out = gamma * x_hat + beta
        if kind == "eps_outside_sqrt":
            out = gamma * (x - mean) / (np.sqrt(var) + eps) + beta
        if kind == "no_scale_shift":
            out = x_hat
        if mode == "test" and kind == "batch_stats_in_test":
            return out, None
        run_var = x.var(0, ddof=1) if kind == "unbiased_running_var" else var
        if kind == "momentum_swapped":
            bn_param["running_mean"] = (1 - momentum) * rm + momentum * mean
            bn_param["running_var"] = (1 - momentum) * rv + momentum * run_var
        elif kind == "no_running_update":
            bn_param.setdefault("running_mean", rm)
            bn_param.setdefault("running_var", rv)
        else:
            bn_param["running_mean"] = momentum * rm + (1 - momentum) * mean
            bn_param["running_var"] = momentum * rv + (1 - momentum) * run_var
        if mode == "test" and kind == "updates_in_test":
            out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
        cache = {"x": x, "x_hat": x_hat, "mean": mean, "var": var, "std": std, "gamma": gamma, "eps": eps}
        return out, cache
    return impl


def _bn_backward(kind):
    def impl(dout, cache):
        x_hat, gamma, std = cache["x_hat"], cache["gamma"], cache["std"]
        dbeta = dout.sum(0)
        dgamma = (dout * x_hat).sum(0)
        dxh = dout * gamma
        dx = (dxh - dxh.mean(0) - x_hat * (dxh * x_hat).mean(0)) / std
        if kind == "dgamma_not_summed":
            dgamma = dout * x_hat
        elif kind == "dbeta_not_summed":
            dbeta = dout
        elif kind == "local_only":
            dx = dxh / std
        elif kind == "no_variance_path":
            dx = (dxh - dxh.mean(0)) / std
        elif kind == "no_mean_path":
            dx = (dxh - x_hat * (dxh * x_hat).mean(0)) / std
        elif kind == "dgamma_uses_x":
            dgamma = (dout * cache["x"]).sum(0)
        elif kind == "in_place":
            dout *= gamma
            dx = (dout - dout.mean(0) - x_hat * (dout * x_hat).mean(0)) / std
        return dx, dgamma, dbeta
    return impl


M = Mutant
MUTANTS = [
    # 1. computational graph
    M("graph_forward_backward", "dfdz_is_x", "df/dz = x instead of x + y", _graph(fz=lambda x, y, z: x),
      "the *whole* other input q = x + y", public=True),
    M("graph_forward_backward", "dfdx_times_q", "the add gate multiplies by q", _graph(fx=lambda x, y, z: z * (x + y)),
      "passes the upstream gradient dfdq = z unchanged"),
    M("graph_forward_backward", "add_gate_one", "add gate's local gradient 1 not chained",
      _graph(fx=lambda x, y, z: 1.0, fy=lambda x, y, z: 1.0), "chain it with the upstream gradient", public=True),
    M("graph_forward_backward", "precedence", "f = x + y * z", _graph(f=lambda x, y, z: x + y * z),
      "operator precedence"),
    M("graph_forward_backward", "order_swapped", "returns (dfdz, dfdy, dfdx)",
      _graph(fx=lambda x, y, z: x + y, fz=lambda x, y, z: z), "in the order (dfdx, dfdy, dfdz)"),
    M("sigmoid_neuron_forward_backward", "s_not_s1ms", "sigmoid's local gradient s instead of s(1 - s)",
      _neuron("s_not_s1ms"), "s * (1 - s), not s", public=True),
    M("sigmoid_neuron_forward_backward", "bias_grad_zero", "bias gradient 0", _neuron("bias_grad_zero"),
      "the bias is multiplied by 1"),
    M("sigmoid_neuron_forward_backward", "no_bias", "forgets the bias in the forward pass", _neuron("no_bias"),
      "the bias w[-1] is added", public=True),
    M("sigmoid_neuron_forward_backward", "dx_uses_x", "dx multiplies by x instead of w", _neuron("dx_uses_x"),
      "times the *weight* w[i]"),
    M("sigmoid_neuron_forward_backward", "dw_uses_w", "dw multiplies by w instead of x", _neuron("dw_uses_w"),
      "times the *input* x[i]"),
    # 2. layers
    M("affine_forward", "no_bias", "forgets + b", _affine_forward("no_bias"), "the bias b is not added", public=True),
    M("affine_forward", "no_reshape", "does not flatten x", _affine_forward("no_reshape"), "flatten each example",
      public=True),
    M("affine_backward", "db_not_summed", "db = dout", _affine_backward("db_not_summed"),
      "db is not summed over the batch", public=True),
    M("affine_backward", "db_mean", "db = dout.mean(axis=0)", _affine_backward("db_mean"), "not the mean"),
    M("affine_backward", "dw_transposed", "dw = dout.T @ x", _affine_backward("dw_transposed"),
      "dw is transposed", public=True),
    M("affine_backward", "dx_not_reshaped", "dx left (N, D) for image inputs", _affine_backward("dx_not_reshaped"),
      "reshape dout @ w.T back to x.shape", public=True),
    M("affine_backward", "dw_averaged", "dw divided by N", _affine_backward("dw_averaged"), "do not average dw"),
    M("relu_forward", "in_place", "x[x < 0] = 0 on the input", _relu_forward_in_place,
      "modified its input `x` in place", public=True),
    M("relu_forward", "abs", "np.abs(x)", lambda x: (np.abs(x), x), "not their absolute value"),
    M("relu_backward", "ge_at_zero", "mask x >= 0: gradient 1 at x == 0, where forward outputs a constant",
      _relu_backward("ge"), "use the mask x > 0, not x >= 0", public=True),
    M("relu_backward", "passes_negatives", "dx = dout everywhere", _relu_backward("passes_negatives"),
      "passed through where x < 0", public=True),
    M("relu_backward", "no_dout", "returns the mask, not dout * mask", _relu_backward("no_dout"),
      "multiply the mask by the upstream gradient"),
    M("relu_backward", "in_place", "dout[x <= 0] = 0 on the input dout", _relu_backward("in_place"),
      "modified its input `dout` in place", public=True),
    M("relu_backward", "times_output", "dx = dout * max(0, x): multiplied by the ReLU's output, not masked",
      _relu_backward("times_output"), "the ReLU's output max(0, x)", public=True),
    M("leaky_relu_forward", "plain_relu", "forgets the leak", lambda x, alpha=0.01: (np.maximum(0, x), (x, alpha)),
      "scaled by alpha, not zeroed", public=True),
    M("leaky_relu_forward", "ignores_alpha", "hard-codes alpha = 0.01",
      lambda x, alpha=0.01: (np.where(x > 0, x, 0.01 * x), (x, alpha)), "wrong output"),
    M("leaky_relu_backward", "zero_slope", "slope 0 for x < 0", _leaky_backward("zero_slope"),
      "the slope for x <= 0 is alpha, not 0", public=True),
    M("leaky_relu_backward", "ge_at_zero", "slope 1 at x == 0", _leaky_backward("ge"), "at x == 0 use the slope alpha"),
    M("leaky_relu_backward", "ignores_alpha", "hard-codes alpha = 0.01", _leaky_backward("ignores_alpha"),
      "use the alpha stored in the cache"),
    M("sigmoid_forward", "sign", "1 / (1 + exp(x))", lambda x: (1 / (1 + np.exp(x)), 1 / (1 + np.exp(x))),
      "mind the sign", public=True),
    M("sigmoid_backward", "s_not_s1ms", "derivative s instead of s(1 - s)", _sigmoid_backward("s"),
      "s * (1 - s), not s", public=True),
    M("sigmoid_backward", "cache_as_x", "applies sigmoid to the cached output again", _sigmoid_backward("cache_as_x"),
      "the cache holds the output"),
    M("sigmoid_backward", "no_dout", "forgets dout", _sigmoid_backward("no_dout"),
      "multiply the local gradient by the upstream gradient"),
    M("tanh_forward", "sigmoid_scaled", "2 * sigmoid(x) - 1", lambda x: (2 * _sig(x) - 1, 2 * _sig(x) - 1),
      "tanh(x) = 2 * sigmoid(2x) - 1"),
    M("tanh_backward", "no_square", "1 - t instead of 1 - t**2", _tanh_backward("no_square"),
      "the square is missing", public=True),
    M("tanh_backward", "cache_as_x", "1 - tanh(t)**2 with t the cached output", _tanh_backward("cache_as_x"),
      "the cache holds the output"),
    M("elu_forward", "no_minus_one", "alpha * exp(x) for x < 0", _elu_forward_no_minus_one, "the - 1 is missing",
      public=True),
    M("elu_forward", "ignores_alpha", "exp(x) - 1 without alpha", _elu_forward_ignores_alpha, "multiply the negative "
      "part by alpha"),
    M("elu_backward", "no_alpha", "slope exp(x) without alpha", _elu_backward("no_alpha"), "multiply by alpha"),
    M("elu_backward", "output_not_derivative", "uses the output as the slope", _elu_backward("output_not_derivative"),
      "not the output", public=True),
    M("elu_backward", "constant_alpha", "slope alpha for x < 0", _elu_backward("constant_alpha"), "not alpha"),
    # 3. two-layer net
    M("two_layer_net_loss", "assign_not_accumulate", "dW = 2 * reg * W replaces the data gradient (= instead of +=)",
      _two_layer("assign_not_accumulate"), "branching node", public=True),
    M("two_layer_net_loss", "no_reg_grad", "regularization gradient missing", _two_layer("no_reg_grad"),
      "regularization gradient 2 * reg"),
    M("two_layer_net_loss", "reg_grad_no_factor_2", "gradient reg * W", _two_layer("reg_grad_no_factor_2"),
      "the factor 2 is missing", public=True),
    M("two_layer_net_loss", "half_reg_loss", "0.5 * reg in the loss", _two_layer("half_reg_loss"),
      "without a factor 0.5"),
    M("two_layer_net_loss", "loss_not_averaged", "summed data loss", _two_layer("loss_not_averaged"),
      "average the data loss"),
    M("two_layer_net_loss", "no_relu_mask", "backward ignores the ReLU", _two_layer("no_relu_mask"),
      "ReLU (mask h > 0)", public=True),
    M("two_layer_net_loss", "reg_biases", "regularizes the biases", _two_layer("reg_biases"),
      "biases are not regularized"),
    M("two_layer_net_loss", "unstable_softmax", "exp of raw scores", _two_layer("unstable_softmax"),
      "subtract each row's maximum score", public=True),
    # 5. initialization
    M("init_weights", "xavier_fan_out", "Xavier with 1 / fan_out", _init(_std({"xavier": lambda i, o: 1 / np.sqrt(o)})),
      "not fan_out", public=True),
    M("init_weights", "xavier_no_sqrt", "Xavier std 1 / fan_in", _init(_std({"xavier": lambda i, o: 1 / i})),
      "the square root is missing", public=True),
    M("init_weights", "xavier_glorot_avg", "Glorot's 2 / (fan_in + fan_out)",
      _init(_std({"xavier": lambda i, o: np.sqrt(2 / (i + o))})), "not 2 / (fan_in + fan_out)"),
    M("init_weights", "he_variance_1_over_n", "He with variance 1 / n", _init(_std({"he": lambda i, o: 1 / np.sqrt(i)})),
      "not 1 / fan_in", public=True),
    M("init_weights", "he_no_sqrt", "He std 2 / n", _init(_std({"he": lambda i, o: 2 / i})),
      "the square root is missing"),
    M("init_weights", "he_2_over_sqrt", "He std 2 / sqrt(n)", _init(_std({"he": lambda i, o: 2 / np.sqrt(i)})),
      "not 2 / sqrt(fan_in)"),
    M("init_weights", "small_0_1", "small scheme std 0.1", _init(_std({"small": lambda i, o: 0.1})), "std 0.01"),
    M("init_weights", "uniform", "uniform with the right std", _init(_std({}), draw="uniform"), "not Gaussian"),
    M("init_weights", "global_rng", "np.random.randn ignores rng", _init(_std({}), use_global=True),
      "global random state", public=True),
    M("init_weights", "no_validation", "unknown scheme silently gives Xavier", _init(_std({}), validate=False),
      "unknown scheme"),
    M("activation_statistics", "pre_activation", "statistics of h @ W", _stats("pre_activation"),
      "*after* the nonlinearity", public=True),
    M("activation_statistics", "per_unit_std", "std per unit, averaged", _stats("per_unit_std"),
      "not per unit then averaged"),
    M("activation_statistics", "includes_input", "the input's statistics first", _stats("includes_input"),
      "do not include the input X", public=True),
    M("activation_statistics", "off_by_one", "each layer's input statistics", _stats("off_by_one"),
      "not its input"),
    M("activation_statistics", "always_tanh", "ignores `activation`", _stats("always_tanh"), "not always tanh"),
    # 6. batch normalization
    M("batchnorm_forward", "unbiased_normalization", "normalizes with the unbiased (N - 1) variance",
      _bn_forward("unbiased_normalization"), "biased variance", public=True),
    M("batchnorm_forward", "unbiased_running_var", "running variance from the unbiased variance (not Keras')",
      _bn_forward("unbiased_running_var"), "Keras updates the running variance with the biased", public=True),
    M("batchnorm_forward", "updates_in_test", "updates the running averages in test mode", _bn_forward("updates_in_test"),
      "changed bn_param in test mode", public=True),
    M("batchnorm_forward", "batch_stats_in_test", "test mode uses the batch statistics",
      _bn_forward("batch_stats_in_test"), "not the batch statistics", public=True),
    M("batchnorm_forward", "momentum_swapped", "running = (1 - m) * running + m * batch", _bn_forward("momentum_swapped"),
      "the momentum weighs the *old* average", public=True),
    M("batchnorm_forward", "no_running_update", "never updates the running averages", _bn_forward("no_running_update"),
      "update the running averages in train mode"),
    M("batchnorm_forward", "eps_outside_sqrt", "(x - mean) / (sqrt(var) + eps)", _bn_forward("eps_outside_sqrt"),
      "eps goes inside the square root"),
    M("batchnorm_forward", "no_scale_shift", "forgets gamma and beta", _bn_forward("no_scale_shift"),
      "scale by gamma and shift by beta"),
    M("batchnorm_backward", "dgamma_not_summed", "dgamma = dout * x_hat", _bn_backward("dgamma_not_summed"),
      "dgamma is not summed over the batch", public=True),
    M("batchnorm_backward", "dbeta_not_summed", "dbeta = dout", _bn_backward("dbeta_not_summed"),
      "dbeta is not summed over the batch"),
    M("batchnorm_backward", "local_only", "dx = dout * gamma / std", _bn_backward("local_only"),
      "misses the paths through the batch mean and variance", public=True),
    M("batchnorm_backward", "no_variance_path", "ignores the variance's dependence on x",
      _bn_backward("no_variance_path"), "misses the path through the batch variance", public=True),
    M("batchnorm_backward", "no_mean_path", "ignores the mean's dependence on x (dx's columns no longer sum to 0)",
      _bn_backward("no_mean_path"), "misses the path through the batch mean", public=True),
    M("batchnorm_backward", "dgamma_uses_x", "dgamma = sum(dout * x)", _bn_backward("dgamma_uses_x"),
      "not by x"),
    M("batchnorm_backward", "in_place", "dout *= gamma on the input", _bn_backward("in_place"),
      "modified its input `dout` in place", public=True),
]
