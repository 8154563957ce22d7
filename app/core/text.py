"""French-aware text folding shared by search, slugs and reference look-ups."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: « Écoresponsable  Œuvre » → "ecoresponsable oeuvre"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def slugify(text: str) -> str:
    """ASCII kebab-case identifier: « Lab'Bretagne – Rennes » → "lab-bretagne-rennes"."""
    return _NON_ALNUM.sub("-", fold(text)).strip("-")


def search_text(*parts: str | None) -> str:
    """The folded haystack stored beside an entity so `q` matches the same way on every engine."""
    return fold(" ".join(p for p in parts if p))


def like_escape(term: str) -> str:
    """Make a user's term literal inside a LIKE pattern (escape character: backslash)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
