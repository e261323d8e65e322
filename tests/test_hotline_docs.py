"""docs/reports.md stays true: its example runs against the fake server and prints what the page
shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "reports.md"


def test_the_documented_example_prints_what_the_page_shows():
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    shown = re.search(r"prints \(.*?\):\n\n```\n(.*?)```", text, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})
    printed = out.getvalue().splitlines()
    for line in shown.splitlines():
        if line.endswith("..."):
            assert any(p.startswith(line.removesuffix("...").rstrip()) for p in printed)
        else:
            assert line in printed
    assert len(printed) == len(shown.splitlines())
