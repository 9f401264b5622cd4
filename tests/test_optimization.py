"""Notebook 03 (optimization): the source notebook is committed as the build expects.

Its fast run (every cell without error or stderr, the checks' success lines) is
tests/notebooks/test_nb03_optimization.py; the mutant catalogue is exercised by
``tests/test_mutants.py``.
"""

import json

NOTEBOOK = "notebooks/03_optimization/optimization.ipynb"


def test_source_notebook_is_committed_without_outputs(repo_root):
    nb = json.loads((repo_root / NOTEBOOK).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["metadata"].get("tags") == ["parameters"], "the first code cell must be tagged `parameters`"
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None, (
            f"committed with outputs: {''.join(cell['source'])[:60]!r}"
        )
    graded = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"].get("points")
              for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}
    assert sum(graded.values()) == 27, graded
    assert "answer_learning_rate_curves" in graded
