"""What a grading worker must share with the client, so that every worker gives the same grade.

A submission's grade depends on the code that grades it (the hidden checks in
``autograder/``, the public checks and helpers in ``course/``), on the versions of the
packages that run it (nbgrader, numpy, Keras, ...) and on the data the notebooks find
(real CIFAR-10 or the synthetic set). :func:`grading_environment` describes all three for
the checkout this process imports; the client compares every worker's with its own before
a class is graded (and each task compares again, for workers that join later), and stops
with :func:`differences` named, instead of grading a class with a mismatched worker.

>>> env = grading_environment()
>>> sorted(env)
['cifar10', 'code', 'packages', 'project', 'python']
>>> differences(env, env)
[]
"""

import hashlib
import os
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

__all__ = ["PACKAGES", "checkout_root", "code_digest", "grading_environment", "differences"]

#: Packages whose version can change a grade (the notebooks' and the grader's own).
PACKAGES = ("nbgrader", "nbclient", "nbformat", "ipykernel", "jupyter_client", "numpy", "scipy", "keras",
            "tensorflow", "jax", "matplotlib")
#: Folders of the checkout whose Python files grade: hidden checks, the grader, public checks, helpers.
CODE_FOLDERS = ("autograder", "course")


def checkout_root():
    """The course checkout this process grades with: the folder holding the imported ``autograder``."""
    return Path(__file__).resolve().parents[1]


@lru_cache(maxsize=8)
def code_digest(root):
    """sha256 (16 hex digits) of every ``.py`` file under ``autograder/`` and ``course/`` of ``root``."""
    h = hashlib.sha256()
    root = Path(root)
    for folder in CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cifar10_found():
    """Whether the notebooks would find real CIFAR-10 without a download (COURSE_DATA_DIR or Keras' cache)."""
    folders = [os.environ.get("COURSE_DATA_DIR"), os.path.join(os.path.expanduser("~"), ".keras", "datasets")]
    return any(f and os.path.isfile(os.path.join(f, "cifar-10-batches-py", "data_batch_1")) for f in folders)


def grading_environment(root=None):
    """A dict describing what grades here: project version, code digest, Python, packages, data."""
    root = Path(root or checkout_root())
    return {
        "project": _version("cnn-course") or "not installed",
        "code": code_digest(str(root)),
        "python": "{}.{}".format(*sys.version_info[:2]),
        "packages": {name: _version(name) for name in PACKAGES},
        "cifar10": "found" if _cifar10_found() else "missing (the notebooks use the synthetic set)",
    }


def differences(expected, got):
    """``["what: client has X, worker has Y"]`` for every entry where two environments differ."""
    out = []
    for key in sorted(set(expected) | set(got)):
        a, b = expected.get(key), got.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += [f"{key} {name}: client has {a.get(name)}, worker has {b.get(name)}"
                    for name in sorted(set(a) | set(b)) if a.get(name) != b.get(name)]
        elif a != b:
            what = {"code": "code of autograder/ and course/ (sha256)"}.get(key, key)
            out.append(f"{what}: client has {a}, worker has {b}")
    return out
