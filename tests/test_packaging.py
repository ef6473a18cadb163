"""The wheel built from pyproject.toml holds every module and every data file the bot reads:
a non-editable install must not lose the safety screen's word list or a flow's steps."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from bot.settings import ROOT


def test_the_wheel_holds_every_module_and_data_file(tmp_path: Path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("trust_companion-*.whl")
    packed = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "bot"
    wanted = {
        path.relative_to(ROOT).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "bot/data/common_words.txt" in wanted and "bot/flows/exercises.py" in wanted
    assert wanted - packed == set()
    assert not any(name.startswith(("tests/", "bench/")) for name in packed)
