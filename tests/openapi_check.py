"""Validates Croft's live OpenAPI document, with user collections of every field type merged in.

Usage: python tests/openapi_check.py CROFT_BIN
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

from openapi_spec_validator import validate

FIELDS = [
    {"name": "title", "type": "text", "required": True, "min": 1, "max": 100, "pattern": "^[A-Za-z ]+$"},
    {"name": "body", "type": "editor"},
    {"name": "views", "type": "number", "min": 0, "max": 1000, "onlyInt": True},
    {"name": "price", "type": "number"},
    {"name": "published", "type": "bool"},
    {"name": "contact", "type": "email"},
    {"name": "site", "type": "url"},
    {"name": "when", "type": "date"},
    {"name": "created", "type": "autodate", "onCreate": True},
    {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
    {"name": "kind", "type": "select", "values": ["x", "y"], "maxSelect": 1},
    {"name": "meta", "type": "json"},
    {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
    {"name": "fans", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 9},
    {"name": "where", "type": "geoPoint"},
    {"name": "secret", "type": "text", "hidden": True},
]


def request(base, method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token)
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"null")


def fuzz(base, token):
    """schemathesis against the live document: no 5xx, no undeclared status, no schema violation.

    The realtime stream is left out: it is an endless event stream, covered by the realtime suites.
    """
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    result = subprocess.run(
        [schemathesis, "run", f"{base}/api/openapi.json", "-H", f"Authorization: {token}",
         "--max-examples", os.environ.get("CROFT_FUZZ_EXAMPLES", "25"), "--seed", "20261121",
         "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance",
         "--exclude-path-regex", r"/_/|/\{path\}", "--exclude-operation-id", "get_docs", "--exclude-operation-id", "realtime_connect"],
        capture_output=True, text=True,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PYTHONPATH": os.path.dirname(os.path.abspath(__file__))})
    tail = "\n".join(result.stdout.splitlines()[-25:])
    print(tail)
    if result.returncode != 0:
        sys.exit(f"schemathesis found problems:\n{result.stdout[-6000:]}")


def main(binary):
    with tempfile.TemporaryDirectory() as data:
        subprocess.run([binary, "superuser", "upsert", "doc@example.com", "password123", "--dir", data], check=True, capture_output=True)
        server = subprocess.Popen([binary, "serve", "--http", "127.0.0.1:0", "--dir", data], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            base = None
            for line in server.stdout:
                m = re.match(r"Server started at (\S+)", line)
                if m:
                    base = m.group(1)
                    break
            token = request(base, "POST", "/api/collections/_superusers/auth-with-password", {"identity": "doc@example.com", "password": "password123"})["token"]
            request(base, "POST", "/api/collections", {"name": "every_field", "listRule": "", "viewRule": None, "createRule": "@request.auth.id != ''", "fields": FIELDS}, token)
            request(base, "POST", "/api/collections", {"name": "members", "type": "auth", "fields": [{"name": "nick", "type": "text"}]}, token)
            doc = request(base, "GET", "/api/openapi.json")
            validate(doc)
            assert "/api/collections/every_field/records" in doc["paths"], "collection paths missing"
            assert "EveryFieldCreate" in doc["components"]["schemas"], "collection schemas missing"
            print(f"live OpenAPI document with {len(doc['paths'])} paths: OK")
            fuzz(base, token)
        finally:
            server.terminate()
            server.wait(timeout=15)


if __name__ == "__main__":
    main(sys.argv[1])
