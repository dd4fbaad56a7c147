"""The Kubernetes manifests in deploy/k8s/, checked offline: there is no cluster here.

Checked: every file parses; the Deployment, Service and Ingress agree with each other (selectors and labels,
named ports, the Service the Ingress routes to) and with the app (app.py is what runs, on the port the
probes and Service use, with probes on Streamlit's /_stcore/health as HAProxy's checks use; cookie
affinity and websocket timeouts as in deploy/haproxy.cfg.in; the memory request covers the measured peak).
A schema check against Kubernetes' own OpenAPI schemas runs when the kubernetes-validate package is
installed (it bundles the schemas, so it needs no network); it is not in requirements-dev.txt, so it skips
without it.
Not checked: that the image builds, that a cluster accepts the manifests, that ingress-nginx honours the
annotations, and the probes' timing on a real node.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest

from deploy.replicas import AFFINITY_COOKIE, TEMPLATE
from runtime import PROJECT_ROOT
from ui.affinity import AFFINITY_COOKIE_ENV

yaml = pytest.importorskip("yaml", reason="PyYAML is in requirements-dev.txt: pip install -r requirements-dev.txt")

REPO_ROOT = PROJECT_ROOT
K8S = REPO_ROOT / "deploy" / "k8s"
HEALTH = "/_stcore/health"
# The resident peak while loading every model, as benchmarks/hosting.py measured it (README, Benchmarks).
MEASURED_PEAK_MB = 683


def load_all() -> dict[str, dict]:
    documents = [doc for path in sorted(K8S.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]
    by_kind = {doc["kind"]: doc for doc in documents}
    assert len(by_kind) == len(documents), "one resource of each kind expected"
    return by_kind


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict]:
    return load_all()


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", quantity).groups()
    factor = {"Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20, "": 1 / 2**20}[unit]
    return float(number) * factor


def test_the_three_resources_parse_with_their_api_versions(manifests):
    assert {kind: doc["apiVersion"] for kind, doc in manifests.items()} == {
        "Deployment": "apps/v1",
        "Service": "v1",
        "Ingress": "networking.k8s.io/v1",
    }


def test_selectors_and_ports_agree(manifests):
    deployment, service, ingress = manifests["Deployment"], manifests["Service"], manifests["Ingress"]
    pod = deployment["spec"]["template"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod["metadata"]["labels"].items(), "the Deployment's selector misses its own pods"
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items(), "the Service selects no pod"

    (container,) = pod["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] in ports
    backends = [path["backend"]["service"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert backends
    for backend in backends:
        assert backend["name"] == service["metadata"]["name"]
        assert (
            backend["port"].get("name") == service_port["name"] or backend["port"].get("number") == service_port["port"]
        )

    # The app listens where the Service and probes look.
    assert container["command"][-2:] == ["run", "app.py"] and (REPO_ROOT / "app.py").exists()
    args = dict(arg.removeprefix("--").split("=", 1) for arg in container["args"])
    assert int(args["server.port"]) == ports[service_port["targetPort"]]
    assert args["server.address"] == "0.0.0.0" and args["server.headless"] == "true"
    for probe in ("readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert check["path"] == HEALTH and check["port"] == service_port["targetPort"], probe


def test_the_same_health_path_and_affinity_as_haproxy(manifests):
    haproxy = TEMPLATE.read_text()
    assert f"option httpchk GET {HEALTH}" in haproxy
    annotations = manifests["Ingress"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    # One cookie name for both, and the pods are told it, so that a moved page reloads itself (ui/affinity.py).
    assert annotations["nginx.ingress.kubernetes.io/session-cookie-name"] == AFFINITY_COOKIE
    assert "cookie ${cookie} insert" in haproxy
    (container,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env[AFFINITY_COOKIE_ENV] == AFFINITY_COOKIE
    tunnel_s = 3600 if "timeout tunnel 1h" in haproxy else None
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{timeout}"]) >= tunnel_s, timeout


def test_every_pod_shares_one_cookie_secret(manifests):
    (container,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    assert "secretKeyRef" in env["STREAMLIT_SERVER_COOKIE_SECRET"]["valueFrom"]


def test_resources_cover_the_measured_memory(manifests):
    (container,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    resources = container["resources"]
    assert mebibytes(resources["requests"]["memory"]) * 2**20 >= MEASURED_PEAK_MB * 1e6
    assert mebibytes(resources["limits"]["memory"]) >= mebibytes(resources["requests"]["memory"])
    assert float(resources["requests"]["cpu"]) >= 0.5


def test_a_broken_manifest_is_caught(tmp_path, monkeypatch):
    # The checks above can fail: a Service that selects another label does.
    broken = tmp_path / "k8s"
    broken.mkdir()
    for path in K8S.glob("*.yaml"):
        text = path.read_text()
        if path.name == "service.yaml":
            text = text.replace("    app.kubernetes.io/name: cnn-vs-rnn-live\n  ports", "    app: other\n  ports")
        (broken / path.name).write_text(text)
    monkeypatch.setattr(sys.modules[__name__], "K8S", broken)
    with pytest.raises(AssertionError, match="the Service selects no pod"):
        test_selectors_and_ports_agree(load_all())


@pytest.mark.skipif(
    importlib.util.find_spec("kubernetes_validate") is None,
    reason="schema check needs `pip install kubernetes-validate` (bundled schemas, no network); not a dev requirement",
)
def test_the_manifests_match_kubernetes_schemas():
    paths = [str(path) for path in sorted(K8S.glob("*.yaml"))]
    result = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", *paths], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
