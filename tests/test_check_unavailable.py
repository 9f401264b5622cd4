"""course.check.core.unavailable: a check holds the package's own version of a graded function back."""

import sys
import types

import numpy as np
import pytest

import course.data
import course.data.augment
import course.data.pipeline
from course.check.core import CheckFailure, PackageVersionUnavailable, call, unavailable

TARGET = "course.data.augment.fit_pca_color"
ORIGINAL = course.data.augment.fit_pca_color


def test_every_binding_is_held_back_and_restored():
    namespace = {"fit_pca_color": ORIGINAL, "alias": ORIGINAL, "other": np.mean}
    exec("def student(images):\n    return fit_pca_color(images)\n", namespace)
    with unavailable(TARGET, student=namespace["student"], exercise="fit_pca_color"):
        for fn in (course.data.augment.fit_pca_color, course.data.pipeline.fit_pca_color,   # imported by name
                   course.data.fit_pca_color, namespace["alias"]):                          # lazy export, globals
            with pytest.raises(PackageVersionUnavailable, match="grades your own fit_pca_color"):
                fn(np.zeros((1, 2, 2, 3)))
        assert course.data.augment.fit_pca_color.__name__ == "fit_pca_color"
        assert namespace["other"] is np.mean
    assert course.data.augment.fit_pca_color is ORIGINAL and course.data.pipeline.fit_pca_color is ORIGINAL
    assert namespace["fit_pca_color"] is ORIGINAL and namespace["alias"] is ORIGINAL


def test_restored_when_the_check_fails():
    with pytest.raises(CheckFailure, match="boom"):
        with unavailable(TARGET):
            raise CheckFailure("boom")
    assert course.data.augment.fit_pca_color is ORIGINAL


def test_a_student_calling_it_fails_the_check_with_a_message_saying_why():
    def student(images):
        from course.data import fit_pca_color   # imported at call time: finds the stand-in
        return fit_pca_color(images)

    with unavailable(TARGET, student=student, exercise="fit_pca_color"):
        with pytest.raises(CheckFailure) as failure:
            call(student, np.zeros((1, 2, 2, 3)), name="fit_pca_color", arg_names=["images"])
    message = str(failure.value)
    assert "raised PackageVersionUnavailable" in message
    assert f"{TARGET} is not available while this check runs" in message and "without calling" in message
    assert len(student(np.zeros((1, 2, 2, 3)))) == 2


def test_modules_nobody_imported_are_left_alone(monkeypatch):
    monkeypatch.delitem(sys.modules, "course_test_not_loaded", raising=False)
    with unavailable("course_test_not_loaded.anything", TARGET):
        assert "course_test_not_loaded" not in sys.modules
    fake = types.ModuleType("course_test_fake")
    fake.helper = lambda: 1
    monkeypatch.setitem(sys.modules, "course_test_fake", fake)
    with unavailable("course_test_fake.helper"):
        with pytest.raises(PackageVersionUnavailable, match="course_test_fake.helper is not available"):
            fake.helper()
    assert fake.helper() == 1


def test_bad_targets_are_named():
    with pytest.raises(ValueError, match="must be 'module.attribute'"):
        with unavailable("fit_pca_color"):
            pass
    with pytest.raises(ValueError, match="course.data.augment has no attribute 'fit_pca_colour'"):
        with unavailable("course.data.augment.fit_pca_colour"):
            pass
    with pytest.raises(ValueError, match="is a module"):
        with unavailable("course.data.augment"):
            pass
    assert course.data.augment.fit_pca_color is ORIGINAL


def test_docstring_example():
    import doctest

    import course.check.core as core

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(core.unavailable, "unavailable", globs={"np": np, "unavailable": unavailable,
                                                                   "PackageVersionUnavailable": PackageVersionUnavailable}):
        runner.run(test)
    assert runner.failures == 0
