"""Scoring: what a submission earns, decided in the grader process only.

- ``canonicalize``: ``CanonicalizeSubmission`` rebuilds a notebook from the instructor's source;
- ``trusted_scores``: ``TrustedScores`` scores test cells from the recorded numbers;
- ``misconceptions``: the catalogue of named mistakes;
- ``student_inputs``: the course secret and the per-student keys of the hidden inputs.
"""
