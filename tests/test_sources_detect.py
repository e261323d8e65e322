"""Given a path, the right source: folder, archive, Telegram JSON or HTML, and exports inside
archives."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from bastion.sources import ItemStatus, SourceNotFound, UnsupportedSource, open_source
from bastion.sources.telegram_synthetic import demo_export, write_export


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("both") / "DataExport_2024-03-06"
    write_export(demo_export(), root, formats=("json", "html"))
    return root


def _kind(path: Path, **options: str) -> str:
    with open_source(path, **options) as source:
        return source.kind


def test_folder_with_result_json_is_a_json_export_even_with_html_beside_it(both: Path) -> None:
    assert _kind(both) == "telegram_json"
    assert _kind(both, layout="html") == "telegram_html"
    assert _kind(both, layout="files") == "folder"


def test_main_files_open_their_export(both: Path) -> None:
    assert _kind(both / "result.json") == "telegram_json"
    assert _kind(both / "export_results.html") == "telegram_html"


def test_html_only_export_and_plain_folder(tmp_path: Path, both: Path) -> None:
    html = tmp_path / "html"
    shutil.copytree(both, html)
    (html / "result.json").unlink()
    assert _kind(html) == "telegram_html"
    assert _kind(both / "chats") == "folder"
    with pytest.raises(UnsupportedSource, match="no Telegram JSON export"):
        open_source(both / "chats", layout="json")


def test_export_zipped_with_its_folder_is_read_in_place(tmp_path: Path, both: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(both.rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(both.parent).as_posix())
    with open_source(both) as folder, open_source(archive) as zipped:
        expected = [(i.ref, i.status, i.path) for i in folder.items()]
        found = list(zipped.items())
        assert zipped.kind == "telegram_json"
        prefix = "DataExport_2024-03-06/"
        assert [(i.ref.replace(prefix, ""), i.status, i.path) for i in found] == [
            (ref, status, prefix + path if path else None) for ref, status, path in expected
        ]
        item = next(i for i in found if i.readable)
        with zipped.open(item) as stream:
            assert stream.read() == (both.parent / item.path).read_bytes()


@pytest.mark.parametrize("mode, suffix", [("w", ".tar"), ("w:gz", ".tgz")])
def test_export_in_a_tar_is_read_in_place(
    tmp_path: Path, both: Path, mode: str, suffix: str
) -> None:
    archive = tmp_path / f"export{suffix}"
    with tarfile.open(archive, mode) as out:
        out.add(both, arcname=both.name)
    with open_source(archive, layout="html") as source:
        items = list(source.items())
    assert source.kind == "telegram_html"
    assert sum(i.status is ItemStatus.AVAILABLE for i in items) > 20


def test_missing_path_and_unknown_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFound, match="no such file or folder"):
        open_source(tmp_path / "nothing")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UnsupportedSource, match="notes.txt"):
        open_source(tmp_path / "notes.txt")
