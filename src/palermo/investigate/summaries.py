"""The sentences of red-flag alert summaries and network roles, so pages can read them back.

A rule's query writes its alert's ``summary`` in English (``rules/*.yaml``); the workspace
keeps it, and the evidence pack and its digest are made of it, so it stays as written.
Here are the templates those queries write with, one set per rule: the investigation page
reads a summary back against its rule's sentences (``palermo.core.sentences``: only an
exact read counts) and says it in the reader's language; a summary no sentence reads
back — a rule changed since, a rule pack of the deployment's own, overridden categories —
is shown as written, marked English. The same for the evidence of an account's role on
the network page (``network.py`` writes it). Django-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from palermo.core.sentences import Book, Count, ListOf, Number, Said, Sentence, Text, Words


def _(text: str) -> str:
    """Marks a template for extraction (makemessages); it is said through gettext later."""
    return text


@lru_cache(maxsize=1)
def _categories() -> Mapping[str, str]:
    # A rule names the payee categories by their ids ("hotel, short_stay").
    from palermo.investigate.classify import load_category_table

    return {c.id: c.id for c in load_category_table().categories}


_IDENTIFIERS = {k: k for k in ("address", "phone", "email", "device")}
_CATEGORIES = ListOf(Words("category", _categories))
_SHARE = Text(pattern=r"\d+%")

ALERTS = Book(
    [
        Sentence(
            "payments_to",
            _("{payments} to {categories} within {days}"),
            {"payments": Count("payments"), "categories": _CATEGORIES, "days": Count("days")},
        ),
        Sentence(
            "no_payroll",
            _("took in {amount} and paid no wages, taxes or contributions"),
            {"amount": Number()},
        ),
        Sentence(
            "recruitment_fees",
            _("fees from {individuals} within {days}"),
            {"individuals": Count("individuals"), "days": Count("days")},
        ),
        Sentence(
            "wage_kickback",
            _("{workers} paid by {employer} handed back {amount}"),
            {"workers": Count("workers"), "employer": Text(), "amount": Number()},
        ),
        Sentence(
            "bipartite",
            _("{originators} paying the same accounts over new links"),
            {"originators": Count("originators")},
        ),
        Sentence(
            "stack",
            _(
                "{originators} paying {intermediaries}, who pay on to further accounts over new links"
            ),
            {"originators": Count("originators"), "intermediaries": Count("intermediaries")},
        ),
        Sentence(
            "cycle",
            _("cycle of {accounts} closed within {days}"),
            {"accounts": Count("accounts"), "days": Count("days")},
        ),
        Sentence(
            "fan_in",
            _("received {amount} from {accounts} that pay no one else"),
            {"amount": Number(), "accounts": Count("accounts")},
        ),
        Sentence(
            "fan_out",
            _("paid {amount} in one-off payments to {counterparties} that keep the money"),
            {"amount": Number(), "counterparties": Count("new counterparties")},
        ),
        Sentence(
            "gather_scatter",
            _("hub: gathered from {accounts} and paid on to {others} within the period"),
            {"accounts": Count("accounts"), "others": Count("others")},
        ),
        Sentence(
            "scatter_gather",
            _("gatherer: received through {intermediaries} paid by the source {source}"),
            {"intermediaries": Count("intermediaries"), "source": Text()},
        ),
        Sentence(
            "shared_identifier",
            _("{accounts} of unrelated holders share this {kind}"),
            {"accounts": Count("accounts"), "kind": Words("identifier", _IDENTIFIERS)},
        ),
        Sentence(
            "late_night",
            _("{transactions} at night within {days}"),
            {"transactions": Count("transactions"), "days": Count("days")},
        ),
    ]
)

# Which sentences each packaged rule's query writes (its SELECT's ``summary``).
RULE_SENTENCES: Mapping[str, tuple[str, ...]] = {
    "THB-ALT-PAYMENTS": ("payments_to",),
    "THB-MT-REMITTANCE": ("payments_to",),
    "THB-SEX-HOTEL": ("payments_to",),
    "THB-SEX-ADS": ("payments_to",),
    "THB-TRAVEL-TICKETS": ("payments_to",),
    "THB-LAB-NO-PAYROLL": ("no_payroll",),
    "THB-LAB-RECRUIT": ("recruitment_fees",),
    "THB-LAB-WAGE-KICKBACK": ("wage_kickback",),
    # The layered-set query writes either form, whichever kind of set it reads.
    "THB-NET-BIPARTITE": ("bipartite", "stack"),
    "THB-NET-STACK": ("stack", "bipartite"),
    "THB-NET-CYCLE": ("cycle",),
    "THB-NET-FANIN": ("fan_in",),
    "THB-NET-FANOUT": ("fan_out",),
    "THB-NET-GATHER-SCATTER": ("gather_scatter",),
    "THB-NET-SCATTER-GATHER": ("scatter_gather",),
    "THB-NET-SHARED-ID": ("shared_identifier",),
    "THB-SEX-LATENIGHT": ("late_night",),
}


def read_summary(rule_id: str, summary: str) -> Said | None:
    """An alert's summary read back with its rule's sentences; None for an unknown rule or
    a summary they do not write exactly."""
    keys = RULE_SENTENCES.get(rule_id)
    return ALERTS.read(summary, keys) if keys else None


# The evidence ``network.py`` gives for an account's role.
ROLES = Book(
    [
        Sentence(
            "collector",
            _("{payers}, {share} paid on"),
            {"payers": Count("payers"), "share": _SHARE},
        ),
        Sentence(
            "pass_through",
            _("{share} paid on within a median {days} days"),
            {"share": _SHARE, "days": Number()},
        ),
        Sentence(
            "facilitator",
            _("{share} of outflows to lodging, travel, adverts or recruiters"),
            {"share": _SHARE},
        ),
        Sentence(
            "beneficial_owner",
            _("{share} of inflows flagged; keeps or invests them"),
            {"share": _SHARE},
        ),
    ]
)

__all__ = ["ALERTS", "ROLES", "RULE_SENTENCES", "read_summary"]
