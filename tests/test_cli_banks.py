"""`bastion banks ...` and `bastion match` as a user runs them (real processes, real files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bastion.hashing import hash_file


def bastion(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bastion", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", **env},
        timeout=300,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request, tmp_path) -> dict[str, str]:
    e = {"BASTION_HOME": str(tmp_path / "home")}
    if request.param == "postgresql":
        from bastion.store import Store
        from tests.conftest import _truncate_all

        url = request.getfixturevalue("postgres_url")
        _truncate_all(Store.open(url))
        e["BASTION_DATABASE_URL"] = url
    return e


@pytest.fixture
def lists(tmp_path: Path, pdq_images: Path) -> dict[str, Path]:
    mods = sorted((pdq_images / "bridge-mods").glob("*.jpg"))
    a, b = hash_file(mods[0]), hash_file(mods[1])
    iwf = tmp_path / "iwf.csv"
    iwf.write_text(
        "ID,MD5,SHA1,PhotoDNA,Category\r\n"
        f"1,{a.digests.md5.upper()},{a.digests.sha1},QUFBQQ==,A\r\n"
        f"2,{b.digests.md5.upper()},,,C\r\n"
    )
    vics = tmp_path / "caid.json"
    pen = hash_file(pdq_images / "misc" / "pen-and-coaster.png")
    vics.write_text(
        json.dumps({"value": [{"MediaID": 9, "Category": 2, "MD5": pen.digests.md5.upper()}]})
    )
    plain = tmp_path / "pdq.txt"
    plain.write_text(hash_file(pdq_images / "dih" / "bridge-1-original.jpg").pdq.hex + "\n")
    return {"iwf": iwf, "vics": vics, "plain": plain}


def test_import_three_formats_list_them_and_match_files_and_hashes(env, lists, pdq_images) -> None:
    r = bastion(env, "banks", "import", str(lists["iwf"]), "--bank", "iwf-daily", "--format", "iwf")
    assert r.returncode == 0, r.stderr
    assert "PhotoDNA values are kept as source metadata but not matched" in r.stderr
    assert "3 added" in r.stdout
    r = bastion(
        env,
        "banks",
        "import",
        str(lists["vics"]),
        "--bank",
        "caid",
        "--source",
        "caid",
        "--category-map",
        "1=A,2=B,3=C",
    )
    assert r.returncode == 0, r.stderr
    r = bastion(env, "banks", "import", str(lists["plain"]), "--bank", "local-pdq", "--type", "pdq")
    assert r.returncode == 0, r.stderr

    listing = bastion(env, "banks", "list")
    assert listing.returncode == 0
    for name in ("iwf-daily", "caid", "local-pdq"):
        assert name in listing.stdout
    assert "A:2 C:1" in listing.stdout

    r = bastion(
        env,
        "match",
        "--json",
        str(pdq_images / "bridge-mods" / "aaa-orig.jpg"),
        str(pdq_images / "misc" / "pen-and-coaster.png"),
        str(pdq_images / "misc" / "c.png"),
    )
    assert r.returncode == 0, r.stderr
    by_item = {Path(rec["item"]).name: rec for rec in map(json.loads, r.stdout.splitlines())}
    assert by_item["aaa-orig.jpg"]["category"] == "A"
    assert {m["bank"] for m in by_item["aaa-orig.jpg"]["matches"]} == {"iwf-daily", "local-pdq"}
    assert by_item["pen-and-coaster.png"]["category"] == "B"
    assert by_item["pen-and-coaster.png"]["matches"][0]["source_label"] == "2"
    assert not by_item["c.png"]["matched"]

    md5 = hash_file(pdq_images / "bridge-mods" / "aaa-orig.jpg").digests.md5
    r = bastion(env, "match", md5)
    assert r.returncode == 0 and "iwf-daily" in r.stdout and "1 matched" in r.stderr


def test_a_bad_file_is_rejected_whole_with_every_bad_line(env, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("md5,category\n" + "0" * 31 + "1,A\nzz,B\n" + "f" * 32 + ",C\n")
    r = bastion(env, "banks", "import", str(bad), "--bank", "x")
    assert r.returncode == 1
    assert f"{bad}:3 (line)" in r.stderr and "nothing was imported" in r.stderr
    listing = bastion(env, "banks", "show", "x")
    assert "0 live entries" in listing.stdout


def test_show_export_remove_and_diff(env, lists, tmp_path) -> None:
    bastion(env, "banks", "import", str(lists["iwf"]), "--bank", "iwf", "--format", "iwf")
    out = tmp_path / "out.csv"
    r = bastion(env, "banks", "export", "iwf", "-o", str(out))
    assert r.returncode == 0 and len(out.read_text().splitlines()) == 4
    md5 = out.read_text().splitlines()[1].split(",")[0]
    r = bastion(env, "banks", "remove", "iwf", md5)
    assert r.returncode == 0 and "1 removed" in r.stdout
    r = bastion(env, "banks", "diff", "iwf")
    assert f"- md5 {md5}" in r.stdout
    r = bastion(env, "banks", "show", "iwf")
    assert "remove" in r.stdout and "2 live entries" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["banks", "show", "nope"], "no bank named 'nope'"),
        (["banks", "import", "/nonexistent.csv", "--bank", "x"], "no such file"),
        (["banks", "create", "x", "--source", "mars"], "--source 'mars'"),
        (["banks", "create", "x", "--source", "iwf", "--threshold", "99"], "outside 0..63"),
        (["match", "--bank", "ghost", "f" * 32], "no bank named 'ghost'"),
    ],
)
def test_wrong_arguments_get_clear_errors(env, args, message) -> None:
    r = bastion(env, *args)
    assert r.returncode != 0 and message in r.stderr
    assert "Traceback" not in r.stderr
