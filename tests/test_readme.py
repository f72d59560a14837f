"""The README's two commands are the ones CI runs and the ones that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", readme)


def test_readme_has_exactly_two_setup_commands_first() -> None:
    commands = _commands()
    assert len(commands) >= 2
    serve, test = commands[0], commands[1]
    assert "pip install" in serve and "go4graph serve" in serve
    assert "pip install" in test and "pytest" in test


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test = _commands()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci.splitlines(), "'.ci/run' must run the README's test command verbatim"
