"""What makes Parley installable, read as a browser reads it: the manifest and its icons,
the service worker from the site's root (never cached stale, its shell all there), and the
offline page, which the worker stores for everyone and so must name nobody."""
import io
import json

from PIL import Image

from tests.support.api import API


def test_every_page_links_the_manifest_and_its_icons_are_what_it_says(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page

    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert (manifest["name"], manifest["start_url"], manifest["display"]) == ("Parley", "/chat", "standalone")
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.mimetype == "image/png"
        width, height = Image.open(io.BytesIO(image.data)).size
        assert icon["sizes"] == f"{width}x{height}"
    assert {"any", "maskable"} == {icon["purpose"] for icon in manifest["icons"]}


def test_the_manifest_in_one_language_is_never_served_from_a_shared_cache_to_another(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "zh-CN"})
    assert "private" in response.headers["Cache-Control"] and "public" not in response.headers["Cache-Control"]
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_the_service_worker_comes_from_the_root_fresh_with_its_whole_shell(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    first_line, _, script = response.get_data(as_text=True).partition("\n")
    settings = json.loads(first_line.removeprefix("self.PARLEY = ").removesuffix(";"))
    assert "addEventListener('push'" in script
    assert {"/static/css/parley.css", "/static/js/chat.js", "/static/js/api.js", "/offline"} <= set(settings["shell"])
    for url in settings["shell"]:  # cache.addAll fails the install if any one is missing
        assert client.get(url).status_code == 200, url
    assert not any(url.startswith((API, "/events", "/chat", "/profile")) for url in settings["shell"])
    assert client.get("/sw.js").get_data(as_text=True).startswith(first_line), "the version changed by itself"


def test_the_offline_page_says_parley_is_offline_in_the_readers_language_and_names_nobody(client, auth, user):
    assert "Parley 处于离线状态" in client.get("/offline", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    auth.login()
    page = client.get("/offline").get_data(as_text=True)
    assert "Parley is offline" in page
    assert "alice" not in page.lower() and "csrf" not in page.lower()
