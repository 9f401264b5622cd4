"""Local response normalisation across channels (AlexNet's "NORM" layer)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="course")
class LocalResponseNormalization(keras.layers.Layer):
    """Local response normalisation across channels (Krizhevsky et al., 2012).

    For every position and channel ``c`` (channels last)::

        sqr_sum[..., c] = sum(x[..., c - depth_radius : c + depth_radius + 1] ** 2)
        y[..., c] = x[..., c] / (bias + alpha * sqr_sum[..., c]) ** beta

    The window is clipped at the first and last channel (channels outside
    the input count as zero). This is TensorFlow's convention
    (``tf.nn.local_response_normalization``), which this layer matches
    numerically: ``alpha`` multiplies the *sum* of squares, it is not divided
    by the window size ``n = 2 * depth_radius + 1``. The AlexNet paper uses
    the same convention, with ``k = 2, n = 5, alpha = 1e-4, beta = 0.75``,
    i.e. ``bias=2.0, depth_radius=2`` and the defaults below. Caffe's LRN
    layer divides ``alpha`` by ``n``: to reproduce a Caffe model with
    ``local_size=n, alpha=a`` use ``depth_radius=(n - 1) // 2, alpha=a / n``.

    Args:
        depth_radius: half-width of the channel window (int >= 0); the window
            holds ``2 * depth_radius + 1`` channels.
        bias: the additive constant ``k`` (float, > 0 is usual).
        alpha: scale of the sum of squares (float >= 0).
        beta: exponent (float).
        **kwargs: standard layer arguments (``name``, ``dtype``, ...).

    Input shape: any tensor of rank >= 2 with channels on the last axis
    (e.g. ``(batch, height, width, channels)``). Output shape: the same.

    Example:
        >>> import numpy as np
        >>> from course.layers import LocalResponseNormalization
        >>> x = np.ones((1, 1, 1, 3), dtype="float32")
        >>> y = LocalResponseNormalization(depth_radius=1, bias=1.0, alpha=1.0, beta=1.0)(x)
        >>> np.round(np.asarray(y, dtype="float64"), 4).tolist()  # 1 / (1 + 2), 1 / (1 + 3), 1 / (1 + 2)
        [[[[0.3333, 0.25, 0.3333]]]]
    """

    def __init__(self, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75, **kwargs):
        super().__init__(**kwargs)
        if isinstance(depth_radius, bool) or not isinstance(depth_radius, int) or depth_radius < 0:
            raise ValueError(f"LocalResponseNormalization: depth_radius must be an int >= 0, got {depth_radius!r}")
        for name, value in (("bias", bias), ("alpha", alpha), ("beta", beta)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"LocalResponseNormalization: {name} must be a number, got {value!r}")
        if alpha < 0:
            raise ValueError(f"LocalResponseNormalization: alpha must be >= 0, got {alpha!r}")
        self.depth_radius = depth_radius
        self.bias = float(bias)
        self.alpha = float(alpha)
        self.beta = float(beta)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                f"LocalResponseNormalization: expected an input of rank >= 2 with channels last, got shape {tuple(input_shape)}"
            )
        self.built = True

    def call(self, inputs):
        out_dtype = inputs.dtype
        if keras.backend.standardize_dtype(out_dtype) in ("float16", "bfloat16"):
            # Squares of activations above ~256 overflow float16: compute in float32 (as Keras' BN does).
            inputs = ops.cast(inputs, "float32")
        r = self.depth_radius
        squares = ops.square(inputs)
        channels = inputs.shape[-1]
        if r == 0:
            sqr_sum = squares
        else:
            rank = len(inputs.shape)
            padded = ops.pad(squares, [[0, 0]] * (rank - 1) + [[r, r]])
            if channels is None:
                channels = ops.shape(inputs)[-1]
            sqr_sum = padded[..., 0:channels]
            for offset in range(1, 2 * r + 1):
                sqr_sum = sqr_sum + padded[..., offset:offset + channels]
        denom = self.bias + self.alpha * sqr_sum
        return ops.cast(inputs * ops.power(denom, -self.beta), out_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(depth_radius=self.depth_radius, bias=self.bias, alpha=self.alpha, beta=self.beta)
        return config
