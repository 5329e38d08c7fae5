"""The floor under any Parley request (bench scenario `floor`): two apps that do nothing but
answer a text send's POST with a small JSON body, served by the same gunicorn and gevent
settings as Parley. `raw` is a bare WSGI function; `flask_app` is an empty Flask route (no
extensions, hooks or database). What they cost a request, and the highest rate they hold, is
what the stack itself takes before any of Parley's work: the ceiling of every figure measured
through a request."""
import json

from flask import Flask, request

flask_app = Flask(__name__)


@flask_app.post("/api/v1/conversations/<int:conversation_id>/messages")
def send_message(conversation_id: int):
    """Read the JSON body and answer 201 with a message-like object."""
    body = request.get_json()
    return {"id": 1, "conversation_id": conversation_id, "body": body["body"]}, 201


@flask_app.get("/login")
def login():
    """Answered so the benchmark sees the server up."""
    return "ok"


def raw(environ, start_response):
    """The same answers as `flask_app`, by hand: the WSGI protocol (PEP 3333) and no more."""
    if environ["REQUEST_METHOD"] == "GET":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    conversation_id = int(environ["PATH_INFO"].split("/")[4])
    answer = json.dumps({"id": 1, "conversation_id": conversation_id, "body": body["body"]}).encode()
    start_response("201 CREATED", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]
