"""The one Registry: decorators, duplicates, "did you mean", entry-point plugins."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from vlmhyperbench.core import ConfigError, Registry


def test_unknown_name_suggests_the_closest() -> None:
    reg: Registry[object] = Registry("widgets", list_command="vlmhb widgets list")
    reg.register("anls")(object())
    with pytest.raises(ConfigError) as info:
        reg.get("anl")
    assert "unknown widget 'anl'" in str(info.value)
    assert "did you mean 'anls'? `vlmhb widgets list` shows every one" in str(info.value)


def test_duplicate_names_from_different_code_fail_naming_both() -> None:
    reg: Registry[type] = Registry("widgets")

    class A:
        pass

    class B:
        pass

    reg.register("x")(A)
    with pytest.raises(ConfigError, match=r"registered twice: by .*A and by .*B"):
        reg.register("x")(B)


def test_third_party_metric_is_loaded_from_an_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "vlmhb_test_plugin"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent('''
        from vlmhyperbench.metrics import Metric, Score, register_metric

        @register_metric("always_one", version="0.1.0", higher_is_better=True)
        class AlwaysOne(Metric):
            """Scores 1."""
            def score(self, answer, sample):
                return Score(1.0)
    ''')
    )
    dist = tmp_path / "vlmhb_test_plugin-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: vlmhb-test-plugin\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[vlmhyperbench.metrics]\nplugin = vlmhb_test_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from vlmhyperbench.metrics import _base

    fresh = Registry("metrics", list_command="vlmhb metrics list")
    monkeypatch.setattr(_base, "metrics", fresh)
    monkeypatch.delitem(sys.modules, "vlmhb_test_plugin", raising=False)
    entry = fresh.entry("always_one")
    assert entry.version == "0.1.0" and entry.origin == "vlmhb_test_plugin:AlwaysOne"
