"""docs/cases.md stays true: its answers file is one Bastion reads, for chats the demo has."""

from __future__ import annotations

import re
from pathlib import Path

from bastion.cases import answers_file
from bastion.cases.answers import check_answer
from bastion.sources.telegram_synthetic import demo_export

DOC = Path(__file__).resolve().parents[1] / "docs" / "cases.md"


def test_the_documented_answers_file_is_valid_for_the_demo(tmp_path) -> None:
    block = re.search(r"<<'YAML'\n(.*?)YAML\n", DOC.read_text(encoding="utf-8"), re.S).group(1)
    path = tmp_path / "answers.yaml"
    path.write_text(block)
    data, source = answers_file.read(path)
    assert source.startswith("answers file answers.yaml (sha256 ")
    for question, entry in data["answers"].items():
        value = entry["value"] if isinstance(entry, dict) else entry
        check_answer(question, "yes" if value is True else "no" if value is False else value)
    chats = {c.name for c in demo_export().chats}
    assert {c["chat"] for c in data["chats"]} <= chats
