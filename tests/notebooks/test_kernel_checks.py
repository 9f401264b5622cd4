"""What a student's Jupyter kernel does with the checks (cells of the tests' own, on the one runner)."""

import pytest

pytestmark = pytest.mark.slow


def test_in_a_jupyter_kernel_the_student_sees_no_check_frames(execute_cells):
    """IPython uses _render_traceback_: the error output holds the message, not course/check frames,
    and the cell still counts as failed (an error output), which is what nbgrader grades."""
    nb = execute_cells([
        "from course.check.core import call, expect_close\n"
        "def f(x):\n    return x * 3\n"
        "out, record = call(f, 2.0, arg_names=['x'])\n"
        "expect_close(out, 4.0, what='output', call=record, cause='the factor is 2')"], allow_errors=True)
    (error,) = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "CheckFailure"
    shown = "\n".join(error.traceback)
    assert "f(x) returned the wrong output." in shown and "likely cause: the factor is 2" in shown
    assert "course/check" not in shown and "core.py" not in shown and "Traceback" not in shown


def test_loops_are_found_in_functions_defined_in_a_jupyter_kernel(execute_cells):
    # In a notebook, a student's function lives in a file of ipykernel's own; it must count as theirs.
    nb = execute_cells([
        "import numpy as np\n"
        "from course.check.linear_classifiers import check_no_python_loop\n"
        "def softmax_loss_vectorized(W, X, y, reg):\n"
        "    loss = 0.0\n"
        "    for i in range(X.shape[0]):\n"
        "        loss += 1.0\n"
        "    return loss, W",
        "try:\n"
        "    check_no_python_loop(softmax_loss_vectorized, 'softmax_loss_vectorized')\n"
        "except AssertionError as e:\n"
        "    print('REJECTED:', str(e).splitlines()[0])",
    ])
    printed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "REJECTED: softmax_loss_vectorized runs a Python loop over the examples" in printed, printed
