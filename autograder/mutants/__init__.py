"""The catalogue of plausible wrong implementations.

``autograder/mutants/<notebook>.py`` defines ``MUTANTS``, a list of
:class:`Mutant`. ``tests/test_mutants.py`` asserts that the instructor's
solution passes every hidden check and that every mutant is rejected by the
hidden check of the function it replaces, with a message containing
``message``; mutants marked ``public`` must be rejected by the public check too.
"""

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Mutant:
    function: str          # the graded function it stands in for, e.g. "svm_loss_naive"
    name: str              # short identifier, unique within the notebook
    description: str       # the plausible mistake, in a student's terms
    impl: Callable         # the wrong implementation (same signature as the graded function)
    message: str           # a fragment the check's failure message must contain
    public: bool = False   # the public check in course.check must reject it too
