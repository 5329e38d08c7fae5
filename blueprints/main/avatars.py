"""Generated avatars: a person's initial on a colour picked from their id."""
import hashlib

from markupsafe import escape

# Colours with white text readable on them (WCAG AA for large text).
PALETTE = ("#1e66f5", "#d20f39", "#40a02b", "#8839ef", "#df8e1d", "#179299", "#e64553", "#7287fd",
           "#ea76cb", "#04a5e5", "#5c5f77", "#fe640b")


def initials(nickname: str) -> str:
    """Return the letters shown on a generated avatar: the first letters of up to two words
    for Latin-like names ("Ada Lovelace" -> "AL"), else the first character ("小明" -> "小")."""
    words = nickname.split()
    if not words:
        return "?"
    first = words[0][0]
    if first.isascii() and len(words) > 1 and words[1][0].isascii():
        return (first + words[1][0]).upper()
    return first.upper()


def generated_avatar_svg(user_id: int, nickname: str) -> str:
    """Return an SVG image (a 128 px square) with `nickname`'s initials on `user_id`'s colour."""
    colour = PALETTE[int(hashlib.sha256(str(user_id).encode()).hexdigest(), 16) % len(PALETTE)]
    text = escape(initials(nickname))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">'
        f'<rect width="128" height="128" fill="{colour}"/>'
        '<text x="64" y="64" dy=".35em" text-anchor="middle" fill="#fff" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Noto Sans CJK SC, sans-serif" '
        f'font-size="56" font-weight="600">{text}</text></svg>'
    )
