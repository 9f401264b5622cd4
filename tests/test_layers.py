"""course.layers: Maxout, LocalResponseNormalization, ConvBNReLU, ResidualBlock.

Each layer is checked against an independent numpy computation, for shapes,
training vs inference, serialisation (config round trip and a saved .keras
model) and, where differentiable, a float64 gradient check.
"""

import doctest
import importlib

import keras
import numpy as np
import pytest

from course.layers import ConvBNReLU, LocalResponseNormalization, Maxout, ResidualBlock
from test_layers_helpers import (
    BACKEND, BN_GRAD_OPTIONS, KERAS_NUMPY_WARNING, check_input_gradient, np_batchnorm, np_conv2d,
    save_load_predict, to_np,
)

pytestmark = [pytest.mark.backend_agnostic, pytest.mark.filterwarnings(KERAS_NUMPY_WARNING)]

# Under JAX every new shape compiles each op, so cases that exercise Keras' own logic rather than
# this package's backend-dependent code run on the TensorFlow backend only.
tf_only = pytest.mark.skipif(BACKEND != "tensorflow", reason="backend-independent case, run on TensorFlow only")

RNG = np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def fresh_rng():
    """Every test draws the same data whatever ran before it (or with -k)."""
    global RNG
    RNG = np.random.default_rng(1234)


def config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    return clone


@tf_only
@pytest.mark.parametrize("module", [
    "course.layers.maxout", "course.layers.local_response_normalization", "course.layers.conv_bn_relu",
    "course.layers.residual_block", "course.layers.random_pad_crop", "course.layers.pca_color_jitter",
])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0, f"{module} has no docstring example"
    assert result.failed == 0


def test_layers_are_registered_under_course_package():
    for cls in (Maxout, LocalResponseNormalization, ConvBNReLU, ResidualBlock):
        assert keras.saving.get_registered_name(cls) == f"course>{cls.__name__}"


# --------------------------------------------------------------------------- Maxout

def np_maxout(x, k, axis=-1):
    x = np.moveaxis(x, axis, -1)
    out = x.reshape(x.shape[:-1] + (x.shape[-1] // k, k)).max(axis=-1)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("shape,k,axis", [((4, 12), 3, -1), ((2, 5, 5, 8), 2, -1), ((2, 6, 3, 3), 3, 1),
                                          pytest.param((3, 7), 1, -1, marks=tf_only),
                                          pytest.param((3, 6), 6, 1, marks=tf_only)])
def test_maxout_matches_numpy(shape, k, axis):
    x = RNG.standard_normal(shape).astype("float32")
    layer = Maxout(k, axis=axis)
    out = to_np(layer(x))
    expected = np_maxout(x, k, axis)
    assert out.shape == expected.shape == layer.compute_output_shape(shape)
    np.testing.assert_array_equal(out, expected)


def test_maxout_groups_consecutive_features():
    x = np.array([[1.0, 5.0, -2.0, 0.5, 3.0, 3.5]], dtype="float32")
    np.testing.assert_array_equal(to_np(Maxout(2)(x)), [[5.0, 0.5, 3.5]])
    np.testing.assert_array_equal(to_np(Maxout(3)(x)), [[5.0, 3.5]])


def test_maxout_symbolic_batch_and_model():
    inputs = keras.Input(shape=(10,))
    out = Maxout(5)(keras.layers.Dense(20)(inputs))
    assert tuple(out.shape) == (None, 4)


def test_maxout_errors():
    with pytest.raises(ValueError, match=r"size of axis -1 \(7\) is not divisible by num_pieces=2"):
        Maxout(2)(np.zeros((3, 7), dtype="float32"))
    with pytest.raises(ValueError, match="not divisible"):
        Maxout(4)(keras.Input(shape=(6,)))
    with pytest.raises(ValueError, match="num_pieces must be a positive int"):
        Maxout(0)
    with pytest.raises(ValueError, match="num_pieces must be a positive int"):
        Maxout(2.0)
    with pytest.raises(ValueError, match="batch axis"):
        Maxout(2, axis=0)(np.zeros((4, 4), dtype="float32"))
    with pytest.raises(ValueError, match="out of range"):
        Maxout(2, axis=3)(np.zeros((4, 4), dtype="float32"))


def test_maxout_gradient():
    x = RNG.standard_normal((3, 8))  # float64; ties have probability zero
    check_input_gradient(lambda: Maxout(4, dtype="float64"), x)
    check_input_gradient(lambda: Maxout(2, axis=1, dtype="float64"), RNG.standard_normal((2, 4, 3)))


def test_maxout_serialises(tmp_path):
    layer = Maxout(3, axis=-1, name="mx")
    clone = config_round_trip(layer)
    assert (clone.num_pieces, clone.axis, clone.name) == (3, -1, "mx")
    save_load_predict(layer, RNG.standard_normal((4, 9)).astype("float32"), tmp_path)


# --------------------------------------------------------------------------- LRN

def np_lrn(x, depth_radius, bias, alpha, beta):
    """Loop over channels, summing the clipped window (TensorFlow's formula)."""
    x = np.asarray(x, dtype="float64")
    c = x.shape[-1]
    out = np.empty_like(x)
    for i in range(c):
        lo, hi = max(0, i - depth_radius), min(c, i + depth_radius + 1)
        sqr_sum = np.sum(x[..., lo:hi] ** 2, axis=-1)
        out[..., i] = x[..., i] / (bias + alpha * sqr_sum) ** beta
    return out


LRN_CASES = [
    dict(depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75),   # AlexNet
    dict(depth_radius=1, bias=1.0, alpha=0.5, beta=0.5),
    dict(depth_radius=0, bias=0.5, alpha=2.0, beta=1.0),
    dict(depth_radius=5, bias=1.0, alpha=0.1, beta=0.75),    # window wider than the channels
]


@pytest.mark.parametrize("params", LRN_CASES)
def test_lrn_matches_numpy(params):
    x = (RNG.standard_normal((2, 3, 4, 6)) * 3).astype("float32")
    out = to_np(LocalResponseNormalization(**params)(x))
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, np_lrn(x, **params), rtol=2e-6, atol=1e-7)


def test_lrn_alexnet_constants_change_large_activations():
    # With AlexNet's constants, large activations are damped noticeably; small ones barely.
    layer = LocalResponseNormalization()
    assert (layer.depth_radius, layer.bias, layer.alpha, layer.beta) == (2, 2.0, 1e-4, 0.75)
    small = np.full((1, 1, 1, 5), 0.1, dtype="float32")
    large = np.full((1, 1, 1, 5), 100.0, dtype="float32")
    np.testing.assert_allclose(to_np(layer(small)), small / 2.0 ** 0.75, rtol=1e-5)
    np.testing.assert_allclose(to_np(layer(large))[0, 0, 0, 2], 100.0 / (2.0 + 1e-4 * 5e4) ** 0.75, rtol=1e-5)


def test_lrn_works_on_rank_2_and_symbolic_inputs():
    x = RNG.standard_normal((5, 7)).astype("float32")
    np.testing.assert_allclose(to_np(LocalResponseNormalization(1, 1.0, 1.0, 0.5)(x)),
                               np_lrn(x, 1, 1.0, 1.0, 0.5), rtol=2e-6)
    out = LocalResponseNormalization()(keras.Input(shape=(8, 8, 16)))
    assert tuple(out.shape) == (None, 8, 8, 16)


def test_lrn_matches_tensorflow():
    if BACKEND != "tensorflow":
        pytest.skip("tf.nn.local_response_normalization needs the TensorFlow backend")
    import tensorflow as tf

    x = (RNG.standard_normal((2, 5, 5, 10)) * 4).astype("float32")
    for params in LRN_CASES:
        expected = tf.nn.local_response_normalization(x, **params).numpy()
        np.testing.assert_allclose(to_np(LocalResponseNormalization(**params)(x)), expected, rtol=1e-5, atol=1e-7)


def test_lrn_errors():
    with pytest.raises(ValueError, match="depth_radius must be an int >= 0"):
        LocalResponseNormalization(depth_radius=-1)
    with pytest.raises(ValueError, match="depth_radius must be an int >= 0"):
        LocalResponseNormalization(depth_radius=2.5)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        LocalResponseNormalization(alpha=-1.0)
    with pytest.raises(ValueError, match="beta must be a number"):
        LocalResponseNormalization(beta="0.75")


def test_lrn_gradient():
    x = RNG.standard_normal((2, 2, 2, 5)) * 2
    check_input_gradient(lambda: LocalResponseNormalization(2, 1.0, 0.3, 0.75, dtype="float64"), x)


def test_lrn_serialises(tmp_path):
    layer = LocalResponseNormalization(depth_radius=3, bias=1.5, alpha=0.01, beta=0.6)
    clone = config_round_trip(layer)
    assert (clone.depth_radius, clone.bias, clone.alpha, clone.beta) == (3, 1.5, 0.01, 0.6)
    save_load_predict(layer, RNG.standard_normal((2, 4, 4, 8)).astype("float32"), tmp_path)


# --------------------------------------------------------------------------- ConvBNReLU

def randomise_bn(bn, rng):
    c = bn.gamma.shape[0]
    bn.gamma.assign(rng.uniform(0.5, 1.5, c).astype(bn.gamma.dtype))
    bn.beta.assign(rng.standard_normal(c).astype(bn.beta.dtype) * 0.1)
    bn.moving_mean.assign(rng.standard_normal(c).astype(bn.moving_mean.dtype) * 0.1)
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, c).astype(bn.moving_variance.dtype))


def test_conv_bn_relu_matches_numpy_in_both_modes():
    x = RNG.standard_normal((3, 6, 6, 4)).astype("float32")
    layer = ConvBNReLU(5, kernel_size=3, strides=1, momentum=0.8, epsilon=1e-3)
    layer.build(x.shape)
    randomise_bn(layer.bn, np.random.default_rng(0))
    kernel = to_np(layer.conv.kernel).astype("float64")
    gamma, beta = to_np(layer.bn.gamma), to_np(layer.bn.beta)
    mm, mv = to_np(layer.bn.moving_mean), to_np(layer.bn.moving_variance)
    z = np_conv2d(x.astype("float64"), kernel)

    # Inference: moving statistics; nothing is updated.
    expected = np.maximum(np_batchnorm(z, gamma, beta, mm, mv, 1e-3), 0)
    np.testing.assert_allclose(to_np(layer(x, training=False)), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_np(layer(x)), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(to_np(layer.bn.moving_mean), mm)

    # Training: batch statistics over N, H, W, and the moving averages move.
    mean, var = z.mean(axis=(0, 1, 2)), z.var(axis=(0, 1, 2))
    expected = np.maximum(np_batchnorm(z, gamma, beta, mean, var, 1e-3), 0)
    np.testing.assert_allclose(to_np(layer(x, training=True)), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_np(layer.bn.moving_mean), 0.8 * mm + 0.2 * mean, rtol=1e-4, atol=1e-6)
    assert np.all(to_np(layer(x, training=True)) >= 0)


@tf_only
def test_conv_bn_relu_shapes_and_options():
    x = np.zeros((2, 9, 9, 3), dtype="float32")
    assert tuple(ConvBNReLU(8, strides=2)(x).shape) == (2, 5, 5, 8)
    assert tuple(ConvBNReLU(8, kernel_size=3, padding="valid")(x).shape) == (2, 7, 7, 8)
    layer = ConvBNReLU(4, kernel_size=(1, 1))
    layer.build((None, 9, 9, 3))
    assert layer.conv.bias is None and layer.count_params() == 3 * 4 + 4 * 4
    assert ConvBNReLU(4, use_bias=True).compute_output_shape((None, 9, 9, 3)) == (None, 9, 9, 4)
    # activation=None: conv-BN only, negative outputs survive.
    y = to_np(ConvBNReLU(4, activation=None)(RNG.standard_normal((2, 5, 5, 3)).astype("float32"), training=True))
    assert y.min() < 0
    out = ConvBNReLU(16)(keras.Input(shape=(32, 32, 3)))
    assert tuple(out.shape) == (None, 32, 32, 16)


def test_conv_bn_relu_errors():
    with pytest.raises(ValueError, match="filters must be a positive int"):
        ConvBNReLU(0)
    with pytest.raises(ValueError, match="padding must be 'same' or 'valid'"):
        ConvBNReLU(4, padding="full")
    with pytest.raises(ValueError, match="expected a 4-D input"):
        ConvBNReLU(4)(np.zeros((2, 8, 3), dtype="float32"))


def test_conv_bn_relu_gradient_training_mode():
    check_input_gradient(lambda: ConvBNReLU(3, kernel_size=3, dtype="float64"), RNG.standard_normal((2, 4, 4, 2)),
                         training=True, **BN_GRAD_OPTIONS)


def test_conv_bn_relu_gradient_inference_mode():
    x = RNG.standard_normal((2, 5, 5, 2))

    def make():
        layer = ConvBNReLU(3, kernel_size=3, strides=2, dtype="float64")
        layer.build(x.shape)
        randomise_bn(layer.bn, np.random.default_rng(1))
        return layer

    check_input_gradient(make, x, training=False, **BN_GRAD_OPTIONS)


def test_conv_bn_relu_serialises(tmp_path):
    layer = ConvBNReLU(6, kernel_size=(3, 1), strides=2, padding="valid", use_bias=True,
                       kernel_regularizer=keras.regularizers.L2(1e-4), momentum=0.9, epsilon=1e-5, name="cbr")
    clone = config_round_trip(layer)
    assert (clone.filters, clone.strides, clone.padding, clone.use_bias, clone.momentum) == (6, 2, "valid", True, 0.9)
    assert isinstance(clone.kernel_regularizer, keras.regularizers.L2)
    x = RNG.standard_normal((2, 7, 7, 3)).astype("float32")
    fresh = ConvBNReLU(6)
    fresh.build(x.shape)
    randomise_bn(fresh.bn, np.random.default_rng(2))  # non-trivial moving statistics must survive the round trip
    save_load_predict(fresh, x, tmp_path)


# --------------------------------------------------------------------------- ResidualBlock

def np_residual(x, block):
    """He et al.'s basic block in numpy (inference mode), from the layer's own weights."""
    def bn(z, layer):
        return np_batchnorm(z, to_np(layer.gamma), to_np(layer.beta), to_np(layer.moving_mean),
                            to_np(layer.moving_variance), layer.epsilon)

    x = x.astype("float64")
    y = np.maximum(bn(np_conv2d(x, to_np(block.conv1.kernel), stride=block.stride), block.bn1), 0)
    y = bn(np_conv2d(y, to_np(block.conv2.kernel)), block.bn2)
    if block.shortcut_conv is None:
        shortcut = x
    else:
        shortcut = bn(np_conv2d(x, to_np(block.shortcut_conv.kernel), stride=block.stride), block.shortcut_bn)
    return np.maximum(y + shortcut, 0)


@pytest.mark.parametrize("in_channels,filters,stride,projection", [
    (4, 4, 1, False), pytest.param(4, 4, 2, True, marks=tf_only), pytest.param(4, 6, 1, True, marks=tf_only),
    (3, 6, 2, True),
])
def test_residual_block_matches_numpy(in_channels, filters, stride, projection):
    x = RNG.standard_normal((2, 6, 6, in_channels)).astype("float32")
    block = ResidualBlock(filters, stride=stride)
    block.build(x.shape)
    assert (block.shortcut_conv is not None) == projection
    rng = np.random.default_rng(3)
    for bn in (block.bn1, block.bn2) + ((block.shortcut_bn,) if projection else ()):
        randomise_bn(bn, rng)
    out = to_np(block(x, training=False))
    size = -(-6 // stride)
    assert out.shape == (2, size, size, filters) == block.compute_output_shape(x.shape)[:1] + out.shape[1:]
    np.testing.assert_allclose(out, np_residual(x, block), rtol=1e-4, atol=1e-5)


def test_residual_block_identity_shortcut_passes_input_through():
    # With the residual branch zeroed (bn2's gamma = beta = 0) the block is relu(x).
    x = RNG.standard_normal((2, 5, 5, 3)).astype("float32")
    block = ResidualBlock(3)
    block.build(x.shape)
    block.bn2.gamma.assign(np.zeros(3, dtype="float32"))
    np.testing.assert_allclose(to_np(block(x, training=True)), np.maximum(x, 0), atol=1e-6)


@tf_only
def test_residual_block_parameter_count():
    block = ResidualBlock(32, stride=2)
    block.build((None, 16, 16, 16))
    # conv1 3x3x16x32 + conv2 3x3x32x32 + shortcut 1x1x16x32, no biases; 3 BNs x 4 x 32.
    assert block.count_params() == 9 * 16 * 32 + 9 * 32 * 32 + 16 * 32 + 3 * 4 * 32
    same = ResidualBlock(16)
    same.build((None, 16, 16, 16))
    assert same.count_params() == 2 * 9 * 16 * 16 + 2 * 4 * 16


def test_residual_block_errors():
    with pytest.raises(ValueError, match="filters must be a positive int"):
        ResidualBlock(-3)
    with pytest.raises(ValueError, match="stride must be a positive int"):
        ResidualBlock(8, stride=0)
    with pytest.raises(ValueError, match="expected a 4-D input"):
        ResidualBlock(8)(np.zeros((2, 8), dtype="float32"))


def test_residual_block_gradient():
    check_input_gradient(lambda: ResidualBlock(3, stride=2, dtype="float64"), RNG.standard_normal((2, 4, 4, 2)),
                         training=True, **BN_GRAD_OPTIONS)


def test_residual_block_serialises(tmp_path):
    block = ResidualBlock(8, stride=2, kernel_regularizer="l2", momentum=0.9, name="res")
    clone = config_round_trip(block)
    assert (clone.filters, clone.stride, clone.momentum) == (8, 2, 0.9)
    x = RNG.standard_normal((2, 8, 8, 4)).astype("float32")
    fresh = ResidualBlock(8, stride=2)
    fresh.build(x.shape)
    rng = np.random.default_rng(4)
    for bn in (fresh.bn1, fresh.bn2, fresh.shortcut_bn):
        randomise_bn(bn, rng)
    _, loaded = save_load_predict(fresh, x, tmp_path)
    assert len(loaded.weights) == len(fresh.weights) == 3 + 3 * 4  # 3 kernels, 3 BNs (projection rebuilt on load)


def test_residual_block_trains_in_a_model():
    inputs = keras.Input(shape=(8, 8, 3))
    x = ResidualBlock(4, stride=2)(ConvBNReLU(4)(inputs))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    before = [to_np(w).copy() for w in model.trainable_weights]
    x = RNG.standard_normal((8, 8, 8, 3)).astype("float32")
    loss = model.train_on_batch(x, RNG.integers(0, 2, 8))
    assert np.isfinite(loss)
    assert all(not np.array_equal(b, to_np(w)) for b, w in zip(before, model.trainable_weights))


def test_lrn_under_float16_does_not_overflow():
    # 300 ** 2 overflows float16; the layer computes in float32 and returns float16.
    x = np.full((1, 1, 1, 3), 300.0, dtype="float16")
    out = to_np(LocalResponseNormalization(dtype="mixed_float16")(x))
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.astype("float64"), np_lrn(x, 2, 2.0, 1e-4, 0.75), rtol=2e-3)
