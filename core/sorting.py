"""Sort keys for people's names that suit both Latin and Chinese scripts."""
import unicodedata

from pypinyin import Style, lazy_pinyin


def name_sort_key(name: str) -> tuple[str, str]:
    """Return a key that orders names alphabetically, Chinese characters by their pinyin.

    "阿明" sorts as "a ming", between "Adam" and "Bob"; ties fall back to the name itself.
    Uses pypinyin's dictionary for readings (the most common reading of each character).
    """
    folded = unicodedata.normalize("NFKD", name).casefold()
    latin = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(lazy_pinyin(latin, style=Style.NORMAL, errors="default")), name


def name_initials(name: str) -> str:
    """The first letters of a name's pinyin, lower case, for finding Chinese names by typing
    their initials: "张三" gives "zs", "李小明" "lxm"; other characters are kept as they are
    ("Bob 张三" gives "bob zs" with its spaces removed: "bobzs")."""
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return "".join(letters).replace(" ", "").casefold()
