"""The money rules, as plain functions of the figures they compare: each answers the refusal, in its one
wording, or None. The service checks one write with them (its parent locked), the importer a batch (with
running totals over the file, its parents locked)."""

import uuid

COMMITTED = "committed"


def commitment_refusal(stream_code: str, envelope: int | None, committed: int, requested: int) -> str | None:
    """Committing `requested` cents more on a stream whose other committed allocations add up to `committed`."""
    if envelope is None or committed + requested <= envelope:
        return None
    return (
        f"Committing {requested} cents would exceed the envelope of stream {stream_code}: envelope {envelope} "
        f"cents, already committed {committed}, requested {requested} (over by {committed + requested - envelope})."
    )


def envelope_refusal(stream_code: str, envelope: int, committed: int) -> str | None:
    """An envelope set (or lowered) to `envelope` on a stream that has `committed` cents committed."""
    if committed <= envelope:
        return None
    return (
        f"The envelope of stream {stream_code} cannot go below what is committed: requested envelope {envelope} "
        f"cents, already committed {committed} (short by {committed - envelope})."
    )


def payment_refusal(allocation_id: uuid.UUID, status: str, amount: int, disbursed: int, requested: int) -> str | None:
    """Paying `requested` cents against an allocation whose other disbursements add up to `disbursed`."""
    if status != COMMITTED:
        return (
            f"Allocation {allocation_id} is {status}: only a committed allocation takes disbursements "
            f"(requested {requested} cents)."
        )
    if disbursed + requested <= amount:
        return None
    return (
        f"Paying {requested} cents would exceed allocation {allocation_id}: amount {amount} cents, already "
        f"disbursed {disbursed}, requested {requested} (over by {disbursed + requested - amount})."
    )


def paid_allocation_refusal(allocation_id: uuid.UUID, status: str, amount: int, disbursed: int) -> str | None:
    """An allocation that `disbursed` cents were paid against, given a new status or amount: it stays committed,
    for at least what was paid."""
    if not disbursed:
        return None
    if status != COMMITTED:
        return (
            f"Allocation {allocation_id} cannot become {status}: {disbursed} cents were already disbursed against "
            f"it. Lower its amount to {disbursed} cents to close it instead."
        )
    if amount >= disbursed:
        return None
    return (
        f"The amount of allocation {allocation_id} cannot go below what was already disbursed: requested amount "
        f"{amount} cents, already disbursed {disbursed} (short by {disbursed - amount})."
    )
