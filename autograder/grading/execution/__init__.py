"""Running submissions: the bubblewrap sandbox, fork-server kernels, kernel pools, worker processes.

- ``sandbox``: the sandbox command (``SandboxCommand``), scratch dirs, ``SandboxedKernelManager``;
- ``sandboxed_execute``: ``SandboxedExecute``, nbgrader's Execute in the sandbox;
- ``zygote``: a pre-imported kernel template that forks a fresh kernel per submission;
- ``pool``: a worker's pool of ready kernels (``pooled_execute_class``);
- ``workers``: worker processes running nbgrader's Autograde in parallel.
"""
