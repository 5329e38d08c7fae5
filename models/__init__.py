"""Parley's SQLAlchemy models, split by domain; importing this package registers them all."""
from models.chat import Attachment, Conversation, Membership, Message
from models.event import Event, EventCounter, EventRecipient
from models.favorite import Favorite
from models.social import FriendRequest, Friendship
from models.user import AccessToken, CredentialEpoch, EmailCode, User, UserSession

__all__ = [
    "AccessToken", "Attachment", "Conversation", "CredentialEpoch", "EmailCode", "Event", "EventCounter", "EventRecipient",
    "Favorite", "FriendRequest", "Friendship", "Membership", "Message", "User", "UserSession",
]
