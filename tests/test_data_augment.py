"""course.data.augment: the PCA colour fit (numpy) and the stateless batch augmentation ops (TF)."""

import numpy as np
import pytest

from course.data import augment as A
from course.data.augment import fit_pca_color

tf = pytest.importorskip("tensorflow")


def _images(n=6, h=8, w=8, seed=0, dtype=np.uint8):
    x = np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8)
    return x if dtype == np.uint8 else (x / 255.0).astype(dtype)


def _padded(img, p):
    return np.pad(img, [(p, p), (p, p), (0, 0)])


def _find_crop(out, img, p, allow_flip=False):
    """(oy, ox, flipped) such that ``out`` is that crop of the zero-padded ``img``, or None."""
    h, w = img.shape[:2]
    for flipped in ((False, True) if allow_flip else (False,)):
        src = _padded(img[:, ::-1] if flipped else img, p)
        for oy in range(2 * p + 1):
            for ox in range(2 * p + 1):
                if np.array_equal(src[oy:oy + h, ox:ox + w], out):
                    return oy, ox, flipped
    return None


# --------------------------------------------------------------------------- fit_pca_color


def test_fit_pca_color_matches_numpy_covariance():
    x = _images(20, 6, 6, seed=3)
    vals, vecs = fit_pca_color(x, chunk_size=7)  # several chunks
    pixels = x.reshape(-1, 3) / 255.0
    ref_vals = np.linalg.eigvalsh(np.cov(pixels.T, bias=True))[::-1]
    np.testing.assert_allclose(vals, ref_vals, rtol=1e-10)
    assert np.all(np.diff(vals) <= 0)
    np.testing.assert_allclose(vecs.T @ vecs, np.eye(3), atol=1e-12)
    cov = np.cov(pixels.T, bias=True)
    np.testing.assert_allclose(cov @ vecs, vecs * vals, atol=1e-12)
    # float input in [0, 1] gives the same answer as uint8
    v2, e2 = fit_pca_color(x.astype(np.float32) / 255.0)
    np.testing.assert_allclose(v2, vals, rtol=1e-5)
    np.testing.assert_allclose(np.abs(e2.T @ vecs), np.eye(3), atol=1e-4)


def test_fit_pca_color_finds_the_dominant_colour_direction():
    t = np.linspace(-0.3, 0.3, 64)
    direction = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    pixels = 0.5 + t[:, None] * direction  # colour varies along (1, 1, 0) only
    vals, vecs = fit_pca_color(pixels.reshape(4, 4, 4, 3))
    np.testing.assert_allclose(vecs[:, 0], direction, atol=1e-8)  # sign made positive
    np.testing.assert_allclose(vals[0], t.var(), rtol=1e-8)
    assert vals[1] < 1e-12 and vals[2] < 1e-12


def test_fit_pca_color_rejects_bad_input():
    with pytest.raises(ValueError, match=r"images must have 3 colour channels last.*\(2, 8, 8, 4\)"):
        fit_pca_color(np.zeros((2, 8, 8, 4), np.uint8))
    with pytest.raises(ValueError, match=r"float images must be scaled to \[0, 1\]"):
        fit_pca_color(np.full((2, 4, 4, 3), 200.0))
    with pytest.raises(ValueError, match="images is empty"):
        fit_pca_color(np.zeros((0, 4, 4, 3), np.uint8))


# --------------------------------------------------------------------------- flips and crops


def test_flip_really_mirrors():
    x = _images(5)
    np.testing.assert_array_equal(A.random_flip(x, [1, 2], p=1.0).numpy(), x[:, :, ::-1])
    np.testing.assert_array_equal(A.random_flip(x, [1, 2], p=0.0).numpy(), x)
    out = A.random_flip(_images(64), [4, 5]).numpy()
    src = _images(64)
    mirrored = np.array([np.array_equal(o, s[:, ::-1]) for o, s in zip(out, src)])
    same = np.array([np.array_equal(o, s) for o, s in zip(out, src)])
    assert np.all(mirrored | same) and 10 < mirrored.sum() < 54  # about half, one coin per image


def test_pad_crop_keeps_shape_and_differs_per_image():
    img = _images(1, 8, 8)[0]
    x = np.repeat(img[None], 32, axis=0)  # identical images: any difference comes from the offsets
    out = A.random_pad_crop(x, [7, 8], padding=2).numpy()
    assert out.shape == x.shape and out.dtype == np.uint8
    offsets = [_find_crop(o, img, 2) for o in out]
    assert all(o is not None for o in offsets), "every output must be a crop of the zero-padded image"
    assert len(set(offsets)) > 5, f"offsets must differ per image, got {set(offsets)}"
    assert all(0 <= oy <= 4 and 0 <= ox <= 4 for oy, ox, _ in offsets)


def test_fused_flip_pad_crop_is_a_crop_of_the_image_or_its_mirror():
    img = _images(1, 8, 8, seed=5)[0]
    x = np.repeat(img[None], 48, axis=0)
    out = A.random_flip_pad_crop(x, [3, 3], padding=3).numpy()
    found = [_find_crop(o, img, 3, allow_flip=True) for o in out]
    assert all(f is not None for f in found)
    flips = sum(f[2] for f in found)
    assert 8 < flips < 40 and len({f[:2] for f in found}) > 10


def test_pad_crop_zero_padding_is_identity():
    x = _images(3)
    np.testing.assert_array_equal(A.random_pad_crop(x, [0, 1], padding=0).numpy(), x)


# --------------------------------------------------------------------------- colour


def test_brightness_contrast_stays_in_range_and_varies_per_image():
    x = _images(16, dtype=np.float32)
    out = A.random_brightness_contrast(x, [1, 9], brightness=0.4, contrast=0.5).numpy()
    assert out.shape == x.shape and out.min() >= 0.0 and out.max() <= 1.0
    shifts = (out - x).mean(axis=(1, 2, 3))
    assert np.unique(np.round(shifts, 5)).size > 10
    np.testing.assert_allclose(A.random_brightness_contrast(x, [1, 9], 0.0, 0.0).numpy(), x, atol=1e-6)
    with pytest.raises(ValueError, match="contrast <= 1"):
        A.random_brightness_contrast(x, [1, 9], 0.1, 1.5)


def test_pca_jitter_preserves_mean_colour_statistics():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (64, 8, 8, 3), dtype=np.uint8)
    vals, vecs = fit_pca_color(base)
    n = 4000
    x = np.full((n, 2, 2, 3), 0.5, np.float32)
    std = 0.1
    out = A.pca_color_jitter(x, [2, 3], vals, vecs, std=std).numpy()
    offsets = out[:, 0, 0, :] - 0.5
    # one offset per image
    np.testing.assert_allclose(out - out[:, :1, :1, :], 0, atol=1e-6)
    # zero mean: the mean colour is kept (within 4 standard errors)
    expected_cov = (vecs * (std * vals) ** 2) @ vecs.T
    se = np.sqrt(np.diag(expected_cov) / n)
    assert np.all(np.abs(offsets.mean(axis=0)) < 4 * se + 1e-7), (offsets.mean(axis=0), se)
    # the offsets follow the fitted colour covariance: cov = V diag((std * lambda)^2) V^T
    cov = np.cov(offsets.T, bias=True)
    np.testing.assert_allclose(np.diag(cov), np.diag(expected_cov), rtol=0.15)
    # the mean colour of a real batch stays put within tolerance
    real = base.astype(np.float32) / 255.0
    big = np.tile(real, (20, 1, 1, 1))
    jittered = A.pca_color_jitter(big, [5, 6], vals, vecs, std=std).numpy()
    np.testing.assert_allclose(jittered.mean(axis=(0, 1, 2)), big.mean(axis=(0, 1, 2)), atol=2e-3)


def test_cutout_zeroes_one_square_per_image_at_different_places():
    x = np.ones((24, 16, 16, 1), np.float32)
    out = A.random_cutout(x, [4, 4], size=4).numpy()[..., 0]
    holes = out == 0
    assert holes.any(axis=(1, 2)).all() and holes.sum(axis=(1, 2)).max() <= 16
    for h in holes:  # the hole is one axis-aligned rectangle
        rows, cols = np.flatnonzero(h.any(axis=1)), np.flatnonzero(h.any(axis=0))
        assert h[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()
    assert len({tuple(np.argwhere(h)[0]) for h in holes}) > 5


# --------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("op", [
    lambda x, s: A.random_flip(x, s),
    lambda x, s: A.random_pad_crop(x, s),
    lambda x, s: A.random_flip_pad_crop(x, s),
    lambda x, s: A.random_brightness_contrast(x, s),
    lambda x, s: A.pca_color_jitter(x, s, [0.02, 0.01, 0.001], np.eye(3)),
    lambda x, s: A.random_cutout(x, s, size=4),
])
def test_same_seed_same_result_regardless_of_global_state(op):
    x = _images(16, dtype=np.float32)
    tf.random.set_seed(1)
    a = op(x, [11, 12]).numpy()
    tf.random.set_seed(2)
    tf.random.uniform([5])  # advance the global generator
    b = op(x, [11, 12]).numpy()
    c = op(x, [11, 13]).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
