"""The JSON API under /api/v1, declared with flask-smorest (OpenAPI at /api/openapi.json).

Each area keeps its API beside its pages (`blueprints/<area>/api.py`, schemas in
`blueprints/<area>/schemas.py`); this module is what they share.
"""
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from core.input import InputParser
from core.schemas import ErrorSchema

URL_PREFIX = "/api/v1"


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint of one area's JSON API: under /api/v1, named `api_<area>`
    (its endpoints are `api_<area>.<view>`), `description` naming its tag in the document.
    Every view it registers is for logged-in people only. Its arguments are read by
    core/input.py's InputParser: JSON bodies under that module's rules."""

    ARGUMENTS_PARSER = InputParser()

    def __init__(self, name: str, import_name: str, *, description: str, **kwargs):
        super().__init__(name, import_name, url_prefix=URL_PREFIX, description=description, **kwargs)

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **kwargs):
        """Register `view_func` behind login_required. The request pipeline already answers 401
        before an API view's arguments are read (auth's require_login_for_api, installed by
        core/hooks.py); this keeps each view safe on its own."""
        return super().add_url_rule(rule, endpoint, login_required(view_func), provide_automatic_options, **kwargs)

    def arguments(self, schema, **kwargs):
        """flask-smorest's `arguments`, with a schema class made into its instance once, here:
        given a class, webargs builds a new instance (copying every declared field) for each
        request, about 120 of a text send's 3,700 Python function calls (bench/RESULTS.md).
        A marshmallow schema keeps no state between loads (webargs passes `unknown` and the
        like per call), so one instance serves them all."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)

    def errors(self, *statuses: int):
        """Decorator documenting each of `statuses` (e.g. 400, 404) as an error answer with
        ErrorSchema's shape; one line for what would be one alt_response per status."""
        def decorate(view):
            for status in statuses:
                view = self.alt_response(status, schema=ErrorSchema)(view)
            return view
        return decorate


def me():
    """The logged-in person as a User model (not the current_user proxy), for services."""
    return current_user._get_current_object()
