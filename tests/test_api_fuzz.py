"""Fuzzing the JSON API: schemathesis reads /api/openapi.json from the app and sends generated
and malformed requests to every operation in it (new endpoints join by being documented), as a
logged-in person with friends, groups, requests and messages. No answer may be a server error
or contradict the document.

Every check schemathesis has is on (its default): not_a_server_error, status_code_,
content_type_, response_schema_ and response_headers_conformance, positive_data_acceptance,
negative_data_rejection, ignored_auth (each success is tried again without credentials),
missing_required_header, unsupported_method and the rest. Its examples, coverage (boundary
and malformed values) and fuzzing phases run for each operation, positive and negative.

Both databases: PostgreSQL found bugs SQLite could not (ids past 2**31, the NUL character),
and the pair stays near a minute on a busy two-core machine."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app import create_app
from blueprints.auth import sessions
from extensions import db
from models import User
from tests.support.apps import make_app
from tests.support.factories import invite_code, make_friends, make_group, make_users, send_message, send_request

# Fuzzing-phase requests per operation, positive and negative together; the coverage phase
# adds its boundary cases (some 10–40) on top.
MAX_EXAMPLES = 30
# With derandomize, the same requests every run: a failure here is a failure on every machine.
SEED = 20240611
# seed_world's people; "fuzzer" is the one logged in.
PEOPLE = ("fuzzer", "ann", "bob", "cat", "dan", "eve")
# Every id seed_world makes is at most 8 (users, conversations, messages, friend requests), so
# these name real objects; a generated id anywhere up to 2**31-1 almost never does.
REAL_ID = st.integers(min_value=1, max_value=8)


def seed_world(app) -> str:
    """Fill an empty database with a small social world around "fuzzer"; return fuzzer's
    personal access token.

    fuzzer has three friends (ann, bob, cat), a request from dan to answer, one to eve
    pending, a group of their own with an invite link (Hikers, with ann and bob), one of
    ann's (Readers), and messages in two direct conversations and in Hikers."""
    me, ann, bob, cat, dan, eve = make_users(app, *PEOPLE)
    with_ann = make_friends(app, me, ann)
    with_bob = make_friends(app, me, bob)
    make_friends(app, me, cat)
    send_request(app, dan, me, "hello")
    send_request(app, me, eve, "hi")
    hikers = make_group(app, me, "Hikers", [ann, bob])
    invite_code(app, me, hikers)
    make_group(app, ann, "Readers", [me])
    for sender, conversation, body in ((me, with_ann, "hi Ann"), (ann, with_ann, "hi!"),
                                       (bob, with_bob, "see https://example.org :)"),
                                       (me, hikers, "trail at 9"), (ann, hikers, "ok")):
        send_message(app, sender, conversation, body)
    with app.app_context():
        token = sessions.create_token(db.session.get(User, me), "fuzzer")
        db.session.commit()
    return token


def _document_app():
    # The document depends on the code only, so an app without a database serves it. Loading
    # it at import lets pytest list one test per operation: schemathesis' fixture-based loader
    # (schemathesis.pytest.from_fixture) fails on pytest 9.2, whose nodes lost `_nodeid`.
    return create_app({"TESTING": True, "SECRET_KEY": "fuzz-" + "x" * 32,
                       "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None})


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", _document_app())
schema.config.seed = SEED
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
)


def _aim(draw, name: str, value):
    # By name, as the API calls them: `*_id`, `*_ids` and `before` hold ids, `username` a person.
    if type(value) is int and (name.endswith("_id") or name == "before"):
        return draw(REAL_ID)
    if isinstance(value, list) and name.endswith("_ids") and all(type(item) is int for item in value):
        return [draw(REAL_ID) for _ in value]
    if name == "username" and isinstance(value, str):
        # Not fuzzer: asking yourself is refused with the documented 400, a rule no schema states.
        return draw(st.sampled_from(PEOPLE[1:]))
    return value


@st.composite
def _aimed(draw, case):
    # A container is replaced only when a value changed: schemathesis then checks it against
    # the document again, and cannot judge a multipart body (it would call the case malformed).
    for container in ("path_parameters", "query", "body"):
        values = getattr(case, container)
        if not isinstance(values, dict) or (container == "body" and case.media_type != "application/json"):
            continue
        aimed = {name: _aim(draw, name, value) for name, value in values.items()}
        if aimed != values:
            setattr(case, container, aimed)
    return case


@schema.hook
def flatmap_case(context, case):
    """Aim about half of the schema-valid requests at seed_world's objects: their ids name real
    people, conversations, messages and requests, and `username` a real person, so they get
    past the 404s to the code behind. Malformed requests go as generated."""
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return st.just(case)
    return st.one_of(st.just(case), _aimed(case))


@pytest.fixture
def target(database, mailbox, tmp_path):
    """(app, headers): a fresh app for one operation, its database seeded by seed_world, and
    fuzzer's Bearer credentials. The send limit is lifted so that the fuzzer's sends reach the
    message code instead of stopping at 429."""
    app = make_app(database, mailbox, tmp_path, MESSAGE_RATE_LIMIT="100000 per second")
    yield app, {"Authorization": f"Bearer {seed_world(app)}"}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@schema.parametrize()
# One app per operation, shared by its examples: a fresh database for each request would cost
# seconds, and later requests meeting what earlier ones did is part of the point.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_no_request_breaks_the_api_or_its_document(case, target):
    app, headers = target
    excluded = [positive_data_acceptance] if _blocks_myself(case) else []
    case.call_and_validate(app=app, headers=headers, excluded_checks=excluded)


def _blocks_myself(case) -> bool:
    # Blocking yourself is refused with the documented 400, a rule no schema can state: fuzzer
    # is user 1, the smallest id a valid body names, so the coverage phase always tries it.
    return (case.method == "POST" and case.path == "/api/v1/blocks" and isinstance(case.body, dict)
            and case.body.get("user_id") == 1)
