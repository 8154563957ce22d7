"""French-aware text folding shared by search, slugs and reference look-ups; ids given as text."""

import re
import sys
import unicodedata
import uuid

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
# Every combining mark (accents once decomposed), dropped by one `str.translate`: much faster than a loop in
# Python over the characters, which bulk imports feel (each row's search text is folded).
_COMBINING = dict.fromkeys(c for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c)))


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
