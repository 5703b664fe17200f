#!/usr/bin/env python3
"""Schema checks of the deployment files, without a cluster or a container engine:

- deploy/kubernetes/*.yaml: each document a known kind with the fields Kubernetes requires and
  of the right types; the Deployment's probes on /healthz and /readyz of the API port, a
  non-root read-only container, its secrets from the gatehouse Secret, which must hold them;
  the Service selecting the Deployment's pods and naming ports the container has.
- compose.yaml: one PostgreSQL and two gatehouse nodes on it, sharing key and database.
- deploy/grafana/alerts.yaml: Prometheus rule groups (alert, expr, labels.severity).
- deploy/grafana/gatehouse.json: a dashboard whose panels all have Prometheus targets.

Prints one line per problem and exits 1 when there is any. Usage: check.py [ROOT]
"""

import json
import pathlib
import sys

import yaml

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def expect(where, value, kind, name):
    """`value` must be of `kind` (a type or tuple of types); returns it, or None."""
    if not isinstance(value, kind):
        problem(where, f"{name} must be {getattr(kind, '__name__', kind)}, found {type(value).__name__}")
        return None
    return value


def field(where, mapping, key, kind, required=True):
    if not isinstance(mapping, dict):
        return None
    if key not in mapping:
        if required:
            problem(where, f"missing {key}")
        return None
    return expect(f"{where}.{key}", mapping[key], kind, key)


def name_rfc1123(where, value):
    ok = isinstance(value, str) and 0 < len(value) <= 63 and value[0].isalnum() and value[-1].isalnum()
    ok = ok and all(c.islower() or c.isdigit() or c == "-" for c in value)
    if not ok:
        problem(where, f"{value!r} is not a DNS-1123 label")


def check_metadata(where, doc):
    metadata = field(where, doc, "metadata", dict)
    if metadata is not None:
        name = field(f"{where}.metadata", metadata, "name", str)
        if name is not None:
            name_rfc1123(f"{where}.metadata.name", name)
        labels = field(f"{where}.metadata", metadata, "labels", dict, required=False) or {}
        for key, value in labels.items():
            expect(f"{where}.metadata.labels.{key}", value, str, "a label value")
    return metadata or {}


def check_probe(where, probe, path, ports):
    probe = expect(where, probe, dict, "a probe")
    if probe is None:
        return
    get = field(where, probe, "httpGet", dict)
    if get is not None:
        if get.get("path") != path:
            problem(where, f"httpGet.path must be {path}, found {get.get('path')!r}")
        port = get.get("port")
        if port not in ports:
            problem(where, f"httpGet.port {port!r} is not a container port ({sorted(map(str, ports))})")
        if ports.get(port) != 8787:
            problem(where, "the probes must reach the API listener (8787)")
    for key in ("periodSeconds", "timeoutSeconds", "failureThreshold", "initialDelaySeconds"):
        value = field(where, probe, key, int, required=False)
        if value is not None and value < 0:
            problem(f"{where}.{key}", "must not be negative")


def check_container(where, container, secrets):
    field(where, container, "name", str)
    field(where, container, "image", str)
    ports = {}
    for i, port in enumerate(field(where, container, "ports", list) or []):
        number = field(f"{where}.ports[{i}]", port, "containerPort", int)
        name = field(f"{where}.ports[{i}]", port, "name", str, required=False)
        if number is not None and not 0 < number < 65536:
            problem(f"{where}.ports[{i}]", "containerPort out of range")
        ports[number] = number
        if name:
            ports[name] = number
    if 8787 not in ports.values() or 8080 not in ports.values():
        problem(where, "the container must expose the gateway (8080) and the API (8787)")
    names = set()
    for i, env in enumerate(field(where, container, "env", list) or []):
        at = f"{where}.env[{i}]"
        name = field(at, env, "name", str)
        names.add(name)
        if "value" in env and "valueFrom" in env:
            problem(at, "value and valueFrom are exclusive")
        if "value" in env:
            expect(f"{at}.value", env["value"], str, "value")
        elif "valueFrom" in env:
            ref = (env["valueFrom"] or {}).get("secretKeyRef")
            if not isinstance(ref, dict):
                problem(at, "valueFrom must be a secretKeyRef")
            elif ref.get("name") not in secrets:
                problem(at, f"secretKeyRef names no Secret in the manifests: {ref.get('name')!r}")
            elif ref.get("key") not in secrets[ref["name"]]:
                problem(at, f"Secret {ref['name']} has no key {ref.get('key')!r}")
        else:
            problem(at, "needs value or valueFrom")
        if name in ("GATEHOUSE_SECRET_KEY", "GATEHOUSE_DATABASE_URL", "GATEHOUSE_BOOTSTRAP_API_TOKEN") and "value" in env:
            problem(at, f"{name} must come from a Secret, not a literal")
    for required in ("GATEHOUSE_SECRET_KEY", "GATEHOUSE_DATABASE_URL"):
        if required not in names:
            problem(where, f"no {required}")
    check_probe(f"{where}.livenessProbe", container.get("livenessProbe"), "/healthz", ports)
    check_probe(f"{where}.readinessProbe", container.get("readinessProbe"), "/readyz", ports)
    security = field(where, container, "securityContext", dict) or {}
    if security.get("allowPrivilegeEscalation") is not False:
        problem(where, "allowPrivilegeEscalation must be false")
    if security.get("readOnlyRootFilesystem") is not True:
        problem(where, "readOnlyRootFilesystem must be true")
    if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
        problem(where, "capabilities must drop ALL")
    return ports


def check_kubernetes(directory):
    docs = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            kustomization = yaml.safe_load(path.read_text())
            for resource in field(str(path), kustomization, "resources", list) or []:
                if not (directory / resource).is_file():
                    problem(str(path), f"lists {resource}, which does not exist")
            continue
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if doc is not None:
                docs.append((f"{path.name}[{i}]", doc))
    known = {("v1", "Secret"), ("v1", "Service"), ("apps/v1", "Deployment")}
    secrets, deployments, services = {}, [], []
    for where, doc in docs:
        if expect(where, doc, dict, "a document") is None:
            continue
        kind = (doc.get("apiVersion"), doc.get("kind"))
        if kind not in known:
            problem(where, f"unknown apiVersion/kind {kind}")
            continue
        metadata = check_metadata(where, doc)
        if kind[1] == "Secret":
            data = {**(doc.get("stringData") or {}), **(doc.get("data") or {})}
            for key, value in data.items():
                expect(f"{where}.stringData.{key}", value, str, "a Secret value")
            secrets[metadata.get("name")] = set(data)
        elif kind[1] == "Deployment":
            deployments.append((where, doc))
        else:
            services.append((where, doc))
    for kind, found in (("Secret", secrets), ("Deployment", deployments), ("Service", services)):
        if not found:
            problem(str(directory), f"no {kind}")
    pod_ports = {}
    pod_labels = []
    for where, doc in deployments:
        spec = field(where, doc, "spec", dict) or {}
        replicas = field(f"{where}.spec", spec, "replicas", int, required=False)
        if replicas is not None and replicas < 1:
            problem(f"{where}.spec.replicas", "must be at least 1")
        selector = (field(f"{where}.spec", spec, "selector", dict) or {}).get("matchLabels") or {}
        template = field(f"{where}.spec", spec, "template", dict) or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problem(f"{where}.spec.selector", "matchLabels must select the template's labels")
        pod_labels.append(labels)
        pod = field(f"{where}.spec.template", template, "spec", dict) or {}
        security = pod.get("securityContext") or {}
        if security.get("runAsNonRoot") is not True:
            problem(f"{where}.spec.template.spec.securityContext", "runAsNonRoot must be true")
        containers = field(f"{where}.spec.template.spec", pod, "containers", list) or []
        if not containers:
            problem(f"{where}.spec.template.spec", "no containers")
        volumes = {v.get("name") for v in pod.get("volumes") or [] if isinstance(v, dict)}
        for i, container in enumerate(containers):
            at = f"{where}.containers[{i}]"
            if expect(at, container, dict, "a container") is None:
                continue
            pod_ports.update(check_container(at, container, secrets))
            for mount in container.get("volumeMounts") or []:
                if mount.get("name") not in volumes:
                    problem(at, f"volumeMount {mount.get('name')!r} has no volume")
    for where, doc in services:
        spec = field(where, doc, "spec", dict) or {}
        selector = field(f"{where}.spec", spec, "selector", dict) or {}
        if not any(all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels):
            problem(f"{where}.spec.selector", "selects no Deployment's pods")
        for i, port in enumerate(field(f"{where}.spec", spec, "ports", list) or []):
            at = f"{where}.spec.ports[{i}]"
            field(at, port, "port", int)
            target = port.get("targetPort", port.get("port"))
            if target not in pod_ports:
                problem(at, f"targetPort {target!r} is not a container port")


def check_compose(path):
    compose = yaml.safe_load(path.read_text())
    services = field(str(path), compose, "services", dict) or {}
    postgres = [n for n, s in services.items() if "postgres" in str((s or {}).get("image", ""))]
    nodes = {n: s for n, s in services.items() if n.startswith("gatehouse")}
    if len(postgres) != 1:
        problem(str(path), f"expected one PostgreSQL service, found {postgres}")
    if len(nodes) != 2:
        problem(str(path), f"expected two gatehouse nodes, found {sorted(nodes)}")
    urls, keys, images = set(), set(), set()
    for name, service in nodes.items():
        env = service.get("environment") or {}
        urls.add(env.get("GATEHOUSE_DATABASE_URL"))
        keys.add(env.get("GATEHOUSE_SECRET_KEY"))
        images.add(service.get("image"))
        if postgres and postgres[0] not in (service.get("depends_on") or {}):
            problem(f"{path}:{name}", "must depend on the PostgreSQL service")
        if not service.get("volumes"):
            problem(f"{path}:{name}", "needs a /data volume")
    if len(urls) != 1 or None in urls or (postgres and f"@{postgres[0]}:" not in next(iter(urls))):
        problem(str(path), f"the nodes must share one database URL on the PostgreSQL service: {urls}")
    if len(keys) != 1 or None in keys:
        problem(str(path), "the nodes must share one server key")
    if len(images) != 1:
        problem(str(path), f"the nodes must run one image: {images}")


def check_alerts(path):
    rules = yaml.safe_load(path.read_text())
    groups = field(str(path), rules, "groups", list) or []
    if not groups:
        problem(str(path), "no rule groups")
    for g, group in enumerate(groups):
        at = f"{path}:groups[{g}]"
        field(at, group, "name", str)
        for r, rule in enumerate(field(at, group, "rules", list) or []):
            where = f"{at}.rules[{r}]"
            field(where, rule, "alert", str)
            field(where, rule, "expr", str)
            severity = (field(where, rule, "labels", dict) or {}).get("severity")
            if severity not in ("critical", "warning", "info"):
                problem(where, f"labels.severity {severity!r}")
            duration = rule.get("for")
            if duration is not None and not (isinstance(duration, str) and duration[:-1].isdigit() and duration[-1] in "smh"):
                problem(where, f"for: {duration!r} is not a duration")


def check_dashboard(path):
    dashboard = json.loads(path.read_text())
    field(str(path), dashboard, "title", str)
    field(str(path), dashboard, "uid", str)
    panels = field(str(path), dashboard, "panels", list) or []
    if not panels:
        problem(str(path), "no panels")
    for i, panel in enumerate(panels):
        at = f"{path}:panels[{i}]"
        field(at, panel, "title", str)
        targets = field(at, panel, "targets", list) or []
        if not targets or not all(isinstance(t, dict) and isinstance(t.get("expr"), str) for t in targets):
            problem(at, "every panel needs Prometheus targets with expr")


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    check_kubernetes(root / "deploy/kubernetes")
    check_compose(root / "compose.yaml")
    check_alerts(root / "deploy/grafana/alerts.yaml")
    check_dashboard(root / "deploy/grafana/gatehouse.json")
    for line in problems:
        print(line)
    if problems:
        sys.exit(1)
    print("deploy/check.py: kubernetes manifests, compose.yaml, alert rules and dashboard are well-formed")


if __name__ == "__main__":
    main()
