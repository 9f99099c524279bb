"""What graders and students read: feedback without hidden tests, grade export, the class report.

- ``hide_hidden_tests`` / ``redact_hidden_outputs``: the two feedback preprocessors;
- ``feedback``: the feedback pipeline configuration;
- ``export``: grades out of the gradebook (CSV);
- ``class_report``: per-exercise scores, frequent misconceptions, integrity flags, a plot.
"""
