"""A small, fast CNN for CIFAR-sized images."""

import keras

from course.models._common import (
    apply_augment, apply_normalize, check_classifier_activation, check_input_shape, check_num_classes,
    check_positive_int, check_rate,
    classifier, conv_bn_relu,
)

#: Conv-BN-ReLU blocks per stage of the default network.
DEFAULT_BLOCKS = (1, 2, 2)


def _check_blocks(blocks):
    try:
        blocks = tuple(blocks)
    except TypeError:
        raise ValueError(f"blocks must be a tuple of positive ints (conv blocks per stage), got {blocks!r}") from None
    if not blocks or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in blocks):
        raise ValueError(f"blocks must be a non-empty tuple of positive ints (conv blocks per stage), got {blocks!r}")
    return blocks


def small_cnn(input_shape=(32, 32, 3), num_classes=10, width=32, dropout=0.0, augment=None,
              weight_decay=0.0, blocks=DEFAULT_BLOCKS, name="small_cnn", normalize=None, classifier_activation="softmax",
              first_kernel_size=3):
    """A small VGG-style CNN that trains in seconds on a CPU.

    Stages of conv-BN-ReLU blocks (3x3, "same" padding; the very first
    convolution ``first_kernel_size`` x ``first_kernel_size``); stage ``i``
    has ``blocks[i]`` blocks of ``width * 2**i`` filters, with 2x2 max
    pooling between stages, then global average pooling, optional dropout
    and a softmax classifier. The default ``blocks=(1, 2, 2)`` gives three
    stages of ``width``, ``2 * width`` and ``4 * width`` filters; with
    ``width=32`` the model has 0.28M parameters (``width=16``: 71k). It
    reaches 99% on the embedded synthetic set after two epochs of 4,000
    images, and about 50% on a 5,000-image CIFAR-10 subset after ten epochs
    (Adam 2e-3, pad-crop and flip augmentation). ``blocks=(1, 1)`` with
    ``width=8`` is a tiny two-layer CNN (1,634 parameters) for runs of a few
    seconds.

    Args:
        input_shape: ``(height, width, channels)`` of one image; height and
            width at least ``2 ** (len(blocks) - 1)``.
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
        blocks: conv-BN-ReLU blocks per stage (a tuple of positive ints).
        name: the model's name.
        classifier_activation: the output: ``"softmax"`` (default, class
            probabilities) or ``None`` for the pre-softmax class scores (logits),
            as ``keras.applications``; see :func:`course.models._common.classifier_output`.
        first_kernel_size: size of the first layer's filters (positive int;
            3 by default). Larger ones (5, 7) show what the first layer
            learns more clearly (``course.plots.filter_grid``), as AlexNet's 11x11 do.

    Returns:
        An uncompiled ``keras.Model`` mapping images (float, any scale; e.g.
        pixels in ``[0, 1]``) to class probabilities of shape
        ``(batch, num_classes)`` (or logits, with ``classifier_activation=None``).

    Example:
        >>> from course.models import small_cnn
        >>> model = small_cnn((32, 32, 3), num_classes=10)
        >>> model.output_shape
        (None, 10)
        >>> small_cnn(width=8, blocks=(1, 1)).count_params()
        1634
    """
    blocks = _check_blocks(blocks)
    shape = check_input_shape(input_shape, min_size=max(4, 2 ** (len(blocks) - 1)))
    check_num_classes(num_classes)
    check_positive_int(width, "width")
    rate = check_rate(dropout)
    check_classifier_activation(classifier_activation)
    check_positive_int(first_kernel_size, "first_kernel_size")

    inputs = keras.Input(shape=shape, name="images")
    x = apply_normalize(apply_augment(inputs, augment), normalize)
    for stage, count in enumerate(blocks):
        if stage:
            x = keras.layers.MaxPooling2D(2, name=f"pool{stage}")(x)
        for block in range(count):
            first = stage == 0 and block == 0
            x = conv_bn_relu(x, width * 2 ** stage, kernel_size=first_kernel_size if first else 3,
                             weight_decay=weight_decay, name=f"block{stage + 1}{chr(ord('a') + block)}")
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    if rate:
        x = keras.layers.Dropout(rate, name="dropout")(x)
    outputs = classifier(x, num_classes, weight_decay, classifier_activation)
    return keras.Model(inputs, outputs, name=name)
