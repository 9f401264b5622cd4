"""Maxout (Goodfellow et al., 2013)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="course")
class Maxout(keras.layers.Layer):
    """Maximum over groups of ``num_pieces`` consecutive features.

    Maxout (Goodfellow, Warde-Farley, Mirza, Courville and Bengio, "Maxout
    Networks", ICML 2013) takes ``k = num_pieces`` linear pieces per unit and
    keeps their maximum: ``h_i = max_{j < k} z_{i k + j}``. Along ``axis`` the
    input's ``d`` features are split into ``d / k`` groups of ``k``
    consecutive features (features ``0..k-1`` form unit 0, ``k..2k-1`` unit
    1, and so on), so the output has ``d / k`` features on that axis. Put it
    after a ``Dense(units * num_pieces)`` (or a convolution with
    ``filters * num_pieces`` channels) to get ``units`` maxout units.

    Args:
        num_pieces: number of linear pieces per unit (int >= 1). The size of
            ``axis`` must be divisible by it.
        axis: the feature axis (default ``-1``, channels last). Cannot be the
            batch axis 0.
        **kwargs: standard layer arguments (``name``, ``dtype``, ...).

    Input shape: any rank >= 2 tensor whose ``axis`` has a known size ``d``.
    Output shape: the same, with ``d / num_pieces`` on ``axis``.

    Example:
        >>> import numpy as np
        >>> from course.layers import Maxout
        >>> x = np.array([[1.0, 5.0, -2.0, 0.5, 3.0, 3.5]])
        >>> np.asarray(Maxout(num_pieces=2)(x)).tolist()
        [[5.0, 0.5, 3.5]]
    """

    def __init__(self, num_pieces, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_pieces, bool) or not isinstance(num_pieces, int) or num_pieces < 1:
            raise ValueError(f"Maxout: num_pieces must be a positive int, got {num_pieces!r}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Maxout: axis must be an int, got {axis!r}")
        self.num_pieces = num_pieces
        self.axis = axis

    def _resolve_axis(self, input_shape):
        rank = len(input_shape)
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 0 <= axis < rank:
            raise ValueError(f"Maxout: axis={self.axis} is out of range for an input of rank {rank} (shape {tuple(input_shape)})")
        if axis == 0:
            raise ValueError("Maxout: axis=0 is the batch axis; pick a feature axis (e.g. -1)")
        size = input_shape[axis]
        if size is None:
            raise ValueError(f"Maxout: the size of axis {self.axis} must be known, got input shape {tuple(input_shape)}")
        if size % self.num_pieces:
            raise ValueError(
                f"Maxout: the size of axis {self.axis} ({size}) is not divisible by num_pieces={self.num_pieces} "
                f"(input shape {tuple(input_shape)}); use a layer before Maxout with a multiple of {self.num_pieces} "
                "features"
            )
        return axis, size

    def build(self, input_shape):
        self._resolve_axis(input_shape)
        self.built = True

    def call(self, inputs):
        axis, size = self._resolve_axis(inputs.shape)
        shape = ops.shape(inputs)
        new_shape = tuple(shape[:axis]) + (size // self.num_pieces, self.num_pieces) + tuple(shape[axis + 1:])
        return ops.max(ops.reshape(inputs, new_shape), axis=axis + 1)

    def compute_output_shape(self, input_shape):
        axis, size = self._resolve_axis(input_shape)
        shape = list(input_shape)
        shape[axis] = size // self.num_pieces
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(num_pieces=self.num_pieces, axis=self.axis)
        return config
