"""Purchase-order lines from an Open Contracting Data Standard (OCDS) export of a tender
portal: a release package, a record package, or JSON Lines of releases (issue 18).

Each contracting process (``ocid``) is compiled from its releases (or taken from a record's
``compiledRelease``), then every item of an award — or of the award's contracts, when they
list items — becomes one order line, checked by ``orders.check_row`` as a CSV row is:

* ``order_ref`` = the ``ocid``; ``line`` = ``<award or contract id>/<item id>`` (or ``#n``,
  the item's place in the process, when that is longer than a line reference may be);
* ``supplier_name`` and ``supplier_company_id`` = the award's first supplier, looked up in
  ``parties`` by its id: the party's ``name`` and ``identifier.id`` (``identifier.scheme``
  is kept in the preview);
* ``product_code`` = the first of ``classification`` and ``additionalClassifications``
  whose scheme is CPV, UNSPSC or HS, as ``cpv:``, ``unspsc:``, ``hs:`` and the digits (a CPV
  check digit such as ``-7`` dropped); another scheme leaves it empty;
* ``value`` = ``quantity`` × ``unit.value.amount``, rounded to cents (an item without a unit
  price takes its award's or contract's ``value`` when it is that award's or contract's
  only item); every amount of a file must be in one currency;
* ``origin_country`` = the item's ``deliveryAddress.countryName``, else the supplier's
  ``address.countryName`` (a name or an ISO code). OCDS has no country of production:
  this is the nearest the standard gives, and the preview says which one was used.

Every error names the JSON path of what is wrong, e.g.
``releases[3].awards[0].items[2].unit.value.amount``, in the file as given (for a value of
a compiled process, the release whose value won). A file with any error gives no line.

Why not the ``ocdsmerge`` library: it needs the release schema (fetched from the standard's
web site unless given, and nothing is fetched at run time here), pulls ``requests`` and
``jsonref``, and its compiled release does not say where each value came from, which the
preview must (every error by its path). The merge here is the standard's for the fields
read: objects merged field by field, arrays of objects with an ``id`` merged by ``id``,
other arrays and values replaced, ``null`` removes, releases taken in date order.

Pure: no Django imports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

import pycountry

from palermo.supply import orders, tables
from palermo.supply.tables import Preview, RowError, p

_ = tables._

SUFFIXES: Final[tuple[str, ...]] = (".json", ".jsonl", ".ndjson")
SCHEMES: Final[dict[str, str]] = {"CPV": "cpv", "UNSPSC": "unspsc", "HS": "hs"}
SKIPPED_AWARDS: Final[frozenset[str]] = frozenset({"pending", "cancelled", "unsuccessful"})
SKIPPED_CONTRACTS: Final[frozenset[str]] = frozenset({"pending", "cancelled"})
FILE: Final = 0  # the "row" of an error about the file as a whole
_CENT: Final = Decimal("0.01")
_REPEATED: Final = "The same order and line as row %(row)s."


def is_ocds(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def _child(path: str, key: str) -> str:
    """``releases[3]`` + ``awards`` → ``releases[3].awards``; ``line 4:`` + ``awards`` →
    ``line 4: awards`` (a release alone on a line of JSON Lines)."""
    if not path:
        return key
    return f"{path} {key}" if path.endswith(":") else f"{path}.{key}"


# --- the merge, keeping where each value came from -------------------------------------------


@dataclass
class Leaf:
    path: str
    value: Any


@dataclass
class Obj:
    path: str
    fields: dict[str, Any] = field(default_factory=dict)  # Leaf | Obj | Arr

    def leaf(self, key: str) -> Leaf | None:
        got = self.fields.get(key)
        return got if isinstance(got, Leaf) else None

    def obj(self, key: str) -> Obj | None:
        got = self.fields.get(key)
        return got if isinstance(got, Obj) else None

    def objs(self, key: str) -> list[Obj]:
        got = self.fields.get(key)
        return list(got.items.values()) if isinstance(got, Arr) else []

    def at(self, key: str) -> str:
        got = self.fields.get(key)
        return got.path if got is not None else _child(self.path, key)


@dataclass
class Arr:
    """An array of objects merged by their ``id`` (first-seen order)."""

    path: str
    items: dict[str, Obj] = field(default_factory=dict)


def _by_id(value: list[Any]) -> bool:
    return bool(value) and all(
        isinstance(x, dict) and isinstance(x.get("id"), str | int) for x in value
    )


def merge_into(target: Obj, source: dict[str, Any], path: str) -> None:
    """OCDS's merge of one release (``source``, at ``path`` in the file) into ``target``."""
    target.path = path
    for key, value in source.items():
        at = _child(path, key)
        if value is None:
            target.fields.pop(key, None)
        elif isinstance(value, dict):
            inner = target.fields.get(key)
            if not isinstance(inner, Obj):
                inner = target.fields[key] = Obj(at)
            merge_into(inner, value, at)
        elif isinstance(value, list) and _by_id(value):
            arr = target.fields.get(key)
            if not isinstance(arr, Arr):
                arr = target.fields[key] = Arr(at)
            arr.path = at
            for j, item in enumerate(value):
                ident = str(item["id"])
                obj = arr.items.get(ident)
                if obj is None:
                    obj = arr.items[ident] = Obj(f"{at}[{j}]")
                merge_into(obj, item, f"{at}[{j}]")
        else:
            target.fields[key] = Leaf(at, value)


@dataclass
class Release:
    ocid: str
    date: datetime | None
    path: str
    data: dict[str, Any]
    compiled: bool = False  # a record's compiledRelease: taken as it is


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def compile_processes(releases: list[Release], errors: list[RowError]) -> list[tuple[str, Obj]]:
    """(ocid, compiled release) per process, in the order the file first names them. Each
    process's releases are merged oldest first (the file's order among equal dates)."""
    by_ocid: dict[str, list[Release]] = {}
    for r in releases:
        by_ocid.setdefault(r.ocid, []).append(r)
    out: list[tuple[str, Obj]] = []
    for ocid, group in by_ocid.items():
        compiled = [r for r in group if r.compiled]
        if compiled:
            # a record's compiled release stands for the process (the last one the file gives)
            merged = Obj(compiled[-1].path)
            merge_into(merged, compiled[-1].data, compiled[-1].path)
            out.append((ocid, merged))
            continue
        if len(group) > 1:
            undated = [r for r in group if r.date is None]
            for r in undated:
                errors.append(
                    RowError(
                        FILE,
                        _child(r.path, "date"),
                        _(
                            "A release of a process with several releases needs its date "
                            "(ISO 8601 with a time zone) to be merged in order."
                        ),
                    )
                )
            if undated:
                continue
        merged = Obj(group[0].path)
        for r in sorted(group, key=lambda r: r.date or datetime.min):
            merge_into(merged, r.data, r.path)
        out.append((ocid, merged))
    return out


# --- reading the file -----------------------------------------------------------------------


def _documents(data: bytes, name: str, errors: list[RowError]) -> list[tuple[str, Any]]:
    """(path prefix, parsed JSON) for the file, or one for each line of JSON Lines."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(RowError(FILE, "", _("The file is not UTF-8 text.")))
        return []
    if name.lower().endswith((".jsonl", ".ndjson")):
        docs = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                docs.append((f"line {n}: ", json.loads(line, parse_float=Decimal)))
            except RecursionError:
                errors.append(RowError(FILE, f"line {n}", _("The JSON nests too deeply.")))
            except ValueError as exc:
                errors.append(
                    RowError(FILE, f"line {n}", _("Not JSON (%(error)s)."), p(error=str(exc)[:120]))
                )
        return docs
    try:
        return [("", json.loads(text, parse_float=Decimal))]
    except RecursionError:
        errors.append(RowError(FILE, "", _("The JSON nests too deeply.")))
        return []
    except ValueError as exc:
        errors.append(RowError(FILE, "", _("Not JSON (%(error)s)."), p(error=str(exc)[:120])))
        return []


def _join(prefix: str, path: str) -> str:
    return f"{prefix}{path}"


def releases_of(data: bytes, name: str, errors: list[RowError]) -> list[Release]:
    """Every release (or record's compiled release) of the file, with its path."""
    out: list[Release] = []
    for prefix, doc in _documents(data, name, errors):
        if not isinstance(doc, dict):
            errors.append(
                RowError(FILE, prefix.rstrip(": "), _("Expected a release or a package."))
            )
            continue
        if "releases" in doc and "records" not in doc:
            items = doc["releases"]
            if not isinstance(items, list):
                errors.append(RowError(FILE, _join(prefix, "releases"), _("Expected a list.")))
                continue
            for i, r in enumerate(items):
                _release(r, _join(prefix, f"releases[{i}]"), out, errors)
        elif "records" in doc:
            records = doc["records"]
            if not isinstance(records, list):
                errors.append(RowError(FILE, _join(prefix, "records"), _("Expected a list.")))
                continue
            for i, rec in enumerate(records):
                _record(rec, _join(prefix, f"records[{i}]"), out, errors)
        elif "ocid" in doc:
            _release(doc, prefix.rstrip(), out, errors)
        else:
            errors.append(
                RowError(
                    FILE,
                    prefix.rstrip(": "),
                    _("Not an OCDS release package, record package or release."),
                )
            )
    return out


def _release(r: Any, path: str, out: list[Release], errors: list[RowError]) -> None:
    if not isinstance(r, dict):
        errors.append(RowError(FILE, path, _("Expected a release (an object).")))
        return
    ocid = r.get("ocid")
    if not isinstance(ocid, str) or not ocid.strip():
        errors.append(RowError(FILE, _child(path, "ocid"), _("A release needs its ocid.")))
        return
    out.append(Release(ocid.strip(), _date(r.get("date")), path, r))


def _record(rec: Any, path: str, out: list[Release], errors: list[RowError]) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("ocid"), str):
        errors.append(RowError(FILE, f"{path}.ocid", _("A record needs its ocid.")))
        return
    compiled = rec.get("compiledRelease")
    if isinstance(compiled, dict):
        out.append(Release(rec["ocid"].strip(), None, f"{path}.compiledRelease", compiled, True))
        return
    releases = rec.get("releases")
    embedded = (
        isinstance(releases, list)
        and releases
        and all(isinstance(r, dict) and "ocid" in r for r in releases)
    )
    if not embedded:
        errors.append(
            RowError(
                FILE,
                path,
                _(
                    "This record has no compiledRelease and its releases are only linked: "
                    "export the releases themselves or the compiled release."
                ),
            )
        )
        return
    assert isinstance(releases, list)
    for j, r in enumerate(releases):
        _release(r, f"{path}.releases[{j}]", out, errors)


# --- from a compiled process to order lines -----------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a line's values came from (shown in the preview, used for error paths)."""

    item: str
    country_from: str  # "delivery address" or "supplier address"
    identifier_scheme: str
    currency: str
    paths: tuple[tuple[str, str], ...]  # order-line field → JSON path
    failed: frozenset[str] = frozenset()  # fields already refused with an OCDS message


def _text(leaf: Leaf | None) -> str:
    if leaf is None or isinstance(leaf.value, dict | list | bool):
        return ""
    return str(leaf.value).strip()


def _number(leaf: Leaf | None) -> Decimal | None:
    if leaf is None:
        return None
    v = leaf.value
    if isinstance(v, bool) or not isinstance(v, int | Decimal):
        raise ValueError(leaf.path)
    return Decimal(v)


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code for a country's name or code, or ""."""
    text = value.strip()
    if not text:
        return ""
    if text.upper() in tables.countries():
        return text.upper()
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        for code, name in tables.FICTIONAL_COUNTRIES.items():
            if name.lower() == text.lower():
                return code
        return ""


def _code(item: Obj) -> tuple[str, str]:
    """(product code, path of its id) from the item's classifications."""
    candidates = [item.obj("classification"), *item.objs("additionalClassifications")]
    extra = item.fields.get("additionalClassifications")
    if isinstance(extra, Leaf) and isinstance(extra.value, list):  # ids missing: kept whole
        for j, c in enumerate(extra.value):
            if isinstance(c, dict):
                o = Obj(f"{extra.path}[{j}]")
                merge_into(o, c, o.path)
                candidates.append(o)
    for c in candidates:
        if c is None:
            continue
        system = SCHEMES.get(_text(c.leaf("scheme")).upper())
        ident = _text(c.leaf("id"))
        if system and ident:
            digits = ident.split("-")[0] if system == "cpv" else ident
            return f"{system}:{digits}", c.at("id")
    return "", ""


@dataclass
class Lines:
    values: list[dict[str, str]] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    currency: str = ""
    currency_at: str = ""


def _supplier(
    award: Obj, parties: dict[str, Obj], errors: list[RowError], row: int
) -> tuple[dict[str, str], dict[str, str], str, Obj | None] | None:
    refs = award.objs("suppliers")
    if not refs:
        errors.append(
            RowError(row, award.at("suppliers"), _("An award needs its supplier (suppliers)."))
        )
        return None
    ref = refs[0]
    party = parties.get(_text(ref.leaf("id")))
    if party is None:
        errors.append(
            RowError(row, ref.at("id"), _("No party with this id: the supplier is not named."))
        )
        return None
    name_leaf = party.leaf("name") or ref.leaf("name")
    ident = party.obj("identifier")
    values = {
        "supplier_name": _text(name_leaf),
        "supplier_company_id": _text(ident.leaf("id")) if ident else "",
    }
    paths = {
        "supplier_name": name_leaf.path if name_leaf else party.at("name"),
        "supplier_company_id": ident.at("id") if ident else party.at("identifier"),
    }
    scheme = _text(ident.leaf("scheme")) if ident else ""
    return values, paths, scheme, party


def lines_of(processes: list[tuple[str, Obj]], errors: list[RowError]) -> Lines:
    out = Lines()
    for ocid, release in processes:
        parties = {k: v for k, v in _by_key(release, "parties")}
        awards = release.objs("awards")
        contracts = release.objs("contracts")
        award_ids = {_text(a.leaf("id")) for a in awards}
        for c in contracts:
            if c.objs("items") and _text(c.leaf("awardID")) not in award_ids:
                errors.append(
                    RowError(
                        FILE,
                        c.at("awardID"),
                        _("No award with this id: the contract's supplier is not named."),
                    )
                )
        ordinal = 0
        for award in awards:
            if _text(award.leaf("status")) in SKIPPED_AWARDS:
                continue
            aid = _text(award.leaf("id"))
            bought = [
                c
                for c in contracts
                if _text(c.leaf("awardID")) == aid
                and c.objs("items")
                and _text(c.leaf("status")) not in SKIPPED_CONTRACTS
            ]
            holders = bought or ([award] if award.objs("items") else [])
            for holder in holders:
                items = holder.objs("items")
                for item in items:
                    ordinal += 1
                    _line(
                        out,
                        ocid,
                        (release, award, holder),
                        item,
                        (len(items), ordinal),
                        parties,
                        errors,
                    )
    return out


def _by_key(release: Obj, key: str) -> Iterator[tuple[str, Obj]]:
    got = release.fields.get(key)
    if isinstance(got, Arr):
        yield from got.items.items()


@dataclass
class _Item:
    """One line being read: its row, values, the JSON path of each, and its errors."""

    row: int
    errors: list[RowError]
    values: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)

    def fail(self, field_: str, path: str, template: str, params: Any = ()) -> None:
        self.failed.add(field_)
        self.errors.append(RowError(self.row, path, template, params))


def _quantity(it: _Item, item: Obj) -> Decimal | None:
    try:
        quantity = _number(item.leaf("quantity"))
    except ValueError:
        it.fail("value", item.at("quantity"), _("The quantity is not a number."))
        return None
    if quantity is None:
        it.fail("value", item.at("quantity"), _("An item needs its quantity."))
    elif quantity < 0:
        it.fail("value", item.at("quantity"), _("A quantity cannot be negative."))
        return None
    return quantity


def _amount(it: _Item, out: Lines, holder: Obj, item: Obj, n_items: int) -> str:
    """quantity × unit price (or the holder's value for its only item); the currency."""
    unit = item.obj("unit")
    money = unit.obj("value") if unit else None
    amount_leaf = money.leaf("amount") if money else None
    quantity: Decimal | None = Decimal(1)
    if amount_leaf is None and n_items == 1 and holder.obj("value") is not None:
        money = holder.obj("value")
        amount_leaf = money.leaf("amount") if money else None
    else:
        quantity = _quantity(it, item)
    at = amount_leaf.path if amount_leaf else (money.at("amount") if money else item.at("unit"))
    it.paths["value"] = at
    try:
        amount = _number(amount_leaf)
    except ValueError:
        it.fail("value", at, _("The amount is not a number."))
        return ""
    if amount is None:
        it.fail("value", at, _("An item needs its unit price (unit.value.amount)."))
        return ""
    currency_leaf = money.leaf("currency") if money else None
    currency = _text(currency_leaf).upper()
    currency_at = currency_leaf.path if currency_leaf else (money.at("currency") if money else at)
    if not currency:
        it.fail("value", currency_at, _("An amount needs its currency."))
    elif out.currency and currency != out.currency:
        it.fail(
            "value",
            currency_at,
            _("This file mixes currencies: %(this)s here, %(first)s at %(path)s."),
            p(this=currency, first=out.currency, path=out.currency_at),
        )
    elif not out.currency:
        out.currency, out.currency_at = currency, currency_at
    if quantity is None:
        return ""
    try:
        return str((amount * quantity).quantize(_CENT, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        it.fail("value", at, _("This amount is too large."))
        return ""


def _country(it: _Item, item: Obj, party: Obj | None) -> str:
    """The item's delivery address's country, else the supplier's; which one was used."""
    for label, address in (
        ("delivery address", item.obj("deliveryAddress")),
        ("supplier address", party.obj("address") if party else None),
    ):
        name_leaf = address.leaf("countryName") if address else None
        if name_leaf is None or not _text(name_leaf):
            continue
        it.paths["origin_country"] = name_leaf.path
        it.values["origin_country"] = code = country_code(_text(name_leaf))
        if not code:
            it.fail(
                "origin_country",
                name_leaf.path,
                _("Unknown country %(value)s: give its name or ISO 3166-1 code."),
                p(value=repr(_text(name_leaf)[:40])),
            )
        return label
    it.paths["origin_country"] = item.at("deliveryAddress")
    it.fail(
        "origin_country",
        item.at("deliveryAddress"),
        _(
            "No country: give the item's deliveryAddress.countryName or the "
            "supplier's address.countryName."
        ),
    )
    return ""


def _line(
    out: Lines,
    ocid: str,
    where: tuple[Obj, Obj, Obj],
    item: Obj,
    counts: tuple[int, int],
    parties: dict[str, Obj],
    errors: list[RowError],
) -> None:
    release, award, holder = where
    n_items, ordinal = counts
    it = _Item(len(out.values) + 1, errors)
    line = f"{_text(holder.leaf('id'))}/{_text(item.leaf('id'))}"
    it.values.update(order_ref=ocid, line=line if len(line) <= 20 else f"#{ordinal}")
    it.paths.update(order_ref=release.at("ocid"), line=item.at("id"))
    found = _supplier(award, parties, errors, it.row)
    scheme, party = "", None
    if found is None:
        it.failed.update(("supplier_name", "supplier_company_id"))
    else:
        values, paths, scheme, party = found
        it.values.update(values)
        it.paths.update(paths)
    code, code_at = _code(item)
    it.values["product_code"] = code
    it.paths["product_code"] = code_at or item.at("classification")
    it.values["value"] = _amount(it, out, holder, item, n_items)
    country_from = _country(it, item, party)
    out.values.append(it.values)
    out.sources.append(
        Source(
            item.path,
            country_from,
            scheme,
            out.currency,
            tuple(it.paths.items()),
            frozenset(it.failed),
        )
    )


def preview(
    data: bytes, name: str, *, max_rows: int = tables.MAX_ROWS
) -> tuple[Preview[orders.OrderLine], Lines]:
    """Every order line of the file, checked as a CSV row is, or every error by its path."""
    out: Preview[orders.OrderLine] = Preview()
    releases = releases_of(data, name, out.errors)
    try:
        processes = compile_processes(releases, out.errors)
    except RecursionError:  # JSON just shallow enough to parse, too deep to merge
        out.errors.append(RowError(FILE, "", _("The JSON nests too deeply.")))
        return out, Lines()
    lines = lines_of(processes, out.errors)
    if not lines.values and not out.errors:
        out.errors.append(
            RowError(FILE, "", _("The file has no awarded or contracted items to screen."))
        )
    if len(lines.values) > max_rows:
        out.errors.append(RowError(FILE, "", _("At most %(n)s rows per file."), p(n=max_rows)))
        return out, lines
    blank = dict.fromkeys((*orders.REQUIRED, *orders.OPTIONAL), "")
    checked: list[RowError] = []
    for row, values in enumerate(lines.values, start=1):
        out.total_rows += 1
        record = orders.check_row({**blank, **values}, row, checked)
        if record is not None:
            out.rows.append(record)
    repeated = orders._check_repeats(Preview(list(out.rows), []))
    checked.extend(repeated.errors)
    # name each check's column by the JSON path it came from (a field already refused with
    # an OCDS message is not named twice)
    for e in checked:
        source = lines.sources[e.row - 1]
        if e.field in source.failed:
            continue
        paths = dict(source.paths)
        field_ = "line" if e.field == "order_ref" and e.template == _REPEATED else e.field
        out.errors.append(RowError(e.row, paths.get(field_, source.item), e.template, e.params))
    if out.errors:
        bad = {e.row for e in out.errors}
        out.rows = [r for r in out.rows if r.row not in bad]
        if any(e.row == FILE for e in out.errors):
            out.rows = []
        out.errors.sort(key=lambda e: (e.row, e.field))
    return out, lines
