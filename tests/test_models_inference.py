"""course.models.inference_function: the same outputs and gradients as the model, one trace, inference only."""

import doctest

import keras
import numpy as np
import pytest

from course.models import inference, inference_function, small_cnn
from test_layers_helpers import BACKEND, KERAS_NUMPY_WARNING

pytestmark = [pytest.mark.filterwarnings(KERAS_NUMPY_WARNING),
              pytest.mark.skipif(BACKEND != "tensorflow", reason="compiles with tf.function; gradients by GradientTape")]


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    net = small_cnn(width=4, num_classes=3, dropout=0.5, classifier_activation=None)
    # non-trivial moving statistics, so inference and training modes differ
    bn = net.get_layer("block1a_bn")
    gamma, beta, mean, var = bn.get_weights()
    bn.set_weights([gamma * 1.5, beta + 0.1, mean + 0.2, var * 2.0])
    return net


def _gradient(fn, x, label):
    import tensorflow as tf

    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = tf.reduce_sum(fn(x, training=False)[:, label])
    return tape.gradient(score, x).numpy()


def test_outputs_and_gradients_match_the_model_in_inference_mode(model):
    f = inference_function(model)
    x = np.random.default_rng(0).uniform(size=(3, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(f(x), model(x, training=False), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_gradient(f, x, 1), _gradient(model, x, 1), rtol=1e-4, atol=1e-6)
    for n in (1, 5, 2):
        f(x[:1].repeat(n, axis=0))
    assert f.traces == 1


def test_inference_only_and_leaves_the_model_alone(model):
    f = inference_function(model)
    before = [w.copy() for w in model.get_weights()]
    f(np.ones((4, 32, 32, 3), np.float32))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(ValueError, match="inference mode only"):
        f(np.ones((1, 32, 32, 3), np.float32), training=True)


def test_attributes_are_the_models(model):
    f = inference_function(model)
    assert f.layers == model.layers and f.input_shape == model.input_shape and f.name == model.name
    assert f.get_layer("logits") is model.get_layer("logits") and "small_cnn" in repr(f)
    with pytest.raises(TypeError, match="needs a keras.Model"):
        inference_function(lambda x: x)


def test_docstring_example():
    result = doctest.testmod(inference)
    assert result.attempted > 0 and result.failed == 0
