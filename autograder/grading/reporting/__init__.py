"""What graders and students read: feedback without hidden tests, grade export, the class report.

- ``hide_hidden_tests`` / ``redact_hidden_outputs``: the two feedback preprocessors;
- ``feedback``: the feedback pipeline configuration;
- ``math_to_mathml``: math rendered to MathML on the server (feedback and formgrader pages need
  no network; ``templates/base/mathjax.html.j2`` drops nbconvert's CDN MathJax);
- ``export``: grades out of the gradebook (CSV);
- ``class_report``: per-exercise scores, frequent misconceptions, integrity flags, a plot.
"""
