"""nbgrader's ``Execute`` step, made to survive a kernel that dies.

nbgrader runs a submission top to bottom in one kernel; when the kernel dies (``os._exit``,
a segfault in an extension, memory exhausted outside Python), nbclient raises
``DeadKernelError`` and nbgrader records nothing for the whole notebook. With
:class:`GradingExecute` (set in ``autograder/nbgrader_config.py`` in place of ``Execute``),
the cells that ran before keep their outputs, and so their points; the cell the kernel died
in gets an error output ``KernelDied`` naming it, and every graded test cell after it an error
``NotRun`` (0 points: the student's functions are gone with the kernel). nbgrader then saves
the grades and writes the autograded notebook as usual; :mod:`autograder.task` sees the
``KernelDied`` output and gives the submission the status ``kernel died``.
"""

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

from autograder import cells
from autograder.feedback import KERNEL_DIED, NOT_RUN, first_line

__all__ = ["GradingExecute"]


def _error(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GradingExecute(Execute):
    """``Execute`` that records the cell a dying kernel took down and goes on without it."""

    def preprocess(self, nb, resources=None, km=None):
        self.died_in = None
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if self.died_in is not None:
            if cells.is_autograded_test(cell):
                cell.outputs = [_error(NOT_RUN, f"[grader] not run: the kernel died in cell {self.died_in + 1} "
                                                f"above, and with it everything the notebook had defined")]
            return cell, self.resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.died_in = index
            self.log.warning("The kernel died in cell %d; the cells after it are not run", index + 1)
            cell.outputs.append(_error(KERNEL_DIED, f"[grader] the kernel died while cell {index + 1} ran "
                                                    f"(it starts with {first_line(cell)!r})"))
            return cell, self.resources
