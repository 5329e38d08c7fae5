"""What counts as one emoji for a reaction, as a rule (`reaction_emoji`) and as the pattern the
API's document states it with (`EMOJI_PATTERN`): exactly one emoji of the `emoji` library's
list (Unicode's emoji sequences, qualified or not, with skin tones and ZWJ sequences)."""
import emoji

EMOJI_MAX = 32  # characters of the stored column (the longest emoji is 10)
_SPECIAL = set("\\^$.|?*+()[]{}")


def reaction_emoji(value: str) -> str | None:
    """`value` as a reaction stores it, or None when it is not exactly one emoji: its fully
    qualified form, so that "❤" and "❤️" (U+2764 with or without U+FE0F, as keyboards
    differ) make one reaction."""
    if not isinstance(value, str) or len(value) > EMOJI_MAX or not emoji.is_emoji(value):
        return None
    return emoji.emojize(emoji.demojize(value, language="en"), language="en")


def _trie_pattern(words) -> str:
    # One regex of every word, sharing prefixes: a third the size of a plain alternation, and
    # read alike by Python and ECMAScript (literal characters, groups and `?` only).
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [("\\" + char if char in _SPECIAL else char) + pattern(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body
    return pattern(trie)


# The document's pattern of one emoji (what the schemas' `pattern` says and the fuzzer
# generates from); `(?![\s\S])` is the end of the text, as in core/schemas.py.
EMOJI_PATTERN = rf"^{_trie_pattern(emoji.EMOJI_DATA)}(?![\s\S])"
