"""The deployment files, checked by real tools and read as an operator would.

- every Kubernetes manifest validates (kubernetes-validate, strict, two Kubernetes versions);
- checkov finds no failed check in deploy/ (--framework kubernetes) nor in the Dockerfile
  (--framework dockerfile); every skip carries its reason;
- the compose file validates against the compose specification's JSON schema
  (check-jsonschema's vendored copy);
- each tool is shown to fail on a broken file, so a pass means something;
- and the properties the issue asks for are read from the files themselves.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import ensure_tools

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
COMPOSE = DEPLOY / "compose.yaml"


@pytest.fixture(scope="module")
def tools() -> Path:
    return ensure_tools()


def _run(cmd: list[str | Path], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600,
                          cwd=ROOT, **kw)


def _docs() -> list[dict[str, Any]]:
    return [d for path in MANIFESTS for d in yaml.safe_load_all(path.read_text()) if d]


def _pods() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d["spec"]["template"] for d in _docs()
            if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet")}


# --- the real tools ------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.31.0", "1.37.0"])
def test_every_manifest_validates(tools: Path, version: str) -> None:
    assert len(MANIFESTS) >= 4
    result = _run([tools / "kubernetes-validate", "--strict", "-k", version, *MANIFESTS])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed for resource") == len(_docs())


@pytest.fixture(scope="module")
def checkov(tools: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One checkov run (it takes ~15 s to start) over copies of deploy/ and the Dockerfile,
    next to a broken manifest and a broken Dockerfile that it must fail."""
    tree = tmp_path_factory.mktemp("checkov")
    shutil.copytree(DEPLOY, tree / "deploy")
    shutil.copy(ROOT / "Dockerfile", tree / "Dockerfile")
    (tree / "broken").mkdir()
    (tree / "broken" / "pod.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"},
        "spec": {"containers": [{"name": "c", "image": "go4graph:latest"}]}}))
    (tree / "broken" / "Dockerfile").write_text("FROM python:latest\nRUN echo root\n")
    result = _run([tools / "checkov", "-d", tree, "--framework", "kubernetes", "dockerfile",
                   "--output", "json", "--skip-download", "--compact"],
                  env={"PATH": str(tools), "HOME": str(Path.home()), "LOG_LEVEL": "ERROR"})
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]  # the broken files
    report = json.loads(result.stdout)
    by_type = {r["check_type"]: r["results"] for r in (report if isinstance(report, list) else [report])}
    assert set(by_type) == {"kubernetes", "dockerfile"}
    return by_type


def _outcomes(results: dict[str, Any], kind: str, prefix: str) -> list[dict[str, Any]]:
    return [c for c in results.get(f"{kind}_checks", []) if c["file_path"].startswith(prefix)]


def _names(checks: list[dict[str, Any]]) -> list[str]:
    return [f"{c['check_id']} {c['check_name']} ({c['file_path']}: {c['resource']})" for c in checks]


def test_checkov_kubernetes_has_no_failed_check(checkov: dict[str, Any]) -> None:
    results = checkov["kubernetes"]
    assert _names(_outcomes(results, "failed", "/deploy/")) == []
    assert len(_outcomes(results, "passed", "/deploy/")) >= 150  # it did scan every resource
    skipped = _outcomes(results, "skipped", "/deploy/")
    for skip in skipped:  # a skip says why, in the manifest
        assert skip["check_id"] == "CKV_K8S_43", skip["check_id"]  # only the digest pin (README)
        assert len((skip.get("check_result") or {}).get("suppress_comment", "")) > 20


def test_checkov_dockerfile_has_no_failed_check(checkov: dict[str, Any]) -> None:
    results = checkov["dockerfile"]
    assert _names(_outcomes(results, "failed", "/Dockerfile")) == []
    assert len(_outcomes(results, "passed", "/Dockerfile")) >= 50
    assert _outcomes(results, "skipped", "/Dockerfile") == []


def test_checkov_fails_the_broken_files(checkov: dict[str, Any]) -> None:
    assert len(_outcomes(checkov["kubernetes"], "failed", "/broken/pod.yaml")) > 10
    assert len(_outcomes(checkov["dockerfile"], "failed", "/broken/Dockerfile")) >= 2


def test_the_compose_file_validates_against_the_compose_spec(tools: Path, tmp_path: Path) -> None:
    ok = _run([tools / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = yaml.safe_load(COMPOSE.read_text())
    broken["services"]["gateway"]["replica"] = 2  # a misspelt key
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump(broken))
    bad = _run([tools / "check-jsonschema", "--builtin-schema", "vendor.compose-spec",
                tmp_path / "compose.yaml"])
    assert bad.returncode == 1 and "replica" in bad.stdout


def test_kubernetes_validate_fails_an_unknown_field(tools: Path, tmp_path: Path) -> None:
    doc = next(d for d in _docs() if d["kind"] == "Deployment")
    doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(doc))
    result = _run([tools / "kubernetes-validate", "--strict", tmp_path / "bad.yaml"])
    assert result.returncode != 0


# --- what the files say ----------------------------------------------------------------------

def test_every_object_is_in_the_go4graph_namespace() -> None:
    for doc in _docs():
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        else:
            assert doc["metadata"].get("namespace") == "go4graph", doc["metadata"]["name"]


@pytest.mark.parametrize("name", ["go4graph", "go4graph-redis"])
def test_every_pod_meets_the_restricted_pod_security_standard(name: str) -> None:
    pod = _pods()[name]["spec"]
    assert pod["automountServiceAccountToken"] is False
    ctx = pod["securityContext"]
    assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] >= 10000
    assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    for c in pod["containers"]:
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+(-[\w.]+)?", c["image"]), c["image"]
        assert c["readinessProbe"] and c["livenessProbe"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(c["resources"][kind])
        assert "env" not in c or all("valueFrom" not in e for e in c["env"])  # secrets as files


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = policy["spec"]["podSelector"].get("matchLabels", {})
    return all(labels.get(k) == v for k, v in wanted.items())


def test_network_policies_let_only_the_ingress_reach_the_gateway_and_only_it_reach_redis() -> None:
    policies = [d for d in _docs() if d["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny[0]["spec"] and "egress" not in deny[0]["spec"]
    gateway_labels = _pods()["go4graph"]["metadata"]["labels"]
    redis_labels = _pods()["go4graph-redis"]["metadata"]["labels"]
    [redis_policy] = [p for p in policies if p["spec"]["podSelector"] != {} and _selects(p, redis_labels)]
    [rule] = redis_policy["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": gateway_labels}}]
    assert redis_policy["spec"]["egress"] == []
    [gw_policy] = [p for p in policies if p["spec"]["podSelector"] != {} and _selects(p, gateway_labels)]
    [rule] = gw_policy["spec"]["ingress"]
    assert [list(f) for f in rule["from"]] == [["namespaceSelector"]]  # the ingress controller only
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]


def test_the_gateway_drains_within_its_grace_period_and_has_a_disruption_budget() -> None:
    gateway = _pods()["go4graph"]["spec"]
    env = {e["name"]: e["value"] for e in gateway["containers"][0]["env"]}
    drain, shutdown = float(env["GO4GRAPH_DRAIN_SECONDS"]), float(env["GO4GRAPH_SHUTDOWN_TIMEOUT"])
    probe = gateway["containers"][0]["readinessProbe"]
    assert drain >= probe["periodSeconds"] * probe.get("failureThreshold", 3)  # seen unready first
    assert gateway["terminationGracePeriodSeconds"] > drain + shutdown
    [pdb] = [d for d in _docs() if d["kind"] == "PodDisruptionBudget"]
    assert pdb["spec"]["selector"]["matchLabels"] == _pods()["go4graph"]["metadata"]["labels"]
    deployment = next(d for d in _docs() if d["kind"] == "Deployment" and d["metadata"]["name"] == "go4graph")
    assert pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_redis_has_a_password_from_a_secret_and_the_gateway_its_url_from_one() -> None:
    redis = _pods()["go4graph-redis"]["spec"]
    script = " ".join(redis["containers"][0]["command"])
    assert "requirepass $(cat /run/secrets/redis/password)" in script
    assert {"name": "redis-secret", "secret": {"secretName": "go4graph-redis", "defaultMode": 0o440}} \
        in redis["volumes"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert "REDISCLI_AUTH" in " ".join(redis["containers"][0][probe]["exec"]["command"])
    gateway = _pods()["go4graph"]["spec"]
    env = {e["name"]: e["value"] for e in gateway["containers"][0]["env"]}
    assert "GO4GRAPH_CACHE_URL" not in env and "GO4GRAPH_CACHE_SECRET" not in env
    mounts = {m["mountPath"]: m["name"] for m in gateway["containers"][0]["volumeMounts"]}
    secret = {v["name"]: v for v in gateway["volumes"]}[mounts[env["GO4GRAPH_SECRETS_DIR"]]]
    assert secret["secret"]["secretName"] == "go4graph-gateway"


def test_compose_redis_password_two_replicas_and_optional_files() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    gateway, redis = services["gateway"], services["redis"]
    assert gateway["deploy"]["replicas"] == 2
    assert "gateway:8000" in (DEPLOY / "nginx.conf").read_text()
    assert any(v.endswith(":/etc/go4graph:ro") for v in gateway["volumes"])
    assert gateway["environment"]["GO4GRAPH_SCHOOLS_FILE"] == "${GO4GRAPH_SCHOOLS_FILE:-}"
    assert {s["target"] for s in gateway["secrets"]} == {"GO4GRAPH_CACHE_URL", "GO4GRAPH_CACHE_SECRET"}
    assert gateway["environment"]["GO4GRAPH_SECRETS_DIR"] == "/run/secrets"
    assert "GO4GRAPH_CACHE_URL" not in gateway["environment"]
    assert "requirepass $$(cat /run/secrets/redis_password)" in " ".join(redis["command"])
    assert "REDISCLI_AUTH" in " ".join(redis["healthcheck"]["test"])
    assert "ports" not in redis  # reachable only on the compose network, by the gateway
    for name in ("gateway", "redis", "proxy"):
        assert services[name]["read_only"] is True and services[name]["cap_drop"] == ["ALL"]


def test_the_image_makes_the_audit_folder_for_its_user_and_ignores_the_venv() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "chown 10001:10001 /var/log/go4graph" in dockerfile
    assert "USER 10001" in dockerfile
    ignore = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*"  # everything out, then only what the build copies back in
    included = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert included == {"pyproject.toml", "README.md", "gateway"}
    copied = set(re.findall(r"^COPY (?!--from)(.+?) \S+$", dockerfile, re.M))
    assert {p for c in copied for p in c.split()} <= included
