"""Validates Kubernetes manifests offline: the multi-document YAML `helm
template` prints, read from standard input.

Built-in kinds are checked against Kubernetes' own OpenAPI schemas
(kubernetes-validate, installed by scripts/deploy/setup-validate), strictly:
a field the schema does not have is an error, as `kubectl apply
--validate=strict` makes it. Custom resources are checked against the
`openAPIV3Schema` of their CRD in crds/ (KEDA's ScaledObject, the
Prometheus operator's ServiceMonitor), also with unknown fields refused.

Usage: validate.py KUBERNETES_VERSION < manifests.yaml
Prints `<kind> <name>` per valid resource; exits 1 naming the first
invalid one and why.
"""

import copy
import pathlib
import sys

import jsonschema
import kubernetes_validate
import yaml

HERE = pathlib.Path(__file__).parent
CRDS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh_scaledobjects.yaml",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_servicemonitors.yaml",
}


def strict(schema):
    """The schema with unknown properties refused wherever it lists
    properties and says nothing of others."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def crd_schema(api_version, kind):
    crd = yaml.safe_load((HERE / "crds" / CRDS[(api_version, kind)]).read_text())
    version = api_version.split("/")[1]
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            return strict(v["schema"]["openAPIV3Schema"])
    sys.exit(f"validate.py: the {kind} CRD has no version {version}")


def main():
    k8s = sys.argv[1]
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
    if not docs:
        sys.exit("validate.py: no resources on standard input")
    for doc in docs:
        key = (doc.get("apiVersion"), doc.get("kind"))
        name = f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}"
        try:
            if key in CRDS:
                jsonschema.validate(doc, crd_schema(*key))
            else:
                kubernetes_validate.validate(doc, k8s, strict=True)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as e:
            path = "/".join(str(p) for p in e.path)
            sys.exit(f"validate.py: {name} is invalid at /{path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            sys.exit(f"validate.py: {name}: no schema for it ({e})")
        print(name)


if __name__ == "__main__":
    main()
