"""The OpenAPI document at /api/openapi.json is valid and describes every JSON endpoint."""
import re
import uuid

import jsonschema_rs
import pytest
from openapi_spec_validator import validate

from core.routing import ID_MAX
from tests.support.api import assert_error
from tests.support.factories import make_friends, make_user
from tests.support.login import login_client, quick_client


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
            if method in ("post", "put", "patch") and not path.endswith(("/accept", "/reject", "/quit", "/typing", "/recall", "/hide", "/pin")):
                assert "requestBody" in operation, f"{method.upper()} {path} declares no request body"


def test_answers_carry_the_documented_fields(app, spec):
    # A real answer of each list endpoint has every field its schema marks required.
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    make_friends(app, alice, bob)
    client = login_client(app, "alice")
    schemas = spec["components"]["schemas"]
    for path, schema_name, item_name in (("/api/v1/friends", "FriendList", "User"),
                                         ("/api/v1/groups", "GroupList", None)):
        body = client.get(path).get_json()
        assert set(schemas[schema_name]["required"]) <= set(body)
        if item_name:
            assert body["items"] and set(schemas[item_name]["required"]) <= set(body["items"][0])
    me = client.get("/api/v1/me").get_json()
    assert set(schemas["Me"]["required"]) <= set(me)


def test_every_id_in_a_path_is_bounded_by_the_id_range(spec):
    for path, operations in spec["paths"].items():
        for parameter in operations.get("parameters", []):
            if parameter["in"] == "path" and parameter["schema"]["type"] == "integer":
                assert parameter["schema"]["maximum"] == ID_MAX, f"{path} {parameter['name']}"


@pytest.mark.parametrize("huge", [ID_MAX + 1, 2**63, 10**30])
def test_ids_no_row_can_have_are_not_found_not_a_database_error(app, huge):
    # Found by the fuzzer: past 2**31 PostgreSQL refused the query ("integer out of range")
    # and past 2**63 SQLite could not bind the number, both answering 500.
    make_user(app, "alice")
    client, headers = quick_client(app, "alice")
    for method, path in (("GET", f"/api/v1/groups/{huge}"),
                         ("POST", f"/api/v1/friend-requests/{huge}/accept"),
                         ("DELETE", f"/api/v1/friends/{huge}"),
                         ("GET", f"/api/v1/conversations/{huge}/messages"),
                         ("POST", f"/api/v1/conversations/{huge}/typing")):
        assert_error(client.open(path, method=method, headers=headers), 404)


def test_ids_in_bodies_and_queries_beyond_the_id_range_name_the_field(app):
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    direct = make_friends(app, alice, bob)
    client, headers = quick_client(app, "alice")
    huge = ID_MAX + 1
    assert_error(client.post("/api/v1/groups", json={"name": "Hikers", "member_ids": [huge]}, headers=headers),
                 422, "member_ids")
    assert_error(client.get(f"/api/v1/conversations/{direct}/messages", query_string={"before": huge},
                            headers=headers), 422, "before")
    assert_error(client.post(f"/api/v1/conversations/{direct}/read", json={"message_id": 2**63}, headers=headers),
                 422, "message_id")


def test_text_with_a_nul_character_is_refused_naming_the_field(app):
    # Found by the fuzzer: PostgreSQL can neither store nor compare U+0000, so a search for it
    # failed the query (500); SQLite stored it. Now every backend refuses it alike.
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    direct = make_friends(app, alice, bob)
    client, headers = quick_client(app, "alice")
    for response, field in (
            (client.get("/api/v1/users", query_string={"q": "bo\x00"}, headers=headers), "q"),
            (client.post("/api/v1/friend-requests", json={"username": "bob\x00"}, headers=headers), "username"),
            (client.post("/api/v1/groups", json={"name": "Hi\x00kers"}, headers=headers), "name"),
            (client.post(f"/api/v1/conversations/{direct}/messages", json={"body": "hi\x00"}, headers=headers),
             "body")):
        body = assert_error(response, 422, field)
        assert body["errors"][field] == ["Text cannot contain the NUL character (U+0000)."]


def _documented(schema: dict, value: str) -> bool:
    """Whether the document's string `schema` allows `value`, read by a JSON Schema validator
    that, like clients, does not take patterns in Python's dialect (jsonschema-rs)."""
    return jsonschema_rs.validator_for({**schema, "type": "string"}).is_valid(value)


def test_the_document_states_the_text_rules_the_services_enforce(app, spec):
    # Found by the fuzzer: the document let reasons run to 1,000 characters (the service keeps
    # 200), and allowed blank group names, messages and searches and any client id, which
    # the services refuse with 400: clients following the document were refused. Blank is
    # what str.strip() strips, which ECMAScript's `\s` is not (\x1c-\x1f, \x85).
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    direct = make_friends(app, alice, bob)
    client, headers = quick_client(app, "alice")
    schemas = spec["components"]["schemas"]
    search = next(p["schema"] for p in spec["paths"]["/api/v1/users"]["get"]["parameters"] if p["name"] == "q")
    a_uuid = str(uuid.uuid4())
    checks = (
        (schemas["FriendRequestCreate"]["properties"]["reason"],
         lambda v: client.post("/api/v1/friend-requests", json={"username": "nobody", "reason": v}, headers=headers),
         ["", "   ", "x" * 200, " \n" + "x" * 200 + " ", "x" * 201, "x" * 1000]),
        (schemas["GroupCreate"]["properties"]["name"],
         lambda v: client.post("/api/v1/groups", json={"name": v}, headers=headers),
         ["", "  \t", "\x1c\x1d\x85", "名" * 50, "  " + "x" * 50 + "\n", "x" * 51, "x" * 200]),
        (schemas["MessageCreate"]["properties"]["body"],
         lambda v: client.post(f"/api/v1/conversations/{direct}/messages", json={"body": v}, headers=headers),
         ["", " \n\t ", "\f\n\x1d", "\ufeff", "hi", "x" * 5000, "x" * 5001]),
        (schemas["MessageCreate"]["properties"]["client_id"],
         lambda v: client.post(f"/api/v1/conversations/{direct}/messages", json={"body": "hi", "client_id": v},
                               headers=headers),
         ["", a_uuid.upper(), "not-a-uuid", a_uuid + "\n", a_uuid + "0"]),
        (search,
         lambda v: client.get("/api/v1/users", query_string={"q": v}, headers=headers),
         ["   ", "bo", " bob "]),
    )
    for schema, send, values in checks:
        for value in values:
            status = send(value).status_code
            assert _documented(schema, value) == (status not in (400, 422)), (value, status)


def test_the_attachment_client_id_is_not_documented_as_nullable(spec):
    # A multipart part is text; a documented null made clients (and the fuzzer) send "null".
    client_id = spec["components"]["schemas"]["AttachmentCreate"]["properties"]["client_id"]
    assert not client_id.get("nullable")


def test_the_document_says_how_to_log_in_and_every_operation_needs_it(app, spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["sessionCookie"]["name"] == app.config["SESSION_COOKIE_NAME"]
    assert spec["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]
    client = app.test_client()
    for path, operations in spec["paths"].items():
        url = re.sub(r"{\w+}", "1", path)
        for method, operation in operations.items():
            if method == "parameters" or operation.get("security") == []:
                continue
            response = client.open(url, method=method.upper(), json={})
            assert response.status_code == 401, f"{method.upper()} {path}"
