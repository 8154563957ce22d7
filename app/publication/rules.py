"""The publication rules, as plain functions: the state a new row starts in, and the moves a caller may make;
each refusal has one wording. The services apply them to one write, the importer to each row."""

from enum import StrEnum

from app.audit.trail import PUBLISHED
from app.core.errors import Conflict, Forbidden
from app.core.security import Caller


class Publication(StrEnum):
    draft = "draft"
    submitted = "submitted"
    published = PUBLISHED
    rejected = "rejected"


WRITERS_MOVES: dict[Publication, frozenset[Publication]] = {
    Publication.draft: frozenset({Publication.submitted}),
    Publication.submitted: frozenset({Publication.draft}),
    Publication.rejected: frozenset({Publication.draft, Publication.submitted}),
    Publication.published: frozenset(),
}
"""What a `write` key may do: submit a draft, take a submission back, rework a rejected one."""
PUBLISHERS_MOVES: dict[Publication, frozenset[Publication]] = {
    Publication.draft: frozenset({Publication.submitted, Publication.published}),
    Publication.submitted: frozenset({Publication.draft, Publication.published, Publication.rejected}),
    Publication.rejected: frozenset({Publication.draft, Publication.submitted}),
    Publication.published: frozenset({Publication.draft}),
}
"""What a `publish` key may do besides: publish, reject a submission, take a published row back to draft."""
NOTED = frozenset({(Publication.submitted, Publication.rejected), (Publication.published, Publication.draft)})
"""Moves that need a `publication_note` saying why."""


def publishes(caller: Caller) -> bool:
    return caller.holds("publish")


def initial_state(caller: Caller, asked: Publication | None, noun: str) -> Publication:
    """A new row is published when a key with `publish` writes it (unless it asks otherwise), else a draft (or
    submitted, when asked)."""
    if asked is None:
        return Publication.published if publishes(caller) else Publication.draft
    if asked is Publication.rejected:
        raise Conflict(f"A new {noun} starts as draft, submitted or published, not rejected.")
    if asked is Publication.published and not publishes(caller):
        raise Forbidden(f"Publishing needs the `publish` scope: create the {noun} as draft or submitted.")
    return asked


def check_move(caller: Caller, current: Publication, target: Publication, note: str | None, noun: str) -> None:
    """A change of publication must be one of the caller's moves (409 naming them), with a note when it says no."""
    if target is current:
        return
    moves = (PUBLISHERS_MOVES if publishes(caller) else WRITERS_MOVES)[current]
    if target not in moves:
        allowed = ", ".join(sorted(moves)) or "none"
        extra = "" if publishes(caller) or target is not Publication.published else " (publishing needs `publish`)"
        raise Conflict(f"A {noun} cannot go from {current} to {target}{extra}; allowed from {current}: {allowed}.")
    if (current, target) in NOTED and not (note and note.strip()):
        raise Conflict(f"Moving a {noun} from {current} to {target} needs a `publication_note` saying why.")
