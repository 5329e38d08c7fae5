"""/api/v1/favorites: favorite and unfavorite messages, list favorites by type with search."""
from flask import current_app
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from blueprints.api.schemas import (ErrorSchema, FavoriteCreateSchema, FavoritePageSchema, FavoriteQuerySchema,
                                    FavoriteSchema)
from blueprints.favorites import services

bp = Blueprint("api_favorites", __name__, url_prefix="/api/v1", description="Favorites")


def _me():
    return current_user._get_current_object()


@bp.route("/favorites")
@bp.arguments(FavoriteQuerySchema, location="query")
@bp.response(200, FavoritePageSchema)
@login_required
def list_favorites(args):
    """Your favorites, newest first: `type` (all, text, image, file), `q` searches text and
    file names, `page` from 1."""
    per_page = current_app.config["FAVORITES_PER_PAGE"]
    favorites, total = services.list_favorites(_me(), args["type"], args["q"], args["page"], per_page)
    return {"items": services.favorite_bodies(_me(), favorites), "total": total, "page": args["page"],
            "per_page": per_page}


@bp.route("/favorites", methods=["POST"])
@bp.arguments(FavoriteCreateSchema)
@bp.response(201, FavoriteSchema)
@bp.alt_response(200, schema=FavoriteSchema, description="Already a favorite: the existing one")
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def add_favorite(args):
    """Favorite a message you can see. Favoriting it again returns the existing favorite."""
    favorite, created = services.add_favorite(_me(), args["message_id"])
    return services.favorite_bodies(_me(), [favorite])[0], 201 if created else 200


@bp.route("/favorites/<int:favorite_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def remove_favorite(favorite_id):
    """Remove one of your favorites."""
    services.remove_favorite(_me(), favorite_id)


@bp.route("/messages/<int:message_id>/favorite", methods=["DELETE"])
@bp.response(204)
@login_required
def unfavorite_message(message_id):
    """Unfavorite a message (by the message's id); 204 also when it was not a favorite."""
    services.remove_favorite_of_message(_me(), message_id)
