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
