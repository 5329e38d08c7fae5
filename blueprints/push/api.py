"""/api/v1/push: the site's VAPID key, subscribing a browser to notifications, and whether
they show the message's text."""
from flask import request

from blueprints.auth import sessions
from blueprints.push import services
from blueprints.push.keys import public_key
from blueprints.push.schemas import (PublicKeySchema, PushSettingsSchema, SubscriptionCreateSchema,
                                     SubscriptionDeleteSchema, SubscriptionListSchema, SubscriptionSchema)
from core.api import ApiBlueprint, me
from core.i18n import select_locale
from core.ratelimit import action_limit

bp = ApiBlueprint("api_push", __name__, description="Push notifications")


@bp.route("/push/key")
@bp.response(200, PublicKeySchema)
def get_key():
    """The site's public VAPID key, to subscribe a browser with."""
    return {"public_key": public_key()}


@bp.route("/push/subscriptions")
@bp.response(200, SubscriptionListSchema)
def list_subscriptions():
    """The browsers you get notifications on, oldest first."""
    return {"items": [services.subscription_json(row) for row in services.list_subscriptions(me())]}


@bp.route("/push/subscriptions", methods=["POST"])
@bp.arguments(SubscriptionCreateSchema)
@bp.response(201, SubscriptionSchema)
@bp.alt_response(200, schema=SubscriptionSchema, description="Already subscribed: updated")
@bp.errors(400, 403, 429)
@action_limit()
def subscribe(args):
    """Get notifications of direct messages and mentions on this browser: send what
    PushSubscription.toJSON() gives. 400 for an endpoint that is not an https URL, or keys of
    the wrong length; 403 for a push service the site does not send to. The subscription
    lasts as long as this login: logging out (or revoking the Bearer token) ends it."""
    device = args["device"] or services.device_label(request.headers.get("User-Agent", ""))
    login = ({"access_token_id": sessions.current_token_id()} if sessions.bearer_token()
             else {"user_session_id": sessions.current_session_id()})
    row, created = services.subscribe(me(), args["endpoint"], args["keys"]["p256dh"], args["keys"]["auth"],
                                      device, select_locale(), **login)
    return services.subscription_json(row), 201 if created else 200


@bp.route("/push/subscriptions", methods=["DELETE"])
@bp.arguments(SubscriptionDeleteSchema)
@bp.response(204)
@bp.errors(429)
@action_limit()
def unsubscribe(args):
    """Stop notifications on the browser with this endpoint (204 also when it had none)."""
    services.unsubscribe(me(), args["endpoint"])


@bp.route("/push/settings")
@bp.response(200, PushSettingsSchema)
def get_settings():
    """Whether your notifications show the message's text."""
    return {"previews": me().push_previews}


@bp.route("/push/settings", methods=["PUT"])
@bp.arguments(PushSettingsSchema)
@bp.response(200, PushSettingsSchema)
@bp.errors(429)
@action_limit()
def put_settings(args):
    """Let notifications show the message's text (`previews`), or only who wrote."""
    services.set_previews(me(), args["previews"])
    return {"previews": me().push_previews}
