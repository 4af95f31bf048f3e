"""The Kubernetes manifests (deploy/kubernetes/), checked offline: the core resources against
Kubernetes' own schemas (kubernetes-validate), KEDA's ScaledObject against its CRD's schema
(check-jsonschema), the kustomization as kubectl renders it, and every role's command against
the `moderation` command and the image the Dockerfile builds."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from moderation.messaging import queues
from tests.conftest import ROOT, require

KUBERNETES = ROOT / "deploy" / "kubernetes"
TRAINER = KUBERNETES / "trainer"
KEDA_SCHEMA = KUBERNETES / "schemas" / "keda.sh_v1alpha1_scaledobject.json"
# The oldest Kubernetes the manifests are meant for, and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
KUSTOMIZE_KINDS = {"Kustomization", "Component"}
PODS = {"Deployment", "Job"}


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _manifests(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every YAML file of the folder (not its subfolders) but the kustomization, by name."""
    return {
        path.name: _documents(path)
        for path in sorted(folder.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def _resources() -> list[dict[str, Any]]:
    """Every resource of the base and of the trainer component, patches aside."""
    found = [doc for docs in _manifests(KUBERNETES).values() for doc in docs]
    patches = {
        p["path"] for p in yaml.safe_load((TRAINER / "kustomization.yaml").read_text())["patches"]
    }
    for name, docs in _manifests(TRAINER).items():
        if name not in patches:
            found.extend(docs)
    return found


def _containers(resources: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for resource in resources:
        if resource["kind"] in PODS:
            for container in resource["spec"]["template"]["spec"]["containers"]:
                yield resource["metadata"]["name"], container


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in _resources() if r["kind"] == kind}


def test_the_kustomizations_list_every_manifest_beside_them() -> None:
    base = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    component = yaml.safe_load((TRAINER / "kustomization.yaml").read_text())
    assert set(base["resources"]) == set(_manifests(KUBERNETES))
    assert component["kind"] == "Component"
    listed = set(component["resources"]) | {p["path"] for p in component["patches"]}
    assert listed == set(_manifests(TRAINER))


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_core_resources_pass_kubernetes_schemas(version: str) -> None:
    import kubernetes_validate

    core = [r for r in _resources() if not r["apiVersion"].startswith("keda.sh/")]
    assert {r["kind"] for r in core} >= {
        "ConfigMap",
        "Secret",
        "Deployment",
        "Job",
        "Service",
        "PodDisruptionBudget",
        "PersistentVolumeClaim",
    }
    for resource in core:
        # Strict: a property Kubernetes does not know (a misspelt probe field) fails too.
        kubernetes_validate.validate(resource, version, strict=True)


def _strict(schema: Any) -> Any:
    """The schema with every object it describes closed to the properties it names: the API
    server prunes unknown fields of a custom resource without a word, so a misspelt field
    would be lost silently."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [_strict(item) for item in schema]
    return schema


def _check_jsonschema(schema: Path, *instances: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(schema),
            *map(str, instances),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_keda_scaled_object_passes_the_crd_schema_and_a_misspelt_one_does_not(
    tmp_path: Path,
) -> None:
    require(
        shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) is not None,
        "check-jsonschema is not installed (pip install -e '.[test]')",
    )
    schema = tmp_path / "scaledobject.strict.json"
    schema.write_text(json.dumps(_strict(json.loads(KEDA_SCHEMA.read_text()))))
    (scaled,) = _documents(KUBERNETES / "worker-autoscaling.yaml")
    ours = tmp_path / "worker-autoscaling.json"
    ours.write_text(json.dumps(scaled))
    misspelt = copy.deepcopy(scaled)
    misspelt["spec"]["maxReplicas"] = misspelt["spec"].pop("maxReplicaCount")
    wrong_type = copy.deepcopy(scaled)
    wrong_type["spec"]["triggers"][0]["metadata"]["listLength"] = 10  # KEDA wants strings
    bad = []
    for number, doc in enumerate((misspelt, wrong_type)):
        bad.append(tmp_path / f"bad-{number}.json")
        bad[-1].write_text(json.dumps(doc))

    accepted = _check_jsonschema(schema, ours)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    for instance in bad:
        refused = _check_jsonschema(schema, instance)
        assert refused.returncode == 1, (instance, refused.stdout, refused.stderr)
    assert "maxReplicas" in _check_jsonschema(schema, bad[0]).stdout


def test_keda_scales_the_decision_workers_on_the_comments_queue() -> None:
    (scaled,) = _documents(KUBERNETES / "worker-autoscaling.yaml")
    spec = scaled["spec"]
    worker = _by_kind("Deployment")[spec["scaleTargetRef"]["name"]]
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == queues.COMMENTS_QUEUE
    assert queues.COMMENTS_QUEUE in _served_queues(worker)
    assert spec["minReplicaCount"] >= 1
    # KEDA's operator resolves the address from its own namespace: the full Service name,
    # in the namespace the kustomization puts everything in.
    namespace = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())["namespace"]
    host, port = trigger["metadata"]["address"].rsplit(":", 1)
    assert host == f"redis.{namespace}.svc.cluster.local"
    assert int(port) == _by_kind("Service")["redis"]["spec"]["ports"][0]["port"]
    settings = _by_kind("ConfigMap")["moderation-settings"]["data"]
    assert settings["MODERATION_REDIS_URL"] == f"redis://redis:{port}/0"


def _served_queues(deployment: dict[str, Any]) -> set[str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    command = container["command"]
    return set(command[command.index("--queues") + 1].split(","))


def test_every_queue_is_served_and_beat_is_one_pod_that_is_replaced_not_doubled() -> None:
    deployments = _by_kind("Deployment")
    served = {
        name: _served_queues(d)
        for name, d in deployments.items()
        if d["spec"]["template"]["spec"]["containers"][0].get("command", [])[:2]
        == ["moderation", "worker"]
    }
    # Explanations on workers of their own: explaining held comments never delays a decision.
    assert served == {
        "worker": {queues.COMMENTS_QUEUE},
        "explanations": {queues.EXPLANATIONS_QUEUE},
        "webhooks": {queues.WEBHOOKS_QUEUE},
    }
    beat = deployments["beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "beat" not in _by_kind("PodDisruptionBudget")


def test_the_api_is_probed_on_its_health_routes_and_the_workers_by_celery_ping() -> None:
    from moderation.api.health import router

    routes = {getattr(route, "path", "") for route in router.routes}
    containers = dict(_containers(_resources()))
    api = containers["api"]
    # In service while it stores comments, workers or not (/readyz would also want a worker).
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz/intake" in routes
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz" in routes
    # Celery names a worker node celery@<host>, the trainer trainer@<host> (commands/workers.py).
    node = {
        "worker": "celery",
        "explanations": "celery",
        "webhooks": "celery",
        "trainer": "trainer",
    }
    for name, prefix in node.items():
        probe = " ".join(containers[name]["livenessProbe"]["exec"]["command"])
        assert f'celery -A workers.celery_app inspect ping -d "{prefix}@$HOSTNAME"' in probe, name
    assert (ROOT / "workers" / "celery_app.py").exists()


def test_the_api_and_the_workers_serve_metrics_where_prometheus_is_told_to_scrape() -> None:
    """ModerationNoLiveWorker reads the workers' heartbeat gauge: unscraped, it always fires."""
    deployments = _by_kind("Deployment")
    setting = {
        "api": "MODERATION_METRICS_PORT",
        "worker": "MODERATION_WORKER_METRICS_PORT",
        "explanations": "MODERATION_WORKER_METRICS_PORT",
    }
    for name, variable in setting.items():
        pod = deployments[name]["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert int(annotations["prometheus.io/port"]) == int(env[variable]) == ports["metrics"]
        # Bound where Prometheus reaches it, not the loopback default.
        assert env["MODERATION_HOST"] == "0.0.0.0", name
    services = _by_kind("Service")
    assert all(port["port"] != ports["metrics"] for port in services["api"]["spec"]["ports"]), (
        "the metrics port asks no token: no Service exposes it"
    )


def test_every_pod_has_requests_a_memory_limit_and_a_disruption_budget_that_selects_it() -> None:
    resources = _resources()
    for name, container in _containers(resources):
        limits, requests = container["resources"]["limits"], container["resources"]["requests"]
        assert {"cpu", "memory"} <= set(requests), name
        assert "memory" in limits and "cpu" not in limits, name  # CPU limits only throttle
    deployments = _by_kind("Deployment")
    for budget in _by_kind("PodDisruptionBudget").values():
        selector = budget["spec"]["selector"]["matchLabels"]
        matched = [
            name
            for name, d in deployments.items()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert matched == [budget["metadata"]["name"]], budget["metadata"]["name"]


def test_the_pods_of_our_image_run_as_its_user() -> None:
    (uid,) = re.findall(r"useradd [^\n]*--uid (\d+)", (ROOT / "Dockerfile").read_text())
    for resource in _resources():
        if resource["kind"] in PODS:
            pod = resource["spec"]["template"]["spec"]
            if pod["containers"][0]["image"] == "comment-moderation":
                assert pod["securityContext"]["runAsUser"] == int(uid), resource["metadata"]["name"]


def _roles() -> Iterator[tuple[str, list[str]]]:
    """Every command a pod or a compose service of ours runs, by where it is."""
    for name, container in _containers(_resources()):
        if container["image"] == "comment-moderation":
            yield f"kubernetes {name}", container["command"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    image = compose["x-app"]["image"]
    for name, service in compose["services"].items():
        if service.get("image") == image:
            yield f"compose {name}", service["command"]


def test_every_role_runs_a_moderation_command_with_options_it_has() -> None:
    """Parsed by the command itself (nothing is run), as it would be in the container."""
    from commands import app

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    cli = typer.main.get_command(app)
    assert isinstance(cli, typer.core.TyperGroup)
    roles = dict(_roles())
    assert {r.split()[0] for r in roles} == {"kubernetes", "compose"}
    assert len(roles) >= 12
    for where, command in roles.items():
        assert command[0] == "moderation", where
        assert command[1] in cli.commands, where
        # Raises on an option the command does not have, or a value it does not take.
        cli.commands[command[1]].make_context(command[1], list(command[2:]))
    # One image for every role but the broker's, the one docker-compose builds.
    image = compose["x-app"]["image"].split(":")[0]
    images = {name: container["image"] for name, container in _containers(_resources())}
    assert {name for name, used in images.items() if used != image} == {"redis"}
    assert len([where for where in roles if where.startswith("kubernetes")]) == len(images) - 1


def _kubectl() -> str:
    binary = shutil.which("kubectl")
    require(binary is not None, "kubectl is not installed (it renders the kustomization)")
    assert binary is not None
    return binary


def _render(binary: str, folder: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [binary, "kustomize", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def test_kubectl_renders_the_base_and_an_overlay_with_the_trainer(tmp_path: Path) -> None:
    import kubernetes_validate

    binary = _kubectl()
    base = _render(binary, KUBERNETES)
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                # kustomize takes relative paths only.
                "resources": [os.path.relpath(KUBERNETES, overlay)],
                "components": [os.path.relpath(TRAINER, overlay)],
            }
        )
    )
    with_trainer = _render(binary, overlay)

    assert {r["metadata"]["namespace"] for r in base} == {"moderation"}
    assert {r["metadata"]["name"] for r in with_trainer} - {
        r["metadata"]["name"] for r in base
    } == {"trainer", "moderation-models", "moderation-datasets"}
    images = {
        c["image"]
        for r in base
        if r["kind"] in PODS
        for c in r["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"comment-moderation:0.1.0", "redis:7-alpine"}
    for resource in with_trainer:
        if not resource["apiVersion"].startswith("keda.sh/"):
            kubernetes_validate.validate(resource, KUBERNETES_VERSIONS[-1], strict=True)
    # The decision and explanation workers read the versions the trainer writes.
    trainer = next(r for r in with_trainer if r["metadata"]["name"] == "trainer")
    (trainer_container,) = trainer["spec"]["template"]["spec"]["containers"]
    models = {e["name"]: e["value"] for e in trainer_container["env"]}["MODERATION_MODELS_DIR"]
    for name in ("worker", "explanations"):
        worker = next(
            r for r in with_trainer if r["kind"] == "Deployment" and r["metadata"]["name"] == name
        )
        pod = worker["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["MODERATION_MODELS_DIR"] == models, name
        assert {"name": "models", "mountPath": models, "readOnly": True} in container[
            "volumeMounts"
        ], name
        assert {v["name"] for v in pod["volumes"]} == {"tmp", "models"}, name
