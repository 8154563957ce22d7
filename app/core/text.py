"""French-aware text folding shared by search, slugs and reference look-ups; ids given as text."""

import re
import unicodedata
import uuid

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


class _CombiningMarks(dict[int, int | None]):
    """The `str.translate` table that drops every combining mark (accents once decomposed): one pass in C, much
    faster than a loop in Python over the characters, which bulk imports feel (each row's search text is folded).
    Filled as characters are met: the whole table would cost every process 0.1 s at start."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_COMBINING = _CombiningMarks()


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: « Écoresponsable  Œuvre » → "ecoresponsable oeuvre"."""
    if text.isascii():
        return _SPACES.sub(" ", text.casefold()).strip()
    stripped = unicodedata.normalize("NFKD", text.translate(_LIGATURES)).translate(_COMBINING)
    return _SPACES.sub(" ", stripped.casefold()).strip()


def slugify(text: str) -> str:
    """ASCII kebab-case identifier: « Lab'Bretagne – Rennes » → "lab-bretagne-rennes"."""
    return _NON_ALNUM.sub("-", fold(text)).strip("-")


def like_escape(term: str) -> str:
    """Make a user's term literal inside a LIKE pattern (escape character: backslash)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_uuid(value: str) -> uuid.UUID | None:
    """The UUID a text is, or None: items are addressed by id or by slug."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
