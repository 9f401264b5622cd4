import io

import keras
import numpy as np
import pytest

from course.callbacks import ActivationStatistics

pytestmark = pytest.mark.backend_agnostic

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 10)).astype("float32")


def tanh_mlp(stddev, depth=4, width=20):
    init = keras.initializers.RandomNormal(stddev=stddev, seed=1)
    layers = [keras.layers.Dense(width, activation="tanh", kernel_initializer=init, name=f"hidden{i}")
              for i in range(depth)]
    model = keras.Sequential([keras.Input((10,))] + layers + [keras.layers.Dense(1, name="out")])
    model.compile(keras.optimizers.SGD(0.01), loss="mse")
    return model


def forward_by_hand(model, x):
    acts, h = {}, x.astype(np.float64)
    for layer in model.layers:
        w, b = (p.astype(np.float64) for p in layer.get_weights())
        h = h @ w + b
        if layer.name.startswith("hidden"):
            h = np.tanh(h)
        acts[layer.name] = h
    return acts


def test_statistics_match_a_forward_pass_by_hand_before_and_after_each_epoch():
    model = tanh_mlp(stddev=0.05)
    probe = X[:32]
    stats = ActivationStatistics(probe)
    expected0 = forward_by_hand(model, probe)
    model.fit(X, X[:, :1], batch_size=16, epochs=2, verbose=0, callbacks=[stats])
    expected2 = forward_by_hand(model, probe)
    assert stats.layer_names == ["hidden0", "hidden1", "hidden2", "hidden3", "out"]
    assert stats.records == [0, 1, 2]
    for name in stats.layer_names:
        assert len(stats.means[name]) == len(stats.stds[name]) == 3
        for record, acts in ((0, expected0), (2, expected2)):
            assert stats.means[name][record] == pytest.approx(acts[name].mean(), abs=1e-5)
            assert stats.stds[name][record] == pytest.approx(acts[name].std(), rel=1e-4)
        np.testing.assert_allclose(np.sort(stats.samples[name][0]), np.sort(expected0[name].ravel()), rtol=1e-4,
                                   atol=1e-6)
    # The lectures' picture: with a too-small initialization the std collapses with depth.
    stds = [stats.stds[f"hidden{i}"][0] for i in range(4)]
    assert all(a > b * 2 for a, b in zip(stds, stds[1:])), stds


def test_layer_selection_by_name_index_and_object_and_fresh_state():
    model = tanh_mlp(stddev=1.0)
    stats = ActivationStatistics(X[:8], layers=["hidden1", 0, model.layers[3]])
    model.fit(X, X[:, :1], epochs=1, verbose=0, callbacks=[stats])
    assert stats.layer_names == ["hidden1", "hidden0", "hidden3"]
    model.fit(X, X[:, :1], epochs=2, verbose=0, callbacks=[stats])
    assert stats.records == [0, 1, 2] and len(stats.stds["hidden0"]) == 3


def test_plot_renders_histograms_and_std_by_depth():
    model = tanh_mlp(stddev=1.0, depth=3)
    stats = ActivationStatistics(X[:16], max_samples=100)
    model.fit(X, X[:, :1], epochs=1, verbose=0, callbacks=[stats])
    assert all(s.size <= 100 for name in stats.layer_names for s in stats.samples[name])
    fig = stats.plot(record=0)
    assert len(fig.axes) == 4 + 1  # a histogram per layer and the std-by-depth panel
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="record 5"):
        stats.plot(record=5)


def test_bad_layers_are_named():
    model = tanh_mlp(stddev=1.0)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        model.fit(X, X[:, :1], epochs=1, verbose=0, callbacks=[ActivationStatistics(X[:4], layers=["nope"])])
    with pytest.raises(ValueError, match="out of range"):
        model.fit(X, X[:, :1], epochs=1, verbose=0, callbacks=[ActivationStatistics(X[:4], layers=[17])])
    with pytest.raises(ValueError, match="probe_batch"):
        ActivationStatistics(None)
