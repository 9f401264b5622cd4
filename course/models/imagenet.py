"""ImageNet helpers for the pretrained networks: preprocessing and readable predictions.

:func:`preprocess_imagenet` is the input scaling of the EfficientNet-Lite0
weights of :func:`course.models.efficientnet_lite0` (``keras.applications``
models each bring their own ``preprocess_input``); :func:`decode_predictions`
turns any ImageNet-1k classifier's output into named classes.
"""

from __future__ import annotations

import collections

import keras
import numpy as np

__all__ = ["preprocess_imagenet", "imagenet_normalizer", "decode_predictions", "Prediction",
           "IMAGENET_MEAN", "IMAGENET_STD"]

#: The preprocessing of the EfficientNet-Lite checkpoints (TensorFlow release, "inception-style", chosen
#: for post-training quantisation): ``(pixels - 127) / 128`` on 0..255 RGB pixels, the same for every channel.
IMAGENET_MEAN = 127.0
IMAGENET_STD = 128.0


def preprocess_imagenet(images):
    """The preprocessing the EfficientNet-Lite0 ImageNet weights expect: ``(pixels - 127) / 128``.

    ``images``: RGB pixels in 0..255, uint8 or float, any shape ending in 3
    channels (one image ``(H, W, 3)`` or a batch ``(N, H, W, 3)``); a numpy
    array (or anything ``np.asarray`` accepts) gives a float32 numpy array, a
    backend tensor (TensorFlow, JAX) a float32 tensor of the same backend, so
    the function also works inside a model or a ``tf.data`` map. Output range:
    ``[-127/128, 1]`` = ``[-0.9922, 1.0]``. This is the TensorFlow release's
    ``MEAN_RGB = 127``, ``STDDEV_RGB = 128`` of the Lite models (not the
    ``[0.485, 0.456, 0.406]`` / ``[0.229, 0.224, 0.225]`` statistics of
    torchvision). It does not resize: see :func:`course.data.sample_photos`
    (``size=``) and ``make_dataset(..., image_size=)``.

    Numpy input is checked: values outside 0..255, and float images that are
    all within ``[0, 1]`` (probably already scaled, which would make every
    photo nearly uniform grey to the network), raise ``ValueError``.

    >>> import numpy as np
    >>> preprocess_imagenet(np.array([[[0, 127, 255]]], np.uint8)).tolist()
    [[[-0.9921875, 0.0, 1.0]]]
    """
    if isinstance(images, np.ndarray) or not _is_backend_tensor(images):
        arr = np.asarray(images)
        if arr.ndim < 1 or arr.shape[-1] != 3:
            raise ValueError(f"images must end in 3 RGB channels, e.g. (N, H, W, 3); got shape {arr.shape}")
        if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise TypeError(f"images must hold pixel values in 0..255 (uint8 or float); got dtype {arr.dtype}")
        if arr.size:
            lo, hi = float(arr.min()), float(arr.max())
            if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or hi > 255:
                raise ValueError(f"images must hold pixel values in 0..255; got values in [{lo:g}, {hi:g}]")
            if np.issubdtype(arr.dtype, np.floating) and 0 < hi <= 1.0:
                raise ValueError(
                    f"images are floats in [{lo:g}, {hi:g}]: they look scaled to [0, 1] already; "
                    "preprocess_imagenet expects 0..255 pixels (pass uint8 images, or multiply by 255)"
                )
        return ((arr.astype(np.float32) - np.float32(IMAGENET_MEAN)) / np.float32(IMAGENET_STD)).astype(np.float32)
    x = keras.ops.cast(images, "float32")
    return (x - IMAGENET_MEAN) / IMAGENET_STD


def _is_backend_tensor(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (np.ndarray, np.generic, list, tuple))


def imagenet_normalizer():
    """:func:`preprocess_imagenet` as a :class:`course.data.Normalizer`, for ``make_dataset(normalize=...)``.

    ``make_dataset(x, y, 128, image_size=160, normalize=imagenet_normalizer())``
    yields batches exactly as :func:`preprocess_imagenet` would make them from
    the resized images (mean 127/255 and std 128/255 in the pipeline's [0, 1]
    pixel units).
    """
    from course.data.pipeline import Normalizer

    return Normalizer("channel", np.full(3, IMAGENET_MEAN / 255.0, np.float32),
                      np.full(3, IMAGENET_STD / 255.0, np.float32))


# --------------------------------------------------------------------------- predictions

#: One decoded prediction: class index (0..999), class name, and the score it got (a probability for a
#: softmax output, a logit otherwise).
Prediction = collections.namedtuple("Prediction", ["index", "name", "score"])


def decode_predictions(probs, top=5, class_names=None):
    """The ``top`` classes of each row of ``probs``, best first, as :class:`Prediction` tuples.

    ``probs``: ``(N, 1000)`` (or one image's ``(1000,)``) probabilities or
    logits of an ImageNet-1k classifier, numpy or a backend tensor. Returns a
    list with one list of ``top`` ``Prediction(index, name, score)`` per row
    (for 1-D input, just that one list). Names are
    :func:`course.data.imagenet_class_names` unless ``class_names`` (a list
    with one name per column) is given.

    >>> import numpy as np
    >>> p = np.zeros(1000); p[281], p[285] = 0.7, 0.2
    >>> [(d.name, round(d.score, 2)) for d in decode_predictions(p, top=2)]
    [('tabby', 0.7), ('Egyptian cat', 0.2)]
    """
    arr = np.asarray(keras.ops.convert_to_numpy(probs) if not isinstance(probs, np.ndarray) else probs)
    if arr.ndim not in (1, 2):
        raise ValueError(f"probs must have shape (N, classes) or (classes,); got {arr.shape}")
    rows = arr[None] if arr.ndim == 1 else arr
    if class_names is None:
        from course.data.imagenet import imagenet_class_names

        class_names = imagenet_class_names()
    if rows.shape[1] != len(class_names):
        raise ValueError(
            f"probs has {rows.shape[1]} columns but there are {len(class_names)} class names: decode_predictions "
            "expects the output of an ImageNet-1k classifier (1000 classes), or pass class_names="
        )
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive int; got {top!r}")
    top = min(int(top), rows.shape[1])
    out = []
    for row in rows:
        best = np.argsort(-row, kind="stable")[:top]
        out.append([Prediction(int(i), class_names[i], float(row[i])) for i in best])
    return out[0] if arr.ndim == 1 else out
