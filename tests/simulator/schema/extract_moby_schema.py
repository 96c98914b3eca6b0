"""Keep the parts of moby's ``api/swagger.yaml`` the simulated Engine API is checked against.

    git -C MOBY show v27.3.1:api/swagger.yaml > /tmp/swagger.yaml
    python tests/simulator/schema/extract_moby_schema.py /tmp/swagger.yaml v27.3.1 COMMIT \\
        > tests/simulator/schema/moby-v27.3.1.json

Writes the 200 response schema of each endpoint in ``ENDPOINTS`` and every definition they
reference (transitively), with the source, tag and commit. Descriptions and examples are
dropped (only the structure is checked); everything else is moby's text unchanged.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import yaml

# name -> (path, method): the responses tests/simulator/unit/test_engine_json_schema.py checks
ENDPOINTS = {
    "container_inspect": ("/containers/{id}/json", "get"),
    "container_list": ("/containers/json", "get"),
    "image_inspect": ("/images/{name}/json", "get"),
    "image_list": ("/images/json", "get"),
    "version": ("/version", "get"),
    "info": ("/info", "get"),
    "network_inspect": ("/networks/{id}", "get"),
    "network_list": ("/networks", "get"),
}
_DROP = {"description", "example", "examples", "x-go-name", "title"}


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in _DROP or k == "properties"}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            found.add(ref.removeprefix("#/definitions/"))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def extract(swagger: dict[str, Any], tag: str, commit: str) -> dict[str, Any]:
    responses = {
        name: _strip(swagger["paths"][path][method]["responses"][200]["schema"])
        for name, (path, method) in ENDPOINTS.items()
    }
    wanted, definitions = _refs(responses), {}
    while wanted:
        name = wanted.pop()
        if name in definitions:
            continue
        definitions[name] = _strip(swagger["definitions"][name])
        wanted |= _refs(definitions[name]) - set(definitions)
    return {
        "source": "https://github.com/moby/moby/blob/" + tag + "/api/swagger.yaml",
        "tag": tag,
        "commit": commit,
        "swagger_api_version": swagger["info"]["version"],
        "responses": responses,
        "definitions": dict(sorted(definitions.items())),
    }


if __name__ == "__main__":
    path, tag, commit = sys.argv[1:4]
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    json.dump(extract(data, tag, commit), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
