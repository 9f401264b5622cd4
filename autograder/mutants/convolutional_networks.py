"""Plausible wrong implementations of notebook 04's graded functions.

Every mutant must be rejected by the hidden check of its function (and by
the public check when ``public=True``), with ``message`` in the failure.
Each implementation is written the way a student would write it: the
correct solution with one mistake (selected by ``kind``).
"""

import math

import numpy as np

from autograder.mutants import Mutant

# ---------------------------------------------------------------- 1. spatial arithmetic


def _output_size(kind):
    def impl(n, f, stride=1, pad=0):
        span = n - f + 2 * pad
        if kind == "ceil":
            return math.ceil(span / stride) + 1
        if kind == "floor":
            return span // stride + 1
        if kind != "no_negative_check" and span < 0 or span % stride:
            if kind == "silent_message":
                raise ValueError("the filter does not fit")
            raise ValueError(f"n={n}, f={f}, stride={stride}, pad={pad}: the filter does not fit")
        if kind == "no_plus_one":
            return span // stride
        if kind == "true_division":
            return span / stride + 1
        if kind == "pad_once":
            return (n - f + pad) // stride + 1
        return span // stride + 1
    return impl


def _param_count(kind):
    def impl(f, c_in, c_out, bias=True):
        weights = f * f * c_in * c_out
        if kind == "no_bias":
            return weights
        if kind == "bias_per_position":
            return weights + (f * f * c_out if bias else 0)
        if kind == "bias_per_weight":
            return weights * (2 if bias else 1)
        if kind == "ignores_flag":
            return weights + c_out
        if kind == "no_c_in":
            return f * f * c_out + (c_out if bias else 0)
        return weights + (c_out if bias else 0)
    return impl


def _receptive_field(kind):
    def impl(layers):
        r, jump = 1, 1
        for kernel, stride in layers:
            if kind == "own_stride":
                jump *= stride
            r += (kernel - 1) * (1 if kind == "no_strides" else jump)
            if kind != "own_stride":
                jump *= stride
        if kind == "sum_kernels":
            return sum(k for k, _ in layers) or 1
        return r
    return impl


# ---------------------------------------------------------------- 2. convolution by hand


def _out_size(n, f, stride, pad):
    span = n - f + 2 * pad
    if span < 0 or span % stride:
        raise ValueError(f"n={n}, f={f}, stride={stride}, pad={pad}: the filter does not fit")
    return span // stride + 1


def _conv_forward(kind):
    def impl(x, w, b, conv_param):
        N, H, W, C = x.shape
        HH, WW, _, F = w.shape
        stride, pad = conv_param["stride"], conv_param["pad"]
        H_out = _out_size(H, HH, stride, pad)
        W_out = _out_size(W, HH if kind == "height_for_width" else WW, stride, pad)
        if kind == "no_pad":
            x_pad = x
            H_out, W_out = _out_size(H, HH, stride, 0), _out_size(W, WW, stride, 0)
        elif kind == "pad_twice":
            once = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
            x_pad = np.pad(once, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        else:
            x_pad = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        kernel = w[::-1, ::-1] if kind == "flipped" else w
        out = np.zeros((N, H_out, W_out, F))
        for n in range(N):
            for i in range(H_out):
                for j in range(W_out):
                    r, c = (i, j) if kind == "stride_ignored" else (i * stride, j * stride)
                    window = x_pad[n, r:r + HH, c:c + WW, :]
                    out[n, i, j, :] = np.tensordot(window, kernel, axes=3)
        if kind == "bias_wrong_axis":
            out = out + b[:, None]            # (F, 1): added along the width axis
        elif kind != "no_bias":
            out = out + b
        if kind == "in_place":
            x /= max(1.0, float(np.abs(x).max()))   # "tidies up" the caller's x after use
        return out, (x, w, b, conv_param)
    return impl


def _conv_backward(kind):
    def impl(dout, cache):
        x, w, b, conv_param = cache
        N, H, W, C = x.shape
        HH, WW, _, F = w.shape
        stride, pad = conv_param["stride"], conv_param["pad"]
        _, H_out, W_out, _ = dout.shape
        x_pad = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        dx_pad = np.zeros_like(x_pad)
        dw = np.zeros_like(w)
        kernel = w[::-1, ::-1] if kind == "flipped" else w
        for n in range(N):
            for i in range(H_out):
                for j in range(W_out):
                    r, c = (i, j) if kind == "stride_ignored" else (i * stride, j * stride)
                    g = dout[n, i, j, :]
                    if kind == "dw_last_image_only" and n < N - 1:
                        pass
                    else:
                        dw += x_pad[n, r:r + HH, c:c + WW, :, None] * g
                    dx_pad[n, r:r + HH, c:c + WW, :] += kernel @ g
        dx = dx_pad if kind == "not_cropped" else dx_pad[:, pad:pad + H, pad:pad + W, :]
        if kind == "db_wrong_axes":
            db = dout.sum(axis=(0, 1))
        elif kind == "db_batch_only":
            db = dout.sum(axis=0)
        elif kind == "db_mean":
            db = dout.mean(axis=(0, 1, 2))
        else:
            db = dout.sum(axis=(0, 1, 2))
        if kind == "dout_in_place":
            dout *= 0.0
        return dx, dw, db
    return impl


def _pool_forward(kind):
    def impl(x, pool_param):
        N, H, W, C = x.shape
        ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        H_out = _out_size(H, ph, 1 if kind == "stride_ignored" else stride, 0)
        W_out = _out_size(W, ph if kind == "height_for_width" else pw, 1 if kind == "stride_ignored" else stride, 0)
        out = np.zeros((N, H_out, W_out, C))
        s = 1 if kind == "stride_ignored" else stride
        for i in range(H_out):
            for j in range(W_out):
                window = x[:, i * s:i * s + ph, j * s:j * s + pw, :]
                out[:, i, j, :] = window.mean(axis=(1, 2)) if kind == "average" else window.max(axis=(1, 2))
        return out, (x, pool_param)
    return impl


def _pool_backward(kind):
    def impl(dout, cache):
        x, pool_param = cache
        N, H, W, C = x.shape
        ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        _, H_out, W_out, _ = dout.shape
        if kind == "in_place":
            dx = x                     # reuses the input as the output buffer
            dx[...] = 0.0
        else:
            dx = np.zeros_like(x)
        for n in range(N):
            for i in range(H_out):
                for j in range(W_out):
                    for c in range(C):
                        window = x[n, i * stride:i * stride + ph, j * stride:j * stride + pw, c]
                        region = (n, slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw), c)
                        if kind == "every_position":
                            dx[region] += dout[n, i, j, c]
                            continue
                        if kind == "every_tie":
                            dx[region] += (window == window.max()) * dout[n, i, j, c]
                            continue
                        if kind == "last_tie":
                            k = window.size - 1 - np.argmax(window.ravel()[::-1])
                        else:
                            k = np.argmax(window)
                        r, q = np.unravel_index(k, window.shape)
                        if kind == "assign":
                            dx[n, i * stride + r, j * stride + q, c] = dout[n, i, j, c]
                        else:
                            dx[n, i * stride + r, j * stride + q, c] += dout[n, i, j, c]
        return dx
    return impl


# ---------------------------------------------------------------- 3. im2col


def _im2col_forward(kind):
    def impl(x, w, b, conv_param):
        N, H, W, C = x.shape
        HH, WW, _, F = w.shape
        stride, pad = conv_param["stride"], conv_param["pad"]
        H_out, W_out = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
        x_pad = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        if kind == "loop_over_positions":
            cols = np.empty((HH * WW * C, N * H_out * W_out))
            k = 0
            for n in range(N):
                for i in range(H_out):
                    for j in range(W_out):
                        cols[:, k] = x_pad[n, i * stride:i * stride + HH, j * stride:j * stride + WW, :].ravel()
                        k += 1
        else:
            rows = (stride * np.arange(H_out))[:, None] + np.arange(HH)
            cols_idx = (stride * np.arange(W_out))[:, None] + np.arange(WW)
            patches = x_pad[:, rows[:, None, :, None], cols_idx[None, :, None, :], :]   # (N, Ho, Wo, HH, WW, C)
            if kind == "channel_first_patches":
                patches = patches.transpose(0, 1, 2, 5, 3, 4)                          # (N, Ho, Wo, C, HH, WW)
            if kind == "multiply_and_sum":    # vectorized, but no matrix product: a (..., HH, WW, C, F) temporary
                out = (patches[..., None] * w).sum(axis=(3, 4, 5)) + b
                return out, (x, w, b, conv_param)
            cols = patches.reshape(N * H_out * W_out, HH * WW * C).T
        out = w.reshape(HH * WW * C, F).T @ cols
        out = (out + b[:, None]).T.reshape(N, H_out, W_out, F)
        return out, (x, w, b, conv_param)
    return impl


# ---------------------------------------------------------------- 4. Keras blocks


def _vgg_block(kind):
    def impl(filters, num_convs):
        import keras

        padding = "valid" if kind == "valid_padding" else "same"
        layers = []
        for i in range(num_convs):
            activation = None if kind == "no_relu" or (kind == "relu_last_only" and i < num_convs - 1) else "relu"
            layers.append(keras.layers.Conv2D(filters, 3, padding=padding, activation=activation,
                                              use_bias=kind != "no_bias"))
            if kind == "pool_in_loop":
                layers.append(keras.layers.MaxPooling2D(2, strides=2))
        if kind == "average_pool":
            layers.append(keras.layers.AveragePooling2D(2, strides=2))
        elif kind == "pool_stride_1":
            layers.append(keras.layers.MaxPooling2D(2, strides=1))
        elif kind != "pool_in_loop":
            layers.append(keras.layers.MaxPooling2D(2, strides=2))
        return keras.Sequential(layers)
    return impl


def _basic_block(kind):
    def impl(x, filters, stride=1):
        import keras

        def conv(t, size, s):
            if kind == "symmetric_padding" and size == 3:
                return keras.layers.Conv2D(filters, size, strides=s, use_bias=False)(keras.layers.ZeroPadding2D(1)(t))
            return keras.layers.Conv2D(filters, size, strides=s, padding="same", use_bias=False)(t)

        first, second = (1, stride) if kind == "stride_on_second" else (stride, 1)
        y = conv(x, 3, first)
        if kind == "relu_before_bn":
            y = keras.layers.BatchNormalization()(keras.layers.ReLU()(y))
        else:
            y = keras.layers.ReLU()(keras.layers.BatchNormalization()(y))
        y = keras.layers.BatchNormalization()(conv(y, 3, second))
        shortcut = x
        changes = stride != 1 or x.shape[-1] != filters
        if kind == "shortcut_ignores_stride" and changes:
            shortcut = keras.layers.BatchNormalization()(conv(x, 1, 1))
        elif kind == "projection_only_for_stride" and stride != 1:
            shortcut = keras.layers.BatchNormalization()(conv(x, 1, stride))
        elif kind == "always_project":
            shortcut = keras.layers.BatchNormalization()(conv(x, 1, stride))
        elif kind == "projection_without_bn" and changes:
            shortcut = conv(x, 1, stride)
        elif kind not in ("shortcut_ignores_stride", "projection_only_for_stride", "projection_without_bn") \
                and changes:
            shortcut = keras.layers.BatchNormalization()(conv(x, 1, stride))
        if kind == "relu_before_add":
            return keras.layers.Add()([keras.layers.ReLU()(y), shortcut])
        if kind == "no_shortcut":
            return keras.layers.ReLU()(y)
        out = keras.layers.Add()([y, shortcut])
        return out if kind == "no_final_relu" else keras.layers.ReLU()(out)
    return impl


# ---------------------------------------------------------------- the catalogue

MUTANTS = [
    # conv_output_size
    Mutant("conv_output_size", "no_plus_one", "forgets the + 1 (counts the steps, not the positions)",
           _output_size("no_plus_one"), "the + 1 counts the first position", public=True),
    Mutant("conv_output_size", "true_division", "uses / instead of //, so the size is a float",
           _output_size("true_division"), "use floor division //", public=True),
    Mutant("conv_output_size", "ceil", "rounds up with math.ceil instead of raising",
           _output_size("ceil"), "so it must raise ValueError", public=True),
    Mutant("conv_output_size", "floor", "floors the division instead of raising",
           _output_size("floor"), "raise ValueError instead of rounding", public=True),
    Mutant("conv_output_size", "pad_once", "pads one side only: n - f + pad",
           _output_size("pad_once"), "the padded size is n + 2 * pad", public=True),
    Mutant("conv_output_size", "silent_message", "raises, but without saying which numbers do not fit",
           _output_size("silent_message"), "its message does not name", public=True),
    Mutant("conv_output_size", "no_negative_check", "accepts a filter larger than the padded input",
           _output_size("no_negative_check"), "so it must raise ValueError"),
    # conv_param_count
    Mutant("conv_param_count", "no_bias", "forgets the biases",
           _param_count("no_bias"), "add c_out when bias is True", public=True),
    Mutant("conv_param_count", "bias_per_position", "counts a bias per window position (f * f * c_out)",
           _param_count("bias_per_position"), "each filter has ONE bias", public=True),
    Mutant("conv_param_count", "bias_per_weight", "counts a bias per weight",
           _param_count("bias_per_weight"), "each filter has ONE bias", public=True),
    Mutant("conv_param_count", "ignores_flag", "always adds the biases, even with bias=False",
           _param_count("ignores_flag"), "bias=False means no bias at all", public=True),
    Mutant("conv_param_count", "no_c_in", "forgets that a filter spans all input channels",
           _param_count("no_c_in"), "every filter spans all c_in input channels", public=True),
    # receptive_field
    Mutant("receptive_field", "no_strides", "adds kernel - 1 per layer, ignoring the strides below",
           _receptive_field("no_strides"), "product of the strides of layers 1..l-1", public=True),
    Mutant("receptive_field", "own_stride", "multiplies in each layer's own stride before growing",
           _receptive_field("own_stride"), "not its own stride", public=True),
    Mutant("receptive_field", "sum_kernels", "sums the kernel sizes",
           _receptive_field("sum_kernels"), "start from 1 pixel", public=True),
    # conv_forward_naive
    Mutant("conv_forward_naive", "pad_twice", "pads the input twice",
           _conv_forward("pad_twice"), "padded twice", public=True),
    Mutant("conv_forward_naive", "no_pad", "forgets the zero padding",
           _conv_forward("no_pad"), "the input is not padded", public=True),
    Mutant("conv_forward_naive", "flipped", "flips the kernel (a true convolution)",
           _conv_forward("flipped"), "the filter is flipped", public=True),
    Mutant("conv_forward_naive", "height_for_width", "uses the filter's height for the output width",
           _conv_forward("height_for_width"), "W_out from W and WW", public=True),
    Mutant("conv_forward_naive", "stride_ignored", "reads the window at (i, j) instead of (i*stride, j*stride)",
           _conv_forward("stride_ignored"), "the stride is missing from the index", public=True),
    Mutant("conv_forward_naive", "no_bias", "forgets the bias",
           _conv_forward("no_bias"), "the bias b[f] is not added", public=True),
    Mutant("conv_forward_naive", "bias_wrong_axis", "adds the bias along the width axis",
           _conv_forward("bias_wrong_axis"), "the bias is added along the wrong axis"),
    Mutant("conv_forward_naive", "in_place", "writes into the caller's x",
           _conv_forward("in_place"), "modified its input `x` in place", public=True),
    # conv_backward_naive
    Mutant("conv_backward_naive", "not_cropped", "returns the gradient of the padded input",
           _conv_backward("not_cropped"), "crop the pad rows and columns off", public=True),
    Mutant("conv_backward_naive", "db_wrong_axes", "sums db over the batch and height only",
           _conv_backward("db_wrong_axes"), "dout.sum(axis=(0, 1, 2))", public=True),
    Mutant("conv_backward_naive", "db_batch_only", "sums db over the batch only",
           _conv_backward("db_batch_only"), "dout.sum(axis=(0, 1, 2))", public=True),
    Mutant("conv_backward_naive", "db_mean", "averages db instead of summing",
           _conv_backward("db_mean"), "not the mean", public=True),
    Mutant("conv_backward_naive", "flipped", "flips the kernel in the backward pass",
           _conv_backward("flipped"), "the filter is flipped in the backward pass", public=True),
    Mutant("conv_backward_naive", "stride_ignored", "forgets the stride in the backward pass's index",
           _conv_backward("stride_ignored"), "the stride is missing from the index"),
    Mutant("conv_backward_naive", "dw_last_image_only", "accumulates dw over the last image only",
           _conv_backward("dw_last_image_only"), "summed over every image and position", public=True),
    Mutant("conv_backward_naive", "dout_in_place", "zeroes the caller's dout",
           _conv_backward("dout_in_place"), "modified its input `dout` in place", public=True),
    # max_pool_forward_naive
    Mutant("max_pool_forward_naive", "average", "averages the window instead of taking its maximum",
           _pool_forward("average"), "not the average"),
    Mutant("max_pool_forward_naive", "stride_ignored", "moves the windows by 1 whatever the stride",
           _pool_forward("stride_ignored"), "the stride is ignored", public=True),
    Mutant("max_pool_forward_naive", "height_for_width", "uses the pool height for the width",
           _pool_forward("height_for_width"), "W_out from W and pool_width", public=True),
    # max_pool_backward_naive
    Mutant("max_pool_backward_naive", "assign", "writes dx[...] = instead of += (wrong where windows overlap)",
           _pool_backward("assign"), "receives the SUM of their gradients", public=True),
    Mutant("max_pool_backward_naive", "every_position", "routes the gradient to every input of the window",
           _pool_backward("every_position"), "not to every input of the window", public=True),
    Mutant("max_pool_backward_naive", "every_tie", "routes the gradient to every tied maximum",
           _pool_backward("every_tie"), "the FIRST of them in row-major order", public=True),
    Mutant("max_pool_backward_naive", "last_tie", "routes the gradient to the last of the tied maxima",
           _pool_backward("last_tie"), "the FIRST of them in row-major order"),
    Mutant("max_pool_backward_naive", "in_place", "uses the cached x as the output buffer",
           _pool_backward("in_place"), "modified the arrays of its cache", public=True),
    # conv_forward_im2col
    Mutant("conv_forward_im2col", "channel_first_patches", "flattens each window channel-first",
           _im2col_forward("channel_first_patches"), "flattened in different orders"),
    Mutant("conv_forward_im2col", "loop_over_positions", "fills the im2col matrix column by column in a loop",
           _im2col_forward("loop_over_positions"), "runs a Python loop over the output positions", public=True),
    Mutant("conv_forward_im2col", "multiply_and_sum",
           "multiplies windows and filters elementwise and sums (vectorized, but no matrix product)",
           _im2col_forward("multiply_and_sum"), "conv_forward_im2col is too slow"),
    # vgg_block
    Mutant("vgg_block", "valid_padding", "3x3 convolutions with padding='valid'",
           _vgg_block("valid_padding"), "padding='valid'", public=True),
    Mutant("vgg_block", "pool_in_loop", "pools after every convolution",
           _vgg_block("pool_in_loop"), "the pooling layer is inside the loop", public=True),
    Mutant("vgg_block", "no_relu", "forgets the ReLUs",
           _vgg_block("no_relu"), "returned negative values", public=True),
    Mutant("vgg_block", "relu_last_only", "a ReLU after the last convolution only",
           _vgg_block("relu_last_only"), "each convolution is followed by its ReLU"),
    Mutant("vgg_block", "average_pool", "average pooling instead of max pooling",
           _vgg_block("average_pool"), "VGG uses 2x2 MAX pooling"),
    Mutant("vgg_block", "pool_stride_1", "2x2 max pooling with stride 1",
           _vgg_block("pool_stride_1"), "not 1", public=True),
    Mutant("vgg_block", "no_bias", "convolutions without biases",
           _vgg_block("no_bias"), "the convolutions have no bias", public=True),
    # basic_block
    Mutant("basic_block", "no_final_relu", "no ReLU after the addition",
           _basic_block("no_final_relu"), "returned negative values", public=True),
    Mutant("basic_block", "relu_before_add", "the ReLU on the residual branch before the addition",
           _basic_block("relu_before_add"), "returned negative values", public=True),
    Mutant("basic_block", "shortcut_ignores_stride", "the projection shortcut has stride 1",
           _basic_block("shortcut_ignores_stride"), "the shortcut must have the shape of the residual branch",
           public=True),
    Mutant("basic_block", "projection_only_for_stride", "no projection when only the channel count changes",
           _basic_block("projection_only_for_stride"), "the shortcut must have the shape of the residual branch",
           public=True),
    Mutant("basic_block", "no_shortcut", "forgets the shortcut (a plain block)",
           _basic_block("no_shortcut"), "the shortcut is not added", public=True),
    Mutant("basic_block", "always_project", "a projection shortcut even when the shapes match",
           _basic_block("always_project"), "the shortcut is the identity, no projection", public=True),
    Mutant("basic_block", "projection_without_bn", "a projection without its batch normalization",
           _basic_block("projection_without_bn"), "the projection's too", public=True),
    Mutant("basic_block", "stride_on_second", "the stride on the second 3x3 convolution",
           _basic_block("stride_on_second"), "the stride belongs to the FIRST 3x3 convolution"),
    Mutant("basic_block", "relu_before_bn", "conv - ReLU - BN instead of conv - BN - ReLU",
           _basic_block("relu_before_bn"), "conv3x3 (stride) -> BN -> ReLU"),
    Mutant("basic_block", "symmetric_padding", "pads the 3x3 convolutions by 1 on every side (PyTorch style)",
           _basic_block("symmetric_padding"), "use Keras' padding='same'"),
]
