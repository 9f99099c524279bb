"""Math rendered server-side to MathML, so feedback and formgrader pages need no network.

Stock nbgrader/nbconvert pages load MathJax from a CDN: offline, or on a campus network that
blocks it, the student reads raw ``$\\mathbf w\\cdot\\mathbf x$``. JupyterLab also shows a
feedback file in a sandboxed iframe without scripts, where no MathJax could run anyway. So the
math is converted before the page is written, by `latex2mathml` (MIT, pure Python), into MathML
Core, which every current browser (Chromium >= 109, Firefox, Safari) renders natively.

`MathToMathML` is an nbconvert preprocessor (added to GenerateFeedback's preprocessors and to the
formgrader's HTML exporter by nbgrader_config.py). In markdown cells (and text/markdown or
text/latex outputs) it replaces ``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]`` and
``\\begin{env}...\\end{env}`` by ``<math>`` elements; code spans and fenced code blocks are left
alone, and so is ``\\$``. A formula latex2mathml cannot convert stays as its source (one warning
in the log), so nothing is ever lost.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

# base/mathjax.html.j2 here replaces nbconvert's (a CDN <script>) in every HTML template
HTML_TEMPLATES = Path(__file__).resolve().parent / "templates"
# nbgrader's own templates (feedback, formgrade), which nbgrader adds only when the config names
# no extra_template_basedirs
NBGRADER_TEMPLATES = (
    Path(__import__("nbgrader").__file__).parent / "server_extensions" / ("formgrader/templates")
)

# code that must not be touched: fenced blocks, then inline code spans
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[^\n]*\n.*?^\1\2[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1", re.S)
_MATH = re.compile(
    r"(?<!\\)\$\$(?P<dd>.+?)(?<!\\)\$\$"  # $$ display $$
    r"|\\\[(?P<bd>.+?)\\\]"  # \[ display \]
    r"|(?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.+?\\end\{(?P=name)\})"  # \begin{..}..\end{..}
    r"|\\\((?P<bi>.+?)\\\)"  # \( inline \)
    r"|(?<![\\$])\$(?![\s$])(?P<di>(?:[^$\\\n]|\\.|\n(?!\s*\n))+?)(?<![\s\\])\$(?!\d)",  # $x$
    re.S,
)
# characters of MathML text that markdown would act on
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_[]$~|#!{}"}
_TAG = re.compile(r"(<[^>]*>)")


def _md_safe(mathml: str) -> str:
    """MathML whose text content cannot trigger markdown (emphasis, links, math, breaks).

    Text is decoded first (latex2mathml writes operators as ``&#x0003D;``), then each character
    markdown acts on becomes a numeric reference and ``<>&`` their HTML escapes: nothing is
    escaped twice.
    """
    parts = _TAG.split(mathml.replace("\n", " "))
    return "".join(p if p.startswith("<") else _md_text(html.unescape(p)) for p in parts)


def _md_text(text: str) -> str:
    return "".join(_MD_SPECIAL.get(c) or html.escape(c, quote=False) for c in text)


def tex_to_mathml(tex: str, display: bool) -> str | None:
    """One formula as a <math> element, or None when latex2mathml cannot convert it."""
    from latex2mathml.converter import convert

    try:
        out = convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any parser failure: keep the source
        return None
    alt = html.escape(" ".join(tex.split()), quote=True)
    # alttext: the TeX for screen readers and copy/paste
    return out.replace("<math ", f'<math alttext="{alt}" ', 1)


def convert_markdown(text: str, failures: list[str] | None = None) -> str:
    """Markdown with its math replaced by MathML (code spans and fences untouched)."""
    if "$" not in text and "\\" not in text:
        return text
    out, pos = [], 0
    protected = sorted(
        [m.span() for m in _FENCE.finditer(text)], key=lambda s: s[0]
    )  # fenced blocks first; code spans outside them next
    spans, last = [], 0
    for a, b in protected:
        spans += [(a2 + last, b2 + last) for a2, b2 in _code_spans(text[last:a])]
        spans.append((a, b))
        last = b
    spans += [(a2 + last, b2 + last) for a2, b2 in _code_spans(text[last:])]
    for a, b in spans:
        out.append(_convert_plain(text[pos:a], failures))
        out.append(text[a:b])
        pos = b
    out.append(_convert_plain(text[pos:], failures))
    return "".join(out)


def _code_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _CODE_SPAN.finditer(text)]


def _convert_plain(text: str, failures: list[str] | None) -> str:
    def repl(m: re.Match) -> str:
        display = m.group("dd") is not None or m.group("bd") is not None
        if m.group("env") is not None:
            tex, display = m.group("env"), True
        else:
            tex = next(g for g in (m.group("dd"), m.group("bd"), m.group("bi"), m.group("di"))
                       if g is not None)  # fmt: skip
        mathml = tex_to_mathml(tex, display)
        if mathml is None:
            if failures is not None:
                failures.append(tex)
            return m.group(0)
        mathml = _md_safe(mathml)
        # display math on its own paragraph, so markdown does not merge it into a sentence
        return f"\n\n{mathml}\n\n" if display and _alone(text, m) else mathml

    return _MATH.sub(repl, text)


def _alone(text: str, m: re.Match) -> bool:
    before = text[: m.start()].rsplit("\n", 1)[-1]
    after = text[m.end() :].split("\n", 1)[0]
    return not before.strip() and not after.strip()


class MathToMathML(Preprocessor):
    """Replace the math of markdown cells and markdown/LaTeX outputs by MathML (see module)."""

    enabled = Bool(True, help="convert math to MathML").tag(config=True)

    def preprocess(self, nb, resources):
        self._failures: list[str] = []
        nb, resources = super().preprocess(nb, resources)
        if self._failures:
            self.log.warning(
                "MathToMathML: %d formula(s) left as TeX (latex2mathml failed): %s",
                len(self._failures),
                "; ".join(f[:60] for f in self._failures[:5]),
            )
        resources.setdefault("backprop", {})["mathml_failures"] = list(self._failures)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(cell.source, self._failures)
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data")
            if not data:
                continue
            if "text/markdown" in data:
                data["text/markdown"] = convert_markdown(data["text/markdown"], self._failures)
            elif "text/latex" in data and "text/html" not in data:
                mathml = convert_markdown(data["text/latex"], self._failures)
                if mathml != data["text/latex"]:
                    data["text/html"] = mathml
        return cell, resources
