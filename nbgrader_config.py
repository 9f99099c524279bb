"""nbgrader configuration of the course (the repository root is the course directory).

The grading pipeline is stock nbgrader with a few preprocessors of ours plugged in through
traitlets, so `nbgrader autograde` and `backprop-grade` grade identically.
"""

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.assignment_id = ""
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
