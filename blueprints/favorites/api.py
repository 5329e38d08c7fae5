"""/api/v1/favorites: favorite and unfavorite messages, list favorites by type with search."""
from flask import current_app

from blueprints.favorites import services
from blueprints.favorites.schemas import (FavoriteCreateSchema, FavoritePageSchema, FavoriteQuerySchema,
                                          FavoriteSchema)
from core.api import ApiBlueprint, me
from core.ratelimit import action_limit

bp = ApiBlueprint("api_favorites", __name__, description="Favorites")


@bp.route("/favorites")
@bp.arguments(FavoriteQuerySchema, location="query")
@bp.response(200, FavoritePageSchema)
def list_favorites(args):
    """Your favorites, newest first: `type` (all, text, image, file), `q` searches text and
    file names, `page` from 1."""
    per_page = current_app.config["FAVORITES_PER_PAGE"]
    favorites, total = services.list_favorites(me(), args["type"], args["q"], args["page"], per_page)
    return {"items": services.favorite_jsons(me(), favorites), "total": total, "page": args["page"],
            "per_page": per_page}


@bp.route("/favorites", methods=["POST"])
@bp.arguments(FavoriteCreateSchema)
@bp.response(201, FavoriteSchema)
@bp.alt_response(200, schema=FavoriteSchema, description="Already a favorite: the existing one")
@bp.errors(404, 429)
@action_limit()
def add_favorite(args):
    """Favorite a message you can see. Favoriting it again returns the existing favorite."""
    favorite, created = services.add_favorite(me(), args["message_id"])
    return services.favorite_jsons(me(), [favorite])[0], 201 if created else 200


@bp.route("/favorites/<int:favorite_id>", methods=["DELETE"])
@bp.response(204)
@bp.errors(404, 429)
@action_limit()
def remove_favorite(favorite_id):
    """Remove one of your favorites."""
    services.remove_favorite(me(), favorite_id)


@bp.route("/messages/<int:message_id>/favorite", methods=["DELETE"])
@bp.response(204)
@bp.errors(429)
@action_limit()
def unfavorite_message(message_id):
    """Unfavorite a message (by the message's id); 204 also when it was not a favorite."""
    services.remove_favorite_of_message(me(), message_id)
