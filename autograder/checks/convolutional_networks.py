"""Hidden checks for notebook 04 (convolutional networks). Not shipped to students.

One ``check_<name>(fn)`` per graded function, like the public checks in
``course.check.convolutional_networks`` but on other seeded inputs:
rectangular images and kernels, strides 1 to 3, padding 0 to 2, 1x1 and
whole-image filters, overlapping pooling windows and ties. The forward
passes are compared with Keras' own ``Conv2D`` and ``MaxPooling2D`` run in
float64 with the same weights, the backward passes with TensorFlow's
gradients of those layers (exact, so a correct answer is within rounding,
far inside the 1e-7 the notebook promises); pooling ties, which TensorFlow
does not document, with the numpy reference below. The reference
implementations also compute the known wrong answers, so a failing check
names the mistake. ``check_conv_forward_im2col`` adds the loop count and
the speed race against the loops; the Keras blocks are checked by
behaviour and by recomputing their output from their own weights.
``grade_cnn_accuracy`` grades the trained CNN on a fresh copy of the
notebook's test images.
"""

import time

import numpy as np
from threadpoolctl import threadpool_limits

from course.check import convolutional_networks as public
from course.check.convolutional_networks import (
    CAUSE_BACKWARD_FLIPPED, CAUSE_CONV_BIAS, CAUSE_CONV_BIAS_AXIS, CAUSE_FLIPPED, CAUSE_IM2COL_ORDER,
    CAUSE_PAD_TWICE, CAUSE_POOL_ALL, CAUSE_POOL_ASSIGN, CAUSE_POOL_AVERAGE, CAUSE_POOL_TIES, CAUSE_STRIDE_INDEX,
    SPEEDUP_REFERENCE_SHARE, SPEEDUP_TARGET,
)
from course.check.core import CheckFailure, diagnose, expect, expect_accuracy, matches, quiet, timed

# ----------------------------------------------------------------------------
# Reference implementations (vectorized numpy, float64)
# ----------------------------------------------------------------------------


def _pad(x, pad):
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def _windows(x_pad, HH, WW, stride):
    """``(N, H_out, W_out, HH, WW, C)`` view of every window of the (already padded) input."""
    v = np.lib.stride_tricks.sliding_window_view(x_pad, (HH, WW), axis=(1, 2))   # (N, H', W', C, HH, WW)
    return v[:, ::stride, ::stride].transpose(0, 1, 2, 4, 5, 3)


def conv_reference(x, w, b, stride, pad):
    """Cross-correlation of the zero-padded ``x`` with ``w`` (HH, WW, C, F), plus ``b``."""
    return np.tensordot(_windows(_pad(x, pad), w.shape[0], w.shape[1], stride), w, axes=3) + b


def conv_backward_reference(dout, x, w, stride, pad):
    """``(dx, dw, db)`` of :func:`conv_reference`, by the filter's HH x WW offsets."""
    HH, WW = w.shape[:2]
    x_pad = _pad(x, pad)
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    _, H_out, W_out, _ = dout.shape
    for di in range(HH):
        for dj in range(WW):
            rows = slice(di, di + stride * (H_out - 1) + 1, stride)
            cols = slice(dj, dj + stride * (W_out - 1) + 1, stride)
            dw[di, dj] = np.tensordot(x_pad[:, rows, cols, :], dout, axes=([0, 1, 2], [0, 1, 2]))
            dx_pad[:, rows, cols, :] += dout @ w[di, dj].T
    H, W = x.shape[1:3]
    return dx_pad[:, pad:pad + H, pad:pad + W, :], dw, dout.sum(axis=(0, 1, 2))


def conv_loops_reference(x, w, b, stride, pad):
    """The naive forward pass the speed check races: a Python loop over every image and output position."""
    N, H, W, _ = x.shape
    HH, WW, _, F = w.shape
    x_pad = _pad(x, pad)
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = np.zeros((N, H_out, W_out, F))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                window = x_pad[n, i * stride:i * stride + HH, j * stride:j * stride + WW, :]
                out[n, i, j, :] = np.tensordot(window, w, axes=3) + b
    return out


def conv_im2col_reference(x, w, b, stride, pad):
    """The reference im2col forward pass (index arrays, one matrix product), raced against the student's."""
    N, H, W, C = x.shape
    HH, WW, _, F = w.shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    rows = (stride * np.arange(H_out))[:, None] + np.arange(HH)
    cols = (stride * np.arange(W_out))[:, None] + np.arange(WW)
    patches = _pad(x, pad)[:, rows[:, None, :, None], cols[None, :, None, :], :]
    out = w.reshape(HH * WW * C, F).T @ patches.reshape(N * H_out * W_out, HH * WW * C).T + b[:, None]
    return out.T.reshape(N, H_out, W_out, F)


def pool_reference(x, ph, pw, stride, how="max"):
    windows = _windows(x, ph, pw, stride)
    return windows.max(axis=(3, 4)) if how == "max" else windows.mean(axis=(3, 4))


def pool_backward_reference(dout, x, ph, pw, stride, mode="first"):
    """Max pooling's dx. ``mode``: "first" (correct: the first maximum in row-major order), or the mistakes
    "last" (the last maximum), "ties" (every tied maximum) and "all" (every input of the window).
    (``=`` instead of ``+=`` depends on the order of the windows: :func:`_assign_order_reference`.)"""
    N, H, W, C = x.shape
    _, H_out, W_out, _ = dout.shape
    windows = _windows(x, ph, pw, stride).reshape(N, H_out, W_out, ph * pw, C)
    if mode == "last":
        index = ph * pw - 1 - np.argmax(windows[:, :, :, ::-1], axis=3)
    else:
        index = np.argmax(windows, axis=3)                                     # (N, H_out, W_out, C)
    dx = np.zeros_like(x)
    for k in range(ph * pw):
        di, dj = divmod(k, pw)
        rows = slice(di, di + stride * (H_out - 1) + 1, stride)
        cols = slice(dj, dj + stride * (W_out - 1) + 1, stride)
        if mode == "ties":
            mask = windows[:, :, :, k, :] == windows.max(axis=3)
        elif mode == "all":
            mask = np.ones_like(index, dtype=bool)
        else:
            mask = index == k
        dx[:, rows, cols, :] += mask * dout
    return dx


def _assign_order_reference(dout, x, ph, pw, stride):
    """dx of a max-pool backward that assigns (``=``) window after window in row-major order, as a loop would."""
    dx = np.zeros_like(x)
    N, H_out, W_out, C = dout.shape
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, i * stride:i * stride + ph, j * stride:j * stride + pw, :].reshape(N, ph * pw, C)
            r, q = np.divmod(np.argmax(window, axis=1), pw)                   # (N, C)
            n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
            dx[n_idx, i * stride + r, j * stride + q, c_idx] = dout[:, i, j, :]
    return dx


# ----------------------------------------------------------------------------
# Keras oracles (float64)
# ----------------------------------------------------------------------------


def keras_conv2d(x, w, b, stride, pad, dout=None):
    """``keras.layers.Conv2D`` (valid padding on the zero-padded input) with the given weights, in float64.

    Returns ``out``, or with ``dout`` the pair ``(out, (dx, dw, db))`` of TensorFlow's gradients of
    ``sum(out * dout)``.
    """
    import keras
    import tensorflow as tf

    HH, WW, _, F = w.shape
    layer = keras.layers.Conv2D(F, (HH, WW), strides=stride, padding="valid", dtype="float64")
    x_pad = _pad(x, pad)
    layer.build(x_pad.shape)
    layer.set_weights([w, b])
    if dout is None:
        return np.asarray(layer(x_pad))
    x_var = tf.Variable(x_pad)
    with tf.GradientTape() as tape:
        out = layer(x_var)
        loss = tf.reduce_sum(out * dout)
    dx, dw, db = tape.gradient(loss, [x_var, layer.kernel, layer.bias])
    H, W = x.shape[1:3]
    return np.asarray(out), (dx.numpy()[:, pad:pad + H, pad:pad + W, :], dw.numpy(), db.numpy())


def keras_max_pool(x, ph, pw, stride, dout=None):
    """``keras.layers.MaxPooling2D`` in float64; with ``dout``, ``(out, dx)`` of ``sum(out * dout)``."""
    import keras
    import tensorflow as tf

    layer = keras.layers.MaxPooling2D((ph, pw), strides=stride, padding="valid", dtype="float64")
    if dout is None:
        return np.asarray(layer(x))
    x_var = tf.Variable(x)
    with tf.GradientTape() as tape:
        out = layer(x_var)
        loss = tf.reduce_sum(out * dout)
    return np.asarray(out), tape.gradient(loss, x_var).numpy()


# ----------------------------------------------------------------------------
# 1. Spatial arithmetic
# ----------------------------------------------------------------------------


def check_conv_output_size(fn):
    """Hidden check of ``conv_output_size(n, f, stride=1, pad=0) -> int``."""
    for n, f, stride, pad, expected in [
        (27, 5, 1, 2, 27), (5, 5, 1, 0, 1), (10, 4, 2, 1, 5), (224, 3, 1, 1, 224), (56, 1, 1, 0, 56), (13, 3, 2, 0, 6),
        (1, 1, 1, 0, 1), (8, 2, 2, 0, 4), (3, 5, 1, 1, 1), (55, 3, 2, 0, 27),
        (12, 5, 3, 2, None), (3, 5, 1, 0, None), (9, 4, 2, 0, None), (224, 7, 2, 2, None), (16, 2, 3, 0, None),
    ]:
        public.output_size_case(fn, n, f, stride, pad, expected)


def check_conv_param_count(fn):
    """Hidden check of ``conv_param_count(f, c_in, c_out, bias=True) -> int``."""
    for f, c_in, c_out, bias, expected in [
        (3, 3, 64, True, 1_792), (7, 3, 64, False, 9_408), (3, 512, 512, True, 2_359_808),
        (1, 64, 256, False, 16_384), (5, 96, 256, True, 614_656), (2, 1, 1, True, 5), (3, 16, 32, False, 4_608),
    ]:
        public.param_count_case(fn, f, c_in, c_out, bias, expected)


def _vgg16_layers():
    layers = []
    for convs in (2, 2, 3, 3, 3):
        layers += [(3, 1)] * convs + [(2, 2)]
    return layers


def check_receptive_field(fn):
    """Hidden check of ``receptive_field(layers) -> int``."""
    for layers, expected in [
        ([(5, 1)], 5), ([(2, 2)] * 3, 8), ([(3, 2)] * 3, 15), ([(1, 1)], 1), ([(1, 1), (3, 1)], 3),
        ([(7, 2), (3, 2), (3, 1), (3, 1)], 27), (_vgg16_layers(), 212), (_vgg16_layers()[:-1], 196),
        ([[3, 1], [3, 1]], 5),
    ]:
        public.receptive_field_case(fn, layers, expected)


# ----------------------------------------------------------------------------
# 2. Convolution and pooling
# ----------------------------------------------------------------------------

# (x shape, w shape, stride, pad): rectangular inputs and kernels, 1x1 and whole-image filters, strides 1-3,
# pads 0-2; (1, 6, 6, 2) x (3, 3, 2, 4) has W_out == F, so a bias added along the width axis does not crash.
CONV_CASES = [
    ((1, 6, 6, 2), (3, 3, 2, 4), 1, 0),
    ((2, 7, 9, 3), (3, 5, 3, 4), 2, 2),
    ((3, 5, 4, 1), (1, 1, 1, 2), 1, 0),
    ((2, 8, 6, 2), (4, 2, 2, 3), 2, 1),
    ((1, 5, 5, 3), (5, 5, 3, 2), 1, 0),
    ((2, 9, 6, 2), (3, 3, 2, 3), 3, 0),
    ((1, 3, 3, 2), (5, 5, 2, 2), 1, 1),
]
# filters that do not fit evenly: ValueError
CONV_BAD = [((1, 7, 8, 1), (3, 3, 1, 1), 2, 0), ((1, 3, 3, 1), (5, 5, 1, 1), 1, 0), ((2, 6, 7, 2), (2, 4, 2, 1), 2, 0)]


def _conv_problem(x_shape, w_shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[-1])


def _forward_candidates(x, w, b, stride, pad, expected):
    H_out, W_out = expected.shape[1:3]
    no_bias = expected - b
    candidates = [
        (conv_reference(x, w[::-1, ::-1], b, stride, pad), CAUSE_FLIPPED),
        (no_bias, CAUSE_CONV_BIAS),
        (conv_reference(x, w, b, 1, pad)[:, :H_out, :W_out] if stride > 1 else None, CAUSE_STRIDE_INDEX),
        (conv_reference(_pad(x, pad), w, b, stride, pad)[:, :H_out, :W_out] if pad else None, CAUSE_PAD_TWICE),
        (no_bias + b[:, None] if W_out == len(b) else None, CAUSE_CONV_BIAS_AXIS),
    ]
    HH, WW, C, F = w.shape
    w_order = w.reshape(HH * WW * C, F).reshape(C, HH, WW, F).transpose(1, 2, 0, 3)
    if C > 1:
        candidates.append((conv_reference(x, w_order, b, stride, pad), CAUSE_IM2COL_ORDER))
    return candidates


def _conv_forward_cases(fn, name, seed):
    for k, (x_shape, w_shape, stride, pad) in enumerate(CONV_CASES):
        x, w, b = _conv_problem(x_shape, w_shape, seed + k)
        expected = keras_conv2d(x, w, b, stride, pad)
        public.conv_forward_case(fn, name, x, w, b, {"stride": stride, "pad": pad}, expected,
                                 _forward_candidates(x, w, b, stride, pad, expected))
    for k, (x_shape, w_shape, stride, pad) in enumerate(CONV_BAD):
        x, w, b = _conv_problem(x_shape, w_shape, seed + 50 + k)
        public.conv_forward_case(fn, name, x, w, b, {"stride": stride, "pad": pad}, None)


def check_conv_forward_naive(fn):
    """Hidden check of ``conv_forward_naive(x, w, b, conv_param) -> (out, cache)``: against Keras' Conv2D."""
    _conv_forward_cases(fn, "conv_forward_naive", seed=400)


def check_conv_backward_naive(fn):
    """Hidden check of ``conv_backward_naive(dout, cache) -> (dx, dw, db)``: against TensorFlow's gradients."""
    for k, (x_shape, w_shape, stride, pad) in enumerate(CONV_CASES):
        x, w, b = _conv_problem(x_shape, w_shape, 500 + k)
        out = conv_reference(x, w, b, stride, pad)
        dout = np.random.default_rng(550 + k).standard_normal(out.shape)
        _, expected = keras_conv2d(x, w, b, stride, pad, dout=dout)
        dx_flip, dw_flip, _ = conv_backward_reference(dout, x, w[::-1, ::-1], stride, pad)
        dx_s1 = dw_s1 = None
        if stride > 1:   # windows read at (i, j) instead of (i * stride, j * stride)
            H_out, W_out = out.shape[1:3]
            dense = np.zeros((x.shape[0], x.shape[1] + 2 * pad - w.shape[0] + 1,
                              x.shape[2] + 2 * pad - w.shape[1] + 1, w.shape[3]))
            dense[:, :H_out, :W_out] = dout
            dx_s1, dw_s1, _ = conv_backward_reference(dense, x, w, 1, pad)
        public.conv_backward_case(fn, x, w, b, {"stride": stride, "pad": pad}, dout, expected, {
            "dx": [(dx_flip, CAUSE_BACKWARD_FLIPPED), (dx_s1, CAUSE_STRIDE_INDEX)],
            "dw": [(dw_flip[::-1, ::-1], CAUSE_BACKWARD_FLIPPED), (dw_s1, CAUSE_STRIDE_INDEX)],
        })


# (x shape, pool height, pool width, stride): AlexNet's overlapping 3x3 stride 2, rectangular windows,
# stride 1 (every window overlaps its neighbours)
POOL_CASES = [((2, 7, 7, 3), 3, 3, 2), ((1, 6, 8, 2), 2, 2, 2), ((2, 5, 6, 1), 3, 2, 1), ((1, 4, 9, 2), 4, 3, 3)]
POOL_BAD = [((1, 6, 6, 1), 3, 3, 2), ((1, 2, 2, 1), 3, 3, 1), ((2, 8, 7, 1), 2, 2, 2)]


def _pool_ties(seed):
    """Inputs of zeros and ones (many tied maxima), and an all-zero input (every window tied)."""
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, 2, (2, 5, 5, 2)).astype(np.float64), 3, 3, 1),
            (rng.integers(0, 2, (1, 6, 7, 3)).astype(np.float64), 2, 3, 1),
            (np.zeros((1, 4, 4, 1)), 2, 2, 1)]


def check_max_pool_forward_naive(fn):
    """Hidden check of ``max_pool_forward_naive(x, pool_param) -> (out, cache)``: against Keras' MaxPooling2D."""
    rng = np.random.default_rng(600)
    cases = [(rng.standard_normal(shape), ph, pw, s) for shape, ph, pw, s in POOL_CASES] + _pool_ties(601)
    for x, ph, pw, stride in cases:
        expected = keras_max_pool(x, ph, pw, stride)
        public.pool_forward_case(fn, x, {"pool_height": ph, "pool_width": pw, "stride": stride}, expected, [
            (pool_reference(x, ph, pw, stride, how="mean"), CAUSE_POOL_AVERAGE)])
    for shape, ph, pw, stride in POOL_BAD:
        public.pool_forward_case(fn, rng.standard_normal(shape), {"pool_height": ph, "pool_width": pw,
                                                                 "stride": stride}, None)


def check_max_pool_backward_naive(fn):
    """Hidden check of ``max_pool_backward_naive(dout, cache) -> dx``: TensorFlow's gradient, and ties."""
    rng = np.random.default_rng(700)
    for k, (shape, ph, pw, stride) in enumerate(POOL_CASES):
        x = rng.standard_normal(shape)
        out = pool_reference(x, ph, pw, stride)
        dout = rng.standard_normal(out.shape)
        _, expected = keras_max_pool(x, ph, pw, stride, dout=dout)
        public.pool_backward_case(fn, x, {"pool_height": ph, "pool_width": pw, "stride": stride}, dout, expected, [
            (_assign_order_reference(dout, x, ph, pw, stride), CAUSE_POOL_ASSIGN),
            (pool_backward_reference(dout, x, ph, pw, stride, "all"), CAUSE_POOL_ALL)])
    for x, ph, pw, stride in _pool_ties(701):
        out = pool_reference(x, ph, pw, stride)
        dout = rng.integers(1, 5, out.shape).astype(np.float64)
        expected = pool_backward_reference(dout, x, ph, pw, stride)
        public.pool_backward_case(fn, x, {"pool_height": ph, "pool_width": pw, "stride": stride}, dout, expected, [
            (_assign_order_reference(dout, x, ph, pw, stride), CAUSE_POOL_ASSIGN),
            (pool_backward_reference(dout, x, ph, pw, stride, "ties"), CAUSE_POOL_TIES),
            (pool_backward_reference(dout, x, ph, pw, stride, "last"), CAUSE_POOL_TIES),
            (pool_backward_reference(dout, x, ph, pw, stride, "all"), CAUSE_POOL_ALL)])


# ----------------------------------------------------------------------------
# 3. im2col: values, no loop over the output positions, speed
# ----------------------------------------------------------------------------

# The race: N=4 images of 16x16x3, eight 5x5 filters, pad 2 (1024 output positions of 75 inputs each),
# one BLAS thread, shortest of several calls, the reference and the student's function interleaved so both
# see the same load. Required: SPEEDUP_TARGET (20x), or, where even the reference cannot reach it,
# SPEEDUP_REFERENCE_SHARE (a third) of the reference's own speed-up. Measured on the 2-core development
# machine shared with other jobs (load 5-15, benchmarks/conv_im2col.py): loops 14-50 ms, reference
# 0.38-0.48 ms (40-100x, so 13-20x required); a loop over the 25 filter offsets and sliding_window_view with
# np.einsum(optimize=True) are as fast or faster (80-300x); np.einsum without optimize=True is 3-4x slower
# than the reference (10-17x: borderline); an elementwise multiply-and-sum over a (..., HH, WW, C, F)
# temporary 20-60x slower (1.7-4x: rejected).
RACE_PROBLEM = ((4, 16, 16, 3), (5, 5, 3, 8), 1, 2)


def _race(fn, x, w, b, conv_param, calls=25, budget_s=0.6):
    """Shortest times ``(t_loops, t_reference, t_fn)`` in seconds (see :func:`check_conv_forward_im2col`)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    t_loops = min(timed(conv_loops_reference, x, w, b, stride, pad, repeat=1) for _ in range(3))
    t_ref = t_fn = float("inf")
    made, start = 0, time.perf_counter()
    while made < calls and (made < 2 or time.perf_counter() - start < budget_s):
        t_ref = min(t_ref, timed(conv_im2col_reference, x, w, b, stride, pad, repeat=1))
        t_fn = min(t_fn, timed(fn, x, w, b, conv_param, repeat=1))
        made += 1
    return t_loops, t_ref, t_fn


def required_speedup(t_loops, t_ref):
    """The speed-up over the loops a student's im2col must reach, given the loops' and the reference's times."""
    return min(SPEEDUP_TARGET, SPEEDUP_REFERENCE_SHARE * t_loops / t_ref)


def check_conv_forward_im2col(fn):
    """Hidden check of ``conv_forward_im2col``: values (1e-9), no Python loop over positions, then speed."""
    for k, (x_shape, w_shape, stride, pad) in enumerate(CONV_CASES):
        x, w, b = _conv_problem(x_shape, w_shape, 800 + k)
        expected = conv_reference(x, w, b, stride, pad)
        public.conv_forward_case(fn, "conv_forward_im2col", x, w, b, {"stride": stride, "pad": pad}, expected,
                                 _forward_candidates(x, w, b, stride, pad, expected), tol=1e-9)
    for k, (x_shape, w_shape, stride, pad) in enumerate(CONV_BAD):
        x, w, b = _conv_problem(x_shape, w_shape, 850 + k)
        public.conv_forward_case(fn, "conv_forward_im2col", x, w, b, {"stride": stride, "pad": pad}, None)
    rng = np.random.default_rng(860)
    w, b = rng.standard_normal((3, 2, 3, 5)), rng.standard_normal(5)
    param = {"stride": 2, "pad": 1}
    public.no_python_loop_case(fn, "conv_forward_im2col", (rng.standard_normal((1, 5, 6, 3)), w, b, param),
                               (rng.standard_normal((4, 11, 14, 3)), w, b, param))
    x_shape, w_shape, stride, pad = RACE_PROBLEM
    x, w, b = _conv_problem(x_shape, w_shape, 870)
    conv_param = {"stride": stride, "pad": pad}
    # one BLAS thread: the ratio measures vectorization, not the core count
    with threadpool_limits(limits=1, user_api="blas"), quiet():
        times = _race(fn, x, w, b, conv_param)
        if times[0] / times[2] < required_speedup(*times[:2]):  # a second look before failing
            times = tuple(map(min, times, _race(fn, x, w, b, conv_param)))
    t_loops, t_ref, t_fn = times
    ratio, required = t_loops / t_fn, required_speedup(t_loops, t_ref)
    expect(
        ratio >= required,
        f"conv_forward_im2col is too slow: it took {t_fn * 1e3:.2f} ms on x of shape {x.shape} with {w.shape[3]} "
        f"filters of {w.shape[0]}x{w.shape[1]}, only {ratio:.1f}x faster than the loops ({t_loops * 1e3:.1f} ms); it "
        f"must be at least {required:.1f}x faster ({SPEEDUP_TARGET:g}x, or on a computer as slow as this one, where "
        f"the reference solution takes {t_ref * 1e3:.2f} ms, {SPEEDUP_REFERENCE_SHARE:.2g} of the reference's "
        f"{t_loops / t_ref:.1f}x).",
        cause="build the whole im2col matrix with numpy indexing and use ONE matrix product (@) with the "
              "filters reshaped to (F, HH * WW * C); an elementwise multiply-and-sum, np.einsum without "
              "optimize=True, or products per filter or per image are several times slower",
        show_values=False,
    )


# ----------------------------------------------------------------------------
# 4. Keras blocks: behaviour, and the output recomputed from the block's own weights
# ----------------------------------------------------------------------------


def _same_conv(x, kernel, bias, stride):
    """Keras' padding="same" convolution: total padding max((ceil(n / s) - 1) s + k - n, 0), the extra
    row and column at the bottom and right."""
    HH, WW = kernel.shape[:2]
    H, W = x.shape[1:3]
    pads = []
    for n, k in ((H, HH), (W, WW)):
        total = max((-(-n // stride) - 1) * stride + k - n, 0)
        pads.append((total // 2, total - total // 2))
    x_pad = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    out = np.tensordot(_windows(x_pad, HH, WW, stride), kernel, axes=3)
    return out + (0.0 if bias is None else bias)


def _symmetric_conv(x, kernel, bias, stride):
    """A 3x3 convolution padded by 1 on every side (PyTorch's convention), for the diagnosis."""
    out = np.tensordot(_windows(_pad(x, kernel.shape[0] // 2), *kernel.shape[:2], stride), kernel, axes=3)
    return out + (0.0 if bias is None else bias)


def check_vgg_block(fn):
    """Hidden check of ``vgg_block(filters, num_convs) -> keras.Sequential``."""
    import keras

    for filters, num_convs, shape, seed in [(6, 1, (10, 8, 3), 11), (5, 2, (4, 6, 7), 12), (3, 4, (12, 12, 2), 13)]:
        block, x, y = public.vgg_block_case(fn, filters, num_convs, shape, seed=seed)
        convs = public.block_layers(block, keras.layers.Conv2D)
        h = x.astype(np.float64)
        for conv in convs:
            h = np.maximum(_same_conv(h, conv.kernel.numpy(), None if conv.bias is None else conv.bias.numpy(), 1), 0)
        want = pool_reference(h, 2, 2, 2)
        cause = diagnose(y, [(pool_reference(h, 2, 2, 2, how="mean"), "the block pools with the average; VGG "
                                                                      "uses 2x2 MAX pooling, stride 2")],
                         tol=1e-4, normwise=True,
                         default="each convolution is followed by its ReLU (activation='relu'), in order, then one "
                                 "MaxPooling2D(2, strides=2)")
        expect(matches(y, want, 1e-4, normwise=True), f"vgg_block({filters}, {num_convs}) computes something else "
               f"than {num_convs} x (3x3 'same' convolution + ReLU) followed by a 2x2 max pooling, with its own "
               f"weights.", got=y, expected=want, cause=cause)


def _bn_apply(x, stats):
    gamma, beta, mean, var, eps = stats
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def check_basic_block(fn):
    """Hidden check of ``basic_block(x, filters, stride=1) -> tensor``."""
    import keras

    for shape, filters, stride, seed in [((6, 6, 3), 3, 1, 21), ((7, 7, 4), 8, 2, 22), ((8, 6, 5), 5, 2, 23),
                                         ((4, 4, 2), 6, 1, 24), ((10, 8, 8), 16, 2, 25)]:
        model, x = public.basic_block_case(fn, shape, filters, stride, seed=seed)
        rng = np.random.default_rng(seed + 100)
        # the same random statistics in every batch norm (they all have `filters` channels)
        bns = public.block_layers(model, keras.layers.BatchNormalization)
        gamma, beta = rng.uniform(0.5, 1.5, filters), rng.normal(0, 0.3, filters)
        mean, var = rng.normal(0, 0.3, filters), rng.uniform(0.5, 2.0, filters)
        for bn in bns:
            for variable, value in ((bn.gamma, gamma), (bn.beta, beta), (bn.moving_mean, mean),
                                    (bn.moving_variance, var)):
                if variable is not None:
                    variable.assign(value.astype(np.float32))
        eps = float(bns[0].epsilon)
        stats = (gamma if bns[0].gamma is not None else 1.0, beta if bns[0].beta is not None else 0.0, mean, var, eps)
        convs = public.block_layers(model, keras.layers.Conv2D)
        three = [c for c in convs if c.kernel.shape[:2] == (3, 3)]
        first = next((c for c in three if c.kernel.shape[2] == shape[-1]), three[0])
        second = next(c for c in three if c is not first)
        projection = next((c for c in convs if c.kernel.shape[:2] == (1, 1)), None)
        with quiet():
            got = public.predict_inference(model, x)
        xd = x.astype(np.float64)

        def weights(conv):
            return conv.kernel.numpy().astype(np.float64), None if conv.bias is None else conv.bias.numpy()

        def block(conv, first_stride, second_stride, relu_before_add=False, final_relu=True):
            y = np.maximum(_bn_apply(conv(xd, *weights(first), first_stride), stats), 0)
            y = _bn_apply(conv(y, *weights(second), second_stride), stats)
            if projection is None:
                shortcut = xd
            else:
                kernel, bias = weights(projection)
                shortcut = _bn_apply(np.tensordot(xd[:, ::stride, ::stride, :], kernel[0, 0], axes=1)
                                     + (0.0 if bias is None else bias), stats)
            if relu_before_add:
                y = np.maximum(y, 0)
            out = y + shortcut
            return np.maximum(out, 0) if final_relu else out

        want = block(_same_conv, stride, 1)
        candidates = [(block(_symmetric_conv, stride, 1), "the 3x3 convolutions are padded by 1 on every side; "
                       "use Keras' padding='same' (for stride 2 it pads at the bottom and right only)")]
        if stride != 1:
            candidates.append((block(_same_conv, 1, stride), "the stride belongs to the FIRST 3x3 convolution, "
                                                             "the second has stride 1"))
        candidates.append((block(_same_conv, stride, 1, relu_before_add=True), "the ReLU comes after the "
                           "addition, not on the residual branch before it"))
        expect(matches(got, want, 1e-4, normwise=True), f"basic_block(x, {filters}, stride={stride}) on inputs of "
               f"shape {(None, *shape)} computes something else than ReLU(BN(conv3x3(ReLU(BN(conv3x3(x))))) + "
               f"shortcut(x)) with its own weights (batch norms in inference mode).", got=got, expected=want,
               cause=diagnose(got, candidates, tol=1e-4, normwise=True, default=(
                   "conv3x3 (stride) -> BN -> ReLU -> conv3x3 -> BN, then + shortcut, then ReLU; the projection "
                   "is conv1x1 (stride) -> BN")))


# ----------------------------------------------------------------------------
# 6. The trained CNN
# ----------------------------------------------------------------------------


def grade_cnn_accuracy(model):
    """Grade the experiment: the test accuracy of the student's trained CNN, recomputed here.

    The test images are read again from their source (``course.notebook.current().reload_data()``),
    so neither a changed ``data`` nor an edited number counts; the model gets them as floats in [0, 1].
    """
    import course.notebook

    try:
        nb = course.notebook.current()
        data = nb.reload_data()
    except RuntimeError as e:
        raise CheckFailure(f"The notebook's data could not be read again: {e}") from None
    accuracy = public.cnn_accuracy(model, data.x_test, data.y_test)
    expect_accuracy(accuracy, public.CNN_ACCURACY_THRESHOLDS, kind=data.kind, fast=nb.fast, cause=(
        "the model must normalise its inputs itself (it is given raw test images with pixels in [0, 1]): build it "
        "with normalize=norm, or put norm.keras_layer() first"))
