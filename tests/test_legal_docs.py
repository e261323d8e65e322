"""docs/legal.md stays true: its intake example is one the API accepts, its policy is the
default, and every `bastion legal` command it shows exists."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from bastion.cli import app as cli
from bastion.legal.policy import DEFAULT_POLICY, DisclosurePolicy
from bastion.service.routers.legal import IntakeIn
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "legal.md").read_text()


def test_the_intake_example_is_accepted() -> None:
    raw = re.search(r"-F 'intake=(\{.*?\})'", DOC, re.S).group(1)
    intake = IntakeIn.model_validate_json(raw)
    assert intake.accounts == ["acct-1", "acct-2", "acct-3"]


def test_the_policy_shown_is_the_default() -> None:
    raw = re.search(r"```json\n(.*?)```", DOC, re.S).group(1)
    assert DisclosurePolicy.from_dict(json.loads(raw)) == DEFAULT_POLICY


def test_every_legal_command_shown_exists() -> None:
    commands = set(re.findall(r"bastion legal ([a-z]+)", DOC))
    assert commands == {"keygen", "verify", "purge", "reminders", "transparency"}
    for command in commands:
        assert CliRunner().invoke(cli, ["legal", command, "--help"]).exit_code == 0, command
