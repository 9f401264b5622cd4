"""Backend-neutral helpers for the layer and model tests (no tests here).

Gradients need the backend's autodiff (``tf.GradientTape``, ``jax.grad`` or
``torch.autograd``); TensorFlow is imported only when it is the backend.
"""

import contextlib

import keras
import numpy as np
from keras import ops

BACKEND = keras.backend.backend()

# Keras converts its variables with np.array(x), which numpy 2 flags; not ours to fix.
KERAS_NUMPY_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x))


@contextlib.contextmanager
def float64_enabled():
    """Let the backend compute in float64 (JAX needs x64 switched on)."""
    if BACKEND == "jax":
        import jax

        with jax.enable_x64(True):
            yield
    else:
        yield


def autodiff_grad(f, x):
    """Gradient of the scalar ``f(x)`` at the numpy array ``x``, by the backend's autodiff."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = f(xt)
        return tape.gradient(y, xt).numpy()
    if BACKEND == "jax":
        import jax

        def wrapped(t):
            with keras.StatelessScope():  # BN's moving-average updates must not leak tracers
                return f(t)

        return np.asarray(jax.grad(wrapped)(jax.numpy.asarray(x)))
    if BACKEND == "torch":
        import torch

        xt = torch.tensor(x, requires_grad=True)
        f(xt).backward()
        return xt.grad.numpy()
    raise NotImplementedError(f"no gradient helper for backend {BACKEND!r}")


def numeric_grad(f, x, eps=1e-6, coords=None):
    """Central finite differences of the scalar ``f`` (numpy in, number out).

    ``coords``: flat indices to differentiate (default: all); the others stay 0.
    """
    grad = np.zeros_like(x)
    for flat in range(x.size) if coords is None else coords:
        i = np.unravel_index(flat, x.shape)
        old = x[i]
        x[i] = old + eps
        fp = float(to_np(f(x)))
        x[i] = old - eps
        fm = float(to_np(f(x)))
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad


def rel_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


# Under JAX, Keras' BatchNormalization computes in float32 even with float64
# weights and inputs (keras.backend.result_type("float64", "float32") is
# float32 there), so finite differences through BN need a larger step and a
# looser, norm-wise tolerance on that backend (float32 round-off swamps the
# element-wise relative error of near-zero gradient entries).
BN_IS_FLOAT64 = BACKEND != "jax"
BN_GRAD_OPTIONS = dict(eps=1e-6, tol=1e-5) if BN_IS_FLOAT64 else dict(eps=1e-3, tol=5e-3, normwise=True)


def check_input_gradient(make_layer, x, training=None, tol=1e-6, seed=0, max_coords=24, eps=1e-6, normwise=False):
    """Compare d/dx sum(layer(x) * w) by autodiff and by finite differences, in float64.

    ``make_layer()`` returns the layer (with ``dtype="float64"``); it is
    called once float64 is enabled, so its weights are float64 on every
    backend. At most ``max_coords`` input coordinates (chosen at random) are checked,
    which keeps convolutional layers fast. Keras is seeded with ``seed`` first: the layer's initial
    weights are the same on every run (an unseeded draw made the residual block's check fail on one CI run under
    JAX, whose batch norm computes in float32).
    """
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    coords = None if x.size <= max_coords else np.sort(rng.choice(x.size, max_coords, replace=False))
    with float64_enabled():
        layer = make_layer()
        out = to_np(layer(x, training=training) if training is not None else layer(x))
        w = rng.standard_normal(out.shape)

        def f(t):
            y = layer(t, training=training) if training is not None else layer(t)
            return ops.sum(y * ops.convert_to_tensor(w, dtype="float64"))

        analytic = autodiff_grad(f, x)
        numeric = numeric_grad(f, x.copy(), eps=eps, coords=coords)
    assert analytic.dtype == np.float64, analytic.dtype
    if coords is not None:
        analytic, numeric = analytic.reshape(-1)[coords], numeric.reshape(-1)[coords]
    if normwise:
        err = float(np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric)))
    else:
        err = rel_error(analytic, numeric)
    assert err < tol, f"gradient check failed: relative error {err:.2e} >= {tol:.0e}"
    return err


def save_load_predict(layer, x, tmp_path, name="model"):
    """Wrap ``layer`` in a model, save it to a .keras file, load it and compare predictions."""
    inputs = keras.Input(shape=x.shape[1:])
    model = keras.Model(inputs, layer(inputs))
    before = model.predict(x, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    after = loaded.predict(x, verbose=0)
    np.testing.assert_array_equal(before, after)
    return model, loaded


def np_conv2d(x, kernel, stride=1, padding="same", bias=None):
    """Reference 2-D convolution (cross-correlation), NHWC, TensorFlow's 'same' padding."""
    n, h, w, _ = x.shape
    kh, kw, _, cout = kernel.shape
    if padding == "same":
        oh, ow = -(-h // stride), -(-w // stride)
        ph = max((oh - 1) * stride + kh - h, 0)
        pw = max((ow - 1) * stride + kw - w, 0)
        x = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    else:
        oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, oh, ow, cout))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=3)
    if bias is not None:
        out = out + bias
    return out


def np_batchnorm(x, gamma, beta, mean, var, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
