"""A folder source: every file once, in a fixed order; nothing outside the root is ever read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bastion.sources import ItemNotReadable, ItemStatus, MediaKind, RejectReason, open_source
from bastion.synthetic import photo_like_jpeg


def _items(path: Path) -> dict[str, object]:
    with open_source(path) as source:
        return {item.key: item for item in source.items()}


def test_files_are_listed_sorted_folder_by_folder(tmp_path: Path) -> None:
    for name in ["b.jpg", "a.jpg", "sub/z.png", "sub/inner/c.gif", "a2/x.bin"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    with open_source(tmp_path) as source:
        keys = [item.key for item in source.items()]
    assert keys == ["a.jpg", "b.jpg", "a2/x.bin", "sub/z.png", "sub/inner/c.gif"]
    assert keys == [item.key for item in open_source(tmp_path).items()]


def test_item_carries_size_kind_and_streams_its_bytes(tmp_path: Path) -> None:
    data = photo_like_jpeg(3)
    (tmp_path / "photo.jpg").write_bytes(data)
    with open_source(tmp_path) as source:
        (item,) = source.items()
        assert (item.status, item.kind, item.size, item.path) == (
            ItemStatus.AVAILABLE, MediaKind.PHOTO, len(data), "photo.jpg",
        )  # fmt: skip
        with source.open(item) as stream:
            assert stream.read() == data
        assert source.local_path(item) == (tmp_path / "photo.jpg").resolve()


def test_symlink_pointing_outside_the_root_is_rejected_and_never_opened(tmp_path: Path) -> None:
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.jpg").symlink_to(outside)
    with open_source(root) as source:
        (item,) = source.items()
        assert item.status is ItemStatus.REJECTED
        assert item.reason is RejectReason.SYMLINK_OUTSIDE
        assert item.path is None and source.local_path(item) is None
        with pytest.raises(ItemNotReadable):
            source.open(item)


def test_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real.jpg").write_bytes(b"abc")
    (tmp_path / "alias.jpg").symlink_to(tmp_path / "real.jpg")
    items = _items(tmp_path)
    assert items["alias.jpg"].status is ItemStatus.AVAILABLE
    assert items["alias.jpg"].size == 3


def test_symlinked_folder_outside_is_rejected_not_walked(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(b"x")
    root = tmp_path / "root"
    root.mkdir()
    (root / "door").symlink_to(outside, target_is_directory=True)
    items = _items(root)
    assert list(items) == ["door"]
    assert items["door"].reason is RejectReason.SYMLINK_OUTSIDE


def test_fifo_is_rejected_as_special_file_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")
    items = _items(tmp_path)
    assert items["pipe.jpg"].status is ItemStatus.REJECTED
    assert items["pipe.jpg"].reason is RejectReason.SPECIAL_FILE


def test_broken_symlink_is_missing(tmp_path: Path) -> None:
    (tmp_path / "gone.jpg").symlink_to(tmp_path / "never-there.jpg")
    assert _items(tmp_path)["gone.jpg"].status is ItemStatus.MISSING


def test_file_replaced_by_an_outside_link_after_listing_is_not_opened(tmp_path: Path) -> None:
    (tmp_path / "outside.jpg").write_bytes(b"secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.jpg").write_bytes(b"fine")
    with open_source(root) as source:
        (item,) = source.items()
        (root / "a.jpg").unlink()
        (root / "a.jpg").symlink_to(tmp_path / "outside.jpg")
        with pytest.raises(ItemNotReadable, match="resolves outside the root"):
            source.open(item)
