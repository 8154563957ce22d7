"""French text analysis written once for both engines: the words of a text, their Snowball stems, and the
parsed `q` (web-search syntax) that each engine's SQL is written from (app.search.sql).

PostgreSQL analyses documents itself (`lab_french`: unaccent, then the `french` Snowball stemmer and stop
words); SQLite indexes the stems computed here. Both cut words on every character that is not a letter or a
digit (so `l'` and `l’` are words of their own) and fold accents and case; the stop words below are
PostgreSQL's own `french.stop`, so a query keeps the same words on both (docs/search.md).
"""

import html
import re
from dataclasses import dataclass, field

import snowballstemmer

from app.core.text import fold

_WORD = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("french")
_STEMS: dict[str, str] = {}
_MAX_STEMS = 200_000
"""Stems kept per process: imports stem the same words over and over (the pure-Python stemmer costs ~10 µs)."""

# PostgreSQL 15's tsearch_data/french.stop, compared as it is there: after unaccent, so its accented words
# (`été`, `à`) never match a folded word and are left out.
STOP_WORDS = frozenset(
    """au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me mes moi mon ne nos notre
    nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l m n s
    t y suis es est sommes sont serai seras sera serons serez seront serais serait serions seriez seraient fus fut
    sois soit soyons soyez soient fusse fusses fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus
    ai as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait
    avions aviez avaient eut eurent aie aies ait ayons ayez aient eusse eusses eussions eussiez eussent""".split()
)


def words(text: str) -> list[str]:
    """The folded words of a text (letters and digits of any script), stop words included (they hold positions,
    which phrases count)."""
    return _WORD.findall(fold(text))


def stem(word: str) -> str:
    """The French Snowball stem of a folded word (`laboratoires` → `laboratoir`)."""
    found = _STEMS.get(word)
    if found is None:
        if len(_STEMS) >= _MAX_STEMS:
            _STEMS.clear()
        found = _STEMS[word] = _STEMMER.stemWord(word)
    return found


def stems(*parts: str | None) -> str:
    """The indexed text of an entity's fields: each word's stem, in order, space-separated."""
    return " ".join(stem(word) for part in parts if part for word in words(part))


@dataclass(frozen=True)
class Term:
    """Words to find together: one word, a prefix (`innov*`) or a phrase (`"mise en œuvre"`, in order)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """`q` parsed: every group must match (a group matches when one of its terms does: `a OR b`), no excluded
    term may. Stop words outside phrases are dropped; an empty query finds everything."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    highlighted: frozenset[str] = field(default=frozenset(), compare=False)
    """The stems (and prefixes, ending with `*`) a highlight marks."""

    @property
    def empty(self) -> bool:
        return not self.groups and not self.excluded


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def _terms(text: str, quoted: bool) -> list[Term]:
    """The terms one token of `q` gives: a quoted phrase is one term (its outer stop words dropped: PostgreSQL
    drops them, leaving no gap); a bare token is one term per word that is not a stop word (`l’économie`)."""
    prefix = not quoted and text.endswith("*")
    found = words(text)
    if quoted:
        while found and found[0] in STOP_WORDS:
            found.pop(0)
        while found and found[-1] in STOP_WORDS:
            found.pop()
        return [Term(tuple(found))] if found else []
    kept = [word for word in found if word not in STOP_WORDS]
    return [Term((word,), prefix and index == len(kept) - 1) for index, word in enumerate(kept)]


def parse(q: str) -> SearchQuery:
    """Web-search syntax: words (all must match), `"a phrase"`, `a OR b`, `-excluded`, `prefix*`."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for match in _TOKEN.finditer(q.replace("“", '"').replace("”", '"').replace("«", '"').replace("»", '"')):
        minus, phrase, bare = match.groups()
        if bare == "OR":
            join_next = bool(groups)
            continue
        negative = bool(minus) or (bare is not None and bare.startswith("-") and len(bare) > 1)
        text = phrase if phrase is not None else bare.removeprefix("-") if negative else bare
        terms = _terms(text, quoted=phrase is not None)
        if not terms:
            join_next = False
            continue
        if negative:
            excluded.extend(terms)
        elif join_next and len(terms) == 1:
            groups[-1].append(terms[0])
        else:
            groups.extend([term] for term in terms)
        join_next = False
    marked = {
        stem(word) if not term.prefix else f"{stem(word)}*" for group in groups for term in group for word in term.words
    }
    return SearchQuery(tuple(tuple(group) for group in groups), tuple(excluded), frozenset(marked))


def ranks(q: str | None) -> bool:
    """Whether `q` has words to find, which relevance ranks by (exclusions and stop words alone do not)."""
    return q is not None and bool(parse(q).groups)


def _tsquery_term(term: Term) -> str:
    if term.prefix:
        return f"'{term.words[0]}':*"
    return " <-> ".join(f"'{word}'" for word in term.words)


def tsquery(query: SearchQuery) -> str:
    """The query as `to_tsquery('lab_french', …)` reads it: PostgreSQL stems and unaccents each word itself."""
    parts = [f"({' | '.join(f'({_tsquery_term(t)})' for t in group)})" for group in query.groups]
    parts += [f"!({_tsquery_term(term)})" for term in query.excluded]
    return " & ".join(parts)


def _fts_term(term: Term) -> str:
    if term.prefix:
        return f'"{stem(term.words[0])}"*'
    return '"' + " ".join(stem(word) for word in term.words) + '"'


def fts_match(query: SearchQuery) -> str:
    """The groups as an FTS5 MATCH expression over the stems (empty when there are none)."""
    return " AND ".join(f"({' OR '.join(_fts_term(term) for term in group)})" for group in query.groups)


def fts_excluded(query: SearchQuery) -> str:
    """The excluded terms as one FTS5 MATCH expression (any of them excludes a row)."""
    return " OR ".join(_fts_term(term) for term in query.excluded)


_TEXT_WORD = re.compile(r"[^\W_]+")
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def _marked(word: str, query: SearchQuery) -> bool:
    found = words(word)
    if not found:
        return False
    stemmed = stem(found[-1])
    return stemmed in query.highlighted or any(
        stemmed.startswith(marked[:-1]) for marked in query.highlighted if marked.endswith("*")
    )


def snippet(text: str | None, query: SearchQuery, around: int = 12) -> str | None:
    """A short extract of `text` (HTML-escaped) around its first word `q` finds, each such word within
    `<mark>…</mark>`; None when `text` holds none. Written once, for both engines."""
    if not text:
        return None
    spans = [match.span() for match in _TEXT_WORD.finditer(text)]
    hits = [index for index, (start, end) in enumerate(spans) if _marked(text[start:end], query)]
    if not hits:
        return None
    first = max(hits[0] - around // 3, 0)
    last = min(first + around, len(spans)) - 1
    start = spans[first][0] if first > 0 else 0
    end = spans[last][1] if last < len(spans) - 1 else len(text)
    pieces, cursor = [], start
    for index in hits:
        if first <= index <= last:
            word_start, word_end = spans[index]
            pieces += [
                html.escape(text[cursor:word_start]),
                MARK_OPEN,
                html.escape(text[word_start:word_end]),
                MARK_CLOSE,
            ]
            cursor = word_end
    pieces.append(html.escape(text[cursor:end]))
    return ("…" if first > 0 else "") + "".join(pieces).strip() + ("…" if last < len(spans) - 1 else "")
