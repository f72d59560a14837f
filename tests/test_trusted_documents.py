"""Trusted documents: registered operations by sha256; in trusted-only mode nothing else runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.cli import main
from gateway.http.trusted import sha256
from gateway.settings import SettingsError, load_settings

EXAMPLES = Path(__file__).resolve().parents[1] / "schema" / "examples"
ROSTER = (EXAMPLES / "roster.graphql").read_text()


@pytest.fixture
def manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    main(["manifest", str(EXAMPLES)])
    path = tmp_path / "manifest.json"
    path.write_text(capsys.readouterr().out)
    return path


def test_manifest_holds_every_example_by_its_hash(manifest: Path) -> None:
    data = orjson.loads(manifest.read_bytes())
    assert len(data) == len(list(EXAMPLES.glob("*.graphql")))
    assert data[sha256(ROSTER)] == ROSTER


async def test_trusted_only_runs_registered_documents_alone(make_gateway: Any, manifest: Path) -> None:
    gw = make_gateway(trusted_documents=manifest, trusted_only=True)
    by_id = await gw.client.post("/graphql", json={"documentId": f"sha256:{sha256(ROSTER)}"})
    assert by_id.status_code == 200 and by_id.json()["data"]["academicYear"]["students"]
    apollo = await gw.client.post("/graphql", json={
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(ROSTER)}}})
    assert apollo.status_code == 200 and "errors" not in apollo.json()
    free = await gw.client.post("/graphql", json={"query": "{ academicYear { students { upn } } }"})
    assert free.status_code == 400 and "trusted documents" in free.json()["errors"][0]["message"]
    unknown = await gw.client.post("/graphql", json={"documentId": "sha256:" + "0" * 64})
    assert unknown.status_code == 400
    gw.sim.reset()
    mismatch = await gw.client.post("/graphql", json={"documentId": f"sha256:{sha256(ROSTER)}",
                                                      "query": "{ school { name } }"})
    assert mismatch.status_code == 400 and gw.sim.counts.total() == 0


async def test_without_trusted_only_free_queries_still_run(make_gateway: Any, manifest: Path) -> None:
    gw = make_gateway(trusted_documents=manifest)
    data = await gw.gql("{ school { name } }")
    assert data["data"]["school"]["name"]


def test_trusted_only_needs_documents_and_a_valid_manifest(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GO4GRAPH_TRUSTED_DOCUMENTS"):
        load_settings(trusted_only=True)
    bad = tmp_path / "bad.json"
    bad.write_text(orjson.dumps({"0" * 64: "{ school { name } }"}).decode())
    with pytest.raises(SettingsError, match="GO4GRAPH_TRUSTED_DOCUMENTS"):
        load_settings(trusted_documents=bad)
