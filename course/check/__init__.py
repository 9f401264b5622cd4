"""Public, student-facing checks.

``course.check.<notebook>.check_<function>(fn)`` raises ``AssertionError``
with a message the student can act on and returns nothing on success.
``course.check.core`` holds the shared message and comparison helpers.
"""
