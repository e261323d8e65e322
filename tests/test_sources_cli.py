"""`bastion sources list` as a user runs it: a real process over a real export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bastion.sources.telegram_synthetic import demo_export, write_export


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bastion", *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        timeout=300,
    )


def test_sources_list_prints_one_json_line_per_item_and_a_summary(tmp_path: Path) -> None:
    written = write_export(demo_export(), tmp_path / "export", formats=("json",))
    result = run("sources", "list", str(tmp_path / "export"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    referenced = [r for r in records if r["telegram"]["section"] != "unreferenced"]
    assert len(referenced) == len(written.references)
    assert {r["status"] for r in records} >= {"available", "too_large", "not_included"}
    assert "items (telegram_json)" in result.stderr


def test_sources_list_reports_a_missing_path_clearly(tmp_path: Path) -> None:
    result = run("sources", "list", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr
