"""Random translation by zero-padding and cropping, one offset per image."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="course")
class RandomPadCrop(keras.layers.Layer):
    """Pad by ``padding`` zeros on every side, then crop back to the input size at a random offset.

    The standard CIFAR augmentation (He et al., 2016: "4 pixels are padded on
    each side, and a 32x32 crop is randomly sampled from the padded image").
    In training every image of the batch gets its own offset
    ``(dy, dx)``, each drawn uniformly from ``{0, ..., 2 * padding}``, so the
    output is the image shifted by ``(padding - dy, padding - dx)`` pixels with
    zeros filling the uncovered border. At inference (``training`` false or
    not given, as in ``predict`` and ``evaluate``) the layer returns its input
    unchanged; the shape is the same in both modes, so the layer can sit at
    the start of a model.

    How it differs from ``keras.layers.RandomCrop``: that layer crops a
    smaller window (and resizes or centre-crops at inference) and draws one
    offset for the whole batch; this one draws one offset per image and keeps
    the shape.

    Args:
        padding: pixels of zero padding on each side (int >= 0; 0 makes the
            layer the identity). Height and width shifts are at most
            ``padding`` pixels in each direction.
        seed: optional int; with a seed the sequence of offsets is
            reproducible.
        **kwargs: standard layer arguments (``name``, ``dtype``, ...).

    Works inside a model on every backend, and in a ``tf.data`` ``map``
    (call it with ``training=True``) on the TensorFlow backend.

    Input shape: ``(batch, height, width, channels)`` or a single image
    ``(height, width, channels)`` (channels last). Output shape: the same.

    Example:
        >>> import numpy as np
        >>> from course.layers import RandomPadCrop
        >>> x = np.ones((8, 32, 32, 3), dtype="float32")
        >>> layer = RandomPadCrop(4, seed=0)
        >>> tuple(layer(x, training=True).shape)
        (8, 32, 32, 3)
        >>> bool(np.all(np.asarray(layer(x)) == x))  # inference: identity
        True
    """

    def __init__(self, padding, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"RandomPadCrop: padding must be an int >= 0, got {padding!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"RandomPadCrop: seed must be an int or None, got {seed!r}")
        self.padding = padding
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError(
                "RandomPadCrop: expected images of shape (batch, height, width, channels) or "
                f"(height, width, channels), got shape {tuple(input_shape)}"
            )
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.padding == 0:
            return inputs
        unbatched = len(inputs.shape) == 3
        x = ops.expand_dims(inputs, 0) if unbatched else inputs
        p = self.padding
        shape = ops.shape(x)
        n, h, w = shape[0], shape[1], shape[2]
        offsets = keras.random.randint((n, 2), 0, 2 * p + 1, seed=self.seed_generator, dtype="int32")
        padded = ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]])
        hp, wp = h + 2 * p, w + 2 * p
        # Flat index of padded[i, dy_i + r, dx_i + c] for every image i, row r, column c.
        rows = offsets[:, 0, None] + ops.arange(h, dtype="int32")[None, :]          # (n, h)
        cols = offsets[:, 1, None] + ops.arange(w, dtype="int32")[None, :]          # (n, w)
        base = ops.arange(n, dtype="int32") * (hp * wp)                              # (n,)
        index = base[:, None, None] + rows[:, :, None] * wp + cols[:, None, :]      # (n, h, w)
        flat = ops.reshape(padded, (-1, ops.shape(x)[-1]))
        out = ops.take(flat, ops.reshape(index, (-1,)), axis=0)
        out = ops.reshape(out, shape)
        return out[0] if unbatched else out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(padding=self.padding, seed=self.seed)
        return config
