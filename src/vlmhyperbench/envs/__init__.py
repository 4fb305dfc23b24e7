"""Executors and environments: where stages run and what they install.

- `Executor` (the design's EnvManager) and the `executors` registry: ``local``,
  ``venv``, ``docker``, ``apptainer`` built in; others (a cluster, a pod) come as
  plugins in the entry point group ``vlmhyperbench.executors``.
- `packages`: the package registry (one YAML per package; pypi, git, local sources;
  ``RUN_MODE=dev`` overlays).
- `inject` / `stage_env`: what a stage does at environment start (install, record).
"""

from ._base import Executor, StageExit, StageRequest, executors

__all__ = ["Executor", "StageExit", "StageRequest", "executors"]
