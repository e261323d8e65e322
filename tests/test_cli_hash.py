"""`bastion hash` as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bastion.synthetic import photo_like_jpeg


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bastion", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", "HOME": str(cwd or Path.cwd())},
        timeout=300,
    )


def test_json_lines_account_for_every_file_including_bad_ones(
    tmp_path: Path, pdq_images: Path
) -> None:
    (tmp_path / "good.jpg").write_bytes(photo_like_jpeg(1))
    (tmp_path / "notes.jpg").write_text("not a picture")
    (tmp_path / "empty.png").write_bytes(b"")
    result = run("hash", "--json", "--workers", "2", str(tmp_path), str(pdq_images / "misc"))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {Path(r["path"]).name: r for r in records}
    assert set(by_name) == {
        "good.jpg",
        "notes.jpg",
        "empty.png",
        "c.png",
        "pen-and-coaster.png",
        "small.jpg",
        "wee.jpg",
    }
    assert by_name["good.jpg"]["status"] == "hashed" and by_name["good.jpg"]["pdq_usable"]
    assert by_name["notes.jpg"]["reason"] == "unsupported"
    assert by_name["notes.jpg"]["md5"]  # digests even when the picture is unusable
    assert by_name["empty.png"]["reason"] == "empty"
    assert by_name["small.jpg"]["pdq_usable"] is False and by_name["small.jpg"]["quality"] == 0
    assert (
        "7 files" in result.stderr and "5 hashed" in result.stderr and "2 failed" in result.stderr
    )


def test_exact_mode_prints_the_reference_hash_in_the_table(pdq_images: Path) -> None:
    result = run("hash", "--mode", "exact", str(pdq_images / "misc" / "c.png"))
    assert result.returncode == 0, result.stderr
    assert "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064" in result.stdout


def test_dihedral_variants_in_json(pdq_images: Path) -> None:
    result = run("hash", "--json", "--dihedral", str(pdq_images / "dih" / "bridge-1-original.jpg"))
    record = json.loads(result.stdout)
    assert len(record["pdq_dihedral"]) == 8 and record["pdq_dihedral"][0] == record["pdq"]


def test_nothing_hashable_exits_non_zero(tmp_path: Path) -> None:
    result = run("hash", str(tmp_path / "missing.jpg"))
    assert result.returncode == 1
    assert "unreadable" in result.stderr and "missing.jpg" in result.stderr


def test_wrong_arguments_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    result = run("hash", "--mode", "slow", str(tmp_path))
    assert result.returncode == 2
    assert "--mode must be one of fast, exact" in result.stderr


def test_empty_folder_is_reported(tmp_path: Path) -> None:
    result = run("hash", str(tmp_path))
    assert result.returncode == 1
    assert "no files found" in result.stderr


def test_demo_scans_a_synthetic_export_end_to_end(tmp_path: Path) -> None:
    env = {"BASTION_HOME": str(tmp_path), "COLUMNS": "160", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bastion", "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "all accounted for" in result.stdout
    assert "distinct matched files by category: A 1  B 1  C" in result.stdout
    assert (tmp_path / "demo" / "telegram-export" / "result.json").is_file()
    again = subprocess.run(
        [sys.executable, "-m", "bastion", "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr  # re-runnable: a new case each time


def test_json_lines_carry_the_vpdq_of_a_video(tmp_path: Path) -> None:
    from bastion.signals.vpdq import parse_vpdq
    from tests.video_factory import video

    (tmp_path / "clip.mp4").write_bytes(video(seconds=3))
    result = run("hash", "--json", str(tmp_path / "clip.mp4"))
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["status"] == "hashed" and record["vpdq_frames"] == 3
    assert [f.number for f in parse_vpdq(record["vpdq"]).frames] == [0, 10, 20]
    assert record["video"]["codec"] == "h264"


def test_views_in_json_name_every_hash_matching_searches(tmp_path: Path) -> None:
    from PIL import Image

    from bastion.synthetic import photo_like

    boxed = Image.new("RGB", (640, 640))
    boxed.paste(photo_like(3, 640, 480), (0, 80))
    boxed.save(tmp_path / "letterboxed.png")
    result = run("hash", "--json", "--views", "--workers", "1", str(tmp_path / "letterboxed.png"))
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    names = [v["view"] for v in record["pdq_views"]]
    assert names[0] == "original" and "trimmed" in names and len(names) <= 10
    assert record["pdq_views"][0]["pdq"] == record["pdq"]
