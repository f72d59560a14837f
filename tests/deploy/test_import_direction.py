"""Imports point one way: settings are validated without importing the layers (issue 14 item 6)."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = (f"import sys; {statement}; "
            "print('\\n'.join(m for m in sys.modules if m.startswith('gateway')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(out.stdout.split())


def test_settings_import_no_layer() -> None:
    loaded = _modules_after("import gateway.settings")
    # gateway.categories is a leaf (it imports nothing of the gateway): the data categories.
    assert loaded == {"gateway", "gateway.settings", "gateway.setting_values", "gateway.categories"}


def test_settings_still_check_every_value(monkeypatch) -> None:
    from gateway.settings import SettingsError, load_settings

    for name, value, words in [("GO4GRAPH_CACHE_TTLS", '{"markz": 5}', "unknown resource kind"),
                               ("GO4GRAPH_RATE_LIMIT", "lots", "600/minute"),
                               ("GO4GRAPH_TRUSTED_DOCUMENTS", "/nonexistent/x.json", "no such")]:
        monkeypatch.setenv(name, value)
        try:
            load_settings()
        except SettingsError as exc:
            assert name in str(exc) and words in str(exc)
        else:  # pragma: no cover
            raise AssertionError(f"{name}={value} was accepted")
        monkeypatch.delenv(name)
