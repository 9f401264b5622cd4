"""tf.data input pipelines for CIFAR-sized images, with normalisation and augmentation.

The easy path is the correct one::

    from course.data import load_cifar10, fit_normalization, make_dataset
    (x_train, y_train), (x_test, y_test), names = load_cifar10()
    norm = fit_normalization(x_train, kind="channel")        # statistics of the TRAINING set
    train_ds = make_dataset(x_train, y_train, 128, training=True, normalize=norm, seed=0)
    test_ds = make_dataset(x_test, y_test, 256, training=False, normalize=norm)
    model.fit(train_ds, validation_data=test_ds, epochs=10)

(:func:`make_datasets` does those three steps in one call.) That plain
``model.fit(train_ds, epochs=E)`` is also the fast way: a shuffled dataset
keeps one pipeline iterator for its whole life and every iteration (epoch)
takes the next epoch's batches from it, so tf.data's per-iterator start-up
(instantiating the map function with its random ops, XLA's compilation),
which costs about as much as a CIFAR-sized epoch, is paid once, not every
epoch. ``make_dataset(..., repeat=True)`` with ``model.fit(train_ds,
steps_per_epoch=ceil(len(x_train) / batch_size), ...)`` does the same
explicitly, with an endless dataset.

ImageNet-sized inputs for pretrained networks: ``make_dataset(x, y, 64,
image_size=160, normalize=course.models.imagenet_normalizer())`` upsamples
each batch on the fly (bilinear), after augmentation at the stored size;
only one batch at a time is ever large.

How a training batch is built: the pipeline shuffles *indices*, batches them,
and then works on whole batches with TensorFlow ops inside one
``Dataset.map`` (``num_parallel_calls=AUTOTUNE``, followed by ``prefetch``):
gather the uint8 images, flip and pad-crop them (one random offset per
image, fused into two gathers), colour-jitter, normalise, cutout. There is no
per-image Python or ``map``. For data sets of 4096 images or more, that
per-batch work is compiled with XLA (``jit_compile``), which fuses it into a
few loops and multiplies the throughput on CPU; it is compiled once per
dataset (shuffled datasets keep their iterator, see above).

Randomness is reproducible and never touches TensorFlow's global random
state: the shuffle order and each batch's augmentation key come from
``seed`` (a stateless key per batch, drawn from ``tf.data.Dataset.random``
seeded with ``seed``), and every random op is a stateless op keyed on it. Two
datasets built with the same arguments yield identical batches, epoch after
epoch; successive epochs of one dataset differ from each other (new shuffle,
new augmentation), as training needs.

The result is a ``tf.data.Dataset`` of ``(images, labels)`` (or just images
when ``y`` is None) that ``keras.Model.fit`` accepts on the TensorFlow and
JAX backends.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Tuple

import numpy as np

from .augment import fit_pca_color

__all__ = [
    "Normalizer",
    "fit_normalization",
    "Augment",
    "make_dataset",
    "make_datasets",
    "TTA_VIEWS",
    "tta_views",
    "tta_predict",
]


# --------------------------------------------------------------------------- normalisation


def _check_images(x, name="x"):
    arr = np.asarray(x)
    if arr.ndim != 4:
        raise ValueError(f"{name} must be a batch of images of shape (N, H, W, C); got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype == np.uint8:
        return arr
    if np.issubdtype(arr.dtype, np.floating):
        lo, hi = float(arr.min()), float(arr.max())
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo < -1e-3 or hi > 1 + 1e-3:
            raise ValueError(
                f"{name} is a float array with values in [{lo:.3g}, {hi:.3g}]; pass uint8 pixels (0..255) "
                "or floats scaled to [0, 1]"
            )
        return arr.astype(np.float32, copy=False)
    raise TypeError(f"{name} must hold uint8 pixels or floats in [0, 1]; got dtype {arr.dtype}")


def _unit_scale(arr):
    """Factor that maps ``arr`` to [0, 1]: 1/255 for uint8, 1 for floats."""
    return 1.0 / 255.0 if arr.dtype == np.uint8 else 1.0


@dataclasses.dataclass(frozen=True, eq=False)
class Normalizer:
    """Normalisation with statistics fitted on training images (see :func:`fit_normalization`).

    ``normalised = (pixels_in_[0,1] - mean) / std``; ``kind`` is
    ``"channel"`` (per-channel mean and std, VGG style: ``mean``/``std`` have
    shape ``(C,)``), ``"image"`` (AlexNet style: ``mean`` is the mean image
    ``(H, W, C)``, ``std`` one scalar over all pixels) or ``"scale"`` (mean
    0, std 1: pixels divided by 255). Calling it on uint8 or [0, 1] float
    images returns float32 (numpy); the pipeline applies the same maths with
    TensorFlow.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).integers(0, 256, (50, 4, 4, 3), dtype=np.uint8)
    >>> norm = fit_normalization(x, kind="channel")
    >>> z = norm(x)
    >>> np.allclose(z.mean(axis=(0, 1, 2)), 0, atol=1e-5), np.allclose(z.std(axis=(0, 1, 2)), 1, atol=1e-4)
    (True, True)
    >>> np.allclose(norm.inverse(z) * 255, x, atol=1e-3)
    True
    """

    kind: str
    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self):
        if self.kind not in ("channel", "image", "scale"):
            raise ValueError(f"Normalizer kind must be 'channel', 'image' or 'scale'; got {self.kind!r}")
        mean = np.asarray(self.mean, np.float32)
        std = np.asarray(self.std, np.float32)
        if np.any(std <= 0) or not np.all(np.isfinite(std)):
            raise ValueError(f"Normalizer std must be positive and finite; got {std}")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @classmethod
    def scale(cls):
        """The statistics-free normaliser: pixels / 255, in [0, 1]."""
        return cls("scale", np.zeros(3, np.float32), np.ones((), np.float32))

    def __call__(self, images):
        """Normalise uint8 (0..255) or float ([0, 1]) images; returns float32."""
        arr = np.asarray(images)
        if arr.shape[-self.mean.ndim:] != self.mean.shape and self.mean.ndim > 1:
            raise ValueError(
                f"images of shape {arr.shape} do not match this Normalizer's mean image {self.mean.shape}"
            )
        scale = _unit_scale(arr) if arr.dtype == np.uint8 else 1.0
        return ((arr.astype(np.float32) * np.float32(scale) - self.mean) / self.std).astype(np.float32)

    transform = __call__

    def inverse(self, z):
        """Undo the normalisation: back to float pixels in [0, 1] (for display)."""
        return np.asarray(z, np.float32) * self.std + self.mean

    def scale_and_bias(self, input_scale=1.0):
        """``(a, b)`` float32 arrays with ``normalised = pixels * a + b`` for pixels in units of ``1/input_scale``."""
        a = (np.float32(input_scale) / self.std).astype(np.float32)
        b = (-self.mean / self.std).astype(np.float32)
        return a, b

    def tf_apply(self, images, input_scale=1.0):
        """TensorFlow version: ``images`` (any numeric dtype, in units of ``1/input_scale``) -> float32."""
        import tensorflow as tf

        a, b = self.scale_and_bias(input_scale)
        return tf.cast(images, tf.float32) * tf.constant(a) + tf.constant(b)

    def keras_layer(self, input_scale=1.0, name="normalize"):
        """This normalisation as a Keras layer, to put it inside a model.

        A model that starts with it takes raw images (pixels in units of
        ``1/input_scale``: ``[0, 1]`` by default, what :func:`make_dataset`
        gives with its default ``normalize="scale"``; ``input_scale=1/255``
        for 0..255 pixels) and carries the training set's statistics with it,
        so anyone can evaluate it on images they load themselves. It is
        Keras' own ``Normalization`` layer with this normaliser's mean and
        variance, so a saved model loads without ``course``.

        >>> import numpy as np
        >>> x = np.random.default_rng(0).integers(0, 256, (20, 4, 4, 3), dtype=np.uint8)
        >>> norm = fit_normalization(x, kind="channel")
        >>> layer = norm.keras_layer()
        >>> bool(np.allclose(np.asarray(layer(x / 255.0)), norm(x), atol=1e-5))
        True
        """
        import keras

        if isinstance(input_scale, bool) or not isinstance(input_scale, (int, float, np.floating)) or \
                not input_scale > 0:
            raise ValueError(f"input_scale must be a positive number (1 for pixels in [0, 1], 1/255 for 0..255); "
                             f"got {input_scale!r}")
        mean = self.mean / np.float32(input_scale)
        std = self.std / np.float32(input_scale)
        if self.kind == "channel":
            axis = -1
        elif self.kind == "image":
            axis, std = (-3, -2, -1), np.broadcast_to(std, mean.shape)
        else:
            axis, mean = None, np.float32(0.0)
        return keras.layers.Normalization(axis=axis, mean=np.asarray(mean, np.float32),
                                          variance=np.square(np.asarray(std, np.float32)), name=name)

    def to_dict(self):
        """JSON-friendly dict (lists); :meth:`from_dict` restores it."""
        return {"kind": self.kind, "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d):
        return cls(d["kind"], np.asarray(d["mean"], np.float32), np.asarray(d["std"], np.float32))

    def __repr__(self):
        if self.kind == "channel":
            r = lambda a: [round(float(v), 4) for v in a]  # noqa: E731
            return f"Normalizer(kind='channel', mean={r(self.mean)}, std={r(self.std)})"
        if self.kind == "image":
            return f"Normalizer(kind='image', mean=<image {self.mean.shape}>, std={float(self.std):.4f})"
        return "Normalizer(kind='scale')"


def fit_normalization(x_train, kind="channel", eps=1e-6):
    """Fit a :class:`Normalizer` on TRAINING images (uint8 or floats in [0, 1]).

    ``kind="channel"``: per-channel mean and std over all training pixels
    (VGG). ``kind="image"``: the mean image (AlexNet subtracts it), plus one
    global std of the centred pixels so inputs have unit scale. Statistics are
    in the [0, 1] pixel scale, accumulated in float64. Apply the same object
    to the validation and test images; never fit on them.

    >>> import numpy as np
    >>> x = np.zeros((4, 2, 2, 3), np.uint8); x[:, :, :, 0] = 255
    >>> norm = fit_normalization(x, kind="channel")
    >>> norm.mean.tolist()
    [1.0, 0.0, 0.0]
    >>> fit_normalization(x, kind="image").mean.shape
    (2, 2, 3)
    """
    if kind not in ("channel", "image"):
        raise ValueError(f"kind must be 'channel' (per-channel mean/std) or 'image' (mean image); got {kind!r}")
    arr = _check_images(x_train, "x_train")
    n = arr.shape[0]
    if arr.dtype == np.uint8:
        # Exact integer sums (uint8 squares fit in uint16), scaled to [0, 1] at the end.
        s1 = np.zeros(arr.shape[1:], np.uint64)
        s2 = np.zeros(arr.shape[1:], np.uint64)
        for lo in range(0, n, 4096):
            chunk = arr[lo:lo + 4096].astype(np.uint16)
            s1 += chunk.sum(axis=0, dtype=np.uint64)
            s2 += np.square(chunk).sum(axis=0, dtype=np.uint64)
        s1 = s1.astype(np.float64) / 255.0
        s2 = s2.astype(np.float64) / 255.0 ** 2
    else:
        s1 = np.zeros(arr.shape[1:], np.float64)
        s2 = np.zeros(arr.shape[1:], np.float64)
        for lo in range(0, n, 4096):
            chunk = arr[lo:lo + 4096].astype(np.float64)
            s1 += chunk.sum(axis=0)
            s2 += np.square(chunk).sum(axis=0)
    if kind == "channel":
        count = n * arr.shape[1] * arr.shape[2]
        mean = s1.sum(axis=(0, 1)) / count
        var = s2.sum(axis=(0, 1)) / count - mean ** 2
        std = np.sqrt(np.maximum(var, 0.0)) + eps
    else:
        mean = s1 / n
        var = (s2 / n - mean ** 2).mean()  # mean over pixels of the per-pixel variance
        std = np.float64(np.sqrt(max(var, 0.0)) + eps)
    return Normalizer(kind, mean.astype(np.float32), np.asarray(std, np.float32))


def _resolve_normalizer(normalize, training):
    if isinstance(normalize, Normalizer):
        return normalize
    if normalize is None:
        return None
    if normalize == "scale":
        return Normalizer.scale()
    if normalize in ("channel", "image"):
        raise ValueError(
            f"normalize={normalize!r} would fit statistics on the images passed here"
            + (" (evaluation data!)" if not training else "")
            + f"; fit them once on the training images and pass the result to every dataset: "
            f"norm = fit_normalization(x_train, kind={normalize!r}); "
            "make_dataset(x_train, ..., normalize=norm); make_dataset(x_test, ..., normalize=norm). "
            "make_datasets(...) does this for you"
        )
    raise ValueError(f"normalize must be a Normalizer, 'scale' or None; got {normalize!r}")


# --------------------------------------------------------------------------- augmentation settings


@dataclasses.dataclass(frozen=True)
class Augment:
    """Which augmentations a training pipeline applies, and how strongly.

    ``flip``: mirror left-right with probability 1/2. ``crop_padding``: pad by
    this many pixels and crop back at a random offset per image (0: off).
    ``brightness`` / ``contrast``: per-image jitter ranges (0: off).
    ``pca_std``: AlexNet colour augmentation with ``alpha ~ N(0, pca_std)``
    (0: off); ``pca`` holds ``(eigenvalues, eigenvectors)`` from
    :func:`~course.data.augment.fit_pca_color`, fitted on the training images
    when left None. ``cutout``: side of the square cut out of each image (0:
    off), applied after normalisation so it is filled with the mean.

    :meth:`from_spec` builds one from names::

        >>> Augment.from_spec("flip,crop,cutout")
        Augment(flip=True, crop_padding=4, brightness=0.0, contrast=0.0, pca_std=0.0, cutout=16)
    """

    flip: bool = True
    crop_padding: int = 4
    brightness: float = 0.0
    contrast: float = 0.0
    pca_std: float = 0.0
    pca: Optional[Tuple[np.ndarray, np.ndarray]] = dataclasses.field(default=None, repr=False)
    cutout: int = 0

    NAMES = ("flip", "crop", "jitter", "pca", "cutout")

    def __post_init__(self):
        for f in ("crop_padding", "cutout"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"Augment.{f} must be a non-negative integer; got {v!r}")
        for f in ("brightness", "contrast", "pca_std"):
            if getattr(self, f) < 0:
                raise ValueError(f"Augment.{f} must be >= 0; got {getattr(self, f)!r}")
        if self.contrast > 1:
            raise ValueError(f"Augment.contrast must be <= 1; got {self.contrast!r}")

    @classmethod
    def none(cls):
        return cls(flip=False, crop_padding=0)

    @classmethod
    def from_spec(cls, spec):
        """``None``/``False``/``"none"`` -> nothing; ``True``/``"default"`` -> flip + crop;
        a comma-separated string or list of names from ``flip, crop, jitter, pca, cutout``; or an Augment.

        Defaults: crop pads by 4, jitter is +-0.2 brightness and contrast, pca
        uses ``std=0.1`` (AlexNet), cutout cuts 16x16 (DeVries & Taylor on
        CIFAR-10). ``cropN`` and ``cutoutN`` set the padding / square side.

        >>> Augment.from_spec("flip,crop2,cutout8")
        Augment(flip=True, crop_padding=2, brightness=0.0, contrast=0.0, pca_std=0.0, cutout=8)
        """
        if isinstance(spec, cls):
            return spec
        if spec is None or spec is False or spec == "none":
            return cls.none()
        if spec is True or spec == "default":
            return cls()
        names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
        sizes = {}
        for i, name in enumerate(names):
            # "crop2" / "cutout8": the name with a size (padding / square side) appended
            for base in ("crop", "cutout"):
                if isinstance(name, str) and name.startswith(base) and name[len(base):].isdigit():
                    sizes[base] = int(name[len(base):])
                    names[i] = base
        unknown = [n for n in names if n not in cls.NAMES]
        if unknown:
            raise ValueError(
                f"unknown augmentation {unknown[0]!r} in augment={spec!r}; choose from {', '.join(cls.NAMES)}"
                " (crop and cutout take a size: crop2, cutout8), or pass an Augment(...) for custom strengths"
            )
        return cls(
            flip="flip" in names,
            crop_padding=sizes.get("crop", 4) if "crop" in names else 0,
            brightness=0.2 if "jitter" in names else 0.0,
            contrast=0.2 if "jitter" in names else 0.0,
            pca_std=0.1 if "pca" in names else 0.0,
            cutout=sizes.get("cutout", 16) if "cutout" in names else 0,
        )

    @property
    def active(self):
        return bool(self.flip or self.crop_padding or self.brightness or self.contrast or self.pca_std
                    or self.cutout)


# --------------------------------------------------------------------------- datasets


_PIXEL_FNS = {}


def _pixel_fn(aug, training, input_scale, normalized, jit_compile, image_size=None):
    """The per-batch pixel work as a ``tf.function``, shared by all datasets with the same settings.

    Sharing matters with XLA: a compiled kernel is reused by every later
    dataset with the same settings and batch shape, instead of compiling again.
    The normalisation and PCA statistics are arguments, not constants.
    """
    key = (dataclasses.replace(aug, pca=None), training, float(input_scale), normalized, bool(jit_compile), image_size)
    if key in _PIXEL_FNS:
        return _PIXEL_FNS[key]
    import tensorflow as tf

    from . import augment as A

    def fn(xb, key, a, b, pca_vals, pca_vecs):
        scale_now = input_scale
        if training and aug.active:
            seeds = A.split_seed(key, 4)  # flip/crop, brightness/contrast, PCA, cutout
            if aug.flip and aug.crop_padding:
                xb = A.random_flip_pad_crop(xb, seeds[0], padding=aug.crop_padding)
            elif aug.flip:
                xb = A.random_flip(xb, seeds[0])
            elif aug.crop_padding:
                xb = A.random_pad_crop(xb, seeds[0], padding=aug.crop_padding)
            if aug.brightness or aug.contrast or aug.pca_std:
                xb = tf.cast(xb, tf.float32) * input_scale  # to [0, 1]
                scale_now = 1.0
                if aug.brightness or aug.contrast:
                    xb = A.random_brightness_contrast(xb, seeds[1], aug.brightness, aug.contrast)
                if aug.pca_std:
                    xb = A.pca_color_jitter(xb, seeds[2], pca_vals, pca_vecs, std=aug.pca_std)
        xb = tf.cast(xb, tf.float32)
        if normalized:  # (pixels * scale_now) normalised = pixels * (a * scale_now) + b
            xb = xb * (a * scale_now) + b
        elif scale_now != input_scale:
            xb = xb * (1.0 / input_scale)  # back to the caller's pixel units
        if training and aug.cutout:
            xb = A.random_cutout(xb, seeds[3], size=aug.cutout)
        if image_size is not None:  # last: augment and normalise at the stored size, then upsample the batch
            xb = tf.image.resize(xb, image_size, method="bilinear")
        return xb

    if jit_compile:
        fn = tf.function(fn, jit_compile=True)
    _PIXEL_FNS[key] = fn
    return fn


def _batch_fn(x_t, y_t, aug, norm, training, input_scale, pca, jit_compile, image_size=None):
    """Map function: gather a batch by index (outside XLA, so XLA never copies the whole data set),
    then run the shared pixel function."""
    import tensorflow as tf

    pixel_fn = _pixel_fn(aug, training, input_scale, norm is not None, jit_compile, image_size)
    if norm is not None:
        a, b = norm.scale_and_bias(1.0)  # for pixels in [0, 1]
    else:
        a, b = np.ones((), np.float32), np.zeros((), np.float32)
    a, b = tf.constant(a), tf.constant(b)
    vals, vecs = pca if pca is not None else (np.zeros(3), np.eye(3))
    vals = tf.constant(np.asarray(vals, np.float32).reshape(3))
    vecs = tf.constant(np.asarray(vecs, np.float32).reshape(3, 3))

    def batch(idx, key=None):
        key = tf.zeros([2], tf.int64) if key is None else key
        xb = pixel_fn(tf.gather(x_t, idx), key, a, b, vals, vecs)
        return xb if y_t is None else (xb, tf.gather(y_t, idx))

    return batch


_XLA_OK = None
_XLA_MIN_IMAGES = 4096  # jit_compile="auto": XLA for data sets at least this large


def _xla_available():
    """Whether XLA can compile a tiny batch op on this machine (checked once per process)."""
    global _XLA_OK
    if _XLA_OK is None:
        import tensorflow as tf

        def probe(i, key):
            v = tf.gather(tf.range(8, dtype=tf.int32), i)
            return tf.cast(v, tf.float32) * tf.random.stateless_uniform(tf.shape(i), seed=key)

        try:
            tf.function(probe, jit_compile=True)(tf.constant([1, 2], tf.int64), tf.constant([0, 1], tf.int64))
            _XLA_OK = True
        except Exception:  # pragma: no cover - TF builds without XLA
            _XLA_OK = False
    return _XLA_OK


def _check_image_size(image_size):
    """None, or ``(height, width)`` of positive ints from an int or a pair."""
    if image_size is None:
        return None
    size = (image_size, image_size) if isinstance(image_size, (int, np.integer)) else image_size
    try:
        h, w = size
    except (TypeError, ValueError):
        raise ValueError(f"image_size must be None, an int or (height, width); got {image_size!r}") from None
    for v in (h, w):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"image_size must be None, a positive int or (height, width) of positive ints; "
                             f"got {image_size!r}")
    return int(h), int(w)


def make_dataset(x, y=None, batch_size=128, training=False, augment="default", normalize="scale",
                 shuffle=None, cache=False, seed=0, drop_remainder=False, repeat=False, jit_compile="auto",
                 image_size=None, persistent=True):
    """A batched ``tf.data.Dataset`` of ``(images, labels)`` for Keras ``fit``/``evaluate``/``predict``.

    Parameters
    ----------
    x : uint8 ``(N, H, W, C)`` (or float in [0, 1]); y : ``(N,)`` labels or None (images only).
    batch_size : images per batch.
    training : True for the training set: shuffles and augments. With False
        there is never any augmentation or shuffling (unless ``shuffle=True``).
    augment : what :meth:`Augment.from_spec` accepts: ``"default"`` (flip +
        pad-crop by 4), ``None``, names such as ``"flip,crop,jitter,pca,cutout"``
        or an :class:`Augment`. Ignored when ``training`` is False.
    normalize : a fitted :class:`Normalizer` (from :func:`fit_normalization`
        on the training images), ``"scale"`` (pixels / 255, the default) or
        None (float32 pixels unchanged). ``"channel"``/``"image"`` are
        refused: fit on the training set and pass the Normalizer.
    shuffle : default ``training``.
    cache : cache the finished batches in memory (True) or a file (a path)
        when ``training`` and ``repeat`` are False; training batches are rebuilt each epoch
        (their images are gathered from an in-memory tensor, so there is
        nothing to re-read), and ``cache`` is then ignored.
    seed : int; fixes the shuffle order and all augmentation.
    drop_remainder : drop the last incomplete batch.
    repeat : repeat forever (epoch after epoch, each reshuffled and
        re-augmented; batches never straddle two epochs), for
        ``model.fit(ds, steps_per_epoch=ceil(len(x) / batch_size), epochs=...)``.
    persistent : for shuffled datasets without ``repeat`` (the training
        set): keep one pipeline iterator for the dataset's whole life, and
        let each iteration (each epoch of ``model.fit``) take the next epoch
        of batches from it, so tf.data's per-iterator start-up (function
        instantiation, XLA compilation: tens of milliseconds, as much as a
        CIFAR-sized epoch) happens once. The epochs are those ``repeat=True``
        serves, and each iteration in Python (``model.fit`` on any backend,
        ``for batch in ds``) is exactly one of them: after an iteration
        stopped early (``next(iter(ds))``) the next one first skips the rest
        of that epoch. Transformations (``ds.take(2)``) take the next batches
        as they come. Iterate one copy at a time. False: a fresh pipeline per
        iteration, tf.data's default (needed with ``tf.distribute``
        strategies, or to serialise the dataset). Datasets in a fixed order
        (evaluation) always start afresh.
    jit_compile : compile the per-batch pixel work (augment, normalise,
        resize) with XLA, fusing it into a few loops: several times the
        throughput on CPU once compiled. The compilation (a fraction of a
        second) is repeated whenever tf.data starts a new pipeline iterator:
        once for a persistent or repeated dataset, every iteration for an
        evaluation dataset. ``"auto"``: for data sets of at least 4096
        images, when XLA works on this machine. The batches are the same
        either way.
    image_size : None (keep the stored size), an int or ``(height, width)``:
        resize every batch to this size on the fly (bilinear), after
        augmentation, normalisation and cutout, which happen at the stored
        size. For pretrained ImageNet networks on CIFAR-sized images
        (``image_size=160, normalize=course.models.imagenet_normalizer()``):
        only one batch at a time is ever upsampled, never the data set.

    Output images are float32 ``(B, H, W, C)`` (``H, W`` = ``image_size``
    when given); labels keep their dtype.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    >>> y = np.arange(10)
    >>> ds = make_dataset(x, y, batch_size=4, training=True, seed=1)
    >>> [tuple(xb.shape) for xb, yb in ds]
    [(4, 32, 32, 3), (4, 32, 32, 3), (2, 32, 32, 3)]
    >>> epoch = lambda d: np.concatenate([xb.numpy() for xb, _ in d])
    >>> ds = make_dataset(x, y, batch_size=4, training=True, seed=1)
    >>> first, second = epoch(ds), epoch(ds)          # two epochs of one dataset differ ...
    >>> bool((first == second).all())
    False
    >>> again = make_dataset(x, y, batch_size=4, training=True, seed=1)
    >>> bool((epoch(again) == first).all()), bool((epoch(again) == second).all())  # ... reproducibly
    (True, True)
    """
    import tensorflow as tf

    arr = _check_images(x, "x")
    n = arr.shape[0]
    if y is not None:
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != n:
            raise ValueError(f"y must have one label per image: x has {n} images, y has shape {y.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    training = bool(training)
    aug = Augment.from_spec(augment) if training else Augment.none()
    norm = _resolve_normalizer(normalize, training)
    if norm is not None and norm.mean.ndim == 3 and norm.mean.shape != arr.shape[1:]:
        raise ValueError(f"normalize: mean image {norm.mean.shape} does not match images {arr.shape[1:]}")
    shuffle = training if shuffle is None else bool(shuffle)
    image_size = _check_image_size(image_size)
    pca = aug.pca
    if aug.pca_std and pca is None:
        pca = fit_pca_color(arr)

    x_t = tf.constant(arr)
    y_t = None if y is None else tf.constant(y)
    if jit_compile == "auto":
        jit_compile = n >= _XLA_MIN_IMAGES and _xla_available()
    fn = _batch_fn(x_t, y_t, aug, norm, training, _unit_scale(arr), pca, jit_compile, image_size)

    seed = int(seed)
    steps = n // batch_size if drop_remainder else -(-n // batch_size)
    persistent = bool(persistent) and shuffle and not repeat and steps > 0
    ds = tf.data.Dataset.range(n)
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if repeat or persistent:
        ds = ds.repeat()  # before the map: one map iterator (and one compilation) for the whole run
    if training and aug.active:
        # One stateless key per batch; a fresh iteration (epoch) draws fresh keys,
        # the same seed always draws the same sequence.
        keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip((ds, keys))
    ds = ds.map(fn, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if persistent:
        return _epochs_of(ds.prefetch(tf.data.AUTOTUNE), steps)
    if cache and not training and not repeat:
        ds = ds.cache() if cache is True else ds.cache(str(cache))
    return ds.prefetch(tf.data.AUTOTUNE)


def _epochs_of(stream, steps):
    """A dataset of ``steps`` batches whose every iteration takes the next epoch of ``stream``
    (endless), from one iterator kept for the dataset's whole life.

    Why: tf.data builds a new pipeline for every iteration of a dataset, and that start-up
    (instantiating the map function with its random ops in a fresh copy of the function
    library, XLA's compilation of the pixel work) costs tens of milliseconds, as much as a
    whole CIFAR-sized epoch; Keras' ``fit`` iterates a finite dataset anew every epoch (twice,
    in fact: once ahead at the end of an epoch). Here the expensive pipeline is started once.

    Two ways in, both pulling from the same stream and counting what they pull:

    - ``iter(ds)`` in eager mode (Keras' ``fit`` on any backend, ``for batch in ds``) returns
      an :class:`_EpochIterator`: a Python iterator that hands out ``steps`` batches and
      stops, at no start-up cost. If an earlier iteration stopped part-way (``next(iter(ds))``;
      Keras' JAX trainer reads one batch to build the model), it first skips the rest of that
      epoch, so every iteration is exactly one epoch.
    - everything else (``ds.take(2)``, ``ds.map(...)``, a ``tf.function`` iterating ``ds``,
      ``tf.distribute``) sees the dataset itself: a ``range(steps)`` whose map pulls the next
      batch (a function of two ops, cheap to instantiate; no prefetch of its own, so it pulls
      only what it hands out). It does not realign: it hands out the next ``steps`` batches.
    """
    import tensorflow as tf

    state = _Stream(iter(stream), steps, tf.Variable(0, dtype=tf.int64, trainable=False))
    specs = tf.nest.flatten(stream.element_spec)
    types, shapes = [s.dtype for s in specs], [s.shape for s in specs]
    handle, graph_pulls = state.iterator._iterator_resource, state.graph_pulls

    def pull(_):
        flat = tf.raw_ops.IteratorGetNext(iterator=handle, output_types=types, output_shapes=shapes)
        with tf.control_dependencies(flat):
            graph_pulls.assign_add(1)
        return tf.nest.pack_sequence_as(stream.element_spec, flat)

    # A sequential map (the pulls must happen in order): tf.data never parallelises a stateful function.
    finite = tf.data.Dataset.range(steps).map(pull)
    cls = _epochs_dataset_class()
    if cls is None:  # pragma: no cover - a TensorFlow without the private base class: the dataset alone
        finite._course_stream = state  # the iterator (and its resource) lives with the dataset
        return finite
    return cls(finite, state)


class _Stream:
    """The persistent iterator of a dataset and how many batches have been taken from it."""

    def __init__(self, iterator, steps, graph_pulls):
        self.iterator = iterator
        self.steps = int(steps)
        self.python_pulls = 0  # by _EpochIterator
        self.graph_pulls = graph_pulls  # by the dataset's own map (a tf.Variable)

    def pulled(self):
        return self.python_pulls + int(self.graph_pulls.numpy())

    def next(self):
        batch = next(self.iterator)
        self.python_pulls += 1
        return batch


class _EpochIterator:
    """One epoch (``steps`` batches) from a persistent tf.data iterator, then ``StopIteration``.

    What ``iter()`` of a persistent dataset returns in eager mode; creating it starts no new
    tf.data pipeline. If the stream stands inside an epoch (an earlier iteration stopped
    early), the rest of that epoch is skipped first. Keras' ``fit`` accepts it (its TensorFlow
    trainer then feeds each batch to the compiled step from Python; epochs stay exact with
    ``steps_per_execution > 1`` too). ``get_next()`` and ``element_spec`` work as on a
    ``tf.data.Iterator``; it cannot be passed into a ``tf.function`` (iterate the dataset
    inside the function instead).
    """

    def __init__(self, stream, element_spec):
        self._stream = stream
        self.element_spec = element_spec
        self._left = stream.steps
        self._started = False

    def __iter__(self):
        return self

    def __next__(self):
        if not self._started:  # realign lazily: an iterator Keras creates ahead and never uses costs nothing
            self._started = True
            into_epoch = self._stream.pulled() % self._stream.steps
            for _ in range(self._stream.steps - into_epoch if into_epoch else 0):
                self._stream.next()
        if self._left <= 0:
            raise StopIteration
        self._left -= 1
        return self._stream.next()

    def get_next(self):
        try:
            return next(self)
        except StopIteration:
            import tensorflow as tf

            raise tf.errors.OutOfRangeError(None, None, "End of sequence") from None


_EPOCHS_DATASET = []


def _epochs_dataset_class():
    """The ``tf.data.Dataset`` subclass whose eager ``iter()`` is an :class:`_EpochIterator` (made once).

    Built on TensorFlow's ``UnaryUnchangedStructureDataset``, the base of its own
    pass-through datasets (``with_options`` and the like); None if this TensorFlow lacks it.
    """
    if _EPOCHS_DATASET:
        return _EPOCHS_DATASET[0]
    import tensorflow as tf

    try:
        from tensorflow.python.data.ops.dataset_ops import UnaryUnchangedStructureDataset
    except ImportError:  # pragma: no cover
        _EPOCHS_DATASET.append(None)
        return None

    class PersistentEpochs(UnaryUnchangedStructureDataset):
        """A finite dataset of one epoch, served from one iterator kept for the dataset's life."""

        def __init__(self, finite, stream):
            self._course_stream = stream  # keeps the iterator (and its resource) alive
            super().__init__(finite, finite._variant_tensor)

        def __iter__(self):
            if tf.executing_eagerly():
                return _EpochIterator(self._course_stream, self.element_spec)
            return super().__iter__()  # inside a tf.function: a graph iterator over the finite dataset

    _EPOCHS_DATASET.append(PersistentEpochs)
    return PersistentEpochs


def make_datasets(train, test, batch_size=128, normalize="channel", augment="default", seed=0,
                  eval_batch_size=None, repeat=False):
    """Training and test pipelines with the normalisation fitted on the training set only.

    ``train`` and ``test`` are ``(x, y)`` pairs (for example the first two
    items of :func:`~course.data.load_cifar10`'s result). Returns
    ``(train_ds, test_ds, normalizer)``. ``repeat`` applies to the training
    pipeline (see :func:`make_dataset`).

    >>> from course.data import load_synthetic
    >>> (xtr, ytr), (xte, yte), _ = load_synthetic(n_train=64, n_test=16)
    >>> train_ds, test_ds, norm = make_datasets((xtr, ytr), (xte, yte), batch_size=32)
    >>> norm.kind, len(list(train_ds)), len(list(test_ds))
    ('channel', 2, 1)
    """
    x_train, y_train = train
    x_test, y_test = test
    if isinstance(normalize, str) and normalize in ("channel", "image"):
        norm = fit_normalization(x_train, kind=normalize)
    else:
        norm = _resolve_normalizer(normalize, True)
    train_ds = make_dataset(x_train, y_train, batch_size, training=True, augment=augment, normalize=norm,
                            seed=seed, repeat=repeat)
    test_ds = make_dataset(x_test, y_test, eval_batch_size or batch_size, training=False, normalize=norm)
    return train_ds, test_ds, norm


# --------------------------------------------------------------------------- test-time augmentation

TTA_VIEWS = ("none", "flip", "crops10")


def tta_views(images, views="flip", padding=4):
    """The fixed views test-time augmentation averages over: ``(V, N, H, W, C)``, same dtype.

    ``"none"``: the images (V=1). ``"flip"``: the images and their mirrors
    (V=2). ``"crops10"``: the ten crops of AlexNet adapted to CIFAR: zero-pad
    by ``padding`` (as in training) and take the four corner crops (top-left,
    top-right, bottom-left, bottom-right) and the centre crop (= the
    original), then the mirrors of those five (V=10).

    >>> import numpy as np
    >>> x = np.arange(16, dtype=np.uint8).reshape(1, 4, 4, 1)
    >>> v = tta_views(x, "crops10", padding=1)
    >>> v.shape
    (10, 1, 4, 4, 1)
    >>> bool((v[4] == x).all() and (v[9] == x[:, :, ::-1]).all())
    True
    >>> v[0, 0, :, :, 0].tolist()  # top-left crop: the zero padding shows at the top and left
    [[0, 0, 0, 0], [0, 0, 1, 2], [0, 4, 5, 6], [0, 8, 9, 10]]
    """
    arr = np.asarray(images)
    if arr.ndim != 4:
        raise ValueError(f"images must have shape (N, H, W, C); got {arr.shape}")
    if views not in TTA_VIEWS:
        raise ValueError(f"views must be one of {', '.join(repr(v) for v in TTA_VIEWS)}; got {views!r}")
    if views == "none":
        return arr[None]
    if views == "flip":
        return np.stack([arr, arr[:, :, ::-1]])
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"padding must be a non-negative integer; got {padding!r}")
    p = int(padding)
    h, w = arr.shape[1], arr.shape[2]
    padded = np.pad(arr, [(0, 0), (p, p), (p, p), (0, 0)])
    offsets = [(0, 0), (0, 2 * p), (2 * p, 0), (2 * p, 2 * p), (p, p)]
    crops = [padded[:, oy:oy + h, ox:ox + w] for oy, ox in offsets]
    return np.stack(crops + [c[:, :, ::-1] for c in crops])


def tta_predict(model, x, views="flip", normalize="scale", batch_size=256, padding=4):
    """Average a model's predictions over the fixed views of :func:`tta_views`.

    ``model`` is a Keras model (its ``predict`` is used, quietly) or any
    callable mapping a float32 batch to an array ``(B, K)``. ``x`` holds raw
    images (uint8 or [0, 1] floats); each view is normalised with
    ``normalize`` (the training set's :class:`Normalizer`, ``"scale"`` or
    None) before prediction. Returns the mean over views, ``(N, K)``. Average
    probabilities (a softmax output), not logits, for the usual TTA.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    >>> left = lambda b: b[:, :, :4].mean(axis=(1, 2))   # depends on which half is on the left
    >>> got = tta_predict(left, x, views="flip")
    >>> want = (left(x / 255.0) + left(x[:, :, ::-1] / 255.0)) / 2
    >>> bool(np.allclose(got, want, atol=1e-6))
    True
    """
    arr = _check_images(x, "x")
    norm = _resolve_normalizer(normalize, False)
    v = tta_views(arr, views, padding)
    predict = getattr(model, "predict", None)
    total = None
    for view in v:
        z = norm(view) if norm is not None else view.astype(np.float32)
        if predict is not None:
            out = np.asarray(predict(z, batch_size=batch_size, verbose=0))
        else:
            out = np.concatenate([np.asarray(model(z[i:i + batch_size])) for i in range(0, len(z), batch_size)])
        if out.shape[0] != arr.shape[0]:
            raise ValueError(f"model returned {out.shape[0]} predictions for {arr.shape[0]} images")
        total = out.astype(np.float64) if total is None else total + out
    return (total / len(v)).astype(np.float32)
