"""/manifest.webmanifest, /sw.js and /offline: what makes Parley installable and lets its
shell load offline (the service worker itself is static/js/sw.js)."""
import hashlib
import json
from pathlib import Path

from flask import Response, current_app, render_template, url_for
from flask_babel import gettext as _

from blueprints.webapp import bp

WORKER = "js/sw.js"
# What the service worker precaches besides the offline page: every stylesheet and script a
# page may load (their URLs carry no version, so the worker's cache name does) and the icons.
SHELL_GLOBS = ("css/*.css", "js/*.js", "js/*/*.js", "img/*")
NO_CACHE = "no-cache"  # the browser checks /sw.js for a new version on every navigation anyway


def _shell(static: Path) -> tuple[list[str], str]:
    """The static files of the shell (paths below static/) and a hash of their contents
    and of the worker's, which names the worker's cache: any change installs a new one."""
    files = sorted({path for pattern in SHELL_GLOBS for path in static.glob(pattern)} - {static / WORKER})
    digest = hashlib.sha256((static / WORKER).read_bytes())
    for path in files:
        digest.update(path.relative_to(static).as_posix().encode() + b"\0" + path.read_bytes())
    return [path.relative_to(static).as_posix() for path in files], digest.hexdigest()[:16]


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest (W3C Web Application Manifest): name, start page, icons, and a
    description in the reader's language."""
    icon = lambda name, size, purpose: {  # noqa: E731
        "src": url_for("static", filename=f"img/{name}"), "sizes": size, "type": "image/png", "purpose": purpose}
    body = {
        "name": "Parley", "short_name": "Parley", "id": url_for("chat.index"),
        "description": _("Chat with your friends and groups."),
        "start_url": url_for("chat.index"), "scope": url_for("main.index"), "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#3a5bd9",
        "icons": [icon("icon-192.png", "192x192", "any"), icon("icon-512.png", "512x512", "any"),
                  icon("icon-maskable-512.png", "512x512", "maskable")],
    }
    # Private: the description is in the reader's language (their setting, else Accept-Language),
    # which a shared cache would hand to everyone behind it.
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json",
                    headers={"Cache-Control": "private, max-age=3600", "Vary": "Accept-Language, Cookie"})


@bp.route("/sw.js")
def service_worker():
    """The service worker, from the site's root so that it may control every page, with its
    settings first: its version, the shell to precache, the offline page's URL."""
    static = Path(current_app.static_folder)
    shell = current_app.extensions.get("parley.webapp.shell")
    if shell is None or current_app.debug:  # read once per process (in debug, each time: edits show)
        shell = current_app.extensions["parley.webapp.shell"] = (*_shell(static),
                                                                 (static / WORKER).read_text(encoding="utf-8"))
    files, version, worker = shell
    settings = {"version": version, "offline": url_for("webapp.offline"),
                "icon": url_for("static", filename="img/icon-192.png"),
                "shell": [url_for("static", filename=name) for name in files] + [url_for("webapp.offline")]}
    script = f"self.PARLEY = {json.dumps(settings)};\n" + worker
    return Response(script, mimetype="text/javascript",
                    headers={"Cache-Control": NO_CACHE, "Service-Worker-Allowed": url_for("main.index")})


@bp.route("/offline")
def offline():
    """What a navigation shows when the network is gone: Parley is offline, try again. The
    service worker stores it when it installs, so it names nobody and nothing private."""
    return render_template("webapp/offline.html")
