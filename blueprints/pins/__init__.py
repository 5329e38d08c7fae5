"""Pins: messages a group's owner, or either person of a direct conversation, pins to the top
of the conversation (/api/v1/messages/<id>/pin, /api/v1/conversations/<id>/pins)."""
