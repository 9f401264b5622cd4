"""CIFAR-10/100 loading, the embedded synthetic set, tf.data pipelines and augmentation.

Importing ``course.data`` is cheap and never imports TensorFlow; the tf.data
pipeline (:mod:`course.data.pipeline`) loads TensorFlow on first use.
"""

import importlib

_EXPORTS = {
    "fit_pca_color": "course.data.augment",
    "pca_color_offsets": "course.data.augment",
}


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
