"""Shapes of publication: the fields events and projects carry, the list parameter, the history."""

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.core.schemas import Read
from app.publication.rules import Publication

STATES = "(draft|submitted|published|rejected)"
PublicationParam = Annotated[
    str | None,
    Field(
        default=None,
        pattern=rf"^(any|{STATES}(,{STATES})*)$",
        max_length=60,
        description="Which publication states to list: `published` (the default, for everyone), states "
        "comma-separated (`submitted` is the moderation queue) or `any`; states other than published need a key "
        "that may see them (`write` or `publish`; a key bound to labs sees its labs' rows), else 403.",
    ),
]
Note = Annotated[str, StringConstraints(max_length=1000)]
PUBLICATION_FIELD = (
    "draft, submitted, published or rejected. A new row is published when written by a key with `publish` "
    "(unless it asks otherwise), else a draft (or submitted, when asked). Moves: a `write` key submits a draft, "
    "takes a submission back, reworks a rejected one; a `publish` key also publishes, rejects a submission and "
    "takes a published row back to draft (those two with a `publication_note`). Left out: unchanged."
)


class PublicationChangeRead(Read):
    """One move of a row's publication: from, to, when, by whom, and why when it said no."""

    from_state: Publication | None = Field(serialization_alias="from")
    to_state: Publication = Field(serialization_alias="to")
    at: datetime
    actor: str
    note: str | None
