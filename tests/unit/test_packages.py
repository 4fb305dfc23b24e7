"""The package registry: YAML definitions, dev overlays, install items and located errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from vlmhyperbench.core import ConfigError, InstallItem, SourceLocation
from vlmhyperbench.envs.packages import PackageRegistry, run_mode_from_env


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return path


def load_error(dirs: list[Path], run_mode: str = "prod") -> str:
    with pytest.raises(ConfigError) as info:
        PackageRegistry.load(dirs, run_mode)
    return str(info.value)


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    folder = tmp_path / "packages"
    write(
        folder / "vlmhb-probe.yaml",
        """
        name: vlmhb-probe
        description: Test probe
        source:
          pypi: {name: vlmhb-probe, version: "1.0.0"}
        """,
    )
    write(folder / "ranged.yaml", "source: {pypi: {name: Ranged_Pkg, version: '>=1,<2'}}\n")
    write(folder / "anyver.yaml", "source: {pypi: {name: anyver}}\n")
    write(
        folder / "fromgit.yaml",
        """
        source:
          git: {url: https://github.com/org/repo.git, ref: v0.1.1, subdirectory: pkg}
        install_args: [--no-deps]
        """,
    )
    write(folder / "gitplain.yaml", "source: {git: {url: 'git+ssh://git@host/repo.git'}}\n")
    (tmp_path / "model_qwen").mkdir()
    write(folder / "qwen.yaml", "source: {local: {path: ../model_qwen, editable: true}}\n")
    return folder


def test_pypi_git_and_local_sources_become_install_items(packages: Path, tmp_path: Path) -> None:
    reg = PackageRegistry.load([packages], "prod")
    assert reg.names() == ["anyver", "fromgit", "gitplain", "qwen", "ranged", "vlmhb-probe"]
    assert reg.install_item("vlmhb-probe") == InstallItem(
        requirement="vlmhb-probe==1.0.0", source="pypi", package="vlmhb-probe"
    )
    assert reg.install_item("ranged").requirement == "Ranged_Pkg>=1,<2"
    assert reg.install_item("anyver").requirement == "anyver"
    git = reg.install_item("fromgit")
    assert git.requirement == "fromgit @ git+https://github.com/org/repo.git@v0.1.1#subdirectory=pkg"
    assert git.source == "git" and git.package == "fromgit"
    assert reg.install_item("gitplain").requirement == "gitplain @ git+ssh://git@host/repo.git"
    local = reg.install_item("qwen")
    assert local == InstallItem(
        requirement=str((tmp_path / "model_qwen").resolve()), editable=True, source="local", package="qwen"
    )
    assert reg.get("fromgit").install_args == ["--no-deps"]
    assert reg.get("vlmhb-probe").description == "Test probe"
    assert "qwen" in reg and "nope" not in reg and len(reg) == 6


def test_missing_folders_are_empty(tmp_path: Path) -> None:
    reg = PackageRegistry.load([tmp_path / "absent"], "prod")
    assert reg.names() == [] and "x" not in reg


def test_a_later_folder_overrides_an_earlier_one(packages: Path, tmp_path: Path) -> None:
    user = tmp_path / "user"
    write(user / "vlmhb-probe.yaml", "source: {pypi: {name: vlmhb-probe, version: '2.0.0'}}\n")
    reg = PackageRegistry.load([packages, user], "prod")
    assert reg.install_item("vlmhb-probe").requirement == "vlmhb-probe==2.0.0"
    assert reg.install_item("anyver").requirement == "anyver"


def test_dev_overlay_replaces_top_level_keys_only_in_dev(packages: Path, tmp_path: Path) -> None:
    (tmp_path / "probe_src").mkdir()
    write(packages / "vlmhb-probe.dev.yaml", "source: {local: {path: ../probe_src, editable: true}}\n")
    prod = PackageRegistry.load([packages], "prod")
    assert prod.install_item("vlmhb-probe").source == "pypi"
    dev = PackageRegistry.load([packages], "dev")
    item = dev.install_item("vlmhb-probe")
    assert item.source == "local" and item.editable
    assert item.requirement == str((tmp_path / "probe_src").resolve())
    assert dev.get("vlmhb-probe").description == "Test probe"  # kept from the base file


def test_dev_only_package_exists_only_in_dev(packages: Path) -> None:
    write(packages / "debugtools.dev.yaml", "source: {pypi: {name: debugtools}}\n")
    assert "debugtools" not in PackageRegistry.load([packages], "prod")
    assert PackageRegistry.load([packages], "dev").install_item("debugtools").requirement == "debugtools"


def test_unknown_package_suggests_a_name_and_lists_the_folders(packages: Path, tmp_path: Path) -> None:
    reg = PackageRegistry.load([packages, tmp_path / "more"], "prod")
    with pytest.raises(ConfigError) as info:
        reg.install_item("vlmhb-prob", SourceLocation("exp.yaml", 4, 3, "runs[0].packages[0]"))
    text = str(info.value)
    assert text.startswith("exp.yaml:4:3 (runs[0].packages[0]): unknown package 'vlmhb-prob'")
    assert "did you mean 'vlmhb-probe'?" in text
    assert str(packages) in text and str(tmp_path / "more") in text


def test_invalid_yaml_is_located(tmp_path: Path) -> None:
    write(tmp_path / "p" / "bad.yaml", "source:\n  pypi: {name: x\n")
    text = load_error([tmp_path / "p"])
    assert "bad.yaml:3:" in text and "cannot parse" in text


def test_two_sources_are_an_error_at_source(tmp_path: Path) -> None:
    write(
        tmp_path / "p" / "two.yaml",
        """
        description: x
        source:
          pypi: {name: two}
          git: {url: https://x/y.git}
        """,
    )
    text = load_error([tmp_path / "p"])
    assert "two.yaml:2:1 (source): exactly one of pypi, git or local is required, got pypi and git" in text


def test_missing_source_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "p" / "nosrc.yaml", "description: x\n")
    write(tmp_path / "p" / "emptysrc.yaml", "description: x\nsource: {}\n")
    text = load_error([tmp_path / "p"])
    assert "nosrc.yaml:1:1 (source): required key is missing" in text
    assert "emptysrc.yaml:2:1 (source): exactly one of pypi, git or local is required, got none" in text


def test_unknown_keys_point_at_the_key(tmp_path: Path) -> None:
    write(
        tmp_path / "p" / "typo.yaml",
        """
        source:
          pypi: {name: typo, versoin: "1"}
        descripton: x
        """,
    )
    text = load_error([tmp_path / "p"])
    assert "typo.yaml:2:22 (source.pypi.versoin): unknown key" in text
    assert "typo.yaml:3:1 (descripton): unknown key" in text


def test_name_must_match_the_file_stem(tmp_path: Path) -> None:
    write(tmp_path / "p" / "probe.yaml", "source: {pypi: {name: a}}\nname: other\n")
    text = load_error([tmp_path / "p"])
    assert "probe.yaml:2:7 (name): name 'other' differs from the file name 'probe'" in text


def test_missing_local_path_names_the_path_and_file(tmp_path: Path) -> None:
    write(tmp_path / "p" / "loc.yaml", "description: x\nsource:\n  local: {path: ../gone}\n")
    text = load_error([tmp_path / "p"])
    assert "loc.yaml:3:17 (source.local.path): local path '../gone' does not exist" in text
    assert str((tmp_path / "gone").resolve()) in text


def test_errors_in_a_dev_overlay_point_at_the_overlay(packages: Path) -> None:
    write(packages / "vlmhb-probe.dev.yaml", "description: dev\nsource: {local: {path: nowhere}}\n")
    text = load_error([packages], "dev")
    assert "vlmhb-probe.dev.yaml:2:" in text and "(source.local.path)" in text
    PackageRegistry.load([packages], "prod")  # prod ignores the broken overlay


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path / "p" / "a.yaml", "source: {pypi: {}}\n")
    write(tmp_path / "p" / "b.yaml", "- not a mapping\n")
    text = load_error([tmp_path / "p"])
    assert "a.yaml:1:" in text and "(source.pypi.name): required key is missing" in text
    assert "b.yaml:1:1: a package definition must be a mapping" in text


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "prod"),
        ({"RUN_MODE": "prod"}, "prod"),
        ({"RUN_MODE": "dev"}, "dev"),
        ({"RUN_MODE": " DEV "}, "dev"),
    ],
)
def test_run_mode_from_env(environ: dict[str, str], expected: str) -> None:
    assert run_mode_from_env(environ) == expected


def test_unknown_run_mode_names_the_variable_and_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        run_mode_from_env({"RUN_MODE": "staging"})
    text = str(info.value)
    assert "RUN_MODE='staging'" in text and "'prod'" in text and "'dev'" in text
    with pytest.raises(ConfigError, match="RUN_MODE"):
        PackageRegistry.load([], "staging")
