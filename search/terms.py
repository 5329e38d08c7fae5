"""Search terms: the words of a text as the full-text index stores them, and a query as terms
to look for, the same on SQLite and PostgreSQL (search/index.py hands both engines these terms
ready-made, so neither engine's own word splitting decides what matches).

- A run of letters and digits in an alphabetic script is one word, kept in its NFKC,
  case-folded form: "Meeting" and "ＭＥＥＴＩＮＧ" are both "meeting". A query word matches
  whole words by prefix: "meet" finds "meeting", "eet" does not.
- Chinese, Japanese and Korean text has no spaces between words, so a run of those characters
  is indexed as its overlapping two-character pieces (bigrams) and its last character: "开会了"
  gives "开会", "会了", "了". Any two or more characters a person types are then found where
  they occur, whatever a dictionary would have called a word: the bigram method of Lucene's
  CJKBigramFilter and Elasticsearch's `cjk` analyzer. One character is found by prefix ("开"
  matches "开会"); three or more by all their bigrams, and then as a whole (search/index.py
  checks the text contains the run).
"""
import re
import unicodedata
from dataclasses import dataclass

# Han (with extensions and compatibility ideographs), kana, Hangul, and the CJK symbols'
# iteration marks: the scripts written without spaces between words.
_CJK = ("\u3005\u3006\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
        "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f")
# A CJK run, or a run of other letters and digits (underscore and CJK excluded).
_TOKEN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")
WORD_MAX = 40  # characters of a word that are indexed and matched (longer ones are cut)
TERMS_MAX = 2000  # distinct terms indexed for one message at most


# What NFKC may bring into a token that a term must not hold: spaces and ASCII punctuation
# ("ﹰ" becomes " ً", "⑴" "(1)", "ﷺ" four words). The engines would split terms there, and
# differently (SQLite's `ascii` tokenizer at both, search/index.py's PostgreSQL path at spaces).
_SPLITTERS = re.compile(r"[\s\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")


def normal(token: str) -> str:
    """`token` as it is indexed and matched: NFKC, case-folded, without the spaces and ASCII
    punctuation NFKC may bring in (so never holding either), at most WORD_MAX characters;
    maybe empty (a lone combining form such as "ﹰ"), which is no term."""
    return _SPLITTERS.sub("", unicodedata.normalize("NFKC", token).casefold())[:WORD_MAX]


def index_terms(*texts: str) -> list[str]:
    """The distinct terms of `texts` (a message's text, a file's name), first seen first, at
    most TERMS_MAX: whole words, and for each CJK run its bigrams and last character."""
    terms: dict[str, None] = {}
    for text in texts:
        for match in _TOKEN.finditer(text):
            run = match.group("cjk")
            if run is None:
                word = normal(match.group("word"))
                if word:
                    terms[word] = None
                continue
            run = normal(run)
            for n in range(len(run) - 1):
                terms[run[n:n + 2]] = None
            if run:
                terms[run[-1]] = None
        if len(terms) >= TERMS_MAX:
            break
    return list(terms)[:TERMS_MAX]


@dataclass(frozen=True)
class Query:
    """A search query as terms. `prefixes` match any indexed term they begin (words, and a
    lone CJK character); `exact` are bigrams that must be indexed as they are; `runs` are
    the CJK runs of three or more characters whose bigrams are among `exact` and which the
    text must contain whole. `words` and `cjk` are what the person typed, normalised, for
    highlighting."""

    prefixes: tuple[str, ...]
    exact: tuple[str, ...]
    runs: tuple[str, ...]
    words: tuple[str, ...]
    cjk: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.prefixes or self.exact)


QUERY_TERMS_MAX = 32  # terms one query may have


def parse_query(text: str) -> Query:
    """`text` (what a person typed in the search box) as a Query; an empty Query when it has
    no letters or digits. Every term must match (AND). At most QUERY_TERMS_MAX terms are
    kept."""
    prefixes: dict[str, None] = {}
    exact: dict[str, None] = {}
    runs: dict[str, None] = {}
    words: dict[str, None] = {}
    cjk: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        if match.group("word") is not None:
            word = normal(match.group("word"))
            if word:
                prefixes[word] = words[word] = None
            continue
        run = normal(match.group("cjk"))
        if not run:
            continue
        cjk[run] = None
        if len(run) == 1:
            prefixes[run] = None
            continue
        for n in range(len(run) - 1):
            exact[run[n:n + 2]] = None
        if len(run) > 2:
            runs[run] = None
    keep = QUERY_TERMS_MAX
    return Query(tuple(prefixes)[:keep], tuple(exact)[:keep], tuple(runs), tuple(words), tuple(cjk))


def match_spans(text: str, query: Query) -> list[tuple[int, int]]:
    """Where `query` matches in `text`: sorted, non-overlapping (start, end) character
    offsets of the words it begins (the matched prefix only) and of the CJK runs it names."""
    spans = []
    for match in _TOKEN.finditer(text):
        if match.group("word") is not None:
            word = normal(match.group("word"))
            for prefix in query.words:
                if word.startswith(prefix):
                    spans.append((match.start(), match.start() + _raw_length(match.group("word"), len(prefix))))
                    break
            continue
        run_text = match.group("cjk")
        run = normal(run_text)
        if len(run) != len(run_text):  # NFKC changed its length: highlight the whole run
            if any(part in run for part in query.cjk):
                spans.append((match.start(), match.end()))
            continue
        for part in query.cjk:
            start = run.find(part)
            while start != -1:
                spans.append((match.start() + start, match.start() + start + len(part)))
                start = run.find(part, start + 1)
    return _merged(spans)


def _raw_length(raw: str, normal_length: int) -> int:
    # The characters of `raw` whose normal form is the first `normal_length` characters of
    # normal(raw) ("ﬁle": "fi" is one character; case folding may lengthen "ß").
    for n in range(1, len(raw) + 1):
        if len(normal(raw[:n])) >= normal_length:
            return n
    return len(raw)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
