"""course.data.pipeline: normalisation, make_dataset, reproducibility, TTA, Keras fit on any backend.

Tests marked backend_agnostic also run under KERAS_BACKEND=jax; they import no TensorFlow themselves.
"""

import numpy as np
import pytest

from course.data import (
    Augment, Normalizer, fit_normalization, load_synthetic, make_dataset, make_datasets, tta_predict,
    tta_views,
)


def _data(n=20, h=8, w=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8), np.arange(n, dtype=np.int64)


def _epoch(ds):
    xs, ys = zip(*[(np.asarray(a), np.asarray(b)) for a, b in ds])
    return np.concatenate(xs), np.concatenate(ys)


# --------------------------------------------------------------------------- normalisation


def test_channel_normalizer_standardises_training_data():
    x, _ = _data(50)
    norm = fit_normalization(x, kind="channel")
    z = norm(x)
    assert z.dtype == np.float32 and norm.mean.shape == (3,) and norm.std.shape == (3,)
    np.testing.assert_allclose(z.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=(0, 1, 2)), 1, atol=1e-4)
    np.testing.assert_allclose(norm.mean, (x / 255.0).mean(axis=(0, 1, 2)), rtol=1e-6)
    # floats in [0, 1] give the same statistics
    np.testing.assert_allclose(fit_normalization(x / 255.0).std, norm.std, rtol=1e-5)


def test_image_normalizer_subtracts_the_mean_image():
    x, _ = _data(40)
    norm = fit_normalization(x, kind="image")
    assert norm.mean.shape == x.shape[1:] and norm.std.shape == ()
    np.testing.assert_allclose(norm.mean, (x / 255.0).mean(axis=0), rtol=1e-5)
    z = norm(x)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(), 1, atol=1e-3)


def test_normalizer_roundtrips_and_errors():
    x, _ = _data(10)
    norm = fit_normalization(x)
    again = Normalizer.from_dict(norm.to_dict())
    np.testing.assert_array_equal(again(x), norm(x))
    np.testing.assert_allclose(norm.inverse(norm(x)), x / 255.0, atol=1e-6)
    with pytest.raises(ValueError, match="kind must be 'channel' .* got 'pixel'"):
        fit_normalization(x, kind="pixel")
    with pytest.raises(ValueError, match=r"x_train must be a batch of images .*; got shape \(10, 192\)"):
        fit_normalization(x.reshape(10, -1))
    with pytest.raises(ValueError, match=r"x_train is a float array with values in \[0, 255\]"):
        fit_normalization(x.astype(np.float32))


def test_make_datasets_fits_on_training_data_only():
    (xtr, ytr), (xte, yte), _ = load_synthetic(n_train=60, n_test=20, seed=3)
    xte = (xte // 2).astype(np.uint8)  # a test set with clearly different statistics
    train_ds, test_ds, norm = make_datasets((xtr, ytr), (xte, yte), batch_size=16, normalize="channel")
    np.testing.assert_allclose(norm.mean, fit_normalization(xtr).mean)
    zte, yy = _epoch(test_ds)
    np.testing.assert_allclose(zte, norm(xte), atol=1e-5)  # test set uses the TRAINING statistics
    assert yy.tolist() == yte.tolist()


@pytest.mark.backend_agnostic
@pytest.mark.parametrize("kind", ["channel", "image", "scale"])
def test_keras_layer_normalises_like_the_normalizer(kind):
    import keras

    x, _ = _data(30, h=6, w=5)
    norm = Normalizer.scale() if kind == "scale" else fit_normalization(x, kind=kind)
    for input_scale, pixels in ((1.0, x / 255.0), (1 / 255, x.astype(np.float32))):
        layer = norm.keras_layer(input_scale=input_scale)
        assert isinstance(layer, keras.layers.Normalization) and layer.name == "normalize"
        got = keras.ops.convert_to_numpy(layer(pixels.astype(np.float32)))
        np.testing.assert_allclose(got, norm(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="input_scale must be a positive number"):
        norm.keras_layer(input_scale=0)


def test_normalize_by_kind_name_is_refused_with_the_easy_path_in_the_message():
    x, y = _data(8)
    with pytest.raises(ValueError, match=r"evaluation data.*fit_normalization\(x_train, kind='channel'\)"):
        make_dataset(x, y, 4, training=False, normalize="channel")
    with pytest.raises(ValueError, match="fit them once on the training images"):
        make_dataset(x, y, 4, training=True, normalize="image")


def test_make_dataset_rejects_bad_arguments():
    x, y = _data(8)
    with pytest.raises(ValueError, match=r"y must have one label per image: x has 8 images, y has shape \(7,\)"):
        make_dataset(x, y[:7], 4)
    with pytest.raises(ValueError, match="batch_size must be a positive integer; got 0"):
        make_dataset(x, y, 0)
    assert Augment.from_spec("crop2,cutout8") == Augment(flip=False, crop_padding=2, cutout=8)
    assert Augment.from_spec(["flip", "pca"]).pca_std == 0.1 and Augment.from_spec(None) == Augment.none()
    with pytest.raises(ValueError, match="Augment.cutout must be a non-negative integer"):
        Augment(cutout=-1)
    with pytest.raises(ValueError, match="unknown augmentation 'rotate'"):
        make_dataset(x, y, 4, training=True, augment="flip,rotate")
    with pytest.raises(ValueError, match=r"x must be a batch of images"):
        make_dataset(x[0], y, 4)


# --------------------------------------------------------------------------- make_dataset


def test_no_augmentation_or_shuffle_when_not_training():
    x, y = _data(10)
    norm = fit_normalization(x)
    ds = make_dataset(x, y, 4, training=False, augment="flip,crop,jitter,pca,cutout", normalize=norm)
    z, yy = _epoch(ds)
    np.testing.assert_allclose(z, norm(x), atol=1e-5)
    assert yy.tolist() == y.tolist()
    assert [len(np.asarray(b)) for _, b in ds] == [4, 4, 2]


def test_training_without_augmentation_shuffles_and_keeps_pairs():
    x, y = _data(24)
    z, yy = _epoch(make_dataset(x, y, 5, training=True, augment=None, seed=2))
    assert sorted(yy.tolist()) == y.tolist() and yy.tolist() != y.tolist()  # a permutation
    np.testing.assert_allclose(z, x[yy] / 255.0, atol=1e-6)  # images still match their labels
    raw, _ = _epoch(make_dataset(x, y, 5, training=True, augment=None, normalize=None, seed=2))
    np.testing.assert_allclose(raw, x[yy].astype(np.float32))


def test_training_augmentation_keeps_each_image_with_its_label():
    x, y = _data(16)
    z, yy = _epoch(make_dataset(x, y, 8, training=True, augment="flip,crop", normalize=None, seed=4))
    found = []
    for img, label in zip(z.astype(np.uint8), yy):
        src = x[label]
        hit = None
        for flipped in (False, True):
            p = np.pad(src[:, ::-1] if flipped else src, [(4, 4), (4, 4), (0, 0)])
            for oy in range(9):
                for ox in range(9):
                    if np.array_equal(p[oy:oy + 8, ox:ox + 8], img):
                        hit = (oy, ox, flipped)
        assert hit is not None, f"output for label {label} is not a flip/crop of image {label}"
        found.append(hit)
    assert len(set(found)) > 4  # offsets and flips differ per image


def test_same_seed_same_batches_and_epochs_differ():
    x, y = _data(20)
    kw = dict(batch_size=10, training=True, augment=Augment(brightness=0.2, contrast=0.2, pca_std=0.1, cutout=3))
    a = make_dataset(x, y, seed=7, **kw)
    b = make_dataset(x, y, seed=7, **kw)
    a1, a2 = _epoch(a), _epoch(a)
    b1, b2 = _epoch(b), _epoch(b)
    np.testing.assert_array_equal(a1[0], b1[0])
    np.testing.assert_array_equal(a2[0], b2[0])
    assert a1[1].tolist() == b1[1].tolist()
    assert not np.array_equal(a1[0], a2[0])  # a new epoch: new shuffle and new augmentation
    c1 = _epoch(make_dataset(x, y, seed=8, **kw))
    assert not np.array_equal(a1[0], c1[0])


def test_repeat_serves_epoch_after_epoch_from_one_iterator():
    x, y = _data(10)
    kw = dict(batch_size=4, training=True, augment="flip,crop", seed=5)
    first_epoch = _epoch(make_dataset(x, y, **kw))
    it = iter(make_dataset(x, y, repeat=True, **kw))
    batches = [next(it) for _ in range(3 * 3)]  # three epochs of 3 batches (4 + 4 + 2)
    assert [len(np.asarray(b)) for _, b in batches] == [4, 4, 2] * 3  # no batch straddles two epochs
    np.testing.assert_array_equal(np.concatenate([np.asarray(a) for a, _ in batches[:3]]), first_epoch[0])
    for e in range(3):
        labels = np.concatenate([np.asarray(b) for _, b in batches[3 * e:3 * e + 3]])
        assert sorted(labels.tolist()) == y.tolist()  # each epoch sees every image once
    second = np.concatenate([np.asarray(a) for a, _ in batches[3:6]])
    assert not np.array_equal(second, first_epoch[0])


def test_a_shuffled_dataset_serves_the_repeat_modes_epochs_from_one_iterator():
    """Iterating a training dataset again (what model.fit does every epoch) continues one pipeline."""
    x, y = _data(10)
    kw = dict(batch_size=4, training=True, augment="flip,crop", seed=5)
    ds = make_dataset(x, y, **kw)
    epochs = [_epoch(ds) for _ in range(3)]
    it = iter(make_dataset(x, y, repeat=True, **kw))
    stream = [next(it) for _ in range(3 * 3)]
    for e, (images, labels) in enumerate(epochs):
        np.testing.assert_array_equal(images, np.concatenate([np.asarray(a) for a, _ in stream[3 * e:3 * e + 3]]))
        assert sorted(labels.tolist()) == y.tolist()  # every full iteration is one epoch
    assert not np.array_equal(epochs[0][0], epochs[1][0])
    assert [len(np.asarray(b)) for b in ds.map(lambda a, b: b)] == [4, 4, 2]  # graph-level use: one epoch too
    assert len(ds) == 3


def test_an_iteration_stopped_early_is_not_continued_the_next_one_is_a_whole_epoch():
    x, y = _data(10)
    kw = dict(batch_size=4, training=True, augment=None, seed=2)
    ds = make_dataset(x, y, **kw)
    it = iter(make_dataset(x, y, repeat=True, **kw))
    stream = [np.asarray(next(it)[1]) for _ in range(9)]  # three epochs of 3 batches
    first = next(iter(ds))  # peek at one batch of epoch 1
    np.testing.assert_array_equal(np.asarray(first[1]), stream[0])
    np.testing.assert_array_equal(_epoch(ds)[1], np.concatenate(stream[3:6]))  # epoch 2, whole
    # tf.data transformations of the dataset take the next batches without realigning ...
    taken = [np.asarray(b) for _, b in ds.take(2)]
    np.testing.assert_array_equal(np.concatenate(taken), np.concatenate(stream[6:8]))
    # ... and the next Python iteration skips the rest of that epoch
    later = _epoch(ds)[1]
    assert sorted(later.tolist()) == y.tolist()
    # evaluation data is never continued: every iteration starts afresh, in order
    ev = make_dataset(x, y, 4, training=False)
    next(iter(ev))
    assert _epoch(ev)[1].tolist() == y.tolist()


def test_persistent_false_restarts_the_pipeline_with_the_same_kind_of_epochs():
    x, y = _data(12)
    ds = make_dataset(x, y, 5, training=True, seed=1, persistent=False)
    e1, e2 = _epoch(ds), _epoch(ds)
    assert sorted(e1[1].tolist()) == sorted(e2[1].tolist()) == y.tolist()
    assert e1[1].tolist() != e2[1].tolist()


def test_image_size_resizes_each_batch_after_augmentation_and_normalisation():
    import tensorflow as tf

    x, y = _data(6, 8, 8)
    norm = fit_normalization(x)
    small = _epoch(make_dataset(x, y, 4, normalize=norm))[0]
    big, labels = _epoch(make_dataset(x, y, 4, normalize=norm, image_size=20))
    assert big.shape == (6, 20, 20, 3) and big.dtype == np.float32 and labels.tolist() == y.tolist()
    np.testing.assert_allclose(big, tf.image.resize(small, (20, 20), method="bilinear").numpy(), atol=1e-5)
    wide = [np.asarray(b) for b in make_dataset(x, None, 4, image_size=(12, 16))]
    assert [b.shape for b in wide] == [(4, 12, 16, 3), (2, 12, 16, 3)]
    train = _epoch(make_dataset(x, y, 4, training=True, augment="flip,crop2", image_size=16, seed=0))
    assert train[0].shape == (6, 16, 16, 3)
    for bad in (0, (8,), (8, -1), 2.5, True):
        with pytest.raises(ValueError, match="image_size must be"):
            make_dataset(x, y, 4, image_size=bad)


def test_images_only_and_drop_remainder():
    x, _ = _data(10)
    ds = make_dataset(x, None, 4, training=False, drop_remainder=True)
    shapes = [tuple(np.asarray(b).shape) for b in ds]
    assert shapes == [(4, 8, 8, 3), (4, 8, 8, 3)]


def test_pipeline_cutout_and_pca_options():
    x, y = _data(32)
    norm = fit_normalization(x)
    aug = Augment(flip=False, crop_padding=0, cutout=4)
    z, yy = _epoch(make_dataset(x, y, 16, training=True, augment=aug, normalize=norm, seed=1))
    assert ((z == 0).all(axis=-1).any(axis=(1, 2))).all()  # every image has a hole at the mean (0)
    aug = Augment(flip=False, crop_padding=0, pca_std=0.5)
    z, yy = _epoch(make_dataset(x, y, 16, training=True, augment=aug, normalize="scale", seed=1))
    shift = z - x[yy] / 255.0
    np.testing.assert_allclose(shift, shift[:, :1, :1, :] * np.ones_like(shift), atol=1e-5)  # one colour shift
    assert np.abs(shift).max() > 1e-3


def test_cache_for_evaluation_gives_the_same_batches(tmp_path):
    x, y = _data(10)
    plain = _epoch(make_dataset(x, y, 4, training=False))
    cached = make_dataset(x, y, 4, training=False, cache=True)
    for _ in range(2):
        np.testing.assert_array_equal(_epoch(cached)[0], plain[0])
    on_disk = make_dataset(x, y, 4, training=False, cache=str(tmp_path / "c"))
    np.testing.assert_array_equal(_epoch(on_disk)[0], plain[0])


def test_without_xla_the_batches_are_the_same():
    x, y = _data(12)
    kw = dict(batch_size=6, training=True, augment="flip,crop,jitter", seed=3)
    a = _epoch(make_dataset(x, y, jit_compile=True, **kw))
    b = _epoch(make_dataset(x, y, jit_compile=False, **kw))
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_allclose(a[0], b[0], atol=1e-5)
    a = _epoch(make_dataset(x, y, jit_compile=True, image_size=20, **kw))  # the resize compiles too
    b = _epoch(make_dataset(x, y, jit_compile=False, image_size=20, **kw))
    np.testing.assert_allclose(a[0], b[0], atol=1e-5)


@pytest.mark.backend_agnostic
@pytest.mark.slow
def test_keras_fit_accepts_make_dataset_on_any_backend():
    import keras

    (xtr, ytr), (xte, yte), names = load_synthetic(n_train=128, n_test=64, seed=0)
    train_ds, test_ds, norm = make_datasets((xtr, ytr), (xte, yte), batch_size=32, seed=0)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        keras.layers.Conv2D(4, 3, strides=2, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(len(names), activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(train_ds, validation_data=test_ds, epochs=2, verbose=0, shuffle=False)
    assert len(hist.history["loss"]) == 2 and np.isfinite(hist.history["loss"]).all()
    assert 0.0 <= hist.history["val_accuracy"][-1] <= 1.0
    # steps_per_execution > 1 (the batches are handed to the compiled step from Python): exact epochs
    model.compile("adam", "sparse_categorical_crossentropy", steps_per_execution=3)
    hist = model.fit(train_ds, epochs=2, verbose=0, shuffle=False)  # 4 batches per epoch
    assert len(hist.history["loss"]) == 2
    assert sorted(np.concatenate([np.asarray(b) for _, b in train_ds]).tolist()) == sorted(ytr.tolist())
    # TTA with a real Keras model: the average of the two views' predictions
    got = tta_predict(model, xte[:8], views="flip", normalize=norm)
    want = (model.predict(norm(xte[:8]), verbose=0) + model.predict(norm(xte[:8, :, ::-1]), verbose=0)) / 2
    np.testing.assert_allclose(got, want, atol=1e-5)


# --------------------------------------------------------------------------- test-time augmentation


def test_tta_views_are_the_ten_fixed_crops():
    x, _ = _data(3, 6, 6)
    p = 2
    v = tta_views(x, "crops10", padding=p)
    assert v.shape == (10, 3, 6, 6, 3)
    padded = np.pad(x, [(0, 0), (p, p), (p, p), (0, 0)])
    corners = [(0, 0), (0, 4), (4, 0), (4, 4), (2, 2)]
    for k, (oy, ox) in enumerate(corners):
        crop = padded[:, oy:oy + 6, ox:ox + 6]
        np.testing.assert_array_equal(v[k], crop)
        np.testing.assert_array_equal(v[k + 5], crop[:, :, ::-1])
    np.testing.assert_array_equal(v[4], x)  # centre crop is the original
    np.testing.assert_array_equal(tta_views(x, "flip"), np.stack([x, x[:, :, ::-1]]))
    with pytest.raises(ValueError, match="views must be one of 'none', 'flip', 'crops10'; got 'five'"):
        tta_views(x, "five")


def test_tta_predict_averages_the_right_views():
    x, _ = _data(5, 6, 6)
    rng = np.random.default_rng(1)
    W = rng.normal(size=(6 * 6 * 3, 4))
    calls = []

    def predict(batch):  # a fake model: linear in the pixels, sensitive to position and mirroring
        calls.append(batch.shape)
        return batch.reshape(len(batch), -1) @ W

    norm = fit_normalization(x)
    got = tta_predict(predict, x, views="crops10", normalize=norm, padding=1, batch_size=2)
    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    by_hand = []
    for oy, ox in [(0, 0), (0, 2), (2, 0), (2, 2), (1, 1)]:
        crop = padded[:, oy:oy + 6, ox:ox + 6]
        for view in (crop, crop[:, :, ::-1]):
            by_hand.append(((view / 255.0 - norm.mean) / norm.std).reshape(5, -1) @ W)
    np.testing.assert_allclose(got, np.mean(by_hand, axis=0), rtol=1e-4, atol=1e-4)
    assert len(calls) == 10 * 3 and all(c[1:] == (6, 6, 3) for c in calls)  # 10 views, batches of <= 2
    flip = tta_predict(predict, x, views="flip", normalize=None)
    want = (x.reshape(5, -1) @ W + x[:, :, ::-1].reshape(5, -1) @ W) / 2
    np.testing.assert_allclose(flip, want, rtol=1e-5)
    none = tta_predict(predict, x, views="none", normalize="scale")
    np.testing.assert_allclose(none, (x / 255.0).reshape(5, -1) @ W, rtol=1e-5)
