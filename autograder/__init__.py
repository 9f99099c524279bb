"""Grading for the backprop course.

``autograder.student`` is what students receive (checks and recorders, no reference code);
``autograder.grading`` is the instructor's side (trusted scoring, sandbox, the grading tool).
"""
