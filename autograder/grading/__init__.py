"""Grader side of the backprop course (imports course/; never shipped to students)."""
