"""Notebook 04's checks: their oracles are right, they accept correct answers written differently,
and they grade the trained CNN from a fresh copy of the test images.

tests/test_mutants.py shows that the checks reject wrong answers; these tests
show that the hidden references agree with Keras and with numerical
gradients, that correct implementations in another style (loops over
filters, sliding windows, a loop over the filter's offsets, Keras layers
other than the solution's, course.layers.ResidualBlock) pass both the public
and the hidden check, and that the numpy checks never import TensorFlow.
"""

import doctest
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograder import solutions
from autograder.checks import convolutional_networks as hidden
from conftest import REPO_ROOT
from course.check import convolutional_networks as public
from course.check.core import Threshold, rel_error


@pytest.fixture(scope="module")
def reference():
    return solutions.load("convolutional_networks")


def _numerical(f, x, dout, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        pos = f(x)
        x[ix] = old - h
        neg = f(x)
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * dout) / (2 * h)
    return grad


# ---------------------------------------------------------------- the solutions' docstrings

GRADED = ("conv_output_size", "conv_param_count", "receptive_field", "conv_forward_naive", "conv_backward_naive",
          "max_pool_forward_naive", "max_pool_backward_naive", "im2col", "conv_forward_im2col", "vgg_block",
          "basic_block", "train_cnn")


@pytest.mark.slow
def test_every_solution_docstring_has_a_running_example(reference, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)            # train_cnn's example draws its curves into a file here
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for name in GRADED:
        doc = reference[name].__doc__
        assert "Inputs:" in doc and "Returns:" in doc and ">>>" in doc, name
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        for test in doctest.DocTestFinder().find(reference[name], name, globs=dict(reference)):
            runner.run(test)
        assert runner.failures == 0, name


# ---------------------------------------------------------------- the oracles


@pytest.mark.parametrize("case", hidden.CONV_CASES[:4])
def test_reference_convolution_matches_keras_and_numerical_gradients(case):
    x_shape, w_shape, stride, pad = case
    x, w, b = hidden._conv_problem(x_shape, w_shape, 1)
    out, (dx, dw, db) = hidden.keras_conv2d(x, w, b, stride, pad, dout=np.ones(1))  # dout broadcast: sum(out)
    assert rel_error(hidden.conv_reference(x, w, b, stride, pad), out) < 1e-12
    assert rel_error(hidden.conv_loops_reference(x, w, b, stride, pad), out) < 1e-12
    assert rel_error(hidden.conv_im2col_reference(x, w, b, stride, pad), out) < 1e-12
    dout = np.random.default_rng(2).standard_normal(out.shape)
    ours = hidden.conv_backward_reference(dout, x, w, stride, pad)
    _, theirs = hidden.keras_conv2d(x, w, b, stride, pad, dout=dout)
    numeric = _numerical(lambda v: hidden.conv_reference(x, v, b, stride, pad), w, dout)
    for a, k in zip(ours, theirs):
        assert rel_error(a, k) < 1e-10
    assert rel_error(ours[1], numeric) < 1e-7


def test_reference_pooling_matches_keras_and_routes_ties_to_the_first_maximum():
    rng = np.random.default_rng(3)
    for shape, ph, pw, stride in hidden.POOL_CASES:
        x = rng.standard_normal(shape)
        out = hidden.pool_reference(x, ph, pw, stride)
        dout = rng.standard_normal(out.shape)
        keras_out, keras_dx = hidden.keras_max_pool(x, ph, pw, stride, dout=dout)
        assert np.array_equal(out, keras_out)
        assert rel_error(hidden.pool_backward_reference(dout, x, ph, pw, stride), keras_dx) < 1e-12
        if stride >= max(ph, pw):   # no overlap: `=` and `+=` agree
            assert np.array_equal(hidden._assign_order_reference(dout, x, ph, pw, stride), keras_dx)
    x = np.zeros((1, 3, 3, 1))               # every window tied: each sends its gradient to its top-left input
    dx = hidden.pool_backward_reference(np.ones((1, 2, 2, 1)), x, 2, 2, 1)
    assert dx[0, :, :, 0].tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    keras_dx = hidden.keras_max_pool(x, 2, 2, 1, dout=np.ones((1, 2, 2, 1)))[1]
    assert np.array_equal(keras_dx, dx)


def test_public_literals_are_the_reference_solutions_results(reference):
    out, _ = reference["conv_forward_naive"](public.CONV_X, public.CONV_W, public.CONV_B, {"stride": 2, "pad": 1})
    assert np.array_equal(out, public.CONV_OUT)
    assert np.array_equal(hidden.keras_conv2d(public.CONV_X, public.CONV_W, public.CONV_B, 2, 1), public.CONV_OUT)
    _, grads = hidden.keras_conv2d(public.CONV_X, public.CONV_W, public.CONV_B, 2, 1, dout=public.CONV_DOUT)
    for got, want in zip(grads, (public.CONV_DX, public.CONV_DW, public.CONV_DB)):
        assert np.array_equal(got, want)
    assert np.array_equal(hidden.pool_reference(public.POOL_X, 3, 3, 1), public.POOL_OUT)
    assert np.array_equal(hidden.pool_backward_reference(public.POOL_DOUT, public.POOL_X, 3, 3, 1), public.POOL_DX)
    assert np.array_equal(hidden.pool_backward_reference(public.POOL_DOUT, public.POOL_X, 3, 3, 1, "ties"),
                          public.POOL_DX_TIES)
    assert np.array_equal(hidden.pool_backward_reference(public.POOL2_DOUT, public.POOL2_X, 2, 3, 2), public.POOL2_DX)


# ---------------------------------------------------------------- correct answers in other styles


def output_size_other_message(n, f, stride=1, pad=0):
    if (n + 2 * pad - f) % stride or n + 2 * pad < f:
        raise ValueError(f"cannot place a {f}-wide filter every {stride} pixels on {n} + 2*{pad} pixels")
    return (n + 2 * pad - f) // stride + 1


def receptive_field_backwards(layers):
    # from the top down: r_{l-1} = (r_l - 1) * s_l + k_l
    r = 1
    for kernel, stride in reversed(list(layers)):
        r = (r - 1) * stride + kernel
    return r


def conv_forward_per_filter(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    H_out = output_size_other_message(H, HH, stride, pad)
    W_out = output_size_other_message(W, WW, stride, pad)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.empty((N, H_out, W_out, F))
    for f in range(F):
        for i in range(H_out):
            for j in range(W_out):
                out[:, i, j, f] = np.sum(xp[:, i * stride:i * stride + HH, j * stride:j * stride + WW, :] * w[..., f],
                                         axis=(1, 2, 3)) + b[f]
    return out, (x, w, b, conv_param)


def conv_forward_sliding(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    output_size_other_message(x.shape[1], w.shape[0], stride, pad)
    output_size_other_message(x.shape[2], w.shape[1], stride, pad)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    v = np.lib.stride_tricks.sliding_window_view(xp, w.shape[:2], axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("nijcab,abcf->nijf", v, w, optimize=True) + b, (x, w, b, conv_param)


def conv_forward_offsets(x, w, b, conv_param):
    # a loop over the filter's offsets (not over the output positions) is allowed
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    H_out = output_size_other_message(H, HH, stride, pad)
    W_out = output_size_other_message(W, WW, stride, pad)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros((N, H_out, W_out, F)) + b
    for di in range(HH):
        for dj in range(WW):
            out += xp[:, di:di + stride * (H_out - 1) + 1:stride, dj:dj + stride * (W_out - 1) + 1:stride] @ w[di, dj]
    return out, (x, w, b, conv_param)


def conv_backward_col2im(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    H_out, W_out = dout.shape[1:3]
    for i in range(H_out):
        for j in range(W_out):
            window = xp[:, i * stride:i * stride + HH, j * stride:j * stride + WW, :]
            dw += np.einsum("nabc,nf->abcf", window, dout[:, i, j, :])
            dxp[:, i * stride:i * stride + HH, j * stride:j * stride + WW, :] += np.einsum(
                "abcf,nf->nabc", w, dout[:, i, j, :])
    return dxp[:, pad:pad + H, pad:pad + W, :], dw, dout.reshape(-1, F).sum(axis=0)


def pool_forward_vectorized(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    output_size_other_message(x.shape[1], ph, s)
    output_size_other_message(x.shape[2], pw, s)
    v = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(1, 2))[:, ::s, ::s]
    return v.max(axis=(-2, -1)), (x, pool_param)


def pool_backward_masks(dout, cache):
    # per window: a one-hot mask of the first maximum, via argmax of the flattened window
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    N, H_out, W_out, C = dout.shape
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, i * s:i * s + ph, j * s:j * s + pw, :].reshape(N, ph * pw, C)
            mask = np.zeros_like(window)
            np.put_along_axis(mask, np.argmax(window, axis=1)[:, None, :], 1.0, axis=1)
            dx[:, i * s:i * s + ph, j * s:j * s + pw, :] += (mask * dout[:, i:i + 1, j, :]).reshape(N, ph, pw, C)
    return dx


def vgg_block_separate_relus(filters, num_convs):
    import keras

    layers = []
    for _ in range(num_convs):
        layers += [keras.layers.Conv2D(filters, (3, 3), padding="same"), keras.layers.Activation("relu")]
    return keras.Sequential(layers + [keras.layers.MaxPool2D()])


def basic_block_with_biases(x, filters, stride=1):
    import keras

    y = keras.layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
    y = keras.layers.Activation("relu")(keras.layers.BatchNormalization(epsilon=1e-5)(y))
    y = keras.layers.BatchNormalization(epsilon=1e-5)(keras.layers.Conv2D(filters, 3, padding="same")(y))
    shortcut = x
    if stride > 1 or x.shape[-1] != filters:
        shortcut = keras.layers.BatchNormalization(epsilon=1e-5)(
            keras.layers.Conv2D(filters, 1, strides=stride, padding="same")(x))
    return keras.layers.ReLU()(y + shortcut)


def basic_block_from_course_layers(x, filters, stride=1):
    from course.layers import ResidualBlock

    return ResidualBlock(filters, stride=stride)(x)


ACCEPTED = [
    ("conv_output_size", output_size_other_message),
    ("receptive_field", receptive_field_backwards),
    ("conv_forward_naive", conv_forward_per_filter),
    ("conv_forward_naive", conv_forward_sliding),
    ("conv_backward_naive", conv_backward_col2im),
    ("max_pool_forward_naive", pool_forward_vectorized),
    ("max_pool_backward_naive", pool_backward_masks),
    ("conv_forward_im2col", conv_forward_sliding),
    ("conv_forward_im2col", conv_forward_offsets),
    ("vgg_block", vgg_block_separate_relus),
    ("basic_block", basic_block_with_biases),
    ("basic_block", basic_block_from_course_layers),
]


@pytest.mark.parametrize("function,impl", ACCEPTED, ids=[f"{f}-{i.__name__}" for f, i in ACCEPTED])
def test_correct_alternative_passes_both_checks(function, impl):
    getattr(public, f"check_{function}")(impl)
    getattr(hidden, f"check_{function}")(impl)


def test_failure_messages_name_the_call_and_the_cause():
    def conv_flipped(x, w, b, conv_param):
        return conv_forward_offsets(x, w[::-1, ::-1], b, conv_param)

    with pytest.raises(AssertionError) as e:
        hidden.check_conv_forward_naive(conv_flipped)
    text = str(e.value)
    assert text.startswith("conv_forward_naive(x, w, b, conv_param) returned the wrong out.")
    assert "called with: x = float64 array" in text and "worst entry: index" in text
    assert "likely cause: the filter is flipped (a true convolution)" in text

    def size_no_message(n, f, stride=1, pad=0):
        if (n - f + 2 * pad) % stride:
            raise ValueError("does not fit")
        return (n - f + 2 * pad) // stride + 1

    with pytest.raises(AssertionError, match=r"its message does not name n=7, f=3, stride=3, pad=0"):
        public.check_conv_output_size(size_no_message)


def test_numpy_checks_never_import_tensorflow():
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from autograder import solutions
        from course.check import convolutional_networks as public
        ns = {{"np": np}}
        for source in solutions.solution_cells(solutions.notebook_path("convolutional_networks")):
            if "import keras" not in source:   # the numpy solutions only
                exec(source, ns)
        for name in ("conv_output_size", "conv_param_count", "receptive_field", "conv_forward_naive",
                     "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
                     "conv_forward_im2col"):
            getattr(public, "check_" + name)(ns[name])
        print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


# ---------------------------------------------------------------- the speed rule and the graded CNN


def test_required_speedup_is_twenty_or_a_third_of_the_references():
    assert hidden.required_speedup(t_loops=0.03, t_ref=0.0005) == pytest.approx(20.0)
    assert hidden.required_speedup(t_loops=0.03, t_ref=0.003) == pytest.approx(10 / 3)


def test_thresholds_cite_measured_reference_runs():
    for (kind, mode), threshold in public.CNN_ACCURACY_THRESHOLDS.table.items():
        assert isinstance(threshold, Threshold) and kind in ("cifar10", "synthetic") and mode in ("fast", "full")
        assert "placeholder" not in threshold.reference and threshold.minimum < threshold.measured


class NotAModel:
    """What a student might leave in ``cnn`` instead of the trained model."""


@pytest.mark.slow
def test_grade_reevaluates_the_model_on_a_fresh_copy_of_the_test_images(monkeypatch):
    import keras

    import course.notebook

    monkeypatch.setattr(course.notebook, "_CURRENT", None)
    nb = course.notebook.setup(fast=True, seed=0, keras=True, verbose=False)
    data = nb.load_cifar10("synthetic", n_train=50, n_val=10, n_test=200)
    inputs = keras.Input((32, 32, 3))
    # class 3 where the mean pixel is bright: a fixed, data-dependent "classifier"
    bright = keras.layers.Lambda(lambda t: keras.ops.mean(t, axis=(1, 2, 3), keepdims=False))(inputs)
    scores = keras.layers.Lambda(lambda m: keras.ops.one_hot(keras.ops.cast(m > 0.45, "int32") * 3, 10))(bright)
    model = keras.Model(inputs, scores)
    expected = public.cnn_accuracy(model, data.x_test, data.y_test)
    seen = []
    monkeypatch.setattr(hidden, "expect_accuracy", lambda accuracy, *a, **k: seen.append((accuracy, k)))
    data.x_test[:] = 0                       # what the student's notebook did to its copy does not count
    data.y_test[:] = 3
    hidden.grade_cnn_accuracy(model)
    assert seen == [(expected, {"kind": "synthetic", "fast": True, "cause": seen[0][1]["cause"]})]
    with pytest.raises(AssertionError, match="The trained CNN must be a keras.Model"):
        hidden.grade_cnn_accuracy(NotAModel())
