"""The embedded synthetic data set: CIFAR-shaped, deterministic, learnable, needs no files.

Ten classes, each a *shape* drawn in a random foreground colour on a random
background colour (with a guaranteed contrast), at a random size and
position, with pixel noise and a soft shading gradient:

====  ====================  =================================================
 0    ``disk``              filled circle
 1    ``ring``              circle outline
 2    ``square``            filled axis-aligned square
 3    ``frame``             square outline
 4    ``plus``              upright cross (+)
 5    ``cross``             diagonal cross (x)
 6    ``triangle``          upward-pointing filled triangle
 7    ``diamond``           filled square rotated by 45 degrees
 8    ``horizontal_stripes``  two-colour stripes across the whole image
 9    ``vertical_stripes``  two-colour stripes down the whole image
====  ====================  =================================================

Every class is symmetric under a horizontal flip and defined by structure,
not by position, so flips and translations of a few pixels keep the label
(the augmentations of :mod:`course.data.augment` are label-preserving).
Colours carry no class information: a model must use shape. Generation is
vectorised numpy (10,000 images in well under a second) and depends only on
``seed``: the same arguments always give the same arrays.
"""

from __future__ import annotations

import numpy as np

from .cifar import Dataset

__all__ = ["SYNTHETIC_CLASSES", "load_synthetic", "make_synthetic_images"]

SYNTHETIC_CLASSES = (
    "disk", "ring", "square", "frame", "plus",
    "cross", "triangle", "diamond", "horizontal_stripes", "vertical_stripes",
)

_SIZE = 32
_CHUNK = 1024


def _shape_masks(label, dx, dy, s, phase, period):
    """Boolean masks ``(n, 32, 32)`` of one class; dx, dy relative to the centre, s the half-size."""
    ax, ay = np.abs(dx), np.abs(dy)
    if label == 0:  # disk
        return dx * dx + dy * dy <= s * s
    if label == 1:  # ring
        r2 = dx * dx + dy * dy
        return (r2 <= s * s) & (r2 >= (0.55 * s) ** 2)
    if label == 2:  # square
        return np.maximum(ax, ay) <= 0.8 * s
    if label == 3:  # frame
        m = np.maximum(ax, ay)
        return (m <= 0.85 * s) & (m >= 0.45 * s)
    if label == 4:  # plus
        w = np.maximum(0.28 * s, 1.2)
        return ((ax <= w) & (ay <= s)) | ((ay <= w) & (ax <= s))
    if label == 5:  # diagonal cross
        w = np.maximum(0.3 * s, 1.2)
        return (np.abs(ax - ay) <= w) & (np.maximum(ax, ay) <= 0.85 * s)
    if label == 6:  # upward triangle: apex at top (dy = -s), base at dy = +0.8 s
        t = (dy + s) / (1.8 * s)  # 0 at the apex, 1 at the base
        return (t >= 0) & (t <= 1) & (ax <= t * s)
    if label == 7:  # diamond
        return ax + ay <= s
    if label == 8:  # horizontal stripes (rows alternate)
        return np.mod(dy + phase, period) < period / 2
    if label == 9:  # vertical stripes
        return np.mod(dx + phase, period) < period / 2
    raise ValueError(f"unknown synthetic class {label}")


def make_synthetic_images(labels, rng):
    """Draw one image per label with ``rng`` (a ``numpy.random.Generator``): ``uint8 (n, 32, 32, 3)``.

    >>> import numpy as np
    >>> imgs = make_synthetic_images([0, 8, 9], np.random.default_rng(0))   # a disk and two stripe images
    >>> imgs.shape, imgs.dtype
    ((3, 32, 32, 3), dtype('uint8'))
    >>> stripes = imgs[1].astype(int)
    >>> bool(np.abs(np.diff(stripes, axis=0)).sum() > np.abs(np.diff(stripes, axis=1)).sum())  # rows differ
    True
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and (labels.min() < 0 or labels.max() >= len(SYNTHETIC_CLASSES))):
        raise ValueError(f"labels must be a vector of ints in [0, {len(SYNTHETIC_CLASSES)}); got {labels!r}")
    n = labels.shape[0]
    f32 = np.float32
    # Per-image parameters (drawn for every image, whatever its class, so the
    # stream of random numbers does not depend on the class mix).
    cx = rng.uniform(12.5, 18.5, n).astype(f32)
    cy = rng.uniform(12.5, 18.5, n).astype(f32)
    s = rng.uniform(7.0, 11.5, n).astype(f32)
    period = rng.uniform(5.0, 9.0, n).astype(f32)
    phase = rng.uniform(0.0, 9.0, n).astype(f32)
    fg = rng.uniform(0.0, 1.0, (n, 3)).astype(f32)
    bg = rng.uniform(0.0, 1.0, (n, 3)).astype(f32)
    # Guarantee contrast: push the background's brightness away from the foreground's.
    lum_f = fg.mean(axis=1, keepdims=True)
    lum_b = bg.mean(axis=1, keepdims=True)
    too_close = np.abs(lum_f - lum_b) < 0.3
    bg = np.where(too_close, np.where(lum_f > 0.5, bg * 0.35, 0.65 + bg * 0.35), bg).astype(f32)
    grad = rng.uniform(-0.12, 0.12, (n, 2)).astype(f32)  # soft shading across the image
    noise_amp = rng.uniform(0.03, 0.12, n).astype(f32)

    coords = np.arange(_SIZE, dtype=f32) + 0.5
    ramp = (coords - _SIZE / 2) / _SIZE
    out = np.empty((n, _SIZE, _SIZE, 3), dtype=np.uint8)
    # Work in chunks so the float32 temporaries stay small (fast, little memory).
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        k = hi - lo
        lab = labels[lo:hi]
        mask = np.zeros((k, _SIZE, _SIZE), dtype=bool)
        for c in range(len(SYNTHETIC_CLASSES)):
            idx = np.flatnonzero(lab == c)
            if idx.size == 0:
                continue
            j = idx + lo
            dx = coords[None, None, :] - cx[j, None, None]
            dy = coords[None, :, None] - cy[j, None, None]
            mask[idx] = _shape_masks(c, dx, dy, s[j, None, None], phase[j, None, None], period[j, None, None])
        img = np.where(mask[..., None], fg[lo:hi, None, None, :], bg[lo:hi, None, None, :])
        shade = grad[lo:hi, 0, None, None] * ramp[None, None, :] + grad[lo:hi, 1, None, None] * ramp[None, :, None]
        # Uniform pixel noise in [-amp, amp] from raw random bytes (much faster than normals).
        noise = np.frombuffer(rng.bytes(k * _SIZE * _SIZE * 3), dtype=np.uint8).reshape(k, _SIZE, _SIZE, 3)
        noise = noise.astype(f32)
        noise *= (noise_amp[lo:hi] / 127.5)[:, None, None, None]
        noise -= noise_amp[lo:hi, None, None, None]
        noise += shade[..., None]
        img += noise
        np.clip(img, 0.0, 1.0, out=img)
        img *= 255.0
        img += 0.5
        out[lo:hi] = img
    return out


def _balanced_labels(n, rng):
    y = np.arange(n, dtype=np.int64) % len(SYNTHETIC_CLASSES)
    rng.shuffle(y)
    return y


def load_synthetic(n_train=10000, n_test=2000, seed=0):
    """The embedded synthetic set, as :func:`course.data.load_cifar10` returns CIFAR-10.

    ``(x_train, y_train), (x_test, y_test), class_names`` with ``uint8
    (N, 32, 32, 3)`` images, ``int64`` labels in ``0..9`` (balanced: every
    class has ``N // 10`` or one more) and the 10 names in
    :data:`SYNTHETIC_CLASSES`. Train and test are drawn from independent
    random streams derived from ``seed``; the same arguments always give the
    same arrays.

    >>> (x, y), (xt, yt), names = load_synthetic(n_train=100, n_test=20, seed=1)
    >>> x.shape, x.dtype, yt.shape, names[:3]
    ((100, 32, 32, 3), dtype('uint8'), (20,), ('disk', 'ring', 'square'))
    >>> bool((load_synthetic(100, 20, seed=1).x_train == x).all())
    True
    """
    for name, v in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer; got {v!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    train_ss, test_ss = np.random.SeedSequence([int(seed), 0x5EED]).spawn(2)
    parts = []
    for n, ss in ((int(n_train), train_ss), (int(n_test), test_ss)):
        rng = np.random.default_rng(ss)
        y = _balanced_labels(n, rng)
        parts.append((make_synthetic_images(y, rng), y))
    return Dataset(parts[0], parts[1], SYNTHETIC_CLASSES,
                   source=f"synthetic: seed={int(seed)}, n_train={int(n_train)}, n_test={int(n_test)}",
                   kind="synthetic")
