"""The grading side of the course: nbgrader configuration, hidden checks,
the mutant catalogue and grading tools. Not shipped to students."""
