"""Hidden checks: ``autograder/checks/<notebook>.py`` holds ``check_<function>(fn)``
for each graded function. They raise ``AssertionError`` with a student-facing
message (built with ``course.check.core``) and return nothing on success."""
