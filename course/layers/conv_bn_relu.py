"""Convolution, batch normalisation and ReLU as one layer."""

import keras


@keras.saving.register_keras_serializable(package="course")
class ConvBNReLU(keras.layers.Layer):
    """``Conv2D -> BatchNormalization -> ReLU``, the workhorse block of modern CNNs.

    The convolution has no bias by default: the batch normalisation's
    ``beta`` takes its place (Ioffe and Szegedy, 2015). In training the
    normalisation uses the batch statistics and updates its moving averages;
    at inference it uses the moving averages (pass ``training`` or let
    ``fit`` / ``predict`` set it).

    Args:
        filters: number of output channels (int >= 1).
        kernel_size: int or pair, the convolution window (default 3).
        strides: int or pair (default 1).
        padding: ``"same"`` (default) or ``"valid"``.
        use_bias: add a bias in the convolution (default False).
        kernel_initializer: the convolution's initializer (default
            ``"he_normal"``, He et al. 2015, suited to ReLU).
        kernel_regularizer: optional regularizer of the kernel, e.g.
            ``keras.regularizers.L2(1e-4)``.
        momentum: moving-average momentum of the batch normalisation.
        epsilon: the batch normalisation's epsilon.
        activation: activation after the normalisation (default ``"relu"``;
            ``None`` for conv-BN only).
        **kwargs: standard layer arguments (``name``, ``dtype``, ...).

    Input shape: ``(batch, height, width, channels)``. Output shape:
    ``(batch, new_height, new_width, filters)``.

    Sub-layers are available as ``.conv``, ``.bn`` and ``.act``.

    Example:
        >>> import numpy as np
        >>> from course.layers import ConvBNReLU
        >>> block = ConvBNReLU(16, strides=2)
        >>> tuple(block(np.zeros((2, 32, 32, 3), dtype="float32")).shape)
        (2, 16, 16, 16)
    """

    def __init__(self, filters, kernel_size=3, strides=1, padding="same", use_bias=False,
                 kernel_initializer="he_normal", kernel_regularizer=None, momentum=0.99,
                 epsilon=1e-3, activation="relu", **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"ConvBNReLU: filters must be a positive int, got {filters!r}")
        if padding not in ("same", "valid"):
            raise ValueError(f"ConvBNReLU: padding must be 'same' or 'valid', got {padding!r}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.momentum = momentum
        self.epsilon = epsilon
        self.activation = activation
        self.conv = keras.layers.Conv2D(
            filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
            kernel_initializer=self.kernel_initializer, kernel_regularizer=self.kernel_regularizer,
            dtype=self.dtype_policy, name="conv",
        )
        self.bn = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, dtype=self.dtype_policy, name="bn")
        self.act = None if activation is None else keras.layers.Activation(activation, dtype=self.dtype_policy, name="act")

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                f"ConvBNReLU: expected a 4-D input (batch, height, width, channels), got shape {tuple(input_shape)}"
            )
        self.conv.build(input_shape)
        out_shape = self.conv.compute_output_shape(input_shape)
        self.bn.build(out_shape)
        self.built = True

    def call(self, inputs, training=None):
        x = self.conv(inputs)
        x = self.bn(x, training=training)
        return x if self.act is None else self.act(x)

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, kernel_size=self.kernel_size, strides=self.strides, padding=self.padding,
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
            momentum=self.momentum, epsilon=self.epsilon, activation=self.activation,
        )
        return config
