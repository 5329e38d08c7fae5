"""Reactions: people react to messages with an emoji (/api/v1/messages/<id>/reactions)."""
