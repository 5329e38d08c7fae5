"""Schemas of the message actions API (message_api.py): edit, forward."""
from marshmallow import Schema, fields, validate

from blueprints.chat.mentions import MENTIONS_MAX
from blueprints.chat.schemas import MENTION_ALL_DESCRIPTION, MENTIONS_DESCRIPTION, MessageSchema
from blueprints.chat.services import BODY_MAX
from core.schemas import ID_RANGE, NOT_BLANK, Flag, Text, WholeNumber

IDS_MAX = 100  # ids a forward request may name at all; FORWARD_MAX_* decide what is accepted


class MessageEditSchema(Schema):
    # Checked by the service, with a clearer message than a validator's (400), as a send's.
    body = Text(required=True, pattern=NOT_BLANK, metadata={
        "minLength": 1, "maxLength": BODY_MAX,
        "description": "The new text, or an image's or file's new caption (1–5,000 characters, not blank)"})
    mentions = fields.List(WholeNumber(validate=ID_RANGE), load_default=list,
                           validate=validate.Length(max=MENTIONS_MAX), metadata={
                               "description": MENTIONS_DESCRIPTION + "; they replace the message's mentions"})
    mention_all = Flag(load_default=False, metadata={"description": MENTION_ALL_DESCRIPTION})


class ForwardSchema(Schema):
    message_ids = fields.List(WholeNumber(validate=ID_RANGE), required=True,
                              validate=validate.Length(min=1, max=IDS_MAX), metadata={
                                  "description": "Messages you can see (404 otherwise), not recalled (409); at most "
                                                 "FORWARD_MAX_MESSAGES (30 by default, 400 beyond)"})
    conversation_ids = fields.List(WholeNumber(validate=ID_RANGE), required=True,
                                   validate=validate.Length(min=1, max=IDS_MAX), metadata={
                                       "description": "Conversations where you may send (404 or 403 otherwise); at "
                                                      "most FORWARD_MAX_CONVERSATIONS (10 by default, 400 beyond)"})


class ForwardedCopiesSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema), required=True, metadata={
        "description": "The copies, conversation by conversation in the order given, each in the order the "
                       "originals were sent"})
