"""Language choice: the person's setting, else the browser's Accept-Language."""
from flask import current_app, has_request_context, request
from flask_login import current_user


def select_locale() -> str:
    """Return the locale for this request: a key of LANGUAGES (Flask-Babel's locale selector)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI, background work: no person, no browser
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = current_user if current_user else None
    if user is not None and user.is_authenticated and user.locale in languages:
        return user.locale
    return negotiate(request.accept_languages, languages, current_app.config["BABEL_DEFAULT_LOCALE"])


def negotiate(accepted, languages, default: str) -> str:
    """Pick from `languages` for an Accept-Language header, best quality first (RFC 9110
    §12.5.4); within one tag an exact match ("zh-CN" -> zh_CN) or, failing that, the same
    primary language ("zh", "zh-TW" -> zh_CN) counts, so "zh, en;q=0.9" picks Chinese."""
    keys = {key.lower().replace("_", "-"): key for key in languages}
    for tag, quality in accepted:  # Werkzeug sorts by quality, highest first
        tag = tag.lower().replace("_", "-")
        if quality <= 0 or tag == "*":
            continue
        if tag in keys:
            return keys[tag]
        primary = tag.split("-")[0]
        for normalized, key in keys.items():
            if normalized.split("-")[0] == primary:
                return key
    return default
