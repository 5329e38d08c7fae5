"""Calls a logged-in browser makes to /api/v1. A browser is the (client, headers) pair of
`quick_client`; the headers carry the CSRF token every write needs."""
API = "/api/v1"


def assert_error(response, status: int, field: str | None = None) -> dict:
    """The API answered `status` with an error body {code, message} and, when `field` is
    given, errors: {field: [messages]}. Returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    if field:
        messages = body["errors"][field]
        assert messages and all(isinstance(m, str) and m for m in messages)
    return body


def get(browser, url: str, **headers):
    """GET `url` as `browser` with extra request headers."""
    client, _csrf = browser
    return client.get(url, headers=headers)


def send_text(browser, conversation_id: int, body: str) -> dict:
    """Send text message `body`; return the stored message (the send must succeed)."""
    client, headers = browser
    response = client.post(f"{API}/conversations/{conversation_id}/messages", json={"body": body}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def recall(browser, message_id: int):
    client, headers = browser
    return client.post(f"{API}/messages/{message_id}/recall", headers=headers)


def favorite(browser, message_id: int):
    client, headers = browser
    return client.post(f"{API}/favorites", json={"message_id": message_id}, headers=headers)


def favorited(browser, message_id: int) -> dict:
    """Favorite and return the favorite (it must be new)."""
    response = favorite(browser, message_id)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def unfriend(browser, friend_id: int) -> None:
    client, headers = browser
    assert client.delete(f"{API}/friends/{friend_id}", headers=headers).status_code == 204
