"""Unit tests for the release verifier and the source-notebook lint of `course build` (no nbgrader run)."""

import copy
import json

import pytest

from autograder.lint import lint_source
from autograder.release_check import check_release, check_release_files, is_trivial, secrets, shown_solution_lines
from conftest import make_cell as _cell


SOLUTION = '''def add(a, b):
    """Sum of a and b."""
    ### BEGIN SOLUTION
    total = np.add(a, b)
    return total
    ### END SOLUTION
'''
TEST = '''from course.check.toy import check_add as public_check
public_check(add)
### BEGIN HIDDEN TESTS
from autograder.checks.toy import check_add
assert add(40, 2) == 42, "the hidden case"
### END HIDDEN TESTS
'''


def _source_nb():
    return {"cells": [
        _cell("code", "import os\nFAST = True", ),
        _cell("markdown", "# Toy"),
        _cell("code", SOLUTION, grade=False, grade_id="add_solution", locked=False, solution=True),
        _cell("code", "from course.check.toy import check_add\ncheck_add(add)"),
        _cell("code", TEST, grade=True, grade_id="test_add", locked=True, points=2, solution=False),
        _cell("markdown", "Why add?"),
        _cell("markdown", "Because addition is commutative and associative.", grade=True,
              grade_id="answer_why", locked=False, points=1, solution=True),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _release_nb():
    nb = copy.deepcopy(_source_nb())
    nb["cells"][2]["source"] = ('def add(a, b):\n    """Sum of a and b."""\n'
                                '    # YOUR CODE HERE\n    raise NotImplementedError()\n')
    nb["cells"][4]["source"] = "from course.check.toy import check_add as public_check\npublic_check(add)\n"
    nb["cells"][6]["source"] = "YOUR ANSWER HERE"
    return nb


def test_clean_release_passes():
    assert check_release(_source_nb(), _release_nb(), "toy") == []


def test_secret_lines_are_found_and_public_ones_skipped():
    lines = {s.line: s.kind for s in secrets(_source_nb())}
    assert lines["total = np.add(a, b)"] == "solution"
    assert lines["return total"] == "solution"
    assert lines['assert add(40, 2) == 42, "the hidden case"'] == "hidden test"
    assert lines["from autograder.checks.toy import check_add"] == "hidden test"
    assert lines["Because addition is commutative and associative."] == "written answer"
    assert not any("BEGIN" in line or "END" in line for line in lines)


def test_leaked_solution_line_is_reported_with_notebook_and_line():
    release = _release_nb()
    release["cells"][2]["source"] += "    total = np.add(a, b)\n"
    problems = check_release(_source_nb(), release, "toy")
    assert len(problems) == 1
    assert problems[0].startswith("toy:")
    assert "total = np.add(a, b)" in problems[0] and "solution" in problems[0] and "add_solution" in problems[0]


def test_leaked_hidden_test_in_another_cell_is_reported():
    release = _release_nb()
    release["cells"][3]["source"] += "\nfrom autograder.checks.toy import check_add"
    problems = check_release(_source_nb(), release, "toy")
    assert any("hidden test" in p and "from autograder.checks.toy import check_add" in p for p in problems)


def test_leak_in_an_output_is_reported():
    release = _release_nb()
    release["cells"][3]["outputs"] = [{"output_type": "stream", "name": "stdout",
                                       "text": "Because addition is commutative and associative."}]
    problems = check_release(_source_nb(), release, "toy")
    assert any("written answer" in p for p in problems)
    assert any("has outputs" in p for p in problems)


def test_left_marker_is_reported():
    release = _release_nb()
    release["cells"][4]["source"] = TEST  # hidden tests not stripped at all
    problems = check_release(_source_nb(), release, "toy")
    assert any("BEGIN HIDDEN TESTS" in p for p in problems)
    assert any("the hidden case" in p for p in problems)


def test_files_version_and_missing_release(tmp_path):
    src = tmp_path / "toy.ipynb"
    src.write_text(json.dumps(_source_nb()))
    rel = tmp_path / "release" / "toy.ipynb"
    assert "no release notebook" in check_release_files(src, rel)[0]
    rel.parent.mkdir()
    leaky = _release_nb()
    leaky["cells"][2]["source"] = SOLUTION.replace("### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION\n", "")
    rel.write_text(json.dumps(leaky))
    problems = check_release_files(src, rel)
    assert any("toy:" in p and "return total" in p for p in problems)


def test_substantial_solution_line_repeated_in_a_public_cell_is_a_warning():
    long_line = "total = np.add(np.asarray(a), np.asarray(b))"
    source = _source_nb()
    source["cells"][2]["source"] = SOLUTION.replace("total = np.add(a, b)", long_line)
    release = _release_nb()
    for nb in (source, release):   # the instructor shows the solution again in a public cell
        nb["cells"][3]["source"] += f"\n{long_line}  # as in the solution\nreturn total"
    assert check_release(source, release, "toy") == []      # the instructor wrote it twice: not a leak
    warnings = shown_solution_lines(source, release, "toy")
    assert len(warnings) == 1 and long_line in warnings[0]   # the short `return total` is not reported
    assert warnings[0].startswith("toy: solution line of source cell 2 (add_solution)")


@pytest.mark.parametrize("line,trivial", [
    ("", True), ("    pass", True), ("else:", True), ("])", True), ("return total", False),
    ("raise NotImplementedError()", True), ("# compute the scores", False),
])
def test_trivial_lines(line, trivial):
    assert is_trivial(line) is trivial


def test_lint_accepts_conventions_and_reports_breaks():
    nb = _source_nb()
    assert lint_source(nb, "toy") == ["toy: the first code cell (the set-up cell) is not tagged `parameters`"]
    nb["cells"][0]["metadata"]["tags"] = ["parameters"]
    assert lint_source(nb, "toy") == []
    nb["cells"][3]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    nb["cells"][4]["metadata"]["nbgrader"]["locked"] = False
    nb["cells"][6]["metadata"]["nbgrader"]["grade_id"] = "test_add"
    nb["cells"][1]["source"] = "### BEGIN SOLUTION\nx\n### END SOLUTION"
    problems = "\n".join(lint_source(nb, "toy"))
    for fragment in ("cell 3 has outputs", "not locked", "'test_add' is used by cells 4 and 6",
                     "cell 1 has a solution region"):
        assert fragment in problems


def test_warmup_source_follows_the_conventions(repo_root):
    path = repo_root / "notebooks" / "00_warmup" / "warmup.ipynb"
    assert lint_source(json.loads(path.read_text()), "00_warmup") == []


def _public_view(source_nb):
    """What a release shows of a source notebook: every cell without its solution and hidden-test regions."""
    from autograder.release_check import split_cell

    return {"cells": [dict(c, source="\n".join(split_cell(c)[0]), outputs=[]) for c in source_nb["cells"]]}


def test_a_release_line_that_is_another_notebooks_solution_is_reported():
    from autograder.release_check import cross_reveals

    line = "log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))"
    other = {"cells": [_cell("code", f"def loss(scores):\n    ### BEGIN SOLUTION\n    {line}\n    return log_probs\n"
                                     f"    ### END SOLUTION\n", grade=False, grade_id="loss_solution", locked=False,
                                     solution=True)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    release = _release_nb()
    release["cells"].append(_cell("code", f"def given_loss(scores):\n    {line}\n    return log_probs\n"))
    found = cross_reveals(release, "03_later", {"01_earlier": other})
    assert found == [f"03_later: the release shows, as given code, a solution line of 01_earlier (source cell 0 "
                     f"(loss_solution)): {line!r}; students who have both notebooks see that part of its answer "
                     f"(call a helper, e.g. scipy.special.log_softmax, instead)"]
    assert cross_reveals(_release_nb(), "03_later", {"01_earlier": other}) == []
    # `return log_probs` is shown too, but a line that short is common code, not an answer
    assert cross_reveals({"cells": [_cell("code", "return log_probs")]}, "03_later", {"01_earlier": other}) == []


def test_lines_that_only_wire_library_calls_are_not_answers():
    from autograder.release_check import is_wiring

    for line in ["keras.utils.set_random_seed(seed)", "with tf.GradientTape() as tape:",
                 "x = keras.layers.GlobalAveragePooling2D()(x)",
                 'outputs = keras.layers.Dense(num_classes, activation="softmax")(x)']:
        assert is_wiring(line), line
    for line in ["log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))",
                 "dx = dout * (x > 0)", "return keras.ops.mean(loss)", "w = w[::-1]", "loss += reg * np.sum(W * W)",
                 "if x is None:", "def f(x"]:
        assert not is_wiring(line), line


def test_one_predicate_says_which_lines_are_substantial():
    from autograder.release_check import SUBSTANTIAL, is_substantial

    assert not is_substantial("return total")                       # common code
    assert is_substantial("a" * SUBSTANTIAL) and not is_substantial("a" * (SUBSTANTIAL - 1))
    computing = "log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))"
    assert is_substantial(computing) and is_substantial(computing, count_wiring=False)
    # wiring: another notebook's vocabulary, but within a notebook part of its own answer
    wiring = "total = np.add(np.asarray(a), np.asarray(b))"
    assert is_substantial(wiring) and not is_substantial(wiring, count_wiring=False)


def test_both_warnings_go_through_is_substantial(monkeypatch):
    """shown_solution_lines and cross_reveals ask the one predicate, so they cannot drift apart."""
    from autograder import release_check

    line = "total = np.add(np.asarray(a), np.asarray(b)) * 2"
    other = _source_nb()                # another notebook with the line in its solution only
    other["cells"][2]["source"] = SOLUTION.replace("total = np.add(a, b)", line)
    source, release = copy.deepcopy(other), _release_nb()
    for nb in (source, release):        # this notebook shows it in a public cell too
        nb["cells"][3]["source"] += f"\n{line}"
    assert release_check.shown_solution_lines(source, release, "toy")
    assert release_check.cross_reveals(release, "03_later", {"01_earlier": other})
    asked = []
    monkeypatch.setattr(release_check, "is_substantial", lambda ln, count_wiring=True: asked.append(count_wiring))
    assert release_check.shown_solution_lines(source, release, "toy") == []
    assert release_check.cross_reveals(release, "03_later", {"01_earlier": other}) == []
    assert set(asked) == {True, False}       # within the notebook wiring counts; across notebooks it does not


def test_no_course_release_shows_another_notebooks_answer(repo_root):
    from autograder.release_check import cross_reveals

    sources = {p.parent.name: json.loads(p.read_text(encoding="utf-8"))
               for p in sorted((repo_root / "notebooks").glob("[0-9][0-9]_*/*.ipynb"))}
    assert len(sources) >= 4
    for name, nb in sources.items():
        others = {o: other for o, other in sources.items() if o != name}
        assert cross_reveals(_public_view(nb), name, others) == [], name
