"""The deployment in deploy/ agrees with the code: Docker Compose, Kubernetes, the Dockerfile,
and the health probe they use (services/probe.py).

Plain pytest, no broker, no Docker: the manifests are parsed, and the probe's failure path is
run against a closed port."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"

from services.common.config import SERVICES, SETTINGS

GATEWAY_COMMAND = ["gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.app:create_app()"]


# ---- helpers -----------------------------------------------------------------------------

def service_classes():
    """services.run.SERVICE_CLASSES. It lives in services.registry (services.run imports it from
    there); importing services.run itself would monkey-patch this test process with eventlet."""
    from services.registry import SERVICE_CLASSES
    return SERVICE_CLASSES


# The C parser when PyYAML has it: the manifests are parsed by most tests.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=None)
def compose():
    return yaml.load(COMPOSE.read_text(), Loader=Loader)


def k8s_files():
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@lru_cache(maxsize=None)
def k8s_docs():
    """Every object of every manifest (yaml.safe_load_all), with the file it came from. Parsed
    once: the tests only read it."""
    docs = []
    for path in k8s_files():
        for doc in yaml.load_all(path.read_text(), Loader=Loader):
            if doc:
                docs.append((path.name, doc))
    return tuple(docs)


def k8s_kind(kind):
    return {doc["metadata"]["name"]: doc for _, doc in k8s_docs() if doc["kind"] == kind}


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def containers(obj):
    return pod_spec(obj)["containers"]


def k8s_workloads():
    return [doc for _, doc in k8s_docs() if doc["kind"] in ("Deployment", "StatefulSet", "Job")]


def module_commands():
    """(where, argv) of every command that runs one of our Python modules, in Compose and k8s:
    container commands, healthchecks and exec probes."""
    found = []
    for name, svc in compose()["services"].items():
        if isinstance(svc.get("command"), list):
            found.append((f"compose {name} command", svc["command"]))
        test = (svc.get("healthcheck") or {}).get("test")
        if isinstance(test, list) and test[:1] == ["CMD"]:
            found.append((f"compose {name} healthcheck", test[1:]))
    for obj in k8s_workloads():
        for c in containers(obj):
            where = f"k8s {obj['kind']} {obj['metadata']['name']}"
            if c.get("command"):
                found.append((f"{where} command", c["command"]))
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                cmd = ((c.get(probe) or {}).get("exec") or {}).get("command")
                if cmd:
                    found.append((f"{where} {probe}", cmd))
    return [(where, argv) for where, argv in found
            if len(argv) >= 3 and argv[0] == "python" and argv[1] == "-m"]


def walk(value):
    """Every string, dict key included, anywhere in a parsed YAML document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)
    elif isinstance(value, str):
        yield value


ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def referenced_env_names():
    """Environment variable names the manifests set or read: Compose environment keys and
    ${VAR} references, k8s env names, ConfigMap/Secret keys and $(VAR) references, the
    Dockerfile's ENV names."""
    names = set()
    data = compose()
    for svc in data["services"].values():
        env = svc.get("environment") or {}
        if isinstance(env, list):
            names.update(item.split("=", 1)[0] for item in env)
        else:
            names.update(env)
    for text in walk(data):
        names.update(a or b for a, b in ENV_REF.findall(text))
    for _, doc in k8s_docs():
        if doc["kind"] in ("ConfigMap", "Secret"):
            for section in ("data", "stringData"):
                names.update(k for k in (doc.get(section) or {}) if re.fullmatch(r"[A-Z_][A-Z0-9_]*", k))
        if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            for c in pod_spec(doc).get("initContainers", []) + containers(doc):
                names.update(e["name"] for e in c.get("env", []))
                for e in c.get("env", []):
                    key = ((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("key")
                    if key:
                        names.add(key)
        for text in walk(doc):
            names.update(a or b for a, b in ENV_REF.findall(text))
    for line in DOCKERFILE.read_text().splitlines():
        names.update(re.findall(r"(?:^ENV\s+|^\s+)([A-Z_][A-Z0-9_]*)=", line))
    return names


def is_known_setting(name):
    if name in SETTINGS:
        return True
    m = re.fullmatch(r"([A-Z]+)_DATABASE_URL", name)
    return bool(m) and "<SERVICE>_DATABASE_URL" in SETTINGS and m.group(1).lower() in SERVICES


def is_platform_setting(name):
    return name == "AMQP_URI" or name.startswith("DZIENNIK_") or name.endswith("_DATABASE_URL")


# ---- both orchestrators run every service and the gateway --------------------------------

def test_run_knows_every_configured_service():
    assert set(service_classes()) == set(SERVICES)


def test_every_module_command_names_a_known_service():
    classes = service_classes()
    commands = module_commands()
    assert commands, "no `python -m services.*` command found in the manifests"
    for where, argv in commands:
        module, args = argv[2], argv[3:]
        if module == "services.run":
            assert args and args[0] in classes, f"{where}: {argv}"
        elif module == "services.probe":
            assert args and args[0] in set(classes) | {"all"}, f"{where}: {argv}"
        elif module == "services.migrate":
            assert args and args[0] in set(classes) | {"all"}, f"{where}: {argv}"
        else:
            pytest.fail(f"{where}: unknown module in {argv}")


def test_compose_runs_every_service_twice_the_gateway_behind_nginx():
    services = compose()["services"]
    for name in SERVICES:
        svc = services.get(name)
        assert svc, f"service {name} missing from docker-compose.yml"
        assert svc["command"] == ["python", "-m", "services.run", name]
        assert svc["deploy"]["replicas"] >= 2
        assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    gateway = services["gateway"]
    assert gateway["command"] == GATEWAY_COMMAND
    assert gateway["deploy"]["replicas"] >= 2
    assert "nginx.conf" in " ".join(services["nginx"]["volumes"])
    # Migrations, then the bus topology (every subscriber queue exists before anything publishes).
    assert services["migrate"]["command"] == ["sh", "-c", "python -m services.migrate all && python -m services.topology"]
    assert services["postgres"]["image"].startswith("postgres:15")
    assert re.fullmatch(r"rabbitmq:3\.[0-9.]+-management", services["rabbitmq"]["image"])


def test_compose_healthchecks_probe_each_service_and_the_gateway():
    services = compose()["services"]
    for name in SERVICES:
        test = services[name]["healthcheck"]["test"]
        assert test[:5] == ["CMD", "python", "-m", "services.probe", name], test
    gateway_test = " ".join(services["gateway"]["healthcheck"]["test"])
    assert "/health/live" in gateway_test
    for name in ("rabbitmq", "postgres", "nginx"):
        assert services[name].get("healthcheck"), name


def test_k8s_deploys_every_service_and_the_gateway():
    deployments = k8s_kind("Deployment")
    for name in SERVICES:
        dep = deployments.get(name)
        assert dep, f"no Deployment for {name} in deploy/k8s"
        assert dep["spec"]["replicas"] >= 2
        assert pod_spec(dep)["terminationGracePeriodSeconds"] >= 30
        (c,) = containers(dep)
        assert c["command"] == ["python", "-m", "services.run", name]
        assert c.get("resources", {}).get("requests") and c["resources"].get("limits")
    gateway = deployments["gateway"]
    assert gateway["spec"]["replicas"] >= 3
    (c,) = containers(gateway)
    assert c["command"] == GATEWAY_COMMAND
    assert set(deployments) == set(SERVICES) | {"gateway"}, "a Deployment nobody tests"


def test_every_k8s_deployment_has_liveness_and_readiness_probes():
    for name, dep in k8s_kind("Deployment").items():
        for c in containers(dep):
            assert c.get("livenessProbe"), f"{name}: no livenessProbe"
            assert c.get("readinessProbe"), f"{name}: no readinessProbe"


def test_service_probes_ask_the_service_itself():
    for name in SERVICES:
        (c,) = containers(k8s_kind("Deployment")[name])
        for probe in ("livenessProbe", "readinessProbe"):
            cmd = c[probe]["exec"]["command"]
            assert cmd[:5] == ["python", "-m", "services.probe", name, "--local"], cmd
            # The probe may take its RPC timeout plus 2 s of connecting, plus start-up.
            timeout = float(cmd[cmd.index("--timeout") + 1])
            assert c[probe]["timeoutSeconds"] >= timeout + 3, (name, probe)
        assert "--live" in c["livenessProbe"]["exec"]["command"]
        assert "--live" not in c["readinessProbe"]["exec"]["command"]


def test_gateway_probes_and_exposure():
    (c,) = containers(k8s_kind("Deployment")["gateway"])
    assert c["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert c["readinessProbe"]["httpGet"]["path"] == "/health"
    assert {p["containerPort"] for p in c["ports"]} == {8000}
    service = k8s_kind("Service")["gateway"]
    assert service["spec"]["selector"] == k8s_kind("Deployment")["gateway"]["spec"]["selector"]["matchLabels"]
    ingress = k8s_kind("Ingress")["gateway"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "gateway"
    pdb = k8s_kind("PodDisruptionBudget")["gateway"]
    assert pdb["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "gateway"}


def test_autoscalers_target_gateway_attendance_and_grades():
    hpas = k8s_kind("HorizontalPodAutoscaler")
    deployments = k8s_kind("Deployment")
    targets = {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()}
    assert {"gateway", "attendance", "grades"} <= targets
    for h in hpas.values():
        ref = h["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment" and ref["name"] in deployments
        assert h["spec"]["minReplicas"] <= deployments[ref["name"]]["spec"]["replicas"] <= h["spec"]["maxReplicas"]


def test_selectors_match_pod_labels():
    for obj in k8s_workloads():
        if obj["kind"] == "Job":
            continue
        labels = obj["spec"]["template"]["metadata"]["labels"]
        for key, value in obj["spec"]["selector"]["matchLabels"].items():
            assert labels.get(key) == value, obj["metadata"]["name"]


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed)), "a file listed twice"
    assert set(listed) == {p.name for p in k8s_files()}
    images = {i["name"] for i in kustomization.get("images", [])}
    used = {c["image"] for obj in k8s_workloads() for c in containers(obj)}
    assert "dziennik" in used and "dziennik" in images


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl not installed")
def test_kustomize_builds():
    out = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(out.stdout) if d]
    assert kinds.count("Deployment") == len(SERVICES) + 1


def test_k8s_backs_up_every_database_on_a_schedule():
    """OPS-3: the CronJob runs services/backup.py onto a volume of its own, one Job at a time,
    with the URL of every service's database (docs/operations.md, "Backups")."""
    from services.backup import parse_args
    cron = k8s_kind("CronJob")["database-backup"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid" and len(cron["spec"]["schedule"].split()) == 5
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] > 0
    pod = job["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (c,) = pod["containers"]
    assert c["image"] == "dziennik" and "dziennik" in {i["name"] for i in yaml.safe_load(
        (K8S / "kustomization.yaml").read_text()).get("images", [])}
    assert c["command"][:4] == ["python", "-m", "services.backup", "all"]
    args = parse_args(c["command"][3:])
    assert args.out and args.keep_days and args.keep_days > 0
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    claim = volumes[mounts[args.out]]["persistentVolumeClaim"]["claimName"]
    assert claim in k8s_kind("PersistentVolumeClaim")
    db_vars = sorted(e["name"] for e in c["env"] if e["name"].endswith("_DATABASE_URL"))
    assert db_vars == sorted(f"{name.upper()}_DATABASE_URL" for name in SERVICES)
    secrets = {name: set(s.get("stringData") or {}) for name, s in k8s_kind("Secret").items()}
    for e in c["env"]:
        ref = e["valueFrom"]["secretKeyRef"]
        assert ref["key"] in secrets[ref["name"]], ref
    assert [s["configMapRef"]["name"] for s in c["envFrom"]] == ["dziennik-config"]


# ---- configuration: names, secrets, databases ---------------------------------------------

def test_every_platform_env_var_in_the_manifests_is_a_known_setting():
    names = referenced_env_names()
    platform = {n for n in names if is_platform_setting(n)}
    # Not vacuous: the manifests do set these.
    assert {"AMQP_URI", "DZIENNIK_SECRET_KEY", "GRADES_DATABASE_URL"} <= platform
    unknown = sorted(n for n in platform if not is_known_setting(n))
    assert not unknown, f"not in services/common/config.py SETTINGS: {unknown}"


def test_each_service_gets_its_own_database_only():
    for name in SERVICES:
        (c,) = containers(k8s_kind("Deployment")[name])
        db_vars = [e["name"] for e in c["env"] if e["name"].endswith("_DATABASE_URL")]
        assert db_vars == [f"{name.upper()}_DATABASE_URL"], (name, db_vars)
        env = compose()["services"][name]["environment"]
        assert [k for k in env if k.endswith("_DATABASE_URL")] == [f"{name.upper()}_DATABASE_URL"]
        assert env[f"{name.upper()}_DATABASE_URL"].endswith(f"/{name}")
    secret = k8s_kind("Secret")["dziennik-secrets"]["stringData"]
    for name in SERVICES:
        assert secret[f"{name.upper()}_DATABASE_URL"].endswith(f"/{name}")
    (gw,) = containers(k8s_kind("Deployment")["gateway"])
    assert not [e for e in gw.get("env", []) if e["name"].endswith("_DATABASE_URL")]


def test_secret_references_exist():
    secrets = {name: set((s.get("stringData") or {}) | (s.get("data") or {}))
               for name, s in k8s_kind("Secret").items()}
    for obj in k8s_workloads():
        for c in containers(obj):
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets.get(ref["name"], set()), (obj["metadata"]["name"], ref)
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in k8s_kind("ConfigMap")


def test_example_secrets_are_marked_for_replacement():
    text = (K8S / "secret.yaml").read_text()
    assert "REPLACE" in text.splitlines()[0]
    for s in k8s_kind("Secret").values():
        for key, value in s["stringData"].items():
            if any(word in key for word in ("PASS", "SECRET", "COOKIE", "URI", "URL")):
                assert "REPLACE" in value, key


def created_databases(sql):
    return re.findall(r"^\s*CREATE DATABASE (\w+)", sql, re.MULTILINE)


def test_postgres_init_creates_one_database_per_service():
    compose_sql = (DEPLOY / "postgres" / "init.sql").read_text()
    assert sorted(created_databases(compose_sql)) == sorted(SERVICES)
    (k8s_sql,) = k8s_kind("ConfigMap")["postgres-init"]["data"].values()
    assert sorted(created_databases(k8s_sql)) == sorted(SERVICES)


def test_rabbitmq_cluster_uses_k8s_peer_discovery_and_quorum_queues():
    sts = k8s_kind("StatefulSet")["rabbitmq"]
    assert sts["spec"]["replicas"] == 3
    conf = "\n".join(k8s_kind("ConfigMap")["rabbitmq-config"]["data"].values())
    assert re.search(r"^cluster_formation\.peer_discovery_backend\s*=\s*rabbit_peer_discovery_k8s",
                     conf, re.MULTILINE)
    assert "rabbitmq_peer_discovery_k8s" in conf   # enabled_plugins
    assert re.search(r"^default_queue_type\s*=\s*quorum", conf, re.MULTILINE)
    compose_conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    assert re.search(r"^default_queue_type\s*=\s*quorum", compose_conf, re.MULTILINE)


# ---- the image and the load balancer -------------------------------------------------------

def dockerfile_instructions():
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_dockerfile_installs_requirements_before_copying_the_code():
    lines = dockerfile_instructions()
    assert lines[0] == "FROM python:3.11-slim"
    copy_req = next(i for i, l in enumerate(lines) if re.match(r"COPY\s+requirements\.txt\s", l))
    install = next(i for i, l in enumerate(lines)
                   if l.startswith("RUN") and re.search(r"pip install .*-r requirements\.txt", l))
    copy_code = next(i for i, l in enumerate(lines) if re.match(r"COPY\s+\.\s", l))
    assert copy_req < install < copy_code
    user = [l for l in lines if l.startswith("USER")]
    assert user and not re.match(r"USER\s+(root|0)\b", user[-1])
    cmd = json.loads([l for l in lines if l.startswith("CMD")][-1][3:].strip())
    assert cmd == GATEWAY_COMMAND


def test_dockerfile_installs_the_system_packages_the_code_names():
    # The printouts need the DejaVu fonts (services/common/pdf.py says which Debian package).
    pdf = ROOT / "services" / "common" / "pdf.py"
    assert "fonts-dejavu-core" in pdf.read_text()
    installs = [l for l in dockerfile_instructions() if l.startswith("RUN") and "apt-get install" in l]
    assert any("fonts-dejavu-core" in l for l in installs)


def test_dockerignore_lets_in_the_code_and_nothing_else():
    rules = [l.strip() for l in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    assert rules[0] == "*"
    for needed in ("requirements.txt", "services/", "gateway/", "scripts/"):
        assert f"!{needed}" in rules


def image_gateway_port():
    return re.search(r"DZIENNIK_GATEWAY_BIND=0\.0\.0\.0:(\d+)", DOCKERFILE.read_text()).group(1)


def test_nginx_balances_over_the_gateway_port_the_image_binds():
    conf = (DEPLOY / "nginx.conf").read_text()
    port = image_gateway_port()
    assert re.search(rf"server\s+gateway:{port}\b", conf)
    assert "proxy_pass http://gateway" in conf
    (c,) = containers(k8s_kind("Deployment")["gateway"])
    assert [p["containerPort"] for p in c["ports"]] == [int(port)]
    assert f"127.0.0.1:{port}/health/live" in " ".join(compose()["services"]["gateway"]["healthcheck"]["test"])


def test_gunicorn_config_reads_the_bind_the_image_sets():
    conf = ROOT / "gateway" / "gunicorn.conf.py"
    assert "DZIENNIK_GATEWAY_BIND" in conf.read_text()


# ---- the probe ------------------------------------------------------------------------------

def run_probe(*args, amqp_uri, timeout=30):
    env = dict(os.environ, AMQP_URI=amqp_uri)
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "services.probe", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=timeout)
    return out, time.monotonic() - started


def assert_one_json_failure(out):
    assert out.returncode == 1, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stdout + out.stderr, out.stderr
    assert "EventletDeprecationWarning" not in out.stderr, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout
    answer = json.loads(lines[0])
    assert answer["ok"] is False and answer["error"]
    return answer


def test_probe_fails_fast_and_cleanly_when_the_broker_is_down():
    out, elapsed = run_probe("identity", "--timeout", "2", amqp_uri="amqp://guest:guest@127.0.0.1:1/")
    answer = assert_one_json_failure(out)
    assert elapsed < 10
    assert answer["service"] == "identity"
    assert "127.0.0.1:1" in answer["error"]


def test_probe_gives_up_on_a_broker_that_never_answers():
    # A socket that accepts connections and says nothing: only the watchdog ends the wait.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        port = server.getsockname()[1]
        out, elapsed = run_probe("grades", "--timeout", "1", amqp_uri=f"amqp://u:secret@127.0.0.1:{port}/")
    finally:
        server.close()
    answer = assert_one_json_failure(out)
    assert elapsed < 8
    assert "secret" not in answer["error"]   # the password is not printed


def test_probe_rejects_an_unknown_service():
    out, _ = run_probe("gradebook", amqp_uri="amqp://guest:guest@127.0.0.1:1/")
    answer = assert_one_json_failure(out)
    assert "unknown service" in answer["error"]


def test_probe_usage_error():
    out, _ = run_probe(amqp_uri="amqp://guest:guest@127.0.0.1:1/")
    assert out.returncode == 2 and "usage" in out.stdout and "Traceback" not in out.stderr


def test_probe_verdicts():
    from services.probe import is_local, parse_args, verdict
    assert parse_args(["grades", "--timeout", "1.5", "--local", "--live"]) == (["grades"], 1.5, True, True)
    assert parse_args(["all"])[0] == list(SERVICES)
    with pytest.raises(ValueError):
        parse_args(["grades", "--timeout", "x"])
    healthy = {"service": "grades", "instance": "pod-a-12-abc", "database": "ok", "ok": True}
    db_down = {"service": "grades", "instance": "pod-a-12-abc", "database": "error", "ok": False}
    no_answer = {"service": "grades", "ok": False, "error": "RpcTimeout"}
    assert verdict(healthy) and not verdict(db_down) and not verdict(no_answer)
    assert verdict(db_down, live=True) and not verdict(no_answer, live=True)
    assert is_local(healthy, "pod-a") and not is_local(healthy, "pod") and not is_local(no_answer, "pod-a")


def test_probe_recognises_this_hosts_instance_id():
    # --local relies on the instance id format of services/common/service.py.
    from services.common.service import INSTANCE
    from services.probe import is_local
    assert is_local({"instance": INSTANCE})


def test_proxies_let_through_the_largest_message_the_gateway_accepts():
    """MSG-1: a message with the most attachments at their largest (DZIENNIK_ATTACHMENT_MAX_* in
    base64) must reach the gateway, which answers a Polish 413 beyond it; a smaller cap in nginx
    or the Ingress would answer its own HTML 413 first."""
    import math
    max_bytes = int(SETTINGS["DZIENNIK_ATTACHMENT_MAX_BYTES"][0])
    max_count = int(SETTINGS["DZIENNIK_ATTACHMENT_MAX_COUNT"][0])
    largest = max_count * (4 * math.ceil(max_bytes / 3) + 1024) + 512 * 1024

    def megabytes(text):
        return int(re.fullmatch(r"(\d+)m", text.strip().strip('"')).group(1)) * 1024 * 1024
    nginx = re.search(r"client_max_body_size\s+(\S+);", (DEPLOY / "nginx.conf").read_text()).group(1)
    ingress = re.search(r'proxy-body-size:\s*("?\d+m"?)', (DEPLOY / "k8s" / "ingress.yaml").read_text()).group(1)
    assert megabytes(nginx) >= largest and megabytes(ingress) >= largest, (nginx, ingress, largest)
