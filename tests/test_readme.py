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


def test_supported_pythons_agree_in_readme_pyproject_and_ci() -> None:
    """The README's supported versions, pyproject's classifiers and the Pythons .ci/run tests."""
    import tomllib

    readme = (ROOT / "README.md").read_text()
    line = re.search(r"Supported Python versions: ([0-9., and]+)", readme)
    assert line, "README must state the supported Python versions"
    stated = re.findall(r"3\.\d+", line.group(1))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    classified = [c.rsplit(" :: ", 1)[1] for c in project["classifiers"]
                  if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    assert stated == classified
    assert project["requires-python"] == f">={stated[0]}"
    ci = (ROOT / ".ci" / "run").read_text()
    others = re.search(r"^for version in ([0-9. ]+); do$", ci, re.M)
    assert others, "'.ci/run' must run the suite on the other supported Pythons"
    # The README's command runs on the default (oldest supported) Python; the loop the rest.
    assert others.group(1).split() == stated[1:]
    loop = ci[others.end():]
    assert "/bin/pip\" install -q -e '.[test]'" in loop and "/bin/pytest" in loop


def test_the_readme_soak_command_parses() -> None:
    from bench.soak import parse_args

    readme = (ROOT / "README.md").read_text()
    command = re.search(r"python -m bench\.soak([^\n`]*)", readme)
    assert command, "README must give the long soak's command"
    opts, _ = parse_args(command.group(1).split())
    assert opts.seconds >= 600 and opts.clients >= 64  # the run issue 11 asks for
