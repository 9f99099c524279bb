"""Browser console errors that are known and harmless. Each entry: (substring, why).

A console error or uncaught page error that matches none of these fails the browser test: the
course must not make the student's or the instructor's JupyterLab log errors.
"""

CONSOLE_ALLOWLIST: list[tuple[str, str]] = [
    (
        "cdnjs.cloudflare.com",
        "nbgrader's formgrader pages and nbconvert's feedback HTML load MathJax from a CDN; the"
        " test machine (and many classrooms) are offline, the request fails and only the math"
        " typesetting of those pages is lost (JupyterLab itself bundles its MathJax)",
    ),
    (
        "MathJax is not defined",
        "the same offline MathJax CDN failure, reported by the formgrader's inline script that"
        " configures MathJax",
    ),
    (
        "because the document's frame is sandboxed and the 'allow-scripts' permission is not set",
        "JupyterLab's HTML viewer shows an untrusted HTML file (the student's feedback) in a"
        " sandboxed iframe without scripts, by design; the feedback page's own inline scripts"
        " (nbconvert's MathJax/require set-up) are blocked and the static page is unaffected",
    ),
    (
        "pageerror: $ is not defined",
        "nbconvert's classic template (nbgrader's feedback page) renders an ipywidget output (the"
        " lessons' tqdm progress bars) as a <script> calling jQuery's $, which a static page does"
        " not load: the bar is not drawn, the rest of the page is unaffected (no request is made)",
    ),
]
