"""course.models: parameter counts, shapes, a training step, saving, argument errors.

Big models (VGG-16 at 224x224, AlexNet at 227x227) are only constructed,
never run.
"""

import doctest
import importlib

import keras
import numpy as np
import pytest

from course.layers import LocalResponseNormalization, RandomPadCrop
from course.models import alexnet, resnet9, resnet_cifar, small_cnn, two_layer_net, vgg
from test_layers_helpers import BACKEND, KERAS_NUMPY_WARNING, to_np

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def fresh_rng():
    """Every test draws the same data whatever ran before it (or with -k)."""
    global RNG
    RNG = np.random.default_rng(7)
agnostic = pytest.mark.backend_agnostic
pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY_WARNING)


def conv_params(k, cin, cout, bias=True):
    return k * k * cin * cout + (cout if bias else 0)


def dense_params(cin, cout, bias=True):
    return cin * cout + (cout if bias else 0)


def bn_params(c):
    return 4 * c  # gamma, beta, moving mean, moving variance


def layers_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


# --------------------------------------------------------------------------- docstrings

@pytest.mark.slow
@pytest.mark.parametrize("module", ["two_layer_net", "small_cnn", "alexnet", "vgg", "resnet_cifar", "resnet9"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(f"course.models.{module}"))
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------- VGG

def test_vgg16_at_imagenet_size_has_keras_applications_parameter_count():
    model = vgg((224, 224, 3), num_classes=1000, config="D")
    assert model.count_params() == 138_357_544  # keras.applications.VGG16(weights=None)
    assert len(layers_of(model, keras.layers.Conv2D)) == 13 and len(layers_of(model, keras.layers.Dense)) == 3
    assert tuple(model.get_layer("flatten").output.shape) == (None, 7 * 7 * 512)
    assert model.get_layer("fc1").count_params() == dense_params(7 * 7 * 512, 4096)


VGG_TABLE = {  # config: (3x3 convs per stage, 1x1 convs per stage, weight layers, Table 2 params in millions)
    "A": ((1, 1, 2, 2, 2), (0, 0, 0, 0, 0), 11, 133),
    "B": ((2, 2, 2, 2, 2), (0, 0, 0, 0, 0), 13, 133),
    "C": ((2, 2, 2, 2, 2), (0, 0, 1, 1, 1), 16, 134),
    "D": ((2, 2, 3, 3, 3), (0, 0, 0, 0, 0), 16, 138),
    "E": ((2, 2, 4, 4, 4), (0, 0, 0, 0, 0), 19, 144),
}


def vgg_conv_params(threes, ones):
    total, cin = 0, 3
    for n3, n1, cout in zip(threes, ones, (64, 128, 256, 512, 512)):
        for _ in range(n3):
            total, cin = total + conv_params(3, cin, cout), cout
        for _ in range(n1):
            total, cin = total + conv_params(1, cin, cout), cout
    return total


@pytest.mark.slow
@pytest.mark.parametrize("config", sorted(VGG_TABLE))
def test_vgg_configs_follow_table_1(config):
    threes, ones, weight_layers, table2_millions = VGG_TABLE[config]
    model = vgg((32, 32, 3), num_classes=10, config=config)
    convs = layers_of(model, keras.layers.Conv2D)
    assert len(convs) + len(layers_of(model, keras.layers.Dense)) == weight_layers - 1  # small head: 2 FC, not 3
    assert sum(c.kernel_size == (1, 1) for c in convs) == sum(ones)
    conv_total = vgg_conv_params(threes, ones)
    assert sum(c.count_params() for c in convs) == conv_total
    # Small CIFAR head: 1x1x512 -> FC 512 -> FC 10.
    assert model.count_params() == conv_total + dense_params(512, 512) + dense_params(512, 10)
    # The paper's full head at 224x224 with 1000 classes gives Table 2's figures.
    full = conv_total + dense_params(7 * 7 * 512, 4096) + dense_params(4096, 4096) + dense_params(4096, 1000)
    assert round(full / 1e6) == table2_millions


def test_vgg_variants_at_cifar_size():
    lrn = vgg(config="A-LRN")
    assert len(layers_of(lrn, LocalResponseNormalization)) == 1
    assert lrn.count_params() == vgg(config="A").count_params()
    bn = vgg(config="11", batch_norm=True, dropout=0.0)
    assert bn.name == "vgg_a" and len(layers_of(bn, keras.layers.BatchNormalization)) == 8
    assert not layers_of(bn, keras.layers.Dropout)
    assert all(c.bias is None for c in layers_of(bn, keras.layers.Conv2D))
    probs = to_np(bn(RNG.uniform(size=(2, 32, 32, 3)).astype("float32"), training=False))
    assert probs.shape == (2, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


# --------------------------------------------------------------------------- AlexNet

def test_alexnet_original_layout():
    # Small FC layers keep the model cheap; the convolutions are the paper's.
    model = alexnet((227, 227, 3), num_classes=1000, layout="original", fc_units=(8, 8))
    conv1 = model.get_layer("conv1")
    assert tuple(conv1.output.shape) == (None, 55, 55, 96)
    assert conv1.count_params() == 34_944 == conv_params(11, 3, 96)
    assert tuple(model.get_layer("pool1").output.shape) == (None, 27, 27, 96)
    assert tuple(model.get_layer("pool2").output.shape) == (None, 13, 13, 256)
    assert tuple(model.get_layer("flatten").output.shape) == (None, 6 * 6 * 256)
    convs = (conv_params(11, 3, 96) + conv_params(5, 96, 256) + conv_params(3, 256, 384)
             + conv_params(3, 384, 384) + conv_params(3, 384, 256))
    assert sum(c.count_params() for c in layers_of(model, keras.layers.Conv2D)) == convs
    assert len(layers_of(model, LocalResponseNormalization)) == 2
    # With the paper's FC layers: the well-known 62.4M (one-tower) total, as the docstring says.
    full = convs + dense_params(9216, 4096) + dense_params(4096, 4096) + dense_params(4096, 1000)
    assert full == 62_378_344


def test_alexnet_cifar_layout():
    model = alexnet()
    assert len(layers_of(model, keras.layers.Conv2D)) == 5 and len(layers_of(model, keras.layers.Dense)) == 3
    assert len(layers_of(model, LocalResponseNormalization)) == 2
    assert tuple(model.get_layer("flatten").output.shape) == (None, 4 * 4 * 256)
    assert not layers_of(alexnet(lrn=False), LocalResponseNormalization)
    probs = to_np(model(RNG.uniform(size=(2, 32, 32, 3)).astype("float32")))
    assert probs.shape == (2, 10)


# --------------------------------------------------------------------------- ResNets

def resnet_cifar_params(n, width=16, classes=10):
    """He et al.'s CIFAR ResNet with projection shortcuts, counted by hand."""
    total = conv_params(3, 3, width, bias=False) + bn_params(width)
    cin = width
    for stage in range(3):
        c = width * 2 ** stage
        for block in range(n):
            total += conv_params(3, cin, c, False) + bn_params(c) + conv_params(3, c, c, False) + bn_params(c)
            if cin != c:
                total += conv_params(1, cin, c, False) + bn_params(c)
            cin = c
    return total + dense_params(cin, classes)


@pytest.mark.parametrize("depth", [20, 32, 56])
def test_resnet_cifar_depth_and_parameters(depth):
    model = resnet_cifar(depth=depth)
    main_path = [c for c in layers_of(model, keras.layers.Conv2D) if "shortcut" not in c.name]
    assert len(main_path) + len(layers_of(model, keras.layers.Dense)) == depth
    assert len(layers_of(model, keras.layers.Add)) == 3 * (depth - 2) // 6
    assert model.count_params() == resnet_cifar_params((depth - 2) // 6)
    assert [tuple(model.get_layer(f"stage{s}_block1_out").output.shape[1:]) for s in (1, 2, 3)] == [
        (32, 32, 16), (16, 16, 32), (8, 8, 64)]
    if depth == 20:
        assert 0.265e6 < model.count_params() < 0.275e6  # "0.27M" in the paper


def resnet9_params(c, classes=10):
    def cbr(cin, cout):
        return conv_params(3, cin, cout, bias=False) + bn_params(cout)

    return (cbr(3, c) + cbr(c, 2 * c) + 2 * cbr(2 * c, 2 * c) + cbr(2 * c, 4 * c) + cbr(4 * c, 8 * c)
            + 2 * cbr(8 * c, 8 * c) + dense_params(8 * c, classes, bias=False))


@pytest.mark.parametrize("width", [8, 16, 64])
def test_resnet9_structure_and_parameters(width):
    model = resnet9(width=width)
    assert len(layers_of(model, keras.layers.Conv2D)) + len(layers_of(model, keras.layers.Dense)) == 9
    assert model.count_params() == resnet9_params(width)
    assert tuple(model.get_layer("layer3_add").output.shape) == (None, 4, 4, 8 * width)


# --------------------------------------------------------------------------- all builders

BUILDERS = {
    "two_layer_net": lambda **kw: two_layer_net(hidden_units=32, **kw),
    "small_cnn": lambda **kw: small_cnn(width=8, **kw),
    "alexnet": lambda **kw: alexnet(fc_units=(32, 16), **kw),
    "vgg": lambda **kw: vgg(config="A", batch_norm=True, **kw),
    "resnet_cifar": lambda **kw: resnet_cifar(depth=8, width=8, **kw),
    "resnet9": lambda **kw: resnet9(width=8, **kw),
}


def test_small_cnn_size():
    model = small_cnn()
    assert 100_000 <= model.count_params() <= 300_000
    assert isinstance(model.layers[-2], keras.layers.Dense) and model.output_shape == (None, 10)
    assert layers_of(model, keras.layers.GlobalAveragePooling2D)


def test_small_cnn_blocks_set_the_stages():
    tiny = small_cnn(width=8, blocks=(1, 1))
    assert tiny.count_params() == (conv_params(3, 3, 8, bias=False) + bn_params(8) + conv_params(3, 8, 16, bias=False)
                                   + bn_params(16) + dense_params(16, 10))
    assert len(layers_of(tiny, keras.layers.Conv2D)) == 2 and len(layers_of(tiny, keras.layers.MaxPooling2D)) == 1
    assert tuple(tiny.get_layer("block2a_relu").output.shape) == (None, 16, 16, 16)
    default = small_cnn(width=8)
    assert [layer.name for layer in layers_of(default, keras.layers.Conv2D)] == [
        "block1a_conv", "block2a_conv", "block2b_conv", "block3a_conv", "block3b_conv"]
    assert small_cnn(width=8, blocks=(1, 2, 2)).count_params() == default.count_params()
    for bad in ((), (1, 0), (1, 2.0), 3):
        with pytest.raises(ValueError, match="blocks must be a"):
            small_cnn(blocks=bad)
    with pytest.raises(ValueError, match="at least 8"):
        small_cnn((4, 4, 3), blocks=(1, 1, 1, 1))


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_forward_pass_shapes(name):
    model = BUILDERS[name](input_shape=(32, 32, 3), num_classes=7)
    assert model.output_shape == (None, 7)
    probs = model.predict(RNG.uniform(size=(3, 32, 32, 3)).astype("float32"), verbose=0)
    assert probs.shape == (3, 7) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_classifier_activation_none_gives_the_logits_of_the_same_network(name):
    probs_model = BUILDERS[name](input_shape=(32, 32, 3), num_classes=5)
    logits_model = BUILDERS[name](input_shape=(32, 32, 3), num_classes=5, classifier_activation=None)
    assert logits_model.layers[-1].name == "logits" and probs_model.layers[-1].name == "probabilities"
    assert logits_model.output_shape == (None, 5) and logits_model.count_params() == probs_model.count_params()
    logits_model.set_weights(probs_model.get_weights())
    x = RNG.uniform(size=(3, 32, 32, 3)).astype("float32")
    logits = to_np(logits_model(x, training=False))
    assert logits.dtype == np.float32 and not np.allclose(logits.sum(axis=1), 1.0)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(shifted / shifted.sum(axis=1, keepdims=True),
                               to_np(probs_model(x, training=False)), rtol=1e-5, atol=1e-7)


def test_classifier_activation_other_names_and_errors():
    model = small_cnn(width=4, num_classes=3, classifier_activation="sigmoid")
    assert model.layers[-1].name == "outputs"
    out = model.predict(RNG.uniform(size=(2, 32, 32, 3)).astype("float32"), verbose=0)
    assert out.shape == (2, 3) and np.all((out > 0) & (out < 1))
    for builder in (small_cnn, resnet9, two_layer_net, resnet_cifar, vgg, alexnet):
        with pytest.raises(ValueError, match="classifier_activation must be None .logits., 'softmax'"):
            builder(classifier_activation="logits")


def test_small_cnn_first_kernel_size():
    model = small_cnn(width=8, first_kernel_size=7)
    assert model.get_layer("block1a_conv").kernel.shape == (7, 7, 3, 8)
    assert model.count_params() - small_cnn(width=8).count_params() == conv_params(7, 3, 8, False) - \
        conv_params(3, 3, 8, False)
    assert model.output_shape == (None, 10)
    with pytest.raises(ValueError, match="first_kernel_size must be a positive int"):
        small_cnn(first_kernel_size=0)


# Under JAX, VGG and AlexNet (plain Conv2D/ReLU/pooling/Dense/Dropout, plus LRN, whose gradient is
# checked in test_layers.py) are left to the TensorFlow run: each costs minutes of JAX compilation
# on a 2-core CPU and exercises no layer type the other builders do not.
JAX_SKIP = pytest.mark.skipif(BACKEND == "jax", reason="same layer types as the other builders; slow to compile")


@agnostic
@pytest.mark.slow
@pytest.mark.parametrize("name", [n if n not in ("alexnet", "vgg") else pytest.param(n, marks=JAX_SKIP)
                                  for n in sorted(BUILDERS)])
def test_one_training_step(name):
    """Forward shapes and one SGD step on this backend (the one test per builder that JAX reruns)."""
    keras.utils.set_random_seed(0)
    model = BUILDERS[name](input_shape=(32, 32, 3), num_classes=4)
    probs = to_np(model(RNG.uniform(size=(2, 32, 32, 3)).astype("float32"), training=False))
    assert probs.shape == (2, 4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    # On TensorFlow, tracing and compiling the step costs several times more than running it
    # eagerly once; under JAX the jitted step is the faster one.
    if BACKEND == "tensorflow":
        model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy", run_eagerly=True)
    else:
        model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy")
    x = RNG.uniform(size=(8, 32, 32, 3)).astype("float32")
    y = np.arange(8) % 4
    before = [to_np(w).copy() for w in model.trainable_weights]
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    changed = [not np.array_equal(b, to_np(w)) for b, w in zip(before, model.trainable_weights)]
    assert all(changed), [w.path for w, c in zip(model.trainable_weights, changed) if not c]


def test_augment_argument_is_training_only_and_saves(tmp_path):
    augment = [RandomPadCrop(4, seed=0), keras.layers.RandomFlip("horizontal", seed=0)]
    model = resnet_cifar(depth=8, width=4, augment=augment)
    assert model.layers[1] is augment[0] and model.layers[2] is augment[1]
    x = RNG.uniform(size=(4, 32, 32, 3)).astype("float32")
    pred = model.predict(x, verbose=0)
    np.testing.assert_array_equal(pred, model.predict(x, verbose=0))
    model.save(tmp_path / "resnet.keras")
    np.testing.assert_array_equal(keras.saving.load_model(tmp_path / "resnet.keras").predict(x, verbose=0), pred)
    single = two_layer_net(augment=keras.layers.RandomFlip("horizontal"))
    assert isinstance(single.layers[1], keras.layers.RandomFlip)


@agnostic
def test_alexnet_with_lrn_and_augment_saves_and_loads(tmp_path):
    model = alexnet(fc_units=(16, 16), augment=[RandomPadCrop(4, seed=0), keras.layers.RandomFlip("horizontal")])
    x = RNG.uniform(size=(2, 32, 32, 3)).astype("float32")
    pred = model.predict(x, verbose=0)
    model.save(tmp_path / "alexnet.keras")
    np.testing.assert_array_equal(keras.saving.load_model(tmp_path / "alexnet.keras").predict(x, verbose=0), pred)


@agnostic
def test_invalid_arguments_name_the_valid_values():
    with pytest.raises(ValueError, match=r"depth must be 6n \+ 2.*20, 32, 44, 56.*got 21"):
        resnet_cifar(depth=21)
    with pytest.raises(ValueError, match=r"depth must be 6n \+ 2"):
        resnet_cifar(depth=2)
    with pytest.raises(ValueError, match=r"unknown config 'F'; valid configs are \['A', 'A-LRN', 'B', 'C', 'D', 'E'\]"):
        vgg(config="F")
    with pytest.raises(ValueError, match="head must be one of"):
        vgg(head="large")
    with pytest.raises(ValueError, match="too small: height and width must be at least 32"):
        vgg((16, 16, 3))
    with pytest.raises(ValueError, match=r"layout must be one of \('cifar', 'original'\)"):
        alexnet(layout="imagenet")
    with pytest.raises(ValueError, match="at least 67"):
        alexnet((64, 64, 3), layout="original")
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        small_cnn(num_classes=0)
    with pytest.raises(ValueError, match="input_shape must be a tuple"):
        small_cnn(input_shape=(32, 32))
    with pytest.raises(ValueError, match="width must be a positive int"):
        resnet9(width=0)
    with pytest.raises(ValueError, match=r"dropout must be a float in \[0, 1\)"):
        two_layer_net(dropout=1.0)
    with pytest.raises(TypeError, match="augment must be a Keras layer"):
        small_cnn(augment=["flip"])


# --------------------------------------------------------------------------- plain networks, normalisation inside

@pytest.mark.parametrize("depth", [8, 20])
def test_plain_twin_of_resnet_cifar_has_the_same_layers_without_shortcuts(depth):
    plain, res = resnet_cifar(depth=depth, residual=False), resnet_cifar(depth=depth)
    assert plain.name == f"plain{depth}" and not layers_of(plain, keras.layers.Add)
    convs = layers_of(plain, keras.layers.Conv2D)
    assert len(convs) + len(layers_of(plain, keras.layers.Dense)) == depth
    assert [c.kernel.shape for c in convs] == [c.kernel.shape for c in layers_of(res, keras.layers.Conv2D)
                                               if "shortcut" not in c.name]
    projections = conv_params(1, 16, 32, False) + bn_params(32) + conv_params(1, 32, 64, False) + bn_params(64)
    assert plain.count_params() == res.count_params() - projections
    assert plain.output_shape == (None, 10)
    with pytest.raises(ValueError, match="residual must be True .* or False"):
        resnet_cifar(depth=8, residual="no")


def _normalizer(kind):
    from course.data import fit_normalization

    return fit_normalization(RNG.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8), kind=kind)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_normalize_puts_the_training_statistics_inside_the_model(name):
    norm = _normalizer("channel")
    keras.utils.set_random_seed(1)
    inside = BUILDERS[name](input_shape=(32, 32, 3), num_classes=5, normalize=norm)
    keras.utils.set_random_seed(1)
    outside = BUILDERS[name](input_shape=(32, 32, 3), num_classes=5)
    assert isinstance(inside.get_layer("normalize"), keras.layers.Normalization)
    layer = inside.get_layer("normalize")
    assert inside.count_params() == outside.count_params() + layer.count_params() and not layer.trainable_weights
    x = RNG.integers(0, 256, (3, 32, 32, 3)).astype(np.uint8)
    raw, normalised = x / np.float32(255), norm(x)
    np.testing.assert_allclose(to_np(inside(raw, training=False)), to_np(outside(normalised, training=False)),
                               rtol=1e-4, atol=1e-6)


def test_normalized_model_saves_and_loads_without_course(tmp_path):
    model = resnet_cifar(depth=8, width=4, normalize=_normalizer("image"))
    x = RNG.uniform(size=(2, 32, 32, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(keras.saving.load_model(tmp_path / "m.keras").predict(x, verbose=0),
                                  model.predict(x, verbose=0))
    with pytest.raises(TypeError, match="normalize must be None or a course.data.Normalizer"):
        small_cnn(normalize="channel")


def test_zero_init_residual_starts_every_block_as_its_shortcut():
    model = resnet_cifar(depth=8, width=4, zero_init_residual=True)
    last = [layer for layer in layers_of(model, keras.layers.BatchNormalization) if layer.name.endswith("_2_bn")]
    assert len(last) == 3 and all(not np.any(to_np(bn.gamma)) for bn in last)
    assert all(np.all(to_np(bn.gamma) == 1) for bn in layers_of(model, keras.layers.BatchNormalization)
               if bn not in last)
    # the identity block of stage 1 passes its input through: out = ReLU(x + 0) = x (x >= 0 after the stem's ReLU)
    probe = keras.Model(model.input, [model.get_layer("stem_relu").output, model.get_layer("stage1_block1_out").output])
    stem, block = (to_np(t) for t in probe(RNG.uniform(size=(2, 32, 32, 3)).astype("float32"), training=False))
    np.testing.assert_allclose(block, stem, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="zero_init_residual=True needs residual=True"):
        resnet_cifar(depth=8, residual=False, zero_init_residual=True)
