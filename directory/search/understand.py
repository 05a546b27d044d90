"""Query understanding: what a person typed in one box -> treatments, credentials, a place, words.

One step, used by the API, the pages and autocomplete alike. It is pure (text in, an
`Interpretation` out; the vocabulary and place tables are built once per process) and cheap
(tens of microseconds), so it runs on every request. The shape follows pelias/parser:

1. **Words**: `registry.language.words` (Unicode NFKC, case and accent folding, punctuation).
2. **Classifiers** mark spans of words: a ZIP (or ZIP+4), a place (city with or without a
   state, a nickname such as "Philly", a borough, a whole state), a treatment or credential
   alias from the vocabulary, a cue that a place follows ("in", "near"), a word that carries no
   meaning here ("me", "the", "best"), a word that means "qualified".
3. **A solver** picks one consistent reading, most certain spans first: a ZIP; a place after
   a cue; a place followed by its state ("portland me"); vocabulary phrases, longest first;
   then a bare place name, only where a place name is likely (see `BARE_PLACE_*`).
4. **Typos**: a word left over is compared with the vocabulary (and, where a place is
   expected, with place names) by edit distance, transpositions counting once, within the
   rules below.

Why a named treatment becomes a filter (and not only a boost): a person who types "botox
tampa" wants clinics that offer Botox near Tampa, and `treatment=botox` already means exactly
that, is exact, cached and cheap, and keeps every result explainable ("Botox providers near
Tampa, FL", with the filter shown and removable on the page). A boost would let a clinic that
merely mentions a word outrank one that offers the treatment. The same holds for credentials,
which become `certification=` (verified and unexpired). An alias that names several codes
("prp": PRP microneedling or PRP hair restoration; "nurse": RN, NP or CANS) becomes "any of
them". Words that only loosely point at a treatment ("laser", "dermatology", "facial") stay
free text: they match the treatment names and aliases indexed with each clinic, with a higher
weight than the clinic's name, so a clinic offering the treatment still ranks first.

When the words left match nothing, `relaxations` gives the readings to try next: a bare
place name read as text instead, then the words dropped from the last one backwards (the
order Meilisearch uses by default); the response says which words were dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from registry import places, vocabulary
from registry.language import joined, words
from registry.places import Area

# --- Rules, written down ----------------------------------------------------------------------

# Typos allowed in a word, by its length (Algolia's defaults): none under 4 letters, one from
# 4 letters, two from 8. Any letter may be the wrong one, the first included ("votox",
# "nicroneedling"), and swapping two neighbours counts as one typo ("tmapa").
MIN_LENGTH_FOR_1_TYPO = 4
MIN_LENGTH_FOR_2_TYPOS = 8
# Vocabulary phrases shorter than this are never reached by a typo ("derm" -> "term"/"germ"
# are words, not misspellings); they match as typed.
MIN_FUZZY_TARGET_LENGTH = 5
# The last word may be unfinished (typing on a phone): from this many letters it also
# matches the words it begins.
MIN_PREFIX_LENGTH = 3
# A search box is not a document: words beyond this are ignored.
MAX_WORDS = 24
# The longest vocabulary phrase and the longest place phrase looked at, in words.
MAX_PHRASE_WORDS = 6

# Words that announce a place: "botox near tampa", "peel in charlotte nc".
PLACE_CUES = frozenset({"in", "near", "around", "nearby", "by", "at"})
# A bare place name without a cue or a state is read as a place only if the place is this
# big: at the end of the query ("botox tampa"), at its start ("tampa botox"), or anywhere
# when it is several words ("salt lake city"). Smaller towns need "in"/"near" or a state,
# because clinic names are full of words that are also town names ("Summit", "Golden").
BARE_PLACE_END_POPULATION = 50_000
BARE_PLACE_START_POPULATION = 100_000
BARE_PLACE_MULTIWORD_POPULATION = 5_000
# Short place words that are also ordinary words or name parts ("la" in "Crème de la Peau",
# state codes such as "in", "me", "or", "pa"): places only as the query's last word.
AMBIGUOUS_PLACE_WORDS = frozenset({"la", "de", "co", "al", "id", "hi", "oh", "ok", "ma", "pa", "md", "ms"})
# Words that carry no meaning for this search; they are shown as ignored. ("best" and "top"
# are what sort=best already does.)
STOPWORDS = frozenset({
    "a", "an", "the", "and", "or", "of", "for", "to", "with", "me", "my", "i", "im", "we", "us",
    "our", "you", "your", "is", "are", "be", "it", "its", "this", "that", "in", "near", "nearby",
    "around", "at", "by", "on", "from", "within", "close", "closest", "nearest", "local", "area",
    "areas", "find", "get", "getting", "looking", "look", "want", "need", "needs", "can", "could",
    "should", "would", "where", "what", "who", "which", "how", "much", "many", "does", "do", "any",
    "some", "please", "cost", "costs", "price", "prices", "pricing", "mi", "miles", "km", "best",
    "top", "rated", "good", "great", "affordable", "cheap", "cheapest", "reviews", "review",
    "reviewed", "recommended", "open", "now", "today", "deal", "deals"
})  # fmt: skip
# Words that name the kind of place rather than which one: matched in clinic names when
# present ("Juniper Skin Clinic" before "Juniper Skin Bar"), never required.
OPTIONAL_WORDS = frozenset({
    "clinic", "clinics", "center", "centre", "centers", "office", "offices", "practice",
    "practices", "provider", "providers", "place", "places", "specialist", "specialists",
    "service", "services", "treatment", "treatments", "session", "sessions", "spa", "spas",
    "medspa", "med", "medical", "aesthetic", "aesthetics", "studio", "skin", "appointment",
    "appointments", "consultation", "consultations"
})  # fmt: skip
# Words asking for any verified, unexpired credential (the `qualified` filter).
QUALIFIED_WORDS = frozenset({
    "certified", "licensed", "verified", "qualified", "credentialed", "accredited"
})  # fmt: skip
# Words that only loosely point at a treatment or credential: free text, never a filter
# (see the module docstring), and never "corrected" into a vocabulary word.
PLAIN_WORDS = frozenset({
    "laser", "lasers", "dermatology", "dermatologic", "dermatological", "facial", "facials",
    "surgery", "surgical", "plastic", "cosmetic", "injector", "injectors", "skincare", "wrinkle",
    "wrinkles", "scar", "scars", "scarring", "pores", "texture", "glow", "hair", "needle", "needles"
})  # fmt: skip
_ZIP = re.compile(r"^\d{5}$")
_ZIP4 = re.compile(r"^\d{4}$")


def typos_allowed(word: str) -> int:
    """How many typos a word of this length may contain (see the rule above)."""
    if len(word) >= MIN_LENGTH_FOR_2_TYPOS:
        return 2
    return 1 if len(word) >= MIN_LENGTH_FOR_1_TYPO else 0


# --- The vocabulary ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Concept:
    """What a vocabulary phrase means: one or several (any of) treatment or credential codes."""

    kind: str  # "treatment" or "credential"
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    exact: dict[str, Concept]  # phrase key (words run together, plural folded) -> meaning
    stemmed: dict[str, Concept]  # the same by stem, where a stem has only one meaning
    fuzzy_keys: dict[int, tuple[str, ...]]  # keys typos may reach, by length
    primary: frozenset[str]  # keys of codes and names (not aliases): first in autocomplete
    one_word: frozenset[str]  # keys of one-word phrases: a typo'd prefix may reach only these


def phrase_key(tokens: list[str] | tuple[str, ...]) -> str:
    """A phrase's words run together with an English plural folded: "stretch marks" = "stretchmark"."""
    k = "".join(tokens)
    if len(k) > 4 and k.endswith("ies"):
        return k[:-3] + "y"
    if len(k) > 4 and k.endswith(("ches", "shes", "xes", "sses")):
        return k[:-2]
    if len(k) > 3 and k.endswith("s") and not k.endswith(("ss", "us", "is")):
        return k[:-1]
    return k


# Words that mean the same inside any vocabulary phrase: "prp hair" is also "platelet rich
# plasma hair", "rf microneedling" also "radiofrequency microneedling".
EQUIVALENT_WORDS = {"prp": "platelet rich plasma", "rf": "radiofrequency"}


def _phrases(entry: dict) -> list[str]:
    """Every way the vocabulary names an entry: its code, its name, the name's parenthesis, aliases
    (and each of them with EQUIVALENT_WORDS spelt out)."""
    name = entry["name"]
    base, _, inner = name.partition("(")
    out = [entry["code"].replace("-", " "), base, *entry.get("aliases", [])]
    inner = inner.rstrip(")").strip()
    if len(inner) > 4:  # "(collagen induction therapy)", not "(CANS)"
        out.append(inner)
    for phrase in list(out):
        tokens = words(phrase)
        if any(t in EQUIVALENT_WORDS for t in tokens):
            out.append(" ".join(EQUIVALENT_WORDS.get(t, t) for t in tokens))
    return out


@cache
def vocabulary_table() -> Vocabulary:
    """Phrase -> meaning for every treatment and credential in fixtures/, built once."""
    meanings: dict[str, dict[str, list[str]]] = {}
    stems: dict[str, set[tuple[str, str]]] = {}
    primary, one_word = set(), set()
    kinds = ("treatment", vocabulary.treatment_entries()), ("credential", vocabulary.certification_entries())
    for kind, entries in kinds:
        for entry in entries:
            for n, phrase in enumerate(_phrases(entry)):
                tokens = words(phrase)
                if n < 2:  # the code and the name come first
                    primary.add(phrase_key(tokens))
                if len(tokens) == 1:
                    one_word.add(phrase_key(tokens))
                codes = meanings.setdefault(phrase_key(tokens), {}).setdefault(kind, [])
                if entry["code"] not in codes:
                    codes.append(entry["code"])
                stems.setdefault(joined(tokens), set()).add((kind, entry["code"]))
    exact = {}
    for k, by_kind in meanings.items():
        if len(by_kind) > 1:
            raise ValueError(f"{k!r} names both a treatment and a credential")
        ((kind, codes),) = by_kind.items()
        exact[k] = Concept(kind, tuple(codes))
    stemmed = {}
    for k, pairs in stems.items():
        kinds_ = {kind for kind, _ in pairs}
        if k not in exact and len(kinds_) == 1:
            stemmed[k] = Concept(kinds_.pop(), tuple(sorted(code for _, code in pairs)))
    fuzzy: dict[int, list[str]] = {}
    for k in exact:
        if len(k) >= MIN_FUZZY_TARGET_LENGTH:
            fuzzy.setdefault(len(k), []).append(k)
    by_length = {n: tuple(keys) for n, keys in fuzzy.items()}
    return Vocabulary(exact, stemmed, by_length, frozenset(primary), frozenset(one_word))


def concept(tokens: list[str] | tuple[str, ...]) -> Concept | None:
    """The treatment or credential these words name exactly (plurals and split spellings folded)."""
    table = vocabulary_table()
    found = table.exact.get(phrase_key(tokens))
    if found is not None:
        return found
    if len(tokens) == 1 and tokens[0] in PLAIN_WORDS:
        return None
    return table.stemmed.get(joined(tokens))


def corrected_concept(word: str) -> Concept | None:
    """The vocabulary phrase `word` misspells, within the typo rules; None if none or unclear."""
    allowed = typos_allowed(word)
    if not allowed or word in PLAIN_WORDS or word.isdigit():
        return None
    table = vocabulary_table()
    # A typo changes a word's length by at most one letter per edit: only keys that long.
    keys = [
        k for n in range(len(word) - allowed, len(word) + allowed + 1) for k in table.fuzzy_keys.get(n, ())
    ]
    found = process.extract(word, keys, scorer=OSA.distance, score_cutoff=allowed, limit=4)
    if not found:
        return None
    best = min(dist for _, dist, _ in found)
    meanings = {table.exact[k] for k, dist, _ in found if dist == best}
    if len(meanings) != 1:
        return None  # two readings at the same distance: do not guess
    return meanings.pop()


def complete_vocabulary(text: str) -> list[tuple[Concept, str]]:
    """Treatments and credentials a half-typed phrase may be starting ("vamp", "botx", "esthe"):
    (meaning, the phrase it completes), best first: exact starts before typo'd ones, names
    before aliases, shorter phrases first. A typo is allowed in what was typed by the rule
    above, at any letter, against one-word phrases ("botx" -> "botox")."""
    typed = "".join(words(text))
    if not typed:
        return []
    table = vocabulary_table()
    allowed = typos_allowed(typed)
    found: dict[Concept, tuple[int, int, int, str]] = {}
    for k, meaning in table.exact.items():
        if k.startswith(typed):
            typo = 0
        elif allowed and k in table.one_word and OSA.distance(typed, k[: len(typed)]) <= allowed:
            typo = 1
        else:
            continue
        rank = (typo, k not in table.primary, len(k), k)
        if meaning not in found or rank < found[meaning]:
            found[meaning] = rank
    return [(meaning, rank[3]) for meaning, rank in sorted(found.items(), key=lambda item: item[1])]


# --- The interpretation -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mention:
    """A treatment or credential named in the text, and the words that named it."""

    kind: str
    codes: tuple[str, ...]
    text: str  # the words as typed
    corrected: bool = False  # read through a typo ("votox")


@dataclass(frozen=True, slots=True)
class PlaceMention:
    area: Area
    text: str  # the words that named it
    cued: bool  # after "in"/"near", with its state, or a ZIP: certainly a place
    alternatives: tuple[Area, ...] = ()
    corrected: bool = False  # read through a typo ("charlote")


@dataclass(frozen=True)
class Interpretation:
    """One reading of a query. `words` must all match; `optional` only rank."""

    query: str = ""
    words: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    mentions: tuple[Mention, ...] = ()
    place: PlaceMention | None = None
    qualified: bool = False
    ignored: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    literal: bool = False
    prefix: bool = False  # the last word may be unfinished (the query did not end in a space)
    name_words: tuple[str, ...] = ()  # the words in order, but the place's: perhaps a clinic's name

    @property
    def treatments(self) -> list[tuple[str, ...]]:
        """Groups of treatment codes: every group must be offered, any code within a group."""
        return [m.codes for m in self.mentions if m.kind == "treatment"]

    @property
    def credentials(self) -> list[str]:
        """Credential codes, any of which (verified and unexpired) qualifies a clinic."""
        return list(dict.fromkeys(c for m in self.mentions if m.kind == "credential" for c in m.codes))

    @property
    def text(self) -> str:
        return " ".join(self.words)


def understand(text: str | None, *, place_given: bool = False, literal: bool = False) -> Interpretation:
    """Read a query. With `place_given` (a place box, coordinates or a map area), a place named
    in the text only repeats or contradicts it: its words are ignored, not matched."""
    text = text or ""
    tokens = words(text)[:MAX_WORDS]
    prefix = bool(tokens) and not text[-1:].isspace()
    if literal:
        kept = tuple(tokens)
        return Interpretation(query=text, words=kept, literal=True, prefix=prefix)
    n = len(tokens)
    used = [False] * n
    place: PlaceMention | None = None
    mentions: list[tuple[int, Mention]] = []

    def free(i: int, j: int) -> bool:
        return not any(used[i:j])

    def take(i: int, j: int) -> None:
        for k in range(i, j):
            used[k] = True

    place = _zip(tokens, take) or _cued_place(tokens, take) or _qualified_place(tokens, take)

    # Vocabulary phrases, longest first, left to right.
    for length in range(min(MAX_PHRASE_WORDS, n), 0, -1):
        for i in range(n - length + 1):
            if not free(i, i + length):
                continue
            found = concept(tokens[i : i + length])
            if found is not None:
                take(i, i + length)
                mentions.append((i, Mention(found.kind, found.codes, " ".join(tokens[i : i + length]))))

    if place is None:
        place = _bare_place(tokens, used, take)

    ignored, optional, required, qualified = [], [], [], False
    rest = [i for i in range(n) if not used[i]]
    skip_next = False
    for pos, i in enumerate(rest):
        word = tokens[i]
        if skip_next:
            skip_next = False
            continue
        if word in QUALIFIED_WORDS:
            qualified = True
            continue
        if word in STOPWORDS:
            ignored.append(word)
            continue
        if word in OPTIONAL_WORDS:
            optional.append(word)
            continue
        # A misspelt treatment or credential, alone or split in two ("micro neddling").
        nxt = rest[pos + 1] if pos + 1 < len(rest) and rest[pos + 1] == i + 1 else None
        plain_pair = nxt is None or word.isdigit() or {word, tokens[nxt]} & PLAIN_WORDS
        pair = None if plain_pair else corrected_concept(word + tokens[nxt])
        if pair and not concept([tokens[nxt]]):
            mentions.append((i, Mention(pair.kind, pair.codes, f"{word} {tokens[nxt]}", corrected=True)))
            skip_next = True
            continue
        single = corrected_concept(word)
        if single:
            mentions.append((i, Mention(single.kind, single.codes, word, corrected=True)))
            continue
        required.append(i)

    if required and (place is None or place.area.kind == "state"):
        place, required = _misspelt_place(tokens, required, place)
    if place_given and place is not None:
        ignored += place.text.split()
        place = None

    # The same code named twice ("botox and dysport") is one filter.
    seen, unique = set(), []
    for _, m in sorted(mentions, key=lambda pair: pair[0]):
        if (m.kind, m.codes) not in seen:
            seen.add((m.kind, m.codes))
            unique.append(m)
    return Interpretation(
        query=text,
        words=tuple(tokens[i] for i in required),
        optional=tuple(optional),
        mentions=tuple(unique),
        place=place,
        qualified=qualified,
        ignored=tuple(ignored),
        prefix=prefix and bool(required) and required[-1] == n - 1,
        name_words=_without(tokens, place.text.split() if place else []),
    )


def _without(tokens: list[str], phrase: list[str]) -> tuple[str, ...]:
    """`tokens` with the last run of words equal to `phrase` taken out."""
    for i in range(len(tokens) - len(phrase), -1, -1):
        if phrase and tokens[i : i + len(phrase)] == phrase:
            return tuple(tokens[:i] + tokens[i + len(phrase) :])
    return tuple(tokens)


def _zip(tokens: list[str], take) -> PlaceMention | None:
    for i in range(len(tokens) - 1, -1, -1):
        if _ZIP.match(tokens[i]):
            end = i + 2 if i + 1 < len(tokens) and _ZIP4.match(tokens[i + 1]) else i + 1
            area = places.zip_area(tokens[i])
            if area is not None:
                # The city and state often come with the ZIP ("charlotte nc 28202"): the same place.
                start = next(
                    (
                        j
                        for j in range(max(0, i - MAX_PHRASE_WORDS), i)
                        if (res := places.resolve(tokens[j:i])) is not None and res.area.state == area.state
                    ),
                    i,
                )
                take(start, end)
                return PlaceMention(area, " ".join(tokens[start:end]), cued=True)
    return None


def _longest_place(tokens: list[str], start: int, stop: int, ok) -> tuple[int, places.Resolution] | None:
    """The longest run of words from `start` (not past `stop`) that names a place `ok` accepts."""
    for end in range(min(stop, start + MAX_PHRASE_WORDS), start, -1):
        found = places.resolve(tokens[start:end])
        if found is not None and ok(found, end - start):
            return end, found
    return None


def _cued_place(tokens: list[str], take) -> PlaceMention | None:
    """A place right after the last cue word that is followed by one ("microneedling near st pete")."""
    for i in range(len(tokens) - 2, -1, -1):
        if tokens[i] in PLACE_CUES:
            # "near me" is not Maine, "in or near" not Oregon: one such word alone is no place.
            lone = tokens[i + 1] in STOPWORDS | AMBIGUOUS_PLACE_WORDS
            found = _longest_place(tokens, i + 1, len(tokens), lambda r, n, lone=lone: not (n == 1 and lone))
            if found:
                end, res = found
                take(i, end)
                return PlaceMention(res.area, " ".join(tokens[i + 1 : end]), True, res.alternatives)
    return None


def _qualified_place(tokens: list[str], take) -> PlaceMention | None:
    """A place named with its state ("portland me", "charlotte north carolina"), the last one."""
    p = places.places()
    for end in range(len(tokens), 1, -1):
        for n_state in (1, 2, 3):
            state = p.states.get(places.key(tokens[end - n_state : end])) if end - n_state > 0 else None
            if state is None:
                continue
            for start in range(max(0, end - n_state - MAX_PHRASE_WORDS), end - n_state):
                found = places.resolve(tokens[start:end])
                if found is not None and found.area.kind == "city" and found.area.state == state.state:
                    take(start, end)
                    return PlaceMention(found.area, " ".join(tokens[start:end]), True)
    return None


def _bare_place(tokens: list[str], used: list[bool], take) -> PlaceMention | None:
    """A place name without a cue: the query's last words, else its first (see BARE_PLACE_*)."""
    content = [i for i, t in enumerate(tokens) if not used[i] and t not in STOPWORDS]
    if not content:
        return None
    last, first = content[-1], content[0]

    def likely(at_end: bool):
        def ok(res: places.Resolution, n_words: int) -> bool:
            area = res.area
            if area.kind == "state":
                return True
            if n_words > 1:
                return area.population >= BARE_PLACE_MULTIWORD_POPULATION
            return area.population >= (BARE_PLACE_END_POPULATION if at_end else BARE_PLACE_START_POPULATION)

        return ok

    # Runs of free words ending at the last content word, longest first; a place name may end
    # in a word that is otherwise a stopword ("bay area").
    free_last = max(i for i in range(len(tokens)) if not used[i])
    for end in dict.fromkeys((free_last, last)):
        for start in range(max(0, end - MAX_PHRASE_WORDS + 1), end + 1):
            if any(used[start : end + 1]) or (start == end and tokens[end] in STOPWORDS):
                continue
            span = tokens[start : end + 1]
            if len(span) == 1 and span[0] in AMBIGUOUS_PLACE_WORDS and end != len(tokens) - 1:
                continue
            found = places.resolve(span)
            if found is not None and likely(True)(found, len(span)):
                take(start, end + 1)
                return PlaceMention(found.area, " ".join(span), False, found.alternatives)
    if first != last:
        found = _longest_place(tokens, first, len(tokens), likely(False))
        if found and not any(used[first : found[0]]):
            end, res = found
            if not (end - first == 1 and tokens[first] in AMBIGUOUS_PLACE_WORDS):
                take(first, end)
                return PlaceMention(res.area, " ".join(tokens[first:end]), False, res.alternatives)
    return None


def _misspelt_place(
    tokens: list[str], required: list[int], place: PlaceMention | None
) -> tuple[PlaceMention | None, list[int]]:
    """A misspelt place, read within the typo rules where a place is expected: right after a cue
    ("near charlote"), right before the state it is in ("charlote nc"), or as the query's last
    word when the place is a big one ("botox charlote")."""
    state = place.area.state if place else None
    for n_words in (3, 2, 1):
        for span in _misspelt_spans(tokens, required, n_words, place):
            typed = " ".join(tokens[i] for i in span)
            cued = span[0] > 0 and tokens[span[0] - 1] in PLACE_CUES
            min_population = 0 if (cued or state) else BARE_PLACE_START_POPULATION
            allowed = typos_allowed(typed.replace(" ", ""))
            close = places.close_matches(typed, allowed, limit=1, state=state, min_population=min_population)
            if close:
                text = f"{typed} {place.text}" if place else typed
                found = PlaceMention(close[0], text, cued or bool(state), corrected=True)
                return found, [i for i in required if i not in span]
    return place, required


def _misspelt_spans(tokens: list[str], required: list[int], n_words: int, place: PlaceMention | None):
    """Runs of `n_words` consecutive required words where a place may stand (see above)."""
    runs = [required[k : k + n_words] for k in range(len(required) - n_words + 1)]
    runs = [r for r in runs if r[-1] - r[0] == n_words - 1]
    for run in runs:
        before = tokens[run[0] - 1] if run[0] > 0 else None
        follows = tokens[run[-1] + 1] if run[-1] + 1 < len(tokens) else None
        after_is_state = place is not None and place.text.split()[0] == follows
        at_end = run[-1] == len(tokens) - 1
        if before in PLACE_CUES or after_is_state or (place is None and at_end):
            yield run


def relaxations(reading: Interpretation) -> list[Interpretation]:
    """Readings to try, in order, when `reading` finds nothing (see the module docstring)."""
    out: list[Interpretation] = []
    bases = [reading]
    if reading.place is not None and not reading.place.cued:
        as_text = tuple(reading.place.text.split()) + reading.words
        bases.append(replace(reading, place=None, words=as_text))
    out.extend(bases[1:])
    for base in bases:
        kept, dropped = list(base.words), list(base.dropped)
        constrained = bool(base.mentions or base.place or base.qualified)
        while kept and (len(kept) > 1 or constrained):
            dropped.insert(0, kept.pop())
            out.append(replace(base, words=tuple(kept), dropped=tuple(dropped), prefix=False))
    return out


def headline(
    reading: Interpretation,
    area: Area | None = None,
    treatments: list[str] | tuple[str, ...] = (),
    credentials: list[str] | tuple[str, ...] = (),
) -> str | None:
    """What the results are in words ("Botox providers near Tampa, FL"), from the reading and
    the place and filters given beside it; None if there is nothing to say."""
    short = vocabulary.treatment_short_names()
    names = vocabulary.certification_names()
    what = [short[c] for c in treatments]
    what += [" or ".join(short[c] for c in m.codes) for m in reading.mentions if m.kind == "treatment"]
    who = [" or ".join(names[c].split(" (")[0].lower() for c in credentials)] if credentials else []
    who += [
        m.text if len(m.codes) > 1 else names[m.codes[0]].split(" (")[0].lower()
        for m in reading.mentions
        if m.kind == "credential"
    ]
    area = area or (reading.place.area if reading.place else None)
    if not (what or who or area):
        return None
    subject = " and ".join(dict.fromkeys(what)) + " providers" if what else "Providers"
    if who:
        who_text = " or ".join(dict.fromkeys(who))
        subject += f" with {'an' if who_text[0] in 'aeiou' else 'a'} {who_text}"
    if area is None:
        return subject
    return f"{subject} {'in' if area.kind == 'state' else 'near'} {area.label}"
