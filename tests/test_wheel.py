"""The bundled playbooks ship inside the wheel: a non-editable install lists them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_wheel_install_lists_bundled_playbooks(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
        timeout=300,
    )
    [wheel] = dist.glob("soptui-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependencies come from this environment (no network needed); soptui itself only from the wheel.
    Path(site, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(venv / "bin" / "soptui"), "--language", "zh", "list", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    bundled = [p for p in listing["playbooks"] if p["origin"] == "bundled"]
    assert len(bundled) >= 14
    assert all(p["path"].startswith(site) for p in bundled)
    english = subprocess.run(
        [str(venv / "bin" / "soptui"), "--language", "en", "list", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert {p["id"] for p in json.loads(english.stdout)["playbooks"]} == {p["id"] for p in bundled}
    # The compiled Chinese catalogue ships in the wheel: --help and errors are Chinese.
    assert Path(site, "soptui", "locale", "zh_CN", "LC_MESSAGES", "soptui.mo").is_file()
    chinese = subprocess.run(
        [str(venv / "bin" / "soptui"), "--language", "zh", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (
        chinese.returncode == 0 and "用法：soptui" in chinese.stdout and "显示本帮助并退出" in chinese.stdout
    )
