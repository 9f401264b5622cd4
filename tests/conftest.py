import os
from pathlib import Path

import pytest

# Quiet TensorFlow before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO_ROOT = Path(__file__).resolve().parents[1]


def real_cifar10_dir():
    """The folder holding ``cifar-10-batches-py``, or None.

    CI sets ``COURSE_DATA_DIR``; a developer's checkout may have
    ``../shared/data`` beside it. A user's fresh clone has neither.
    """
    candidates = [os.environ.get("COURSE_DATA_DIR"), REPO_ROOT.parent / "shared" / "data"]
    for c in candidates:
        if c and (Path(c) / "cifar-10-batches-py").is_dir():
            return Path(c)
    return None


@pytest.fixture(scope="session")
def real_data_dir():
    """The folder holding real CIFAR-10, or None (see :func:`real_cifar10_dir`)."""
    return real_cifar10_dir()


@pytest.fixture
def cifar10_dir():
    d = real_cifar10_dir()
    if d is None:
        pytest.skip("real CIFAR-10 images not available: set COURSE_DATA_DIR to a folder holding cifar-10-batches-py")
    return d


@pytest.fixture
def repo_root():
    return REPO_ROOT


def make_cell(kind, source, tags=None, **nbgrader):
    """A notebook cell dict for tests: ``kind`` "code" or "markdown", ``tags``, and nbgrader metadata
    (``grade=True, grade_id="test_f", points=2, ...``)."""
    cell = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    if tags:
        cell["metadata"]["tags"] = tags
    if nbgrader:
        cell["metadata"]["nbgrader"] = dict(schema_version=3, task=False, **nbgrader)
    return cell
