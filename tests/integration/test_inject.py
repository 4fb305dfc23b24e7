"""Dependency injection with real installers into a real throwaway venv, offline."""

from __future__ import annotations

import importlib.metadata
import os
import shlex
import subprocess
import venv
from pathlib import Path

import pytest

from tests.support.wheels import make_project, make_wheel
from vlmhyperbench.core import InstallItem, MissingDependency
from vlmhyperbench.envs.inject import (
    InstallError,
    environment_writable,
    find_installer,
    inject,
    installed_packages,
    unsatisfied,
)

OFFLINE = ["--no-index"]
PROBE = "VERSION = {version!r}\n"


def bin_path(env: Path, name: str) -> str:
    return str(env / ("Scripts" if os.name == "nt" else "bin") / name)


def run_python(python: str, code: str, **env: str) -> str:
    result = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, **env}
    )
    return result.stdout.strip()


@pytest.fixture(autouse=True)
def _private_uv_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # hand-made wheels reuse names and versions across tests; a shared cache could mix them up
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")


@pytest.fixture
def bare_venv(tmp_path: Path) -> str:
    """A venv without pip; its interpreter."""
    venv.EnvBuilder(with_pip=False).create(tmp_path / "venv")
    return bin_path(tmp_path / "venv", "python")


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    make_wheel(folder, "vlmhb-probe", "1.0.0", PROBE.format(version="1.0.0"))
    make_wheel(folder, "vlmhb-probe", "2.0.0", PROBE.format(version="2.0.0"))
    return folder


def test_find_installer_prefers_uv_for_the_given_interpreter(bare_venv: str) -> None:
    name, prefix = find_installer("uv", python=bare_venv)
    assert name == "uv" and prefix[1:] == ["pip", "install", "--python", bare_venv]
    assert Path(prefix[0]).name.startswith("uv")


def test_find_installer_without_uv_or_pip_raises_with_a_hint(bare_venv: str) -> None:
    with pytest.raises(MissingDependency) as info:
        find_installer("pip", python=bare_venv)
    assert "pip is not installed" in str(info.value) and "ensurepip" in str(info.value)
    with pytest.raises(MissingDependency, match="does not exist"):
        find_installer("uv", python="/nonexistent/python3")


def test_wheel_from_the_wheels_folder_is_installed_at_the_pinned_version(
    bare_venv: str, wheels: Path, tmp_path: Path
) -> None:
    log = tmp_path / "run" / "logs" / "install_infer.log"
    item = InstallItem(requirement="vlmhb-probe==1.0.0", source="pypi", package="vlmhb-probe")
    report = inject(
        [item],
        log_file=log,
        log_name="logs/install_infer.log",
        wheels=wheels,
        install_args=OFFLINE,
        python=bare_venv,
    )
    assert report is not None
    assert report.installer == "uv" and report.returncode == 0 and report.target is None
    assert report.log == "logs/install_infer.log" and report.duration_s > 0
    assert report.command[-4:] == ["--find-links", str(wheels), "--no-index", "vlmhb-probe==1.0.0"]
    assert run_python(bare_venv, "import vlmhb_probe; print(vlmhb_probe.VERSION)") == "1.0.0"
    code = "import importlib.metadata as m; print(m.version('vlmhb-probe'))"
    assert run_python(bare_venv, code) == "1.0.0"
    assert log.read_text("utf-8").splitlines()[0] == shlex.join(report.command)


def test_nothing_to_install_does_nothing(tmp_path: Path) -> None:
    assert inject([], log_file=tmp_path / "x.log", log_name="x.log") is None
    assert not (tmp_path / "x.log").exists()


def test_unresolvable_requirement_raises_with_the_log_tail_and_the_report(
    bare_venv: str, wheels: Path, tmp_path: Path
) -> None:
    log = tmp_path / "logs" / "install.log"
    items = [InstallItem(requirement="vlmhb-nonexistent-pkg==9.9", source="pypi")]
    with pytest.raises(InstallError) as info:
        inject(
            items,
            log_file=log,
            log_name="logs/install.log",
            wheels=wheels,
            install_args=OFFLINE,
            python=bare_venv,
        )
    text = str(info.value)
    assert "could not install vlmhb-nonexistent-pkg==9.9 with uv (exit code" in text
    tail = log.read_text("utf-8").splitlines()[-1].strip()
    assert tail and tail in text
    assert "hint: the whole log is logs/install.log" in text and str(wheels) in text
    report = info.value.report
    assert report is not None and report.returncode != 0 and report.installer == "uv"
    assert report.command[-1] == "vlmhb-nonexistent-pkg==9.9"


def test_read_only_environment_installs_into_a_target_folder(
    bare_venv: str, wheels: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    item = InstallItem(requirement="vlmhb-probe==2.0.0", source="pypi")
    report = inject(
        [item],
        log_file=tmp_path / "i.log",
        log_name="i.log",
        wheels=wheels,
        install_args=OFFLINE,
        python=bare_venv,
        writable=False,
        target=target,
    )
    assert report is not None and report.target == str(target)
    assert ["--target", str(target)] == report.command[5:7]
    assert (target / "vlmhb_probe.py").is_file()
    with pytest.raises(subprocess.CalledProcessError):
        run_python(bare_venv, "import vlmhb_probe")
    assert (
        run_python(bare_venv, "import vlmhb_probe; print(vlmhb_probe.VERSION)", PYTHONPATH=str(target))
        == "2.0.0"
    )


def test_environment_writable_checks_the_interpreters_site_packages(bare_venv: str) -> None:
    assert environment_writable(bare_venv) is True
    assert isinstance(environment_writable(), bool)


def test_local_wheel_path_is_mapped_and_installed(bare_venv: str, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "host", "vlmhb-local", "0.3.0", "X = 3\n")
    item = InstallItem(requirement="/host/vlmhb_local.whl", source="local", package="vlmhb-local")
    inject(
        [item],
        log_file=tmp_path / "i.log",
        log_name="i.log",
        install_args=OFFLINE,
        python=bare_venv,
        path_map={"/host/vlmhb_local.whl": str(wheel)},
    )
    assert run_python(bare_venv, "import vlmhb_local; print(vlmhb_local.X)") == "3"


def test_editable_local_project_follows_source_edits(bare_venv: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "src" / "probe_dev", "vlmhb-probe-dev", "0.1.0", "VALUE = 'first'\n")
    item = InstallItem(requirement=str(project), editable=True, source="local")
    report = inject(
        [item], log_file=tmp_path / "i.log", log_name="i.log", install_args=OFFLINE, python=bare_venv
    )
    assert report is not None and report.command[-2:] == ["-e", str(project)]
    code = "import vlmhb_probe_dev; print(vlmhb_probe_dev.VALUE)"
    assert run_python(bare_venv, code) == "first"
    (project / "vlmhb_probe_dev.py").write_text("VALUE = 'edited'\n", "utf-8")
    assert run_python(bare_venv, code) == "edited"


@pytest.mark.slow
def test_pip_installs_when_asked(tmp_path: Path, wheels: Path) -> None:
    venv.EnvBuilder(with_pip=True).create(tmp_path / "pipenv")
    python = bin_path(tmp_path / "pipenv", "python")
    report = inject(
        [InstallItem(requirement="vlmhb-probe>=2")],
        log_file=tmp_path / "i.log",
        log_name="i.log",
        installer="pip",
        wheels=wheels,
        install_args=OFFLINE,
        python=python,
    )
    assert report is not None and report.installer == "pip"
    assert report.command[:4] == [python, "-m", "pip", "install"]
    assert run_python(python, "import vlmhb_probe; print(vlmhb_probe.VERSION)") == "2.0.0"


def test_installed_packages_lists_this_interpreter_with_normalised_names() -> None:
    found = installed_packages()
    assert found["pydantic"] == importlib.metadata.version("pydantic")
    assert "typing-extensions" in found and "typing_extensions" not in found
    assert all(name == name.lower() for name in found)


def test_installed_packages_keeps_the_first_on_the_path(tmp_path: Path) -> None:
    import zipfile

    for version in ("1.0.0", "2.0.0"):
        wheel = make_wheel(tmp_path / "w", "Dup.Pkg", version, "")
        zipfile.ZipFile(wheel).extractall(tmp_path / f"site{version[0]}")
    assert installed_packages([str(tmp_path / "site2"), str(tmp_path / "site1")]) == {"dup-pkg": "2.0.0"}
    assert installed_packages([str(tmp_path / "site1"), str(tmp_path / "site2")]) == {"dup-pkg": "1.0.0"}


def test_unsatisfied_reports_wrong_versions_missing_and_unparsable_requirements() -> None:
    pyd = importlib.metadata.version("pydantic")
    items = [
        InstallItem(requirement=f"pydantic=={pyd}", source="pypi"),
        InstallItem(requirement="pydantic==0.0.1", source="pypi"),
        InstallItem(requirement="vlmhb-nonexistent-pkg>=1"),
        InstallItem(requirement="not a requirement!!"),
        InstallItem(requirement="vlmhb-nonexistent-pkg ; python_version < '3'"),
        InstallItem(requirement="PyYAML @ git+https://github.com/yaml/pyyaml@6.0", source="git"),
        InstallItem(requirement="vlmhb-gone @ git+https://example.org/x.git", source="git"),
        InstallItem(requirement="/somewhere/model_qwen", source="local", editable=True),
        InstallItem(requirement="git+https://example.org/y.git"),
    ]
    problems = unsatisfied(items)
    assert problems[0] == f"pydantic==0.0.1 ({pyd} installed)"
    assert problems[1] == "vlmhb-nonexistent-pkg>=1 (not installed)"
    assert problems[2].startswith("not a requirement!! (not a valid requirement")
    assert problems[3] == "vlmhb-gone @ git+https://example.org/x.git (not installed)"
    assert len(problems) == 4


def test_unsatisfied_accepts_an_explicit_inventory() -> None:
    items = [InstallItem(requirement="vlmhb-probe==2.0.0", source="pypi")]
    assert unsatisfied(items, {"vlmhb-probe": "1.0.0"}) == ["vlmhb-probe==2.0.0 (1.0.0 installed)"]
    assert unsatisfied(items, {"vlmhb-probe": "2.0.0"}) == []
