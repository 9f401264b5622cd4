"""course.layers augmentation layers: RandomPadCrop and PCAColorJitter."""

import keras
import numpy as np
import pytest

from course.data.augment import fit_pca_color
from course.layers import PCAColorJitter, RandomPadCrop
from test_layers_helpers import KERAS_NUMPY_WARNING, save_load_predict, to_np

pytestmark = [pytest.mark.backend_agnostic, pytest.mark.filterwarnings(KERAS_NUMPY_WARNING)]

RNG = np.random.default_rng(99)


@pytest.fixture(autouse=True)
def fresh_rng():
    """Every test draws the same data whatever ran before it (or with -k)."""
    global RNG
    RNG = np.random.default_rng(99)


def find_offsets(x, out, p):
    """For each image, every (dy, dx) whose zero-padded crop equals the output exactly."""
    padded = np.pad(x, [(0, 0), (p, p), (p, p), (0, 0)])
    h, w = x.shape[1:3]
    found = []
    for i in range(len(x)):
        found.append([(dy, dx) for dy in range(2 * p + 1) for dx in range(2 * p + 1)
                      if np.array_equal(padded[i, dy:dy + h, dx:dx + w], out[i])])
    return found


# --------------------------------------------------------------------------- RandomPadCrop

def test_random_pad_crop_is_a_zero_padded_shift_per_image():
    p = 3
    x = RNG.uniform(0.1, 1.0, (16, 10, 12, 3)).astype("float32")  # no zeros inside the images
    out = to_np(RandomPadCrop(p, seed=1)(x, training=True))
    assert out.shape == x.shape and out.dtype == x.dtype
    offsets = find_offsets(x, out, p)
    # Exactly one offset explains each image (random content): a shifted copy, zeros where padding came in.
    assert all(len(o) == 1 for o in offsets), offsets
    offsets = [o[0] for o in offsets]
    assert len(set(offsets)) > 4, f"offsets should differ across the batch, got {offsets}"
    assert any(o != (p, p) for o in offsets)


def test_random_pad_crop_offsets_cover_the_range_uniformly():
    p = 2
    x = RNG.uniform(0.1, 1.0, (400, 6, 6, 1)).astype("float32")
    out = to_np(RandomPadCrop(p, seed=3)(x, training=True))
    offsets = np.array([o[0] for o in find_offsets(x, out, p)])
    for axis in (0, 1):
        counts = np.bincount(offsets[:, axis], minlength=2 * p + 1)
        assert len(counts) == 2 * p + 1
        # 400 draws over 5 values: expected 80 each, std ~8.
        assert counts.min() > 45 and counts.max() < 115, counts
    # The two axes are drawn independently: not always equal.
    assert np.mean(offsets[:, 0] == offsets[:, 1]) < 0.4


def test_random_pad_crop_identity_at_inference():
    x = RNG.uniform(size=(4, 8, 8, 3)).astype("float32")
    layer = RandomPadCrop(4)
    np.testing.assert_array_equal(to_np(layer(x, training=False)), x)
    np.testing.assert_array_equal(to_np(layer(x)), x)
    np.testing.assert_array_equal(to_np(RandomPadCrop(0)(x, training=True)), x)


def test_random_pad_crop_seeded_reproducible_and_changes_between_calls():
    x = RNG.uniform(0.1, 1.0, (8, 8, 8, 3)).astype("float32")
    a, b = RandomPadCrop(2, seed=7), RandomPadCrop(2, seed=7)
    first_a, first_b = to_np(a(x, training=True)), to_np(b(x, training=True))
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, to_np(a(x, training=True)))


def test_random_pad_crop_single_image_and_symbolic():
    img = RNG.uniform(0.1, 1.0, (6, 6, 2)).astype("float32")
    out = to_np(RandomPadCrop(1, seed=0)(img, training=True))
    assert out.shape == img.shape
    assert len(find_offsets(img[None], out[None], 1)[0]) == 1
    assert tuple(RandomPadCrop(4)(keras.Input(shape=(32, 32, 3))).shape) == (None, 32, 32, 3)


def test_random_pad_crop_inside_a_model_predicts_and_trains():
    inputs = keras.Input(shape=(8, 8, 3))
    x = RandomPadCrop(2, seed=0)(inputs)
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    plain = keras.Model(inputs, keras.layers.Flatten()(inputs))
    x = RNG.uniform(size=(10, 8, 8, 3)).astype("float32")
    pred = model.predict(x, batch_size=4, verbose=0)
    assert pred.shape == (10, 3)
    np.testing.assert_allclose(pred, model.predict(x, batch_size=5, verbose=0), rtol=1e-6)  # deterministic
    assert plain.predict(x, verbose=0).shape == (10, 192)
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(x, RNG.integers(0, 3, 10), batch_size=5, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_random_pad_crop_errors():
    with pytest.raises(ValueError, match="padding must be an int >= 0"):
        RandomPadCrop(-1)
    with pytest.raises(ValueError, match="padding must be an int >= 0"):
        RandomPadCrop(2.5)
    with pytest.raises(ValueError, match="seed must be an int or None"):
        RandomPadCrop(2, seed="a")
    with pytest.raises(ValueError, match=r"expected images of shape \(batch, height, width, channels\)"):
        RandomPadCrop(2)(np.zeros((4, 5), dtype="float32"))


def test_random_pad_crop_serialises(tmp_path):
    layer = RandomPadCrop(3, seed=5, name="crop")
    config = layer.get_config()
    clone = RandomPadCrop.from_config(config)
    assert (clone.padding, clone.seed, clone.name) == (3, 5, "crop") and clone.get_config() == config
    assert keras.saving.get_registered_name(RandomPadCrop) == "course>RandomPadCrop"
    save_load_predict(layer, RNG.uniform(size=(3, 6, 6, 3)).astype("float32"), tmp_path)


# --------------------------------------------------------------------------- PCAColorJitter

def colourful_images(n=64, size=6, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(0, 1, (n, 1, 1, 3)) @ np.array([[0.8, 0.5, 0.2], [0.1, 0.6, 0.3], [0.0, 0.2, 0.7]])
    noise = rng.normal(0, 0.05, (n, size, size, 3))
    return np.clip(base + noise, 0, 1)


def test_pca_from_images_matches_an_independent_eigendecomposition():
    images = (colourful_images() * 255).round().astype(np.uint8)
    layer = PCAColorJitter.from_images(images, std=0.2)
    pixels = images.reshape(-1, 3).astype("float64") / 255.0
    vals, vecs = np.linalg.eigh(np.cov(pixels.T, bias=True))
    order = np.argsort(vals)[::-1]
    np.testing.assert_allclose(layer.eigenvalues, vals[order], rtol=1e-9)
    # Eigenvectors up to sign.
    got = np.array(layer.eigenvectors)
    np.testing.assert_allclose(np.abs(np.sum(got * vecs[:, order], axis=0)), 1.0, rtol=1e-9)
    assert layer.std == 0.2 and layer.pixel_scale == 1.0
    fitted = fit_pca_color(images)
    np.testing.assert_array_equal(layer.eigenvalues, fitted[0])


def test_pca_jitter_adds_one_offset_per_image_along_the_components():
    vals = np.array([0.04, 0.01, 0.0025])
    vecs = np.linalg.qr(RNG.standard_normal((3, 3)))[0]
    std = 0.1
    layer = PCAColorJitter(vals, vecs, std=std, seed=11)
    x = RNG.uniform(0.2, 0.8, (500, 2, 3, 3)).astype("float32")
    out = to_np(layer(x, training=True))
    assert out.shape == x.shape and out.dtype == np.float32
    delta = (out - x).astype("float64")
    offset = delta[:, 0, 0, :]
    np.testing.assert_allclose(delta, np.broadcast_to(offset[:, None, None, :], delta.shape), atol=1e-6)
    # offset = vecs @ (alpha * vals)  =>  alpha = (vecs.T @ offset) / vals, alpha ~ N(0, std^2).
    alpha = (offset @ vecs) / vals
    assert np.all(np.abs(alpha.mean(axis=0)) < 4 * std / np.sqrt(500))
    np.testing.assert_allclose(alpha.std(axis=0), std, rtol=0.15)
    assert abs(np.corrcoef(alpha.T)[0, 1]) < 0.2


def test_pca_jitter_pixel_scale_multiplies_the_offset():
    vals, vecs = [0.05, 0.02, 0.01], np.eye(3)
    x = RNG.uniform(size=(6, 4, 4, 3)).astype("float32")
    unit = to_np(PCAColorJitter(vals, vecs, seed=3)(x, training=True)) - x
    x255 = x * 255
    big = to_np(PCAColorJitter(vals, vecs, pixel_scale=255.0, seed=3)(x255, training=True)) - x255
    np.testing.assert_allclose(big, unit * 255, rtol=1e-3, atol=1e-3)


def test_pca_jitter_identity_at_inference_and_when_std_is_zero():
    layer = PCAColorJitter([0.1, 0.05, 0.01], np.eye(3))
    x = RNG.uniform(size=(3, 4, 4, 3)).astype("float32")
    np.testing.assert_array_equal(to_np(layer(x)), x)
    np.testing.assert_array_equal(to_np(layer(x, training=False)), x)
    np.testing.assert_array_equal(to_np(PCAColorJitter([0.1, 0.05, 0.01], np.eye(3), std=0)(x, training=True)), x)
    single = to_np(layer(x[0], training=True))
    assert single.shape == x[0].shape and not np.array_equal(single, x[0])


def test_pca_jitter_errors():
    eye = np.eye(3)
    with pytest.raises(ValueError, match=r"eigenvalues must have shape \(3,\)"):
        PCAColorJitter([1.0, 2.0], eye)
    with pytest.raises(ValueError, match=r"eigenvectors must have shape \(3, 3\)"):
        PCAColorJitter([1.0, 2.0, 3.0], np.eye(2))
    with pytest.raises(ValueError, match="eigenvalues must be >= 0"):
        PCAColorJitter([1.0, -2.0, 3.0], eye)
    with pytest.raises(ValueError, match="std must be a number >= 0"):
        PCAColorJitter([1.0, 2.0, 3.0], eye, std=-0.1)
    with pytest.raises(ValueError, match="expected RGB images"):
        PCAColorJitter([1.0, 2.0, 3.0], eye)(np.zeros((2, 4, 4, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"values in \[0, 255\]|scaled to \[0, 1\]"):
        PCAColorJitter.from_images(np.full((2, 4, 4, 3), 7.5))


def test_pca_jitter_serialises(tmp_path):
    layer = PCAColorJitter.from_images(colourful_images(), std=0.3, pixel_scale=255.0, seed=4, name="pca")
    config = layer.get_config()
    clone = PCAColorJitter.from_config(config)
    assert clone.get_config() == config
    assert clone.eigenvalues == layer.eigenvalues and clone.eigenvectors == layer.eigenvectors
    assert keras.saving.get_registered_name(PCAColorJitter) == "course>PCAColorJitter"
    _, loaded = save_load_predict(layer, colourful_images(4).astype("float32"), tmp_path)
    restored = loaded.layers[-1]
    assert restored.eigenvalues == layer.eigenvalues and restored.pixel_scale == 255.0


def test_augment_layers_compose_in_a_trained_model():
    aug = [RandomPadCrop(1, seed=0), PCAColorJitter([0.02, 0.01, 0.005], np.eye(3), seed=0),
           keras.layers.RandomFlip("horizontal", seed=0)]
    inputs = keras.Input(shape=(6, 6, 3))
    x = inputs
    for layer in aug:
        x = layer(x)
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = RNG.uniform(size=(8, 6, 6, 3)).astype("float32")
    model.fit(x, RNG.integers(0, 2, 8), batch_size=4, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
