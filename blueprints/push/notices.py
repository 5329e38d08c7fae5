"""What a push notification says: built per recipient from a message.created event, in the
recipient's language, with the message's text only for those who allow previews."""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from blueprints.chat.payloads import summary

TEXT_MAX = 200  # characters of a message a notification shows (push payloads hold ~4 KB)


def _shortened(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TEXT_MAX else line[:TEXT_MAX - 1].rstrip() + "…"


def notice(message: dict, url: str, group_name: str | None, mentioned: bool, previews: bool,
           locale: str | None) -> dict:
    """The notification for one recipient of `message` (a message JSON, as message.created
    carries it) that opens `url`: {"conversation_id", "message_id", "title", "body", "url",
    "tag"} (one tag per conversation: a newer notification replaces the older). `group_name`
    is None for a direct conversation; `mentioned`: the message mentions the recipient;
    `previews`: they allow the text to show (else "New message" / "You were mentioned");
    `locale`: their language (a key of LANGUAGES; None: the default). Call in an app context."""
    languages = current_app.config["LANGUAGES"]
    sender = (message.get("sender") or {}).get("nickname") or ""
    conversation_id = message["conversation_id"]
    with force_locale(locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]):
        title = _("%(sender)s in %(group)s", sender=sender, group=group_name) if group_name else sender
        if previews:
            body = _shortened(summary(message.get("kind", "text"), message.get("body") or "", False,
                                      message.get("attachment"), limit=None))
        else:
            body = _("You were mentioned") if mentioned else _("New message")
    return {"conversation_id": conversation_id, "message_id": message["id"], "title": title, "body": body,
            "url": url, "tag": f"parley-conversation-{conversation_id}"}
