"""Message text to safe HTML: escaped, links made clickable, :shortcode: emoji turned into emoji."""
from functools import lru_cache

import emoji
from linkify_it import LinkifyIt
from markupsafe import Markup, escape

SAFE_SCHEMES = ("http://", "https://", "mailto:")


@lru_cache(maxsize=1)
def _linkify() -> LinkifyIt:
    return LinkifyIt()


def render_message(text: str) -> Markup:
    """Return `text` as HTML: every character escaped (no HTML from users ever renders), URLs,
    www. hosts and e-mail addresses as links (linkify-it-py), and `:shortcode:` emoji (the
    `emoji` library's names and aliases, e.g. :thumbs_up: or :+1:) as the emoji themselves.
    Line breaks are kept by the page's CSS (white-space: pre-wrap)."""
    text = emoji.emojize(text, language="alias")
    parts, last = [], 0
    for match in _linkify().match(text) or ():
        if not match.url.startswith(SAFE_SCHEMES):
            continue
        parts.append(escape(text[last:match.index]))
        parts.append(Markup('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>')
                     .format(match.url, text[match.index:match.last_index]))
        last = match.last_index
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
