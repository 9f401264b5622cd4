"""The 1000 ImageNet-1k (ILSVRC-2012) classes, read offline from files tensorflow-datasets ships.

Class ``i`` of an ImageNet-1k classifier (``keras.applications``, the
EfficientNet-Lite0 of :func:`course.models.efficientnet_lite0`, torchvision)
is the ``i``-th WordNet id in sorted order, ``n01440764`` (tench) to
``n15075141`` (toilet tissue). tensorflow-datasets ships that order as
``tensorflow_datasets/datasets/imagenet2012/labels.txt`` (the label list of
its ``imagenet2012`` data set), and the human-readable names in the same
order as ``IMAGENET_LABELS_LIST`` in ``tensorflow_datasets/datasets/siscore/labels.py``
(the classic ``synset_words`` list of Caffe, via
https://gist.github.com/yrevar/942d3a0ac09ec9e5eb3a). Both files are read as
text (with :mod:`ast` for the Python list), so neither TensorFlow nor
tensorflow-datasets is imported.

>>> names = imagenet_class_names()
>>> len(names), names[0], names[281], names[967]
(1000, 'tench', 'tabby', 'espresso')
>>> imagenet_class_names(full=True)[281]
'tabby, tabby cat'
>>> imagenet_wnids()[281]
'n02123045'
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path

__all__ = ["imagenet_class_names", "imagenet_wnids", "IMAGENET_NUM_CLASSES"]

IMAGENET_NUM_CLASSES = 1000

# Where tensorflow-datasets keeps the two files (newest layout first; older releases used image_classification/).
_NAME_FILES = ("datasets/siscore/labels.py", "image_classification/siscore/labels.py")
_WNID_FILES = ("datasets/imagenet2012/labels.txt", "image_classification/imagenet2012_labels.txt")


def _tfds_root():
    spec = importlib.util.find_spec("tensorflow_datasets")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the ImageNet class names are read from files of tensorflow-datasets, which is not installed: "
            "pip install tensorflow-datasets (a dependency of this course)"
        )
    return Path(list(spec.submodule_search_locations)[0])


def _find(candidates, pattern):
    root = _tfds_root()
    for rel in candidates:
        if (root / rel).is_file():
            return root / rel
    found = sorted(root.glob(pattern))
    if found:
        return found[0]
    raise FileNotFoundError(f"tensorflow-datasets at {root} has none of {', '.join(candidates)}; "
                            "its layout changed: please report which version is installed")


@functools.lru_cache(maxsize=None)
def _full_names():
    path = _find(_NAME_FILES, "**/siscore/labels.py")
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "IMAGENET_LABELS_LIST"
                                                for t in node.targets):
            names = tuple(ast.literal_eval(node.value))
            break
    else:
        raise ValueError(f"{path} no longer defines IMAGENET_LABELS_LIST")
    if len(names) != IMAGENET_NUM_CLASSES or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{path}: IMAGENET_LABELS_LIST has {len(names)} entries, expected 1000 names")
    return names


@functools.lru_cache(maxsize=None)
def _wnids():
    path = _find(_WNID_FILES, "**/imagenet2012*/labels.txt")
    ids = tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    if len(ids) != IMAGENET_NUM_CLASSES or list(ids) != sorted(ids):
        raise ValueError(f"{path}: expected the 1000 WordNet ids in sorted order, got {len(ids)} ids")
    return ids


def imagenet_class_names(full=False):
    """The 1000 ImageNet-1k class names in the classifiers' order (index = class id).

    ``full=False``: the first synonym of each class, as people say it and
    ``keras.applications.*.decode_predictions`` shows it (``"tabby"``,
    ``"Egyptian cat"``, ``"espresso"``). One name occurs twice:
    ``"maillot"`` (638, and 639 ``"maillot, tank suit"``); the two cranes are
    ``"crane (bird)"`` (134) and ``"crane (machine)"`` (517). ``full=True``: all synonyms, comma-separated
    (``"tabby, tabby cat"``). Returns a new list each call. See the module
    docstring for where the names come from.
    """
    names = _full_names()
    return list(names) if full else [n.split(",")[0].strip() for n in names]


def imagenet_wnids():
    """The 1000 WordNet ids (``"n01440764"``, ...) in the classifiers' order, from tensorflow-datasets."""
    return list(_wnids())
