"""The apptainer executor end to end, with a stand-in for the ``apptainer`` binary.

Apptainer cannot be installed on the machines this is tested on (no Debian package, no
PyPI wheel), so a small script takes its place on PATH: it checks the command line the
executor built (``exec --containall``, binds, image), takes the variables only from
``APPTAINERENV_*`` (as apptainer does with ``--cleanenv``), maps the bind targets back to
their host sources, and runs the stage with this Python. Everything around it is real:
the process, the event relay, the manifest's environment record with the image's
sha256, the answers' environment ids, and failures.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.factories import run_vlmhb, write_experiment

pytestmark = pytest.mark.slow

STAND_IN = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    args = sys.argv[1:]
    log = open({log!r}, "a")
    log.write(json.dumps(args) + "\\n")
    assert args[:2] == ["exec", "--containall"], args
    args = args[2:]
    binds, pwd = [], None
    while args[0].startswith("--"):
        flag = args.pop(0)
        if flag == "--bind":
            source, target, mode = args.pop(0).rsplit(":", 2)
            binds.append((target, source))
        elif flag in ("--pwd", "--network"):
            value = args.pop(0)
            pwd = value if flag == "--pwd" else pwd
    image, command = args[0], args[1:]
    if not os.path.exists(image):
        sys.exit("FATAL: could not open image " + image)
    def host(text):
        for target, source in sorted(binds, key=lambda b: -len(b[0])):
            text = text.replace(target, source)
        return text
    prefix = "APPTAINERENV_"
    env = {{k[len(prefix):]: host(v) for k, v in os.environ.items() if k.startswith(prefix)}}
    env["PATH"] = os.environ["PATH"]
    log.write(json.dumps(sorted(env)) + "\\n")
    log.close()
    os.chdir(host(pwd))
    command = [sys.executable if command[0] == "python3" else command[0], *map(host, command[1:])]
    os.execve(command[0], command, env)
    """
)


@pytest.fixture
def fake_apptainer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apptainer-calls.log"
    script = bin_dir / "apptainer"
    script.write_text(STAND_IN.format(python=sys.executable, log=str(log)), encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def test_stages_run_through_apptainer_and_the_image_is_recorded(
    tmp_path: Path, tiny_dataset: Path, openai_server, fake_apptainer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_API_KEY", "sekret")
    sif = tmp_path / "vlmhb.sif"
    sif.write_bytes(b"an image file")
    config = write_experiment(
        tmp_path / "e.yaml",
        tiny_dataset,
        base_url=openai_server.url,
        extra_options={"api_key_env": "MY_API_KEY"},
    )
    raw = yaml.safe_load(config.read_text())
    raw["executor"] = {"kind": "apptainer", "image": str(sif), "gpus": "none"}
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    done = run_vlmhb("run", str(config), timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_dir = tmp_path / "runs" / "exp" / "r1"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "completed"
    sha = "sha256:" + hashlib.sha256(sif.read_bytes()).hexdigest()
    for stage in ("infer", "evaluate", "report"):
        env = manifest["environments"][manifest["stages"][stage]["environment"]]
        assert env["executor"] == "apptainer" and env["image"] == str(sif) and env["image_id"] == sha
    answers = [json.loads(line) for line in (run_dir / "answers.jsonl").read_text().splitlines()]
    assert {a["env"] for a in answers} == {manifest["stages"]["infer"]["environment"]}
    assert all(r.headers.get("authorization") == "Bearer sekret" for r in openai_server.requests)

    calls = [json.loads(line) for line in fake_apptainer.read_text().splitlines()]
    argvs, variables = calls[0::2], calls[1::2]
    assert len(argvs) == 3  # one container per stage
    assert "--network" not in argvs[0] and argvs[1][argvs[1].index("--network") + 1] == "none"
    assert "MY_API_KEY" in variables[0] and "MY_API_KEY" not in variables[1]  # the secret: inference only
    assert not any("sekret" in arg for argv in argvs for arg in argv)  # never on a command line


def test_a_missing_image_fails_the_run_with_a_clear_reason(
    tmp_path: Path, tiny_dataset: Path, fake_apptainer: Path
) -> None:
    config = {
        "name": "x",
        "executor": {"kind": "apptainer", "image": str(tmp_path / "missing.sif")},
        "runs": [{"name": "r", "task": "vqa", "dataset": str(tiny_dataset), "model": "tesseract-eng"}],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    done = run_vlmhb("run", str(path), "-o", str(tmp_path / "runs"))
    assert done.returncode == 1
    manifest = json.loads((tmp_path / "runs" / "x" / "r" / "manifest.json").read_text())
    assert "missing.sif does not exist" in manifest["stages"]["infer"]["error"]
    assert not fake_apptainer.exists()  # nothing was started
