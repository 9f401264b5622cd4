"""Keras layers the course uses that Keras itself lacks.

All are written with ``keras.ops`` (TensorFlow, JAX and PyTorch backends),
serialise with ``get_config`` and are registered under the package name
``"course"``, so a ``.keras`` file holding them loads once ``course.layers``
is imported.

- :class:`Maxout`: max over groups of features (Goodfellow et al., 2013).
- :class:`LocalResponseNormalization`: AlexNet's cross-channel normalisation.
- :class:`ConvBNReLU`: Conv2D, BatchNormalization, ReLU.
- :class:`ResidualBlock`: He et al.'s basic block with a projection shortcut.
- :class:`RandomPadCrop`: pad-and-crop translation, one offset per image.
- :class:`PCAColorJitter`: AlexNet's PCA colour augmentation.

For dropout, batch normalisation, flips and the like use Keras' own layers
(``keras.layers.Dropout``, ``BatchNormalization``, ``RandomFlip``, ...).
"""

from course.layers.conv_bn_relu import ConvBNReLU
from course.layers.local_response_normalization import LocalResponseNormalization
from course.layers.maxout import Maxout
from course.layers.pca_color_jitter import PCAColorJitter
from course.layers.random_pad_crop import RandomPadCrop
from course.layers.residual_block import ResidualBlock

__all__ = [
    "ConvBNReLU",
    "LocalResponseNormalization",
    "Maxout",
    "PCAColorJitter",
    "RandomPadCrop",
    "ResidualBlock",
]
