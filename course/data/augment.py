"""Data augmentation from the lectures, vectorised over whole batches.

Two layers live here:

* numpy helpers that need no TensorFlow, such as :func:`fit_pca_color` (the
  RGB principal components AlexNet's colour augmentation uses);
* batch-level TensorFlow ops (:func:`random_flip`, :func:`random_pad_crop`,
  :func:`random_brightness_contrast`, :func:`pca_color_jitter`,
  :func:`random_cutout`). Each takes a whole batch ``(N, H, W, C)`` and a
  stateless ``seed`` (a shape-``[2]`` int tensor), draws one random value per
  image, and never touches TensorFlow's global random state, so the same
  seed always gives the same batch.

TensorFlow is imported inside the functions that need it, so importing this
module (for example for :func:`fit_pca_color`) stays numpy-only.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "fit_pca_color",
    "pca_color_offsets",
    "split_seed",
    "random_flip",
    "random_pad_crop",
    "random_flip_pad_crop",
    "random_brightness_contrast",
    "pca_color_jitter",
    "random_cutout",
]


def _as_unit_pixels(images, name="images"):
    """Validate ``images`` and return them as an ``(N, ..., 3)`` array (no copy for uint8)."""
    arr = np.asarray(images)
    if arr.ndim < 2 or arr.shape[-1] != 3:
        raise ValueError(
            f"{name} must have 3 colour channels last (e.g. shape (N, 32, 32, 3)); "
            f"got an array of shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); need at least one pixel to fit colour statistics")
    if arr.dtype == np.uint8:
        return arr, 1.0 / 255.0
    if np.issubdtype(arr.dtype, np.integer):
        lo, hi = arr.min(), arr.max()
        if lo < 0 or hi > 255:
            raise ValueError(f"{name} has integer values in [{lo}, {hi}]; expected pixel values in [0, 255]")
        return arr, 1.0 / 255.0
    if np.issubdtype(arr.dtype, np.floating):
        lo, hi = float(np.min(arr)), float(np.max(arr))
        if not np.isfinite(lo) or not np.isfinite(hi):
            raise ValueError(f"{name} contains NaN or infinite values")
        if lo < -1e-3 or hi > 1.0 + 1e-3:
            raise ValueError(
                f"{name} is a float array with values in [{lo:.3g}, {hi:.3g}]; float images must be "
                "scaled to [0, 1] (pass the uint8 images, or divide by 255 first)"
            )
        return arr, 1.0
    raise TypeError(f"{name} must be a uint8 or float array of pixels; got dtype {arr.dtype}")


def fit_pca_color(images, chunk_size=4096):
    """Principal components of the RGB colour of every pixel (AlexNet, section 4.1).

    Pixels are scaled to ``[0, 1]`` (uint8 images are divided by 255; float
    images must already be in ``[0, 1]``), the 3x3 covariance of all pixels'
    RGB values is computed in float64 (streamed in chunks, so 50k CIFAR images
    need no large temporary), and its eigen-decomposition is returned.

    Parameters
    ----------
    images : array ``(N, H, W, 3)`` (or any ``(..., 3)``), uint8 or float in [0, 1].
    chunk_size : images per chunk while accumulating the covariance.

    Returns
    -------
    eigenvalues : float64 ``(3,)``, sorted in decreasing order (non-negative).
    eigenvectors : float64 ``(3, 3)``; column ``i`` is the unit eigenvector of
        ``eigenvalues[i]``, with its largest-magnitude entry made positive so
        the result is deterministic.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> imgs = rng.integers(0, 256, size=(8, 4, 4, 3), dtype=np.uint8)
    >>> vals, vecs = fit_pca_color(imgs)
    >>> vals.shape, vecs.shape
    ((3,), (3, 3))
    >>> bool(np.all(np.diff(vals) <= 0))
    True
    >>> np.allclose(vecs.T @ vecs, np.eye(3))
    True
    """
    arr, scale = _as_unit_pixels(images)
    if arr.ndim == 1:  # pragma: no cover - guarded by _as_unit_pixels
        arr = arr[None]
    lead = arr.reshape(arr.shape[0], -1, 3) if arr.ndim > 2 else arr.reshape(1, -1, 3)
    n_pix = 0
    s = np.zeros(3, dtype=np.float64)
    ss = np.zeros((3, 3), dtype=np.float64)
    chunk_size = max(1, int(chunk_size))
    for start in range(0, lead.shape[0], chunk_size):
        p = lead[start:start + chunk_size].reshape(-1, 3).astype(np.float64) * scale
        n_pix += p.shape[0]
        s += p.sum(axis=0)
        ss += p.T @ p
    mean = s / n_pix
    cov = ss / n_pix - np.outer(mean, mean)
    cov = (cov + cov.T) / 2.0
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    vals = np.clip(vals[order], 0.0, None)
    vecs = vecs[:, order]
    idx = np.argmax(np.abs(vecs), axis=0)
    signs = np.sign(vecs[idx, np.arange(3)])
    signs[signs == 0] = 1.0
    vecs = vecs * signs
    return vals, vecs


def pca_color_offsets(eigenvalues, eigenvectors, alphas):
    """Per-image RGB offsets of AlexNet's colour augmentation (numpy).

    ``offset[n] = eigenvectors @ (alphas[n] * eigenvalues)``, i.e. the sum over
    components ``i`` of ``alpha_i * lambda_i * p_i``. Add it to every pixel of
    image ``n`` (in the ``[0, 1]`` scale; multiply by 255 for uint8 pixels).

    >>> import numpy as np
    >>> vals, vecs = np.array([0.5, 0.1, 0.01]), np.eye(3)
    >>> pca_color_offsets(vals, vecs, np.array([[1.0, 0.0, 0.0]]))
    array([[0.5, 0. , 0. ]])
    """
    vals = np.asarray(eigenvalues, dtype=np.float64).reshape(3)
    vecs = np.asarray(eigenvectors, dtype=np.float64).reshape(3, 3)
    a = np.asarray(alphas, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 3:
        raise ValueError(f"alphas must have shape (N, 3); got {a.shape}")
    return (a * vals) @ vecs.T


# --------------------------------------------------------------------------- TensorFlow batch ops
#
# Every op takes a batch ``images`` of shape (N, H, W, C) and ``seed``, a
# shape-[2] integer tensor for TensorFlow's stateless random ops, and draws
# independent values per image. Ops that change pixel values expect float
# images in [0, 1].


# One fixed algorithm, so results do not depend on the device or on XLA
# (the default "auto_select" may pick different generators there).
_ALG = "philox"


def _tf():
    import tensorflow as tf

    return tf


def _uniform(shape, seed, minval=0.0, maxval=1.0, dtype=None):
    """Stateless uniform floats in [minval, maxval) built from integer draws.

    TensorFlow's float ``stateless_uniform`` gives different numbers under XLA
    than on the CPU kernels; its integer draws agree, so floats are made from
    24-bit integers and the pipeline gives the same batches with or without XLA.
    """
    tf = _tf()
    dtype = dtype or tf.float32
    bits = tf.random.stateless_uniform(shape, seed=seed, minval=0, maxval=1 << 24, dtype=tf.int32, alg=_ALG)
    u = tf.cast(bits, dtype) * (1.0 / (1 << 24))
    return minval + (maxval - minval) * u


def _normal(shape, seed, stddev=1.0, dtype=None):
    """Stateless normal draws (Box-Muller on :func:`_uniform`), identical with and without XLA."""
    tf = _tf()
    dtype = dtype or tf.float32
    s1, s2 = tf.unstack(split_seed(seed, 2))
    u1 = 1.0 - _uniform(shape, s1, dtype=dtype)  # (0, 1]: log is finite
    u2 = _uniform(shape, s2, dtype=dtype)
    return stddev * tf.sqrt(-2.0 * tf.math.log(u1)) * tf.cos((2.0 * np.pi) * u2)


def split_seed(seed, n):
    """``n`` independent stateless seeds (shape ``[n, 2]``) derived from ``seed``.

    >>> s = split_seed([1, 2], 3)
    >>> tuple(s.shape)
    (3, 2)
    """
    tf = _tf()
    return tf.random.experimental.stateless_split(tf.cast(tf.convert_to_tensor(seed), tf.int64), n, alg=_ALG)


def _batch_size(images):
    tf = _tf()
    return tf.shape(images)[0]


def random_flip(images, seed, p=0.5):
    """Mirror each image left-right with probability ``p`` (one coin per image).

    >>> import numpy as np
    >>> x = np.arange(2 * 1 * 3 * 1, dtype="float32").reshape(2, 1, 3, 1)
    >>> out = random_flip(x, seed=[0, 0], p=1.0).numpy()
    >>> out[0, 0, :, 0].tolist()
    [2.0, 1.0, 0.0]
    """
    tf = _tf()
    images = tf.convert_to_tensor(images)
    n = _batch_size(images)
    flip = _uniform([n], seed) < p
    return tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)


def _crop_rows_cols(padded, oy, ox, h, w, flip=None):
    """Per-image crop (and optional mirror) of ``padded`` at offsets ``oy``/``ox`` with two gathers."""
    tf = _tf()
    rows = oy[:, None] + tf.range(h)[None, :]  # (N, h)
    cols = tf.range(w)[None, :]
    if flip is not None:
        cols = tf.where(flip[:, None], (w - 1) - cols, cols)
    cols = ox[:, None] + cols  # (N, w)
    channels = padded.shape[-1]
    if padded.dtype == tf.uint8 and channels is not None and channels <= 4:
        # Pack each RGB(A) pixel into one int32 so the gathers move whole pixels
        # (about 3x fewer, larger elements: faster, especially under XLA).
        four = tf.pad(padded, [[0, 0], [0, 0], [0, 0], [0, 4 - channels]])
        packed = tf.bitcast(four, tf.int32)  # (N, H + 2p, W + 2p)
        out = tf.gather(packed, rows, axis=1, batch_dims=1)
        out = tf.gather(out, cols, axis=2, batch_dims=1)  # (N, h, w)
        return tf.bitcast(out, tf.uint8)[..., :channels]
    out = tf.gather(padded, rows, axis=1, batch_dims=1)  # (N, h, W + 2p, C)
    return tf.gather(out, cols, axis=2, batch_dims=1)  # (N, h, w, C)


def _pad_and_offsets(images, seed, padding):
    tf = _tf()
    images = tf.convert_to_tensor(images)
    if padding < 0:
        raise ValueError(f"padding must be >= 0; got {padding}")
    n = _batch_size(images)
    padded = tf.pad(images, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
    offsets = tf.random.stateless_uniform([n, 2], seed=seed, minval=0, maxval=2 * padding + 1,
                                          dtype=tf.int32, alg=_ALG)
    return images, padded, offsets[:, 0], offsets[:, 1]


def random_pad_crop(images, seed, padding=4):
    """Zero-pad by ``padding`` pixels, then crop back to ``H x W`` at a random offset PER IMAGE.

    Unlike ``keras.layers.RandomCrop`` (one offset for the whole batch), every
    image gets its own offset in ``[0, 2 * padding]`` along each axis, i.e. a
    translation of up to ``padding`` pixels. Works for any dtype.

    >>> import numpy as np
    >>> x = np.ones((4, 8, 8, 3), "float32")
    >>> tuple(random_pad_crop(x, seed=[1, 2], padding=2).shape)
    (4, 8, 8, 3)
    """
    tf = _tf()
    images, padded, oy, ox = _pad_and_offsets(images, seed, padding)
    h, w = tf.shape(images)[1], tf.shape(images)[2]
    return _crop_rows_cols(padded, oy, ox, h, w)


def random_flip_pad_crop(images, seed, padding=4, p_flip=0.5):
    """:func:`random_flip` and :func:`random_pad_crop` fused into two gathers (the pipeline's fast path).

    Same distribution as flipping then pad-cropping; the flip is folded into
    the column indices, so no extra pass over the pixels is needed.

    >>> import numpy as np
    >>> x = np.zeros((3, 8, 8, 3), "uint8")
    >>> tuple(random_flip_pad_crop(x, seed=[0, 1]).shape)
    (3, 8, 8, 3)
    """
    tf = _tf()
    s_crop, s_flip = tf.unstack(split_seed(seed, 2))
    images, padded, oy, ox = _pad_and_offsets(images, s_crop, padding)
    h, w = tf.shape(images)[1], tf.shape(images)[2]
    flip = _uniform([tf.shape(images)[0]], s_flip) < p_flip
    return _crop_rows_cols(padded, oy, ox, h, w, flip=flip)


def random_brightness_contrast(images, seed, brightness=0.2, contrast=0.2):
    """Per-image brightness shift and contrast scaling of float images in [0, 1], clipped to [0, 1].

    Each image gets ``delta ~ U(-brightness, brightness)`` added and its
    deviation from its own mean scaled by ``factor ~ U(1 - contrast, 1 + contrast)``.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((4, 8, 8, 3)).astype("float32")
    >>> y = random_brightness_contrast(x, seed=[3, 4], brightness=0.5, contrast=0.5).numpy()
    >>> bool(y.min() >= 0.0 and y.max() <= 1.0)
    True
    """
    tf = _tf()
    if brightness < 0 or contrast < 0 or contrast > 1:
        raise ValueError(
            f"need brightness >= 0 and 0 <= contrast <= 1; got brightness={brightness}, contrast={contrast}"
        )
    images = tf.convert_to_tensor(images)
    n = _batch_size(images)
    s_b, s_c = tf.unstack(split_seed(seed, 2))
    delta = _uniform([n, 1, 1, 1], s_b, -brightness, brightness, dtype=images.dtype)
    factor = _uniform([n, 1, 1, 1], s_c, 1.0 - contrast, 1.0 + contrast, dtype=images.dtype)
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return tf.clip_by_value((images - mean) * factor + mean + delta, 0.0, 1.0)


def pca_color_jitter(images, seed, eigenvalues, eigenvectors, std=0.1, clip=False):
    """AlexNet's colour augmentation on float images in [0, 1].

    Each image gets the same RGB offset added to all its pixels:
    ``sum_i alpha_i * lambda_i * p_i`` with ``alpha_i ~ N(0, std)`` drawn per
    image, and ``(lambda_i, p_i)`` from :func:`fit_pca_color` on the training
    images. The offsets have zero mean, so mean colour statistics are kept.
    ``clip=True`` clips the result to [0, 1] (slightly biasing the mean).

    >>> import numpy as np
    >>> x = np.full((2, 4, 4, 3), 0.5, "float32")
    >>> vals, vecs = np.array([0.02, 0.005, 0.001]), np.eye(3)
    >>> y = pca_color_jitter(x, [0, 0], vals, vecs, std=0.1).numpy()
    >>> bool(np.allclose(y - y[:, :1, :1, :], 0))  # one offset per image
    True
    """
    tf = _tf()
    images = tf.convert_to_tensor(images)
    vals = tf.reshape(tf.cast(eigenvalues, images.dtype), [3])
    vecs = tf.reshape(tf.cast(eigenvectors, images.dtype), [3, 3])
    n = _batch_size(images)
    alpha = _normal([n, 3], seed, stddev=std, dtype=images.dtype)
    offset = tf.matmul(alpha * vals[None, :], vecs, transpose_b=True)  # (N, 3)
    out = images + offset[:, None, None, :]
    return tf.clip_by_value(out, 0.0, 1.0) if clip else out


def random_cutout(images, seed, size=8, fill_value=0.0):
    """Cutout (DeVries & Taylor, 2017): set a ``size x size`` square to ``fill_value`` in each image.

    The square's centre is uniform over the image (so it may be partly
    outside), independently per image. Applied after normalisation,
    ``fill_value=0`` is the training mean.

    >>> import numpy as np
    >>> y = random_cutout(np.ones((2, 8, 8, 1), "float32"), seed=[0, 0], size=4).numpy()
    >>> bool((y == 0).any(axis=(1, 2, 3)).all())
    True
    """
    tf = _tf()
    if size < 0:
        raise ValueError(f"size must be >= 0; got {size}")
    images = tf.convert_to_tensor(images)
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    cy = tf.random.stateless_uniform([n], seed=seed, minval=0, maxval=h, dtype=tf.int32, alg=_ALG)
    cx = tf.random.stateless_uniform([n], seed=tf.random.experimental.stateless_fold_in(seed, 1, alg=_ALG),
                                     minval=0, maxval=w, dtype=tf.int32, alg=_ALG)
    half = size // 2
    ry = tf.range(h)[None, :] - (cy[:, None] - half)  # (N, H)
    rx = tf.range(w)[None, :] - (cx[:, None] - half)
    in_y = (ry >= 0) & (ry < size)
    in_x = (rx >= 0) & (rx < size)
    hole = in_y[:, :, None] & in_x[:, None, :]  # (N, H, W)
    return tf.where(hole[..., None], tf.cast(fill_value, images.dtype), images)
