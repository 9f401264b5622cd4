"""Every callback's docstring example runs and gives the output it shows."""

import doctest
import importlib

import pytest

MODULES = [
    "learning_rate_decay",
    "early_stopping",
    "update_ratio_monitor",
    "activation_statistics",
    "training_curves",
    "snapshot_ensemble",
    "learning_rate_finder",
]


@pytest.mark.slow
@pytest.mark.backend_agnostic
@pytest.mark.parametrize("name", MODULES)
def test_docstring_example_runs(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write here
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    module = importlib.import_module(f"course.callbacks.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0


def test_every_public_callback_documents_args_and_an_example():
    import course.callbacks as cb

    for name in cb.__all__:
        doc = getattr(cb, name).__doc__ or ""
        assert ">>>" in doc or name == "average_snapshot_predictions", f"{name} has no runnable example"
        assert "Args:" in doc or name == "average_snapshot_predictions", f"{name} does not list its arguments"
