import io

import keras
import numpy as np
import pytest
from keras import ops

from course.callbacks import UpdateRatioMonitor

pytestmark = pytest.mark.backend_agnostic

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 5)).astype("float32")
C = np.array([1.0, -2.0, 0.5], dtype="float32")
W0 = RNG.normal(size=(5, 3)).astype("float32")


def linear_loss(y_true, y_pred):
    # per-sample c . (x W): the gradient wrt W is mean(x)^T c, whatever W is.
    return ops.sum(y_pred * C, axis=-1)


def linear_model(optimizer, use_bias=False):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, use_bias=use_bias)])
    model.compile(optimizer, loss=linear_loss)
    model.layers[0].kernel.assign(W0)
    return model


def test_sgd_ratio_is_eta_grad_norm_over_weight_norm():
    eta = 0.05
    model = linear_model(keras.optimizers.SGD(eta))
    monitor = UpdateRatioMonitor(every=1, verbose=0)
    hist = model.fit(X, np.zeros((16, 3)), batch_size=16, epochs=3, callbacks=[monitor], verbose=0)
    g = np.outer(X.mean(axis=0), C).astype(np.float64)
    expected = [eta * np.linalg.norm(g) / np.linalg.norm(W0 - t * eta * g) for t in range(3)]
    assert monitor.names == [model.layers[0].kernel.path]
    assert monitor.steps == [0, 1, 2]
    np.testing.assert_allclose(monitor.ratios[:, 0], expected, rtol=1e-4)
    key = f"update_ratio/{model.layers[0].kernel.path}"
    np.testing.assert_allclose(hist.history[key], expected, rtol=1e-4)
    np.testing.assert_allclose(hist.history["update_ratio_median"], expected, rtol=1e-4)


def test_adam_ratio_matches_a_hand_computed_step_every_second_step():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    y = RNG.normal(size=(16, 3)).astype("float32")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, use_bias=False)])
    model.compile(keras.optimizers.Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps), loss="mse")
    model.layers[0].kernel.assign(W0)
    monitor = UpdateRatioMonitor(every=2, verbose=0)
    model.fit(X, y, batch_size=8, epochs=3, shuffle=False, callbacks=[monitor], verbose=0)

    # Keras' Adam, by hand, in float64.
    w, m, v = W0.astype(np.float64), 0.0, 0.0
    x64, y64 = X.astype(np.float64), y.astype(np.float64)
    expected = []
    for t in range(6):
        xb, yb = x64[(t % 2) * 8:(t % 2) * 8 + 8], y64[(t % 2) * 8:(t % 2) * 8 + 8]
        g = 2.0 / yb.size * xb.T @ (xb @ w - yb)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        alpha = lr * np.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1))
        new_w = w - alpha * m / (np.sqrt(v) + eps)
        if t % 2 == 0:
            expected.append(np.linalg.norm(new_w - w) / np.linalg.norm(w))
        w = new_w
    assert monitor.steps == [0, 2, 4]
    np.testing.assert_allclose(monitor.ratios[:, 0], expected, rtol=2e-3)
    # Not lr * ||g|| / ||W||: Adam's step has its own size.
    assert not np.allclose(monitor.ratios[0, 0], lr * np.linalg.norm(2.0 / 24 * x64[:8].T @ (x64[:8] @ W0 - y64[:8]))
                           / np.linalg.norm(W0), rtol=0.05)


def test_conv_kernels_match_weights_read_before_and_after_the_step():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 6, 6, 2)).astype("float32"), rng.integers(0, 3, 8)
    model = keras.Sequential([
        keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.BatchNormalization(), keras.layers.Flatten(), keras.layers.Dense(3),
    ])
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # momentum is non-zero from here on
    before = [np.array(ops.convert_to_numpy(ops.convert_to_tensor(v)), np.float64) for v in model.trainable_variables]
    monitor = UpdateRatioMonitor(every=1, verbose=0)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[monitor])
    after = [np.array(ops.convert_to_numpy(ops.convert_to_tensor(v)), np.float64) for v in model.trainable_variables]
    assert monitor.names == [v.path for v in model.trainable_variables]
    expected = [np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(after, before)]
    np.testing.assert_allclose(monitor.ratios[0], expected, rtol=1e-4)


def test_zero_norm_tensors_are_skipped_and_history_has_every_tensor():
    model = linear_model(keras.optimizers.SGD(0.01), use_bias=True)
    monitor = UpdateRatioMonitor(every=1, verbose=0)
    hist = model.fit(X, np.zeros((16, 3)), batch_size=16, epochs=2, callbacks=[monitor], verbose=0)
    kernel, bias = model.layers[0].kernel.path, model.layers[0].bias.path
    assert monitor.names == [kernel, bias]
    assert np.isnan(monitor.ratios[0, 1]), "the zero-initialised bias must be skipped at its first step"
    assert np.isfinite(monitor.ratios[1, 1])  # it has moved away from zero since
    assert np.isfinite(monitor.ratios[:, 0]).all()
    for key in (f"update_ratio/{kernel}", f"update_ratio/{bias}", "update_ratio_median"):
        assert len(hist.history[key]) == 2
    # kernels_only leaves the bias out.
    only = UpdateRatioMonitor(every=1, kernels_only=True, verbose=0)
    model.fit(X, np.zeros((16, 3)), batch_size=16, epochs=1, callbacks=[only], verbose=0)
    assert only.names == [kernel]


def test_out_of_band_median_prints_the_fix_once_per_epoch_to_stdout(capfd):
    model = linear_model(keras.optimizers.SGD(5.0))  # huge steps
    monitor = UpdateRatioMonitor(every=1)
    model.fit(X, np.zeros((16, 3)), batch_size=8, epochs=2, callbacks=[monitor], verbose=0)
    out, err = capfd.readouterr()
    assert out.count("Lower the learning rate") == 2, out
    assert "UpdateRatioMonitor" not in err
    assert len(monitor.messages) == 2

    quiet = linear_model(keras.optimizers.SGD(1e-7))  # barely moves
    monitor = UpdateRatioMonitor(every=1, verbose=0)
    quiet.fit(X, np.zeros((16, 3)), batch_size=8, epochs=1, callbacks=[monitor], verbose=0)
    assert capfd.readouterr().out == ""
    assert len(monitor.messages) == 1 and "Raise the learning rate" in monitor.messages[0]


def test_state_is_fresh_for_each_fit_and_plot_renders():
    model = linear_model(keras.optimizers.SGD(0.01))
    monitor = UpdateRatioMonitor(every=2, verbose=0)
    model.fit(X, np.zeros((16, 3)), batch_size=4, epochs=2, callbacks=[monitor], verbose=0)
    assert monitor.steps == [0, 2, 4, 6]
    assert len(monitor.epoch_medians) == 2
    model.fit(X, np.zeros((16, 3)), batch_size=4, epochs=1, callbacks=[monitor], verbose=0)
    assert monitor.steps == [0, 2]
    assert monitor.ratios.shape == (2, 1)
    assert len(monitor.epoch_medians) == 1
    fig = monitor.plot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.axes[0].get_yscale() == "log"
    assert fig._repr_png_()[:4] == b"\x89PNG"  # Jupyter shows the returned figure as an image


def test_does_not_hook_batch_end():
    # Overriding on_train_batch_end makes Keras fetch every batch's logs to the host.
    assert UpdateRatioMonitor.on_train_batch_end is keras.callbacks.Callback.on_train_batch_end


@pytest.mark.parametrize(
    "kwargs, match",
    [({"every": 0}, "every"), ({"band": (1e-2, 1e-4)}, "band"), ({"band": 3}, "band"), ({"min_norm": -1}, "min_norm")],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        UpdateRatioMonitor(**kwargs)


def test_plot_before_fit_is_a_clear_error():
    with pytest.raises(ValueError, match="call fit"):
        UpdateRatioMonitor().plot()
