import keras
import numpy as np
import pytest

from course.callbacks import EarlyStopping

pytestmark = pytest.mark.backend_agnostic

# One weight w, input 1, target 0: the MSE loss is w**2 and SGD does w <- w * (1 - 2 lr).
X = np.ones((8, 1), dtype="float32")
Y = np.zeros((8, 1), dtype="float32")


def scalar_model(lr, w0=1.0):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    model.compile(keras.optimizers.SGD(lr), loss="mse")
    model.set_weights([np.array([[w0]], dtype="float32")])
    return model


def fit(model, stop, epochs=20, batch_size=8):
    return model.fit(X, Y, batch_size=batch_size, epochs=epochs, callbacks=[stop], verbose=0)


def test_divergence_fires_above_three_times_the_first_loss():
    model = scalar_model(lr=1.5)  # w <- -2 w: the loss grows 4x per step, finite
    stop = EarlyStopping(monitor="loss", patience=100)
    hist = fit(model, stop)
    assert stop.stop_reason == "divergence"
    assert len(hist.history["loss"]) == 2 and stop.stopped_epoch == 1
    assert stop.first_loss == pytest.approx(1.0)
    # A gentler factor lets it run one more epoch.
    stop = EarlyStopping(monitor="loss", patience=100, divergence_factor=10)
    hist = fit(scalar_model(lr=1.5), stop)
    assert stop.stop_reason == "divergence" and len(hist.history["loss"]) == 3


def test_exploding_run_stops_on_the_first_nan_batch():
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e6), loss="mse")
    stop = EarlyStopping(monitor="loss", patience=3)
    hist = model.fit(x, x[:, :1], batch_size=4, epochs=20, callbacks=[stop], verbose=0)
    assert stop.stop_reason == "nan"
    assert stop.stopped_epoch == 0 and len(hist.history["loss"]) == 1  # stopped inside the first epoch


def test_epoch_level_nan_check_without_batch_checks():
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e6), loss="mse")
    stop = EarlyStopping(monitor="loss", patience=3, check_batches=False, divergence_factor=None)
    hist = model.fit(x, x[:, :1], batch_size=4, epochs=20, callbacks=[stop], verbose=0)
    assert stop.stop_reason == "nan" and len(hist.history["loss"]) == 1


def test_healthy_run_is_not_stopped_and_patience_is_reported():
    stop = EarlyStopping(monitor="loss", patience=2)
    hist = fit(scalar_model(lr=0.1), stop, epochs=6)  # loss shrinks by 0.64 per epoch
    assert stop.stop_reason is None and len(hist.history["loss"]) == 6
    # Demand an impossible improvement: patience runs out after 2 more epochs.
    stop = EarlyStopping(monitor="loss", patience=2, min_delta=10.0)
    hist = fit(scalar_model(lr=0.1), stop, epochs=6)
    assert stop.stop_reason == "patience" and len(hist.history["loss"]) == 3


def test_restore_best_weights_after_divergence_and_patience():
    stop = EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    model = scalar_model(lr=1.5)
    fit(model, stop)
    # The best epoch is the first (loss 1): its end-of-epoch weight is -2.
    assert stop.stop_reason == "divergence"
    np.testing.assert_allclose(model.get_weights()[0], [[-2.0]])

    # Reuse the instance (fresh state) on validation loss (w - 0.5)**2 with w = 0.8**epoch:
    # 0.09, 0.0196, 0.000144, 0.0082 -> best after epoch 3, patience 1 stops after epoch 4.
    model = scalar_model(lr=0.1)
    stop.patience = 1
    stop.monitor = "val_loss"
    hist = model.fit(X, Y, batch_size=8, epochs=8, validation_data=(X, Y + 0.5), callbacks=[stop], verbose=0)
    assert stop.stop_reason == "patience" and len(hist.history["val_loss"]) == 4
    assert stop.best_epoch == 2
    np.testing.assert_allclose(model.get_weights()[0], [[0.8 ** 3]], rtol=1e-6)


def test_nan_in_the_first_epoch_restores_the_initial_weights():
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e6), loss="mse")
    before = model.get_weights()
    stop = EarlyStopping(monitor="loss", restore_best_weights=True)
    model.fit(x, x[:, :1], batch_size=4, epochs=5, callbacks=[stop], verbose=0)
    assert stop.stop_reason == "nan"
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_state_resets_between_fits():
    stop = EarlyStopping(monitor="loss", patience=100)
    fit(scalar_model(lr=1.5), stop)
    assert stop.stop_reason == "divergence"
    fit(scalar_model(lr=0.1), stop, epochs=3)
    assert stop.stop_reason is None and stop.first_loss == pytest.approx(1.0)


def test_divergence_factor_must_exceed_one():
    with pytest.raises(ValueError, match="divergence_factor"):
        EarlyStopping(divergence_factor=0.5)


def test_missing_monitor_is_said_once_on_stdout_not_stderr(capfd):
    stop = EarlyStopping(patience=1)  # monitor="val_loss", but no validation data
    fit(scalar_model(lr=0.1), stop, epochs=3)
    out, err = capfd.readouterr()
    assert out.count("'val_loss' is not in the logs") == 1 and "monitor='loss'" in out
    assert "val_loss" not in err
    assert stop.stop_reason is None
