"""00_warmup: the student package holds no answers, and the checks explain what went wrong."""

import json

import numpy as np
import pytest

from autograder.release_check import secrets
from course.check import warmup as public


def test_package_holds_no_warmup_answer(repo_root):
    nb = json.loads((repo_root / "notebooks" / "00_warmup" / "warmup.ipynb").read_text())
    answers = [s.line for s in secrets(nb) if s.kind in ("solution", "written answer")]
    assert len(answers) >= 6
    for path in sorted((repo_root / "course").rglob("*.py")):
        text = path.read_text()
        leaked = [line for line in answers if line in text]
        assert not leaked, f"{path.relative_to(repo_root)} contains solution lines {leaked}"


def test_public_checks_do_not_import_the_autograder(repo_root):
    text = (repo_root / "course" / "check" / "warmup.py").read_text()
    assert "autograder" not in text


def _wrong_mean_std(X):
    X = X.astype(np.float64)
    return X.mean(axis=(0, 1, 2)), X.std(axis=(0, 1, 2), ddof=1)


def test_failure_message_names_call_input_result_expectation_and_cause():
    with pytest.raises(AssertionError) as e:
        public.check_channel_mean_std(_wrong_mean_std)
    msg = str(e.value)
    for fragment in ("channel_mean_std(X) returned the wrong per-channel std", "called with: X = uint8 array (4, 2, 5, 3)",
                     "got:", "expected:", "likely cause: use the population standard deviation (ddof=0"):
        assert fragment in msg, msg


def test_stub_gets_a_clear_message():
    def one_hot(y, num_classes):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        public.check_one_hot(one_hot)


def test_numpy_warnings_of_a_student_function_stay_off_stderr(capfd):
    # nbgrader gives 0 points to a graded cell that writes to stderr, so a correct answer whose
    # intermediate steps make numpy warn must still pass quietly.
    def accuracy(scores, y):
        logs = np.log(np.where(scores > 0, scores, 0.0))     # warns: log(0) = -inf (unused)
        del logs
        return float(np.mean(np.argmax(scores, axis=1) == y))

    import warnings
    from autograder.checks.warmup import check_accuracy

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        public.check_accuracy(accuracy)
        check_accuracy(accuracy)
    assert capfd.readouterr().err == ""
