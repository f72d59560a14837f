"""Runs last (see conftest): no key or token used anywhere in the session appears in a log line."""

from __future__ import annotations


def test_no_secrets_in_logs(captured_logs: list[str], secrets: set[str]) -> None:
    assert captured_logs, "no log lines were captured: the audit would prove nothing"
    leaks = [(s[:6] + "…", line[:200]) for line in captured_logs for s in secrets if s in line]
    assert not leaks, f"secrets found in {len(leaks)} log lines: {leaks[:3]}"
