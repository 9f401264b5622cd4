"""Helper package for the "training CNNs" course.

Importing ``course`` is cheap: no TensorFlow, no data. Sub-packages
(``course.data``, ``course.layers``, ``course.models``, ``course.callbacks``, ``course.notebook``,
``course.check``, ``course.runtime``, ``course.plots``) load on first use.
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "callbacks",
    "check",
    "cli",
    "data",
    "layers",
    "models",
    "notebook",
    "plots",
    "runtime",
    "training",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "train":
        return importlib.import_module(f"{__name__}.training").train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | {"train"})
