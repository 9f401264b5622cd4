"""Reference architectures, built with the Keras functional API.

Every builder takes ``input_shape`` and ``num_classes`` and returns an
uncompiled ``keras.Model`` whose output is class probabilities (softmax).
"""

from course.models.small_cnn import small_cnn

__all__ = ["small_cnn"]
