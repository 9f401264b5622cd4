"""benchmarks/setup_cell_time.py finds what it times: each notebook's set-up cells, and the keras=True variant.

The timing itself runs in the benchmark (fresh processes, seconds each); these tests only read the
notebooks, so that a change to a notebook's set-up section cannot silently make the benchmark time
something else.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("setup_cell_time", ROOT / "benchmarks" / "setup_cell_time.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("key", ["00", "01", "02", "03"])
def test_the_set_up_cells_are_the_parameters_and_the_setup_call(bench, key):
    code = bench.setup_cells(bench.notebook_file(ROOT, key))
    assert "FAST = None" in code and "SEED = 0" in code           # the parameters cell
    assert code.count("course.notebook.setup(") == 1               # the set-up cell
    assert "load_cifar10" not in code                              # the data cell is not part of it
    compile(code, "<set-up cells>", "exec")


@pytest.mark.parametrize("key", ["00", "01"])
def test_a_numpy_only_notebook_gets_a_keras_variant(bench, key):
    code = bench.setup_cells(bench.notebook_file(ROOT, key))
    assert "keras=True" not in code
    assert "course.notebook.setup(keras=True, fast=FAST" in bench.with_keras(code)


@pytest.mark.parametrize("key", ["02", "03"])
def test_a_keras_notebook_has_no_numpy_only_baseline(bench, key):
    with pytest.raises(SystemExit, match="already passes keras=True"):
        bench.with_keras(bench.setup_cells(bench.notebook_file(ROOT, key)))


def test_an_unknown_notebook_is_named(bench):
    with pytest.raises(SystemExit, match="--notebook '42'"):
        bench.notebook_file(ROOT, "42")
