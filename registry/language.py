"""The directory's language rules, shared by the index side and the query side.

The Elasticsearch node we run has no analysis-common module (no asciifolding, no stemmers,
no synonyms), so text is folded and stemmed here, in Python, the same way when a document
is indexed and when a query is read: "Évora" = "evora", "Lumière" = "lumiere",
"peels" = "peeling" = "peel", "micro-needling" = "micro needling". Elasticsearch then only
splits the prepared text on spaces, which works on a minimal and on a full distribution.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from anyascii import anyascii

_STEMMER = Stemmer.Stemmer("english")
# Dotted initialisms are one word: "D.C." -> "dc", "M.D." -> "md", "U.S." -> "us".
_INITIALISM = re.compile(r"\b(?:[a-z]\.){2,}")
# An apostrophe inside a word joins it: "Zoë's" -> "zoes", "O'Brien" -> "obrien".
# (Folded text is ASCII: curly quotes and accents have become "'" by then.)
_APOSTROPHE = re.compile(r"(?<=[a-z0-9])['`](?=[a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Unicode NFKC, case folding, and accents or other scripts spelt in plain ASCII letters;
    symbols (emoji, ©, ™) are no words and go."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    text = "".join(" " if unicodedata.category(c)[0] == "S" else c for c in text)
    return anyascii(text).lower()


def words(text: str) -> list[str]:
    """The folded words of `text`; hyphens and punctuation separate words."""
    text = fold(text)
    if "'" in text or "`" in text:
        text = _APOSTROPHE.sub("", text)
    if "." in text:
        text = _INITIALISM.sub(lambda m: m[0].replace(".", ""), text)
    return [w for w in _NOT_WORD.split(text) if w]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English (Porter2) stem of a folded word; numbers and codes like "co2" stay as they are."""
    return word if not word.isalpha() else _STEMMER.stemWord(word)


def analyze(text: str) -> str:
    """Folded, stemmed words joined by spaces: what the index stores and what queries match."""
    return " ".join(stem(w) for w in words(text))


def joined(tokens: list[str] | tuple[str, ...]) -> str:
    """One key for a phrase however it is split or joined: "micro needling" = "microneedling".

    The words are run together and the result stemmed as one word, so plurals fold too
    ("stretch marks" = "stretchmark" = "stretchmarks").
    """
    return stem("".join(tokens))


# Small words a clinic's name may or may not be said with ("The Pure Aesthetics", "Halo Laser &
# Skin Center of Charlotte"): left out of the key a whole name is matched by.
NAME_NOISE = frozenset({"the", "and", "of", "a", "an", "by", "at", "in", "on", "for", "with"})


def name_key(tokens: list[str] | tuple[str, ...]) -> str:
    """A whole name as one key, however it was spelt, cased or abbreviated: folded words, stems."""
    return " ".join(stem(w) for w in tokens if w not in NAME_NOISE)
