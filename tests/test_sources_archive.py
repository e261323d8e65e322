"""Zip and tar read in place: hostile names, links and bombs are refused with a reason, members
are streamed, and nothing is extracted to disk."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from bastion.sources import (
    ArchiveBombError,
    ArchiveLimits,
    ItemNotReadable,
    ItemStatus,
    RejectReason,
    open_source,
)
from bastion.synthetic import photo_like_jpeg


def _zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, target)
    return path


def _tar(path: Path, members: dict[str, bytes], mode: str = "w", **links: str) -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name.replace("__", "/"))
            hard = target.startswith("hard:")
            info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
            info.linkname = target.removeprefix("hard:")
            archive.addfile(info)
    return path


def _items(path: Path, limits: ArchiveLimits | None = None) -> dict[str, object]:
    kwargs = {"limits": limits} if limits else {}
    with open_source(path, **kwargs) as source:
        return {item.key: item for item in source.items()}


def test_zip_members_are_listed_by_name_and_streamed(tmp_path: Path) -> None:
    photo = photo_like_jpeg(4)
    archive = _zip(tmp_path / "a.zip", {"z/last.jpg": b"z", "first.jpg": photo})
    with open_source(archive) as source:
        items = list(source.items())
        assert source.kind == "zip"
        assert [item.key for item in items] == ["first.jpg", "z/last.jpg"]
        with source.open(items[0]) as stream:
            assert stream.read(10) == photo[:10]
            assert stream.read() == photo[10:]
        assert source.local_path(items[0]) is None
    assert not (tmp_path / "first.jpg").exists()


@pytest.mark.parametrize("suffix, mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz")])
def test_tar_members_are_streamed_in_archive_order(tmp_path: Path, suffix: str, mode: str) -> None:
    archive = _tar(tmp_path / f"a{suffix}", {"b.jpg": b"bbb", "a.jpg": b"aa"}, mode)
    with open_source(archive) as source:
        items = list(source.items())
        assert [item.key for item in items] == ["b.jpg", "a.jpg"]
        assert [source.open(item).read() for item in items] == [b"bbb", b"aa"]


@pytest.mark.parametrize(
    "name, reason",
    [
        ("../escape.jpg", RejectReason.ARCHIVE_TRAVERSAL),
        ("a/../../escape.jpg", RejectReason.ARCHIVE_TRAVERSAL),
        ("/etc/passwd", RejectReason.ABSOLUTE_PATH),
        ("C:/Windows/win.ini", RejectReason.ABSOLUTE_PATH),
        ("..\\..\\escape.jpg", RejectReason.ARCHIVE_TRAVERSAL),
    ],
)
def test_hostile_zip_entry_names_are_rejected(
    tmp_path: Path, name: str, reason: RejectReason
) -> None:
    items = _items(_zip(tmp_path / "a.zip", {name: b"x", "ok.jpg": b"y"}))
    assert items[name].status is ItemStatus.REJECTED
    assert items[name].reason is reason
    assert items[name].path is None
    assert items["ok.jpg"].status is ItemStatus.AVAILABLE


def test_hostile_tar_entry_names_are_rejected(tmp_path: Path) -> None:
    items = _items(_tar(tmp_path / "a.tar", {"../up.jpg": b"x", "/abs.jpg": b"y"}))
    assert items["../up.jpg"].reason is RejectReason.ARCHIVE_TRAVERSAL
    assert items["/abs.jpg"].reason is RejectReason.ABSOLUTE_PATH


def test_zip_symlink_out_of_the_archive_is_rejected(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "a.zip",
        {"photos/real.jpg": b"data"},
        {"photos/out.jpg": "../../etc/passwd", "photos/abs.jpg": "/etc/passwd", "photos/in.jpg": "real.jpg"},
    )  # fmt: skip
    with open_source(archive) as source:
        items = {item.key: item for item in source.items()}
        assert items["photos/out.jpg"].reason is RejectReason.LINK_OUTSIDE
        assert items["photos/abs.jpg"].reason is RejectReason.LINK_OUTSIDE
        assert items["photos/in.jpg"].status is ItemStatus.AVAILABLE
        assert source.open(items["photos/in.jpg"]).read() == b"data"


def test_tar_links_out_are_rejected_links_in_read_their_target(tmp_path: Path) -> None:
    archive = _tar(
        tmp_path / "a.tar",
        {"d/real.jpg": b"data"},
        d__sym_out="../../etc/passwd",
        d__hard_out="hard:../etc/shadow",
        d__sym_in="real.jpg",
        d__hard_in="hard:d/real.jpg",
        d__dangling="nothing.jpg",
    )
    with open_source(archive) as source:
        items = {item.key: item for item in source.items()}
        assert items["d/sym_out"].reason is RejectReason.LINK_OUTSIDE
        assert items["d/hard_out"].reason is RejectReason.LINK_OUTSIDE
        assert items["d/dangling"].status is ItemStatus.MISSING
        for name in ("d/sym_in", "d/hard_in"):
            assert source.open(items[name]).read() == b"data"


def test_tar_device_and_fifo_entries_are_special_files(tmp_path: Path) -> None:
    path = tmp_path / "a.tar"
    with tarfile.open(path, "w") as archive:
        for name, kind in (("dev", tarfile.CHRTYPE), ("pipe", tarfile.FIFOTYPE)):
            info = tarfile.TarInfo(name)
            info.type = kind
            archive.addfile(info)
    items = _items(path)
    assert {item.reason for item in items.values()} == {RejectReason.SPECIAL_FILE}


def test_zip_entry_with_a_bomb_compression_ratio_is_rejected(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "a.zip", {"zeros.jpg": b"\0" * (8 << 20), "ok.jpg": photo_like_jpeg(1)}
    )
    items = _items(archive)
    assert items["zeros.jpg"].reason is RejectReason.ARCHIVE_BOMB
    assert "times" in items["zeros.jpg"].detail
    assert items["ok.jpg"].status is ItemStatus.AVAILABLE


def test_entry_declaring_more_than_the_entry_limit_is_rejected(tmp_path: Path) -> None:
    limits = ArchiveLimits(max_entry_bytes=1000)
    items = _items(_zip(tmp_path / "a.zip", {"big.jpg": photo_like_jpeg(2)}), limits)
    assert items["big.jpg"].reason is RejectReason.ARCHIVE_BOMB
    items = _items(_tar(tmp_path / "a.tar", {"big.jpg": b"x" * 2000}), limits)
    assert items["big.jpg"].reason is RejectReason.ARCHIVE_BOMB


def test_too_many_entries_refuses_the_whole_archive(tmp_path: Path) -> None:
    members = {f"{n}.jpg": b"x" for n in range(20)}
    limits = ArchiveLimits(max_entries=10)
    for archive in (_zip(tmp_path / "a.zip", members), _tar(tmp_path / "a.tar", members)):
        with pytest.raises(ArchiveBombError, match="entries"):
            open_source(archive, limits=limits)


def test_declared_total_over_the_limit_refuses_the_whole_archive(tmp_path: Path) -> None:
    members = {f"{n}.jpg": b"x" * 600 for n in range(3)}
    limits = ArchiveLimits(max_total_bytes=1000)
    for archive in (_zip(tmp_path / "a.zip", members), _tar(tmp_path / "a.tar", members)):
        with pytest.raises(ArchiveBombError, match="in all"):
            open_source(archive, limits=limits)


def test_compressed_tar_expanding_past_the_ratio_is_refused(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "bomb.tar.gz", {"zeros.bin": b"\0" * (16 << 20)}, "w:gz")
    with pytest.raises(ArchiveBombError, match="expands more than"):
        open_source(archive)


def test_member_yielding_more_than_it_declared_stops_reading(tmp_path: Path) -> None:
    path = tmp_path / "lying.zip"
    _zip(path, {"a.jpg": b"A" * 64})
    # Lower the declared size in both headers; the compressed data still holds 64 bytes.
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        raw[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with open_source(path) as source:
        (item,) = source.items()
        assert item.size == 10
        with pytest.raises((ArchiveBombError, ItemNotReadable)):
            source.open(item).read()


def test_encrypted_zip_entry_is_rejected(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip", {"a.jpg": b"x"})
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        raw[at + offset] |= 0x1
    path.write_bytes(bytes(raw))
    assert _items(path)["a.jpg"].reason is RejectReason.ENCRYPTED
