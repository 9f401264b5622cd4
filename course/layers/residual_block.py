"""He et al.'s basic residual block."""

import keras


@keras.saving.register_keras_serializable(package="course")
class ResidualBlock(keras.layers.Layer):
    """The basic residual block of He, Zhang, Ren and Sun (2016), Fig. 2 (left).

    ::

        y = relu( BN(conv3x3(relu(BN(conv3x3_stride(x))))) + shortcut(x) )

    The first 3x3 convolution has stride ``stride``. The shortcut is the
    identity when the output has the input's shape; when it changes
    (``stride > 1`` or a different number of channels) it is a projection,
    a 1x1 convolution with stride ``stride`` followed by batch normalisation
    (the paper's option B). Convolutions have no bias (the normalisation's
    beta plays that role) and use He initialisation.

    Args:
        filters: output channels of both 3x3 convolutions (int >= 1).
        stride: stride of the first convolution and of the projection
            (int >= 1; 2 halves height and width).
        kernel_regularizer: optional regularizer of all kernels, e.g.
            ``keras.regularizers.L2(1e-4)`` as in the paper's CIFAR runs.
        momentum: moving-average momentum of the batch normalisations.
        epsilon: epsilon of the batch normalisations.
        **kwargs: standard layer arguments (``name``, ``dtype``, ...).

    Input shape: ``(batch, height, width, channels)``. Output shape:
    ``(batch, ceil(height / stride), ceil(width / stride), filters)``.

    Attributes: ``.conv1``, ``.bn1``, ``.conv2``, ``.bn2`` and, after
    ``build``, ``.shortcut_conv`` / ``.shortcut_bn`` (``None`` for an
    identity shortcut).

    Example:
        >>> import numpy as np
        >>> from course.layers import ResidualBlock
        >>> block = ResidualBlock(32, stride=2)
        >>> tuple(block(np.zeros((2, 16, 16, 16), dtype="float32")).shape)
        (2, 8, 8, 32)
        >>> block.shortcut_conv is not None  # shape changed: projection shortcut
        True
    """

    def __init__(self, filters, stride=1, kernel_regularizer=None, momentum=0.99, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"ResidualBlock: filters must be a positive int, got {filters!r}")
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ValueError(f"ResidualBlock: stride must be a positive int, got {stride!r}")
        self.filters = filters
        self.stride = stride
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.momentum = momentum
        self.epsilon = epsilon
        conv = dict(padding="same", use_bias=False, kernel_initializer="he_normal",
                    kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy)
        bn = dict(momentum=momentum, epsilon=epsilon, dtype=self.dtype_policy)
        self.conv1 = keras.layers.Conv2D(filters, 3, strides=stride, name="conv1", **conv)
        self.bn1 = keras.layers.BatchNormalization(name="bn1", **bn)
        self.conv2 = keras.layers.Conv2D(filters, 3, name="conv2", **conv)
        self.bn2 = keras.layers.BatchNormalization(name="bn2", **bn)
        self._conv_args, self._bn_args = conv, bn
        self.shortcut_conv = None
        self.shortcut_bn = None

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                f"ResidualBlock: expected a 4-D input (batch, height, width, channels), got shape {tuple(input_shape)}"
            )
        if input_shape[-1] is None:
            raise ValueError(f"ResidualBlock: the number of input channels must be known, got shape {tuple(input_shape)}")
        self.conv1.build(input_shape)
        mid = self.conv1.compute_output_shape(input_shape)
        self.bn1.build(mid)
        self.conv2.build(mid)
        self.bn2.build(mid)
        if self.stride != 1 or input_shape[-1] != self.filters:
            self.shortcut_conv = keras.layers.Conv2D(
                self.filters, 1, strides=self.stride, name="shortcut_conv", **self._conv_args
            )
            self.shortcut_bn = keras.layers.BatchNormalization(name="shortcut_bn", **self._bn_args)
            self.shortcut_conv.build(input_shape)
            self.shortcut_bn.build(mid)
        self.built = True

    def call(self, inputs, training=None):
        x = self.conv1(inputs)
        x = self.bn1(x, training=training)
        x = keras.ops.relu(x)
        x = self.conv2(x)
        x = self.bn2(x, training=training)
        if self.shortcut_conv is None:
            shortcut = inputs
        else:
            shortcut = self.shortcut_bn(self.shortcut_conv(inputs), training=training)
        return keras.ops.relu(x + shortcut)

    def compute_output_shape(self, input_shape):
        return self.conv1.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, stride=self.stride,
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
            momentum=self.momentum, epsilon=self.epsilon,
        )
        return config
