"""`bastion scan`: every reference accounted for, each file hashed once, kill-and-resume equals
a clean run, on real exports, folders and archives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from bastion.banks import formats
from bastion.cases.summary import references, summarise
from bastion.hashing import hash_file
from bastion.scan.pipeline import ScanError, ScanOptions, case_id, create_case, run_case, scan
from bastion.store import Store
from bastion.store.banks import BankStore
from tests.scan_fixtures import many_photos_export


def list_files(store: Store, files: list[Path], categories: str = "ABC") -> None:
    banks = BankStore(store)
    if not banks.exists("hotline"):
        banks.create("hotline", "iwf")
    rows = [
        formats.Row(i + 1, "md5", hash_file(p).digests.md5, categories[i % len(categories)])
        for i, p in enumerate(files)
    ]
    banks.import_items("hotline", rows)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    many_photos_export(folder, photos=30, formats=("json", "html"))
    return folder


def photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("photo_*.jpg") if "_thumb" not in p.name)


def test_every_reference_is_accounted_for_and_each_file_hashed_once(store, export) -> None:
    list_files(store, photos(export)[:3])
    cid = scan(store, export, "c1", ScanOptions(workers=2), "tester")
    summary = summarise(store, "c1")
    assert summary.accounted and summary.status == "complete"
    assert sum(summary.states.values()) == summary.references
    refs = list(references(store, cid))
    assert summary.references == len(refs)
    with store.session() as s:
        from sqlalchemy import func, select

        from bastion.store.models import CaseFileRow

        files = s.scalar(
            select(func.count()).select_from(CaseFileRow).where(CaseFileRow.case_id == cid)
        )
    readable_keys = {
        r.key
        for r in refs
        if r.state.value not in ("missing", "rejected") and r.reason != "export_limit"
    }
    assert files == len(readable_keys)  # the shared photo, named by 3 messages, is one file
    shared = [
        r for r in refs if r.chat_name == "Test Harbour" and r.message_id in (1000, 1010, 1020)
    ]
    assert len({r.key for r in shared}) == 1
    assert summary.states["missing"] == 1 and summary.states["too_large"] >= 1
    assert sum(summary.distinct_matched.values()) == 3


def test_matches_carry_chat_sender_date_and_owner(store, export) -> None:
    target = next(p for p in photos(export) if "chat_" in str(p))
    list_files(store, [target])
    cid = scan(store, export, "c2", ScanOptions(workers=1), "tester")
    matched = [r for r in references(store, cid) if r.state.value == "matched"]
    assert matched
    for r in matched:
        assert r.chat_type and r.date is not None and r.sender_id and r.sender_is_owner is not None
        assert r.matches[0]["bank"] == "hotline" and r.category == "A"


def test_html_layout_finds_the_same_matched_files(store, export) -> None:
    list_files(store, photos(export)[:4])
    scan(store, export, "json", ScanOptions(workers=1), "t")
    from bastion.sources import open_source

    with open_source(export, layout="html") as src:
        assert src.kind == "telegram_html"
    json_keys = {
        r.key for r in references(store, case_id(store, "json")) if r.state.value == "matched"
    }
    cid = create_case(
        store,
        "html",
        export / "messages.html"
        if (export / "messages.html").exists()
        else export / "export_results.html",
        ScanOptions(workers=1),
        "t",
    )
    run_case(store, cid, ScanOptions(workers=1))
    html_keys = {r.key for r in references(store, cid) if r.state.value == "matched"}
    assert html_keys == json_keys


def test_folder_and_zip_sources_with_a_hostile_entry(store, tmp_path) -> None:
    from bastion.synthetic import photo_like_jpeg

    folder = tmp_path / "folder"
    folder.mkdir()
    for i in range(5):
        (folder / f"p{i}.jpg").write_bytes(photo_like_jpeg(900 + i, 200, 150))
    (folder / "notes.txt").write_text("not a picture")
    list_files(store, [folder / "p1.jpg"])
    scan(store, folder, "folder", ScanOptions(workers=1), "t")
    s = summarise(store, "folder")
    assert s.accounted and s.states["matched"] == 1 and s.references == 6
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(folder.iterdir()):
            z.write(p, p.name)
        z.writestr("../escape.jpg", photo_like_jpeg(1, 50, 50))
    scan(store, archive, "zip", ScanOptions(workers=1), "t")
    z = summarise(store, "zip")
    assert z.accounted and z.states["matched"] == 1 and z.states["rejected"] == 1


def test_resume_refuses_when_banks_changed(store, export) -> None:
    list_files(store, photos(export)[:1])
    cid = create_case(store, "c3", export, ScanOptions(workers=1), "t")
    list_files(store, photos(export)[1:2])
    with pytest.raises(ScanError, match="banks changed"):
        run_case(store, cid, ScanOptions(workers=1))
    run_case(store, cid, ScanOptions(workers=1, accept_bank_changes=True))
    assert summarise(store, "c3").accounted


def test_a_case_name_is_used_once(store, export) -> None:
    list_files(store, photos(export)[:1])
    scan(store, export, "once", ScanOptions(workers=1), "t")
    with pytest.raises(ScanError, match="already exists"):
        create_case(store, "once", export, ScanOptions(), "t")


def _items(env: dict, case: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "bastion", "case", "items", case, "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_killed_mid_scan_then_resumed_equals_an_uninterrupted_run(tmp_path) -> None:
    export = tmp_path / "big-export"
    many_photos_export(export, photos=240)
    listed = photos(export)[::7]

    def env_for(name: str) -> dict:
        home = tmp_path / name
        store = Store.open(f"sqlite:///{home / 'bastion.db'}")
        list_files(store, listed)
        store.close()
        return {**os.environ, "BASTION_HOME": str(home), "COLUMNS": "150"}

    clean_env, killed_env = env_for("clean"), env_for("killed")
    cmd = [sys.executable, "-m", "bastion", "scan", str(export), "--case", "k", "--workers", "2"]
    subprocess.run(cmd, env=clean_env, check=True, capture_output=True)

    process = subprocess.Popen(
        cmd,
        env=killed_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    store = Store.open(f"sqlite:///{tmp_path / 'killed' / 'bastion.db'}")
    from sqlalchemy import func, select

    from bastion.store.models import CaseFileRow

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with store.session() as s:
            done = s.scalar(select(func.count()).select_from(CaseFileRow)) or 0
        if done >= 40:
            break
        assert process.poll() is None, (
            "the scan finished before it could be killed; make the fixture larger"
        )
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    interrupted = summarise(store, "k")
    assert not interrupted.accounted and interrupted.status == "running"

    resumed = subprocess.run(
        [sys.executable, "-m", "bastion", "scan", "--resume", "k"],
        env=killed_env,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "all accounted for" in resumed.stdout
    assert _items(killed_env, "k") == _items(clean_env, "k")
    with store.session() as s:
        keys = s.execute(select(CaseFileRow.key, func.count()).group_by(CaseFileRow.key)).all()
    assert all(n == 1 for _, n in keys)


def test_a_listed_video_in_an_export_is_matched_and_counted_as_moving(store, tmp_path) -> None:
    from datetime import timedelta

    from bastion.sources.telegram_synthetic import write_export
    from bastion.sources.telegram_synthetic.spec import Chat, Export, Media, Message
    from tests.scan_fixtures import ALICE, OWNER, START

    folder = tmp_path / "video-export"
    chat = Chat(
        id=4400000009,
        type="private_group",
        name="Clips",
        messages=[
            Message(
                id=1,
                date=START,
                sender=ALICE,
                media=Media("video", seed=31, pixels=(160, 120), duration=4),
            ),
            Message(
                id=2,
                date=START + timedelta(minutes=1),
                sender=OWNER,
                media=Media("photo", seed=32, pixels=(160, 120)),
            ),
        ],
    )
    write_export(Export(owner=OWNER, chats=(chat,)), folder)
    clip = next(folder.rglob("*.avi"))
    listed = hash_file(clip).vpdq
    assert listed is not None
    banks = BankStore(store)
    banks.create("videos", "caid")
    banks.import_items("videos", [formats.Row(1, "vpdq", listed.to_text(), "A")])
    cid = scan(store, folder, "v", ScanOptions(workers=1), "t")
    matched = [r for r in references(store, cid) if r.state.value == "matched"]
    assert (
        len(matched) == 1 and matched[0].moving and matched[0].matches[0]["signal_type"] == "vpdq"
    )
