"""Hash-list readers: each format with good and hostile input. Pure parsing, no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bastion.banks import formats
from bastion.banks.formats import FormatError, MappingError, Notice, Row, RowError

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
MD5_B = "0cc175b9c0f1b6a831c399e269772661"
SHA1 = "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def items(path: Path, fmt: str, **kw) -> list:
    return list(formats.read(path, fmt, **kw))


def rows(found: list) -> list[Row]:
    return [x for x in found if isinstance(x, Row)]


def errors(found: list) -> list[RowError]:
    return [x for x in found if isinstance(x, RowError)]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_generic_csv_with_a_column_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", f"Hash,Grade,Ref\n{MD5.upper()},Cat B,r1\n")
    found = items(
        path, "csv", mapping=formats.parse_mapping(["md5=Hash", "category=Grade", "id=Ref"])
    )
    assert rows(found) == [Row(2, "md5", MD5, "Cat B", "r1", None, "add", "Cat B")]


def test_generic_csv_headers_named_after_fields_need_no_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", f"md5,sha1,category\n{MD5},{SHA1},A\n")
    assert [(r.signal_type, r.value) for r in rows(items(path, "csv"))] == [
        ("md5", MD5),
        ("sha1", SHA1),
    ]


def test_tsv_bom_and_crlf_are_handled(tmp_path: Path) -> None:
    path = write(tmp_path, "l.tsv", b"\xef\xbb\xbfmd5\tcategory\r\n" + f"{MD5}\tC\r\n".encode())
    found = rows(items(path, "csv"))
    assert len(found) == 1 and found[0].value == MD5 and found[0].label == "C"


def test_bad_hex_names_the_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", f"md5,category\n{MD5},A\n{'z' * 32},B\n{MD5[:-1]},C\n")
    bad = errors(items(path, "csv"))
    assert [e.line for e in bad] == [3, 4]
    assert "column 'md5'" in bad[0].reason and "not a hexadecimal digit" in bad[0].reason
    assert "expected 32 hexadecimal characters, got 31" in bad[1].reason


def test_row_without_any_hash_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "md5,category\n,A\n")
    assert errors(items(path, "csv"))[0].reason == "no hash in this row"


def test_mapping_to_a_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "Hash,Grade\n")
    with pytest.raises(MappingError, match="no column 'MD5'"):
        items(path, "csv", mapping={"md5": "MD5"})


def test_unknown_mapping_field_is_rejected() -> None:
    with pytest.raises(MappingError, match="unknown field 'colour'"):
        formats.parse_mapping(["colour=Red"])


def test_empty_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="empty"):
        items(write(tmp_path, "e.csv", ""), "csv")


def test_header_without_a_hash_column_says_how_to_map(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="--map md5=COLUMN"):
        items(write(tmp_path, "e.csv", "a,b\n1,2\n"), "csv")


def test_iwf_csv_yields_one_entry_per_hash_and_tells_about_photodna_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "iwf.csv",
        f"IWF ID,MD5,SHA-1,PhotoDNA,Category\r\n1,{MD5},{SHA1},AAAA,A\r\n2,{MD5_B},,BBBB,C\r\n",
    )
    found = items(path, "iwf")
    notices = [x for x in found if isinstance(x, Notice)]
    assert (
        len(notices) == 1
        and "PhotoDNA" in notices[0].message
        and "not matched" in notices[0].message
    )
    got = rows(found)
    assert [(r.signal_type, r.source_id, r.label) for r in got] == [
        ("md5", "1", "A"),
        ("sha1", "1", "A"),
        ("md5", "2", "C"),
    ]
    assert got[0].extra == {"photodna": "AAAA"}


def test_delta_csv_rows_carry_their_action(tmp_path: Path) -> None:
    path = write(
        tmp_path, "d.csv", f"md5,action\n{MD5},add\n{MD5_B},removed\n{SHA1[:32]},frobnicate\n"
    )
    found = items(path, "csv")
    assert [r.action for r in rows(found)] == ["add", "remove"]
    assert "frobnicate" in errors(found)[0].reason


def vics(records: list[dict], cases: bool = False) -> str:
    if cases:
        body = {
            "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases",
            "value": [{"CaseID": 1, "Media": records}],
        }
    else:
        body = {
            "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media",
            "value": records,
        }
    return json.dumps(body)


@pytest.mark.parametrize("cases", [False, True])
def test_vics_hash_set_and_case_export(tmp_path: Path, cases: bool) -> None:
    path = write(
        tmp_path,
        "v.json",
        "\ufeff"
        + vics(
            [
                {
                    "MediaID": 7,
                    "Category": 1,
                    "MD5": MD5.upper(),
                    "SHA1": SHA1.upper(),
                    "Series": "s",
                },
                {"MediaID": 8, "Category": None, "MD5": MD5_B},
            ],
            cases,
        ),
    )
    got = rows(items(path, "vics"))
    assert [(r.signal_type, r.value, r.label, r.source_id) for r in got] == [
        ("md5", MD5, "1", "7"),
        ("sha1", SHA1, "1", "7"),
        ("md5", MD5_B, None, "8"),
    ]
    assert got[0].extra == {"Series": "s"}


def test_vics_photodna_in_alternative_hashes_is_kept_as_metadata(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "v.json",
        vics([{"MD5": MD5, "AlternativeHashes": [{"HashName": "PhotoDNA", "HashValue": "Zm9v"}]}]),
    )
    found = items(path, "vics")
    assert any(isinstance(x, Notice) for x in found)
    assert rows(found)[0].extra == {"photodna": "Zm9v"}


def test_vics_record_without_hashes_and_bad_hash_are_row_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "v.json", vics([{"MediaID": 1}, {"MD5": "xyz"}]))
    bad = errors(items(path, "vics"))
    assert [(e.unit, e.line) for e in bad] == [("record", 1), ("record", 2)]


def test_broken_vics_json_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="not valid VICS JSON"):
        items(write(tmp_path, "v.json", '{"value": [{"MD5": '), "vics")


def test_json_without_media_records_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no Media records"):
        items(write(tmp_path, "v.json", '{"something": 1}'), "vics")


def test_plain_text_types_by_length_and_refuses_ambiguous_64(tmp_path: Path) -> None:
    path = write(tmp_path, "l.txt", f"# a comment\n{MD5}\n\n{SHA1}\n{PDQ}\nabc\n")
    found = items(path, "text")
    assert [(r.line, r.signal_type) for r in rows(found)] == [(2, "md5"), (4, "sha1")]
    assert [
        (e.line, "sha256 or pdq" in e.reason or "3-character" in e.reason) for e in errors(found)
    ] == [
        (5, True),
        (6, True),
    ]


def test_plain_text_with_a_declared_type(tmp_path: Path) -> None:
    path = write(tmp_path, "l.txt", f"{PDQ}\n{MD5}\n")
    found = items(path, "text", signal_type="pdq")
    assert rows(found)[0].value == PDQ
    assert "expected 64" in errors(found)[0].reason


def test_threatexchange_lines_and_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "te.txt",
        f"pdq {PDQ}\nvideo_md5 {MD5}\nsignal_type,signal_value,tags\npdq,{PDQ[::-1]},a;b\nraw_text hello\n",
    )
    found = items(path, "threatexchange")
    assert [(r.signal_type, r.extra) for r in rows(found)] == [
        ("pdq", None),
        ("md5", None),
        ("pdq", {"tags": ["a", "b"]}),
    ]
    assert "raw_text" in errors(found)[0].reason


def test_undecodable_bytes_fail_one_row_not_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "l.txt", MD5.encode() + b"\n\xff\xfe\xfd\n" + MD5_B.encode() + b"\n")
    found = items(path, "text")
    assert len(rows(found)) == 2 and [e.line for e in errors(found)] == [2]
