"""The similarity report (autograder/grading/reporting/similarity.py)."""

# ruff: noqa: E501  (the answers are code as students type it, one string each)

from __future__ import annotations

from pathlib import Path

from autograder.grading.reporting.similarity import compare_lesson, markdown, similarity_report

REPO = Path(__file__).resolve().parents[1]

STUB = {
    "f_answer": (
        'def f(x, W):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n',
        True,
    ),
    "g_answer": ("def g(z):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n", True),
    "h_answer": ("def h(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n", True),
    "q_answer": ("YOUR ANSWER HERE", False),
}
REFERENCE = {
    "f_answer": 'def f(x, W):\n    """Doc."""\n    z = W @ x\n    return z, np.maximum(z, 0.0)\n',
    "g_answer": "def g(z):\n    s = 1.0 / (1.0 + np.exp(-z))\n    return s * (1.0 - s)\n",
    "h_answer": "def h(a, b):\n    out = np.outer(a, b)\n    return out.sum(axis=0) + np.trace(out)\n",
    "q_answer": "The loss is convex in the output, so gradient descent reaches the minimum.",
}
# One student's own way of writing the three functions, and a written answer in her words
OWN = {
    "f_answer": 'def f(x, W):\n    """Doc."""\n    pre = np.dot(W, x)\n    act = pre.copy()\n    act[act < 0] = 0\n    return pre, act\n',
    "g_answer": "def g(z):\n    e = np.exp(-z)\n    return e / (1 + e) ** 2\n",
    "h_answer": "def h(a, b):\n    total = 0\n    for i in range(len(a)):\n        total = total + a[i] * b\n    return total + sum(a[i] * b[i] for i in range(len(a)))\n",
    "q_answer": "Because the squared error is a parabola in yhat the iterates slide to its unique bottom whatever the start.",
}


def _rename(src: str) -> str:
    for old, new in (
        ("pre", "zz"),
        ("act", "hidden"),
        ("e ", "ex "),
        ("e)", "ex)"),
        ("total", "acc"),
    ):
        src = src.replace(old, new)
    return src.replace("    return", "    # my own work\n    return")


def _class(n_honest: int = 8) -> dict:
    answers = {f"s{i}": {k: (v, STUB[k][1]) for k, v in REFERENCE.items()} for i in range(n_honest)}
    answers["mira"] = {k: (v, STUB[k][1]) for k, v in OWN.items()}
    return answers


def test_a_copy_with_renamed_variables_and_new_comments_is_listed():
    answers = _class()
    answers["copier"] = {k: (_rename(v) if STUB[k][1] else v, STUB[k][1]) for k, v in OWN.items()}
    pairs = compare_lesson(answers, STUB)
    assert [(p.a, p.b) for p in pairs] == [("copier", "mira")]
    assert pairs[0].score > 0.9
    assert {c[0] for c in pairs[0].cells} >= {"f_answer", "g_answer", "h_answer"}
    assert "copier, mira" in "\n".join(markdown(pairs))


def test_the_answer_most_of_the_class_writes_is_no_evidence():
    # eight students write the reference solution word for word: common, not copied
    assert compare_lesson(_class(), STUB) == []


def test_one_shared_cell_is_not_enough():
    answers = _class()
    answers["other"] = {k: (v, STUB[k][1]) for k, v in REFERENCE.items()}
    answers["other"]["h_answer"] = (OWN["h_answer"], True)  # the same long cell, nothing else
    assert compare_lesson(answers, STUB) == []


def test_stubs_and_trivial_answers_are_ignored():
    answers = {f"s{i}": {k: v for k, v in STUB.items()} for i in range(4)}  # nobody attempted
    answers.update({f"t{i}": {"g_answer": ("def g(z):\n    return z\n", True)} for i in range(2)})
    assert compare_lesson(answers, STUB) == []


def test_copied_written_answers_count_as_evidence():
    answers = _class()
    words = OWN["q_answer"]
    answers["copier"] = {k: (v, STUB[k][1]) for k, v in OWN.items()}
    answers["copier"]["q_answer"] = (words.upper().replace(" ", "  "), False)  # case, spacing
    pairs = compare_lesson(answers, STUB)
    assert [(p.a, p.b) for p in pairs] == [("copier", "mira")]
    assert any(c[0] == "q_answer" and c[3] > 0.9 for c in pairs[0].cells)


def test_the_example_class_lists_its_copied_pair_and_no_other():
    """examples/make_examples.py: pia copied omar's lesson 03 (variables renamed); the others
    wrote their own (the same mistakes, each in their own hand)."""
    lessons = sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())
    pairs = similarity_report(
        REPO, lessons, release_dir=REPO / "release", notebooks=REPO / "examples" / "submissions"
    )
    assert [(p.lesson, p.a, p.b) for p in pairs] == [("03_sigmoid_net", "omar", "pia")]


def test_it_reads_and_never_writes(tmp_path):
    """Flags only: the notebooks (and so the grades) are left exactly as they were."""
    import shutil

    for student in ("omar", "pia", "ada"):
        src = REPO / "examples" / "submissions" / student / "03_sigmoid_net"
        shutil.copytree(src, tmp_path / "autograded" / student / "03_sigmoid_net")
    shutil.copytree(REPO / "release" / "03_sigmoid_net", tmp_path / "release" / "03_sigmoid_net")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    pairs = similarity_report(tmp_path, ["03_sigmoid_net"])
    assert [(p.a, p.b) for p in pairs] == [("omar", "pia")]
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
