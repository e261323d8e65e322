"""docs/guidelines.md stays true: its runnable example runs and prints what the page shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "guidelines.md"


def test_the_documented_example_prints_what_the_page_shows():
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    shown = re.search(r"prints \(.*?\):\n\n```\n(.*?)```", text, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})
    printed = out.getvalue().splitlines()
    for line in shown.splitlines():
        if "..." not in line:  # the page shortens one long line
            assert line in printed
    assert len(printed) == len(shown.splitlines())
