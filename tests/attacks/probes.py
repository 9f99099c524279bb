"""Sandbox probes: attempts to reach what a kernel must not, each with the error that proves the
sandbox (not Unix permissions) stopped it.

``script(targets)`` is Python source that runs every probe and prints one line per probe,
``PROBE <name> <outcome> <detail>``, outcome being

- ``LEAK``     the attempt worked;
- ``BLOCKED``  it failed with the error its defence produces (ENOENT: the path is not mounted;
  ModuleNotFoundError: the package is not mounted; ECONNREFUSED/ENETUNREACH: an empty network
  namespace; EPERM: not root, no capabilities and no_new_privs; ESRCH: the grader's pid is not
  visible, a pid namespace);
- ``OTHER``    it failed some other way (e.g. EACCES from file permissions, EROFS from a
  read-only bind where the course should not be mounted at all): not a proof, the test fails.

The targets are placed so that plain Unix permissions ALLOW the access (0755 dirs, 0644 files,
a 0666 gradebook, a 0777 drop folder): run outside the sandbox as the sandbox's uid, every probe
must print LEAK (the control); inside, every probe must print BLOCKED. The script needs only the
standard library, so the control can run under the system Python (the grader's venv may live
where the sandbox uid cannot reach it, e.g. under /root; the sandbox binds it in), with
PYTHONPATH = the repository for the two import probes.
"""

from __future__ import annotations

import json

PROBE_NAMES = (
    "read_source",
    "read_gradebook",
    "open_gradebook_for_writing",
    "list_other_students",
    "read_other_student",
    "write_course",
    "find_course_secret",
    "read_reference",
    "read_solutions",
    "import_course",
    "import_grading",
    "privileges",
    "see_grader_process",
    "tcp_to_grader_host",
)

_SCRIPT = r"""
import errno, importlib.util, json, os, socket
T = json.loads(__TARGETS__)
COURSE, REPO = T["course"], T["repo"]
ENOENT = (errno.ENOENT,)

def _errno_in(codes):
    return lambda e: isinstance(e, OSError) and e.errno in codes

def _missing_module(prefix):
    return lambda e: isinstance(e, ModuleNotFoundError) and (e.name or "").startswith(prefix)

def probe(name, fn, blocked_by):
    try:
        fn()
    except BaseException as e:  # noqa: B036 - classified below
        verdict = "BLOCKED" if blocked_by(e) else "OTHER"
        print("PROBE", name, verdict, type(e).__name__, getattr(e, "errno", ""), flush=True)
    else:
        print("PROBE", name, "LEAK", flush=True)

def read(p, n=-1):
    with open(p, "rb") as f:
        return f.read(n)

def find_secret():
    # walk what the kernel can see (not /proc, /sys, /dev, /usr, the Python install)
    skip = {"/proc", "/sys", "/dev", "/usr", *T["python_roots"]}
    for top in ("/",):
        for d, dirs, files in os.walk(top):
            dirs[:] = [x for x in dirs if os.path.join(d, x) not in skip]
            if d.count("/") >= 4:
                dirs[:] = []
            if T["secret_name"] in files:
                return os.path.join(d, T["secret_name"])
    raise FileNotFoundError(errno.ENOENT, "no course secret visible")

def privileges():
    # root, a capability, or the right to gain privileges (setuid binaries): any one is a leak
    lines = read("/proc/self/status").decode().splitlines()
    status = dict(l.split(":", 1) for l in lines if ":" in l)
    caps = int(status["CapEff"].strip(), 16) | int(status["CapPrm"].strip(), 16)
    if 0 not in (os.getuid(), os.geteuid()) and caps == 0 and status["NoNewPrivs"].strip() == "1":
        raise PermissionError(errno.EPERM, "unprivileged, no capabilities, no_new_privs")

def see_grader():
    if not os.path.exists("/proc/%d/status" % T["grader_pid"]):
        raise ProcessLookupError(errno.ESRCH, "grader pid not visible")

def find(name):
    # where `import name` would load from (the parent package is imported, nothing else)
    if importlib.util.find_spec(name) is None:
        raise ModuleNotFoundError(f"no module {name}", name=name)

def tcp():
    socket.create_connection(("127.0.0.1", T["port"]), timeout=3).close()

NOENT = _errno_in(ENOENT)
GB = COURSE + "/gradebook.db"
probe("read_source", lambda: read(COURSE + "/source/attack01/attack01.ipynb"), NOENT)
probe("read_gradebook", lambda: read(GB, 16), NOENT)
probe("open_gradebook_for_writing", lambda: open(GB, "ab").close(), NOENT)
probe("list_other_students", lambda: os.listdir(COURSE + "/submitted"), NOENT)
probe("read_other_student", lambda: read(T["other_student"]), NOENT)
probe("write_course", lambda: open(COURSE + "/dropbox/pwned.txt", "w").write("x"), NOENT)
probe("find_course_secret", find_secret, NOENT)
probe("read_reference", lambda: read(REPO + "/course/activations.py"), NOENT)
probe("read_solutions", lambda: read(REPO + "/autograder/grading/solutions/__init__.py"), NOENT)
probe("import_course", lambda: find("course"), _missing_module("course"))
probe("import_grading", lambda: find("autograder.grading"), _missing_module("autograder.grading"))
probe("privileges", privileges, _errno_in((errno.EPERM,)))
probe("see_grader_process", see_grader, _errno_in((errno.ESRCH,)))
probe("tcp_to_grader_host", tcp, _errno_in((errno.ECONNREFUSED, errno.ENETUNREACH)))
print("PROBES DONE", flush=True)
"""


def script(targets: dict) -> str:
    """The probe script for ``targets``: course, repo, other_student, secret_name, port,
    grader_pid, python_roots."""
    return _SCRIPT.replace("__TARGETS__", repr(json.dumps(targets)))


def outcomes(text: str) -> dict[str, str]:
    """{probe name: 'LEAK' | 'BLOCKED' | 'OTHER ...'} from the script's output."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "PROBE":
            out[parts[1]] = parts[2] if parts[2] != "OTHER" else " ".join(parts[2:])
    return out
