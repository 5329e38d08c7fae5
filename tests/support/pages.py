"""The profile page's prefixed forms (one CSRF token per form), its sections and the errors
shown beside its fields."""
import re


def form_csrf(html: str, prefix: str | None = None) -> str:
    """The CSRF token of the form with `prefix` ("nickname-csrf_token"), or of a button-only form."""
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]+)"', html)
    assert match, f"no {name} field in page"
    return match.group(1)


def post_profile(client, path: str, prefix: str | None, data: dict | None = None, **kwargs):
    """POST `data` to `path` with the CSRF token of the /profile form `prefix` (None: a button form)."""
    html = client.get("/profile").get_data(as_text=True)
    data = dict(data or {})
    data[f"{prefix}-csrf_token" if prefix else "csrf_token"] = form_csrf(html, prefix)
    return client.post(path, data=data, **kwargs)


def section(html: str, section_id: str) -> str:
    """The inner HTML of the profile page's `<section id=...>`."""
    match = re.search(rf'<section class="card[^"]*" id="{section_id}">(.*?)</section>', html, re.S)
    assert match, f"no section #{section_id} in page"
    return match.group(1)


def field_error(html: str, field_id: str) -> str | None:
    """The error shown beside the field with id `field_id`, or None."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else None
