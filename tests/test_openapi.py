"""The OpenAPI document at /api/openapi.json is valid and describes every JSON endpoint."""
import re

import pytest
from openapi_spec_validator import validate

from tests.helpers import login_client, make_friends, make_user


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_api_route_is_documented_with_its_methods(app, spec):
    documented = {path: {m.upper() for m in ops} for path, ops in spec["paths"].items()}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in documented, f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method in documented[path], f"{method} {rule.rule} is not documented"


def test_every_operation_declares_its_success_response_and_request_body(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            successes = [code for code in operation["responses"] if code.startswith("2")]
            assert successes, f"{method.upper()} {path} declares no success response"
            for code in successes:
                if code != "204":
                    assert "content" in operation["responses"][code], f"{method.upper()} {path} {code}"
            if method in ("post", "put", "patch") and not path.endswith(("/accept", "/reject", "/quit", "/typing", "/recall")):
                assert "requestBody" in operation, f"{method.upper()} {path} declares no request body"


def test_answers_carry_the_documented_fields(app, spec):
    # A real answer of each list endpoint has every field its schema marks required.
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    make_friends(app, alice, bob)
    client, _headers = login_client(app, "alice")
    schemas = spec["components"]["schemas"]
    for path, schema_name, item_name in (("/api/v1/friends", "FriendList", "User"),
                                         ("/api/v1/groups", "GroupList", None)):
        body = client.get(path).get_json()
        assert set(schemas[schema_name]["required"]) <= set(body)
        if item_name:
            assert body["items"] and set(schemas[item_name]["required"]) <= set(body["items"][0])
    me = client.get("/api/v1/me").get_json()
    assert set(schemas["Me"]["required"]) <= set(me)
