"""A small, fast CNN for CIFAR-sized images."""

import keras

from course.models._common import (
    apply_augment, apply_normalize, check_input_shape, check_num_classes, check_positive_int, check_rate,
    classifier, conv_bn_relu,
)


def small_cnn(input_shape=(32, 32, 3), num_classes=10, width=32, dropout=0.0, augment=None,
              weight_decay=0.0, name="small_cnn", normalize=None):
    """A small VGG-style CNN that trains in seconds on a CPU.

    Three stages of conv-BN-ReLU blocks with ``width``, ``2 * width`` and
    ``4 * width`` filters (3x3, "same" padding). The first stage has one
    block, the others two; 2x2 max pooling between stages, then global
    average pooling, optional dropout and a softmax classifier. With the
    default ``width=32`` the model has 0.28M parameters (``width=16``: 71k).
    It reaches 99% on the embedded synthetic set after two epochs of 4,000
    images, and about 50% on a 5,000-image CIFAR-10 subset after ten
    epochs (Adam 2e-3, pad-crop and flip augmentation).

    Args:
        input_shape: ``(height, width, channels)`` of one image, at least 4x4.
        num_classes: number of classes of the softmax output.
        width: filters of the first stage (positive int).
        dropout: dropout rate before the classifier, in ``[0, 1)``.
        augment: ``None``, a Keras layer or a list of layers applied to the
            input first (for example ``keras.layers.RandomFlip("horizontal")``
            or ``course.layers.RandomPadCrop(4)``); they are active only when
            training.
        normalize: ``None``, or a :class:`course.data.Normalizer` fitted on the
            training images: the model then takes pixels in ``[0, 1]`` and
            normalises them itself (see :meth:`~course.data.Normalizer.keras_layer`).
        weight_decay: L2 factor on the conv and dense kernels (0 for none).
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping images (float, any scale; e.g.
        pixels in ``[0, 1]``) to class probabilities of shape
        ``(batch, num_classes)``.

    Example:
        >>> from course.models import small_cnn
        >>> model = small_cnn((32, 32, 3), num_classes=10)
        >>> model.output_shape
        (None, 10)
    """
    shape = check_input_shape(input_shape, min_size=4)
    check_num_classes(num_classes)
    check_positive_int(width, "width")
    rate = check_rate(dropout)

    inputs = keras.Input(shape=shape, name="images")
    x = apply_normalize(apply_augment(inputs, augment), normalize)
    x = conv_bn_relu(x, width, weight_decay=weight_decay, name="block1a")
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = conv_bn_relu(x, 2 * width, weight_decay=weight_decay, name="block2a")
    x = conv_bn_relu(x, 2 * width, weight_decay=weight_decay, name="block2b")
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = conv_bn_relu(x, 4 * width, weight_decay=weight_decay, name="block3a")
    x = conv_bn_relu(x, 4 * width, weight_decay=weight_decay, name="block3b")
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    if rate:
        x = keras.layers.Dropout(rate, name="dropout")(x)
    outputs = classifier(x, num_classes, weight_decay)
    return keras.Model(inputs, outputs, name=name)
