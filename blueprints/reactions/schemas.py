"""Schemas of the reactions API."""
from marshmallow import Schema

from blueprints.reactions.emojis import EMOJI_MAX, EMOJI_PATTERN
from core.schemas import Text


class ReactionChangeSchema(Schema):
    # Checked by the service, with a clearer message than a validator's (400).
    emoji = Text(required=True, pattern=EMOJI_PATTERN, metadata={
        "maxLength": EMOJI_MAX,
        "description": "Exactly one emoji, such as 👍 (400 otherwise); stored fully qualified, so ❤ and ❤️ "
                       "are one reaction"})
