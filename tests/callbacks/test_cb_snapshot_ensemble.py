import math

import keras
import numpy as np
import pytest

from course.callbacks import SnapshotEnsemble, average_snapshot_predictions

pytestmark = pytest.mark.backend_agnostic

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 6)).astype("float32")
Y = RNG.integers(0, 3, 32)


def classifier(lr=0.1):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy")
    return model


def test_cyclic_cosine_rate_and_one_snapshot_per_cycle(tmp_path):
    model = classifier(lr=0.1)
    snap = SnapshotEnsemble(cycles=2, directory=tmp_path)
    hist = model.fit(X, Y, batch_size=8, epochs=4, verbose=0, callbacks=[snap])  # 4 steps/epoch, 8 per cycle
    rate = [0.05 * (1 + math.cos(math.pi * (t % 8) / 8)) for t in range(16)]
    np.testing.assert_allclose(hist.history["lr"], [rate[3], rate[7], rate[11], rate[15]], rtol=1e-5)
    assert snap.snapshot_epochs == [2, 4]
    for a, b in zip(snap.snapshots[-1], model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(snap.snapshots[0][0], snap.snapshots[1][0])
    assert [p.rsplit("/", 1)[-1] for p in map(str, snap.paths)] == ["snapshot_1.weights.h5", "snapshot_2.weights.h5"]


def test_predictions_are_the_mean_of_the_snapshots():
    model = classifier()
    snap = SnapshotEnsemble(cycles=3)
    model.fit(X, Y, batch_size=16, epochs=3, verbose=0, callbacks=[snap])
    final = model.get_weights()
    by_hand = []
    for weights in snap.snapshots:
        w, b = weights
        z = X @ w + b
        e = np.exp(z - z.max(axis=1, keepdims=True))
        by_hand.append(e / e.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(snap.predict(X), np.mean(by_hand, axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(snap.predict(X, last=2), np.mean(by_hand[1:], axis=0), rtol=1e-5, atol=1e-6)
    for a, b in zip(model.get_weights(), final):  # the model's weights are left alone
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(average_snapshot_predictions(model, snap.snapshots[:1], X), by_hand[0],
                               rtol=1e-5, atol=1e-6)


def test_snapshots_reset_between_fits_and_epochs_must_divide():
    model = classifier()
    snap = SnapshotEnsemble(cycles=2)
    model.fit(X, Y, batch_size=16, epochs=4, verbose=0, callbacks=[snap])
    model.fit(X, Y, batch_size=16, epochs=2, verbose=0, callbacks=[snap])
    assert snap.snapshot_epochs == [1, 2]
    with pytest.raises(ValueError, match="multiple of `cycles`"):
        model.fit(X, Y, epochs=3, verbose=0, callbacks=[snap])
    with pytest.raises(ValueError, match="empty"):
        average_snapshot_predictions(model, [], X)
