"""course.training.restart: several runs with one compiled model, each as if it were the first."""

import keras
import numpy as np
import pytest

from course.data import make_dataset
from course.models import small_cnn
from course.training import restart
from test_layers_helpers import KERAS_NUMPY_WARNING

pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY_WARNING)


def _data():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (64, 8, 8, 3), dtype=np.uint8), rng.integers(0, 3, 64)


def test_a_restarted_run_repeats_the_first_exactly_without_a_new_training_function():
    x, y = _data()
    keras.utils.set_random_seed(0)
    model = small_cnn((8, 8, 3), num_classes=3, width=4, blocks=(1, 1))
    model.compile(keras.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.5), "sparse_categorical_crossentropy")
    start = model.get_weights()

    def one_run():
        ds = make_dataset(x, y, 16, training=True, augment="flip,crop2", seed=3, repeat=True)
        history = model.fit(ds, steps_per_epoch=2, epochs=2, verbose=0).history["loss"]
        return history, [w.copy() for w in model.get_weights()]

    first, first_weights = one_run()
    traced = model.train_function
    model.optimizer.learning_rate = 0.5          # as a schedule callback would leave it
    restart(model, start, learning_rate=0.01)
    assert int(model.optimizer.iterations) == 0
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.01)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), start))   # BN statistics included
    again, again_weights = one_run()
    assert model.train_function is traced
    np.testing.assert_allclose(again, first, rtol=1e-6)
    for a, b in zip(again_weights, first_weights):       # the EMA averages were reset too
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_learning_rate_none_keeps_the_rate():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.3, momentum=0.9), "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
    restart(model, model.get_weights())
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.3)
    assert all(float(np.max(np.abs(keras.ops.convert_to_numpy(v)))) == 0.0
               for v in model.optimizer.variables if v is not model.optimizer.learning_rate)


def test_errors_are_named():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="the model is not compiled"):
        restart(model, model.get_weights())
    model.compile(keras.optimizers.SGD(0.1), "mse")
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        restart(model, model.get_weights(), learning_rate=-1)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model.compile(keras.optimizers.SGD(schedule), "mse")
    with pytest.raises(ValueError, match="is a schedule"):
        restart(model, model.get_weights(), learning_rate=0.1)
    restart(model, model.get_weights())           # a schedule restarts with the step count
