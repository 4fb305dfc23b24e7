"""The stage's side of an environment: install what the run needs, then record where it ran.

Called by ``vlmhb stage`` inside whatever environment the executor made. When the
executor asks for it (``VLMHB_INSTALL=1``), the run's packages for this stage are
installed with uv (or pip) and the stage re-executes itself, so that every import sees
the installed versions. Then the environment — executor facts passed in, Python,
platform and every installed distribution — becomes an `EnvironmentInfo`.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
from pathlib import Path
from typing import Any

from ..core import EnvironmentInfo, InstallReport, RunDir, RunSpec, read_json_model, write_json_model
from ._protocol import ENV_FACTS, ENV_GPUS, ENV_INSTALL, ENV_INSTALL_REPORT, ENV_PATH_MAP, ENV_WHEELS

__all__ = ["assigned_gpus", "environment_info", "install_and_reexec"]

logger = logging.getLogger(__name__)


def _facts() -> dict[str, Any]:
    try:
        facts = json.loads(os.environ.get(ENV_FACTS, "") or "{}")
    except ValueError:
        return {}
    return facts if isinstance(facts, dict) else {}


def assigned_gpus() -> list[str]:
    """The GPUs (UUIDs) the GPU scheduler gave this stage (``VLMHB_GPUS``); logs what CUDA sees."""
    gpus = [g for g in os.environ.get(ENV_GPUS, "").split(",") if g]
    if gpus:
        logger.info(
            "GPUs assigned by the scheduler: %s (CUDA_VISIBLE_DEVICES=%s)",
            ", ".join(gpus),
            os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>"),
        )
    return gpus


def install_and_reexec(run_dir: RunDir, spec: RunSpec, stage: str, argv: list[str]) -> None:
    """Install the stage's packages and re-execute ``python argv``; return when there is nothing to do.

    Raises:
        InstallError: the installer failed; its log is in ``logs/install-<stage>.log``.
    """
    from .inject import inject

    items = spec.environment.items(stage)
    if os.environ.get(ENV_INSTALL) != "1" or not items:
        return
    path_map = json.loads(os.environ.get(ENV_PATH_MAP, "") or "{}")
    wheels = os.environ.get(ENV_WHEELS)
    log = run_dir.logs_dir / f"install-{stage}.log"
    executor = spec.environment.executor
    report = inject(
        items,
        log_file=log,
        log_name=str(log.relative_to(run_dir.root)),
        installer=executor.installer,
        wheels=Path(wheels) if wheels else None,
        install_args=executor.install_args,
        path_map=path_map,
    )
    env = dict(os.environ)
    env.pop(ENV_INSTALL, None)
    if report is not None:
        report_file = run_dir.logs_dir / f"install-{stage}.json"
        write_json_model(report_file, report)
        env[ENV_INSTALL_REPORT] = str(report_file)
        if report.target:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (report.target, env.get("PYTHONPATH")) if p)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *argv], env)


def environment_info(spec: RunSpec, stage: str) -> EnvironmentInfo:
    """Where this stage runs: the executor's facts plus what this interpreter sees."""
    from .inject import installed_packages, unsatisfied

    facts = _facts()
    report_path = os.environ.get(ENV_INSTALL_REPORT)
    report = read_json_model(Path(report_path), InstallReport) if report_path else None
    items = spec.environment.items(stage)
    info = EnvironmentInfo(
        executor=str(facts.get("executor") or "inline"),
        image=facts.get("image"),
        image_id=facts.get("image_id"),
        image_digests=list(facts.get("image_digests") or []),
        venv=facts.get("venv"),
        env_hash=facts.get("env_hash"),
        python=platform.python_version(),
        platform=platform.platform(),
        hostname=platform.node(),
        packages=installed_packages(),
        install=report,
        unsatisfied=unsatisfied(items) if report is None else [],
    )
    if info.unsatisfied:
        logger.warning(
            "run %s, stage %s: this environment does not satisfy %s (the %s executor installs nothing; "
            "use executor venv or docker to install the model's requirements)",
            spec.run_id,
            stage,
            ", ".join(info.unsatisfied),
            info.executor,
        )
    return info.with_id()
