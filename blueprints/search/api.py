"""/api/v1/search: one search over every message you can see."""
from blueprints.search import services
from blueprints.search.schemas import SearchPageSchema, SearchQuerySchema
from core.api import ApiBlueprint, me
from core.ratelimit import search_limit

bp = ApiBlueprint("api_search", __name__, description="Search")


@bp.route("/search")
@bp.arguments(SearchQuerySchema, location="query")
@bp.response(200, SearchPageSchema)
@bp.errors(400, 404, 429)
@search_limit()
def search(args):
    """Messages you can see whose text, caption or file name matches `q`: words by prefix
    (`meet` finds "meeting"), Chinese, Japanese or Korean by the characters typed (`开会`).
    Newest first (`before` pages), or `order=relevance` (`offset` pages); narrowed by
    `conversation_id`, `sender_id` and `kind`."""
    return services.search_messages(me(), args["q"], conversation_id=args["conversation_id"],
                                    sender_id=args["sender_id"], kind=args["kind"], before=args["before"],
                                    limit=args["limit"], order=args["order"], offset=args["offset"])
