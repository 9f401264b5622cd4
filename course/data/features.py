"""Features of a trained network for a data set, as numpy arrays (for linear probes, SVMs, t-SNE)."""

from __future__ import annotations

import numpy as np

__all__ = ["extract_features"]


def extract_features(model, data, batch_size=128):
    """Run ``model`` in inference mode over ``data`` and return its outputs as numpy arrays.

    Args:
        model: a Keras model, for example ``efficientnet_lite0(include_top=False,
            pooling="avg")`` or a :func:`course.models.feature_extractor`.
            It runs with ``training=False``: batch normalisation uses its
            moving statistics and dropout is off, whatever the layers'
            ``trainable`` flags.
        data: a ``tf.data.Dataset`` of image batches or of ``(images,
            labels)`` batches (labels are ignored), for example
            ``make_dataset(x, None, 128, image_size=160,
            normalize=imagenet_normalizer())``; or a numpy array of
            preprocessed images ``(N, H, W, C)``.
        batch_size: batch size for numpy ``data`` (a dataset keeps its own).

    Returns:
        ``(N, ...)`` float32 numpy array, or a dict of them for a model with
        several outputs; row ``i`` belongs to the ``i``-th image (a dataset
        must not shuffle, e.g. ``make_dataset(..., training=False)``).

    Example:
        >>> import numpy as np, keras
        >>> inp = keras.Input((8, 8, 3)); out = keras.layers.GlobalAveragePooling2D()(keras.layers.Dropout(0.5)(inp))
        >>> x = np.ones((5, 8, 8, 3), np.float32)
        >>> extract_features(keras.Model(inp, out), x, batch_size=2).tolist()[0]   # no dropout at inference
        [1.0, 1.0, 1.0]
    """
    predict = getattr(model, "predict", None)
    if predict is None:
        raise TypeError(f"model must be a Keras model (with .predict); got {type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    if isinstance(data, (np.ndarray, list, tuple)):
        data = np.asarray(data)
        if data.ndim < 2 or data.shape[0] == 0:
            raise ValueError(f"data must be a non-empty batch of inputs (N, ...); got shape {data.shape}")
        out = predict(data, batch_size=int(batch_size), verbose=0)
    else:
        out = predict(data, verbose=0)  # Keras' predict: training=False, labels in (x, y) batches dropped
    if isinstance(out, dict):
        return {k: np.asarray(v, np.float32) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return [np.asarray(v, np.float32) for v in out]
    return np.asarray(out, np.float32)
