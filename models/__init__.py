"""Parley's SQLAlchemy models, split by domain; importing this package registers them all."""
from models.actions import HiddenMessage, MessageEdit, Pin, Reaction
from models.chat import Attachment, Conversation, Membership, Mention, Message
from models.event import Event, EventCounter, EventRecipient
from models.favorite import Favorite
from models.push import PushSubscription
from models.social import Block, FriendRequest, Friendship
from models.user import AccessToken, CredentialEpoch, EmailCode, User, UserSession
from search.index import install as _install_search_index
from extensions import db as _db

# The full-text index is no model (search/index.py): made with the tables they are made with.
_install_search_index(_db.metadata)

__all__ = [
    "AccessToken", "Attachment", "Block", "Conversation", "CredentialEpoch", "EmailCode", "Event", "EventCounter", "EventRecipient",
    "Favorite", "FriendRequest", "Friendship", "HiddenMessage", "Membership", "Mention", "Message",
    "MessageEdit", "Pin", "PushSubscription", "Reaction", "User", "UserSession",
]
