"""Load guideline frameworks from their TOML data files, checking every field.

TOML because the files are written and reviewed by people: comments can carry reasons, dates
are dates, nothing is typed by guesswork (YAML reads `no` as false), and Python reads it with
the standard library (tomllib), so no dependency is added. The checks live beside each kind of
framework (england_wales_data.py, ussg_data.py) on top of schema.py: every key known (a typo is
an error, not a silently missing field), every datum cited, every reference resolved, ids
unique, every range containing its starting point, the image tiers contiguous, the Sentencing
Table complete.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from os import PathLike
from pathlib import Path

from bastion.guidelines.england_wales_data import EwParser
from bastion.guidelines.errors import GuidelineDataError, UnknownFramework
from bastion.guidelines.frameworks import Framework
from bastion.guidelines.schema import Table
from bastion.guidelines.ussg_data import UsParser

SCHEMA = 1
SHIPPED: dict[str, str] = {
    "ew-iioc-2014": "ew_iioc_2014.toml",
    "ussg-2g2-2": "ussg_2g2_2.toml",
}


def framework_ids() -> tuple[str, ...]:
    return tuple(SHIPPED)


@cache
def load_framework(framework_id: str) -> Framework:
    """A framework shipped with Bastion, by id (see `framework_ids()`)."""
    if framework_id not in SHIPPED:
        raise UnknownFramework(framework_id, framework_ids())
    resource = files("bastion.guidelines") / "data" / SHIPPED[framework_id]
    return parse_framework(resource.read_text(encoding="utf-8"), SHIPPED[framework_id])


def load_framework_file(path: str | PathLike[str]) -> Framework:
    """A framework from any data file (for example one being drafted)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise GuidelineDataError(str(file), "(file)", f"cannot read it: {error.strerror}") from None
    return parse_framework(text, str(file))


def parse_framework(text: str, file: str = "<data>") -> Framework:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GuidelineDataError(file, "(file)", f"not valid TOML: {error}") from None
    root = Table(data, file, "")
    schema = root.integer("schema")
    if schema != SCHEMA:
        raise GuidelineDataError(
            file, "schema", f"version {schema} is not supported (expected {SCHEMA})"
        )
    kind = root.table("framework").peek_text("kind")
    if kind == "ew-iioc":
        return EwParser(root).parse()
    if kind == "ussg-2g2-2":
        return UsParser(root).parse()
    raise GuidelineDataError(
        file, "framework.kind", f"{kind!r} is not a known kind (ew-iioc, ussg-2g2-2)"
    )
