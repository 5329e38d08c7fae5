"""The application factory."""
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import realtime
import storage
from blueprints.auth import cache as credential_cache
from blueprints.attachments.api import bp as api_attachments_bp
from blueprints.attachments.routes import bp as attachments_bp
from blueprints.auth.routes import bp as auth_bp
from blueprints.blocks.api import bp as api_blocks_bp
from blueprints.blocks.routes import bp as blocks_bp
from blueprints.chat.api import bp as api_chat_bp
from blueprints.chat.message_api import bp as api_message_actions_bp
from blueprints.chat.receipts import record_viewed
from blueprints.chat.routes import bp as chat_bp
from blueprints.events.routes import bp as events_bp
from blueprints.favorites.api import bp as api_favorites_bp
from blueprints.favorites.routes import bp as favorites_bp
from blueprints.friends.api import bp as api_friends_bp
from blueprints.friends.routes import bp as friends_bp
from blueprints.groups.api import bp as api_groups_bp
from blueprints.groups.routes import bp as groups_bp
from blueprints.main.routes import bp as main_bp
from blueprints.mentions.api import bp as api_mentions_bp
from blueprints.mentions.routes import bp as mentions_bp
from blueprints.notifications.routes import bp as notifications_bp
from blueprints.pins.api import bp as api_pins_bp
from blueprints.profile.api import bp as api_me_bp
from blueprints.profile.routes import bp as profile_bp
from blueprints.push.api import bp as api_push_bp
from blueprints.push.routes import bp as push_bp
from blueprints.reactions.api import bp as api_reactions_bp
from blueprints.search.api import bp as api_search_bp
from blueprints.search.routes import bp as search_bp
from blueprints.webapp.routes import bp as webapp_bp
from commands.events import events_cli
from commands.uploads import uploads_cli
from commands.users import users_cli
from config import configure
from core import hooks
from core.database import check_liveness
from core.i18n import select_locale
from core.input import InputRequest
from core.routing import IdConverter
from core.timezones import select_timezone
from extensions import api, babel, csrf, db, limiter, login, mail, migrate, talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data: blob:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def create_app(config: dict | None = None) -> Flask:
    """Build a Parley app. `config` overrides settings from config.py and the environment."""
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = InputRequest  # text, numbers and JSON bodies held to core/input.py's rules
    # Before any blueprint adds a rule: every <int:...> in a URL is an id, bounded by IdConverter.
    app.url_map.converters["int"] = IdConverter
    configure(app, config)
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"],
                                x_proto=app.config["PROXY_COUNT"], x_host=app.config["PROXY_COUNT"])

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            check_liveness(engine, app.config["DATABASE_PING_AFTER"])
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"))
    login.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    talisman.init_app(
        app,
        force_https=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
    )
    api.init_app(app)
    storage.init_app(app)
    realtime.init_app(app)
    credential_cache.init_app(app)
    # Reading by viewing (realtime/viewing.py): the hub gathers read moves, a service records them.
    app.extensions[realtime.EXTENSION_KEY].viewing.recorder = record_viewed
    hooks.init_app(app)  # the request and commit pipelines, in order: read core/hooks.py

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(profile_bp)
    app.register_blueprint(chat_bp)
    app.register_blueprint(friends_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(attachments_bp)
    app.register_blueprint(favorites_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(mentions_bp)
    app.register_blueprint(blocks_bp)
    app.register_blueprint(push_bp)
    app.register_blueprint(webapp_bp)
    for api_bp in (api_me_bp, api_friends_bp, api_groups_bp, api_chat_bp, api_attachments_bp, api_favorites_bp,
                   api_search_bp, api_mentions_bp, api_blocks_bp, api_message_actions_bp):
        api.register_blueprint(api_bp)
    api.register_blueprint(api_reactions_bp)
    api.register_blueprint(api_pins_bp)
    api.register_blueprint(api_push_bp)
    app.cli.add_command(users_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(uploads_cli)
    return app
