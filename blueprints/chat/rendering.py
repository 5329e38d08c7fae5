"""Message text to safe HTML: escaped, links made clickable, :shortcode: emoji turned into emoji,
mentions highlighted."""
import re
from functools import lru_cache

import emoji
from linkify_it import LinkifyIt
from markupsafe import Markup, escape

SAFE_SCHEMES = ("http://", "https://", "mailto:")
# `@all`: a group owner's mention of every member, as the composer writes it in English or
# Chinese ("@所有人"); highlighted only in a message that mentions everyone.
ALL_NAMES = ("all", "所有人")
# Where an "@Name" may start and end: not inside an address (alice@example.org) or a longer
# Latin word ("@Bobby" is not "@Bob"); next to Chinese text is fine ("你好@张三").
_BEFORE, _AFTER = r"(?<![A-Za-z0-9._%+-])", r"(?![A-Za-z0-9])"


@lru_cache(maxsize=1)
def _linkify() -> LinkifyIt:
    return LinkifyIt()


def render_message(text: str, mentions: list[dict] | None = None, mention_all: bool = False) -> Markup:
    """Return `text` as HTML: every character escaped (no HTML from users ever renders), URLs,
    www. hosts and e-mail addresses as links (linkify-it-py), `:shortcode:` emoji (the
    `emoji` library's names and aliases, e.g. :thumbs_up: or :+1:) as the emoji themselves,
    and each "@<nickname>" of `mentions` ([{"id", "nickname"}], the people the message
    mentions) and, with `mention_all`, "@all" as <span class="mention" data-user-id="..">
    (no data-user-id for @all, or "@所有人"). A mention inside a link stays part of the link.
    Line breaks are kept by the page's CSS (white-space: pre-wrap)."""
    text = emoji.emojize(text, language="alias")
    names = _mention_pattern(tuple(sorted({(emoji.emojize(m["nickname"], language="alias"), m["id"])
                                           for m in mentions or () if m["nickname"]})), mention_all)
    parts, last = [], 0
    for match in _linkify().match(text) or ():
        if not match.url.startswith(SAFE_SCHEMES):
            continue
        parts.append(_with_mentions(text[last:match.index], names))
        parts.append(Markup('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>')
                     .format(match.url, text[match.index:match.last_index]))
        last = match.last_index
    parts.append(_with_mentions(text[last:], names))
    return Markup("").join(parts)


@lru_cache(maxsize=256)
def _mention_pattern(names: tuple[tuple[str, int], ...], mention_all: bool):
    """(a regex finding "@<name>" of any of `names` ((nickname, id) pairs), longest name
    first, {name: id}), or None when there is nothing to find."""
    ids = {name: user_id for name, user_id in names}
    if mention_all:
        for name in ALL_NAMES:
            ids.setdefault(name, None)
    if not ids:
        return None
    choices = "|".join(re.escape(name) for name in sorted(ids, key=len, reverse=True))
    return re.compile(f"{_BEFORE}@({choices}){_AFTER}"), ids


def _with_mentions(text: str, names) -> Markup:
    if names is None:
        return escape(text)
    pattern, ids = names
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last:match.start()]))
        user_id = ids[match.group(1)]
        if user_id is None:
            parts.append(Markup('<span class="mention mention-all">{}</span>').format(match.group(0)))
        else:
            parts.append(Markup('<span class="mention" data-user-id="{}">{}</span>').format(user_id, match.group(0)))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


# The composer's emoji picker: common emoji by their `emoji` library names.
PICKER_NAMES = (
    "grinning_face", "face_with_tears_of_joy", "smiling_face_with_smiling_eyes", "winking_face",
    "smiling_face_with_heart-eyes", "face_blowing_a_kiss", "thinking_face", "face_with_rolling_eyes",
    "grimacing_face", "relieved_face", "sleeping_face", "smiling_face_with_sunglasses", "nerd_face",
    "confused_face", "astonished_face", "pleading_face", "crying_face", "loudly_crying_face",
    "angry_face", "partying_face", "zany_face", "smiling_face_with_open_hands", "face_with_hand_over_mouth",
    "shushing_face", "thumbs_up", "thumbs_down", "clapping_hands", "raising_hands", "folded_hands",
    "waving_hand", "OK_hand", "victory_hand", "flexed_biceps", "handshake", "red_heart",
    "broken_heart", "sparkles", "fire", "hundred_points", "party_popper", "birthday_cake",
    "hot_beverage", "beer_mug", "pizza", "rocket", "star", "sun", "rainbow", "check_mark_button",
    "cross_mark", "warning", "light_bulb", "eyes", "see-no-evil_monkey", "dog_face", "cat_face",
)


def picker_emoji() -> list[str]:
    """The emoji the composer's picker offers, as characters."""
    return [emoji.emojize(f":{name}:") for name in PICKER_NAMES]
