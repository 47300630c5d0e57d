"""Importing a call list for a campaign: a file's rows checked (numbers
normalized, duplicates, do-not-call lists), each matched to a business partner
or created as a prospect in the customer pool, and written in one transaction
with bulk inserts (a 100,000-row list in seconds, docs/performance.md).

A refused row is reported with its line and reason and left out; with
`strict`, any refused row refuses the whole file. Either way what is written
is written together or not at all: the caller's unit of work commits it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from sqlalchemy import JSON, func, select
from sqlalchemy import Table as SqlTable
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import ValidationError
from crm.models import (
    AuditEntry,
    BusinessPartner,
    CallList,
    CallListContact,
    CallListNumber,
    Campaign,
    ContactState,
    PartnerKind,
    PartnerRole,
    PartnerRoleAssignment,
    PhoneNumber,
    SearchField,
    SearchToken,
)
from crm.outbound.list_files import Table, read_table
from crm.permissions import Actor, Permission
from crm.person_names import split_person_name
from crm.phones import NormalizedPhone, normalize_phone
from crm.search_keys import fuzzy_terms, partner_tokens
from crm.services import audit, numbers
from crm.services.campaigns import get_campaign
from crm.services.do_not_call import blocked_numbers
from crm.services.indexing import add_term_variants

Progress = Callable[[str, int, int], None]  # (stage, done, total): "checking", "prospects", "writing"
MAX_NAME, MAX_CUSTOMER_NO, MAX_FIELD = 250, 40, 2000
BATCH = 5000
_CHUNK = 900  # values in one IN (...): under SQLite's limit on bound parameters

# Column names that say what a column holds, for a file imported without a mapping.
_PHONE_NAMES = re.compile(r"^(phone|mobile|cell|tel|telephone|number|phone ?\d|mobile ?\d|"
                          r"电话|手机|手机号|手机号码|联系电话|电话号码|座机|固话)$", re.IGNORECASE)
_NAME_NAMES = re.compile(r"^(name|full ?name|customer ?name|contact|姓名|名称|客户名称|客户姓名|联系人)$",
                         re.IGNORECASE)
_CUSTOMER_NAMES = re.compile(r"^(customer ?(no|number|#)|customer_no|partner ?no|客户编号|客户号|会员号)$",
                             re.IGNORECASE)


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns hold what; the rest are kept as the contact's fields."""

    phones: tuple[str, ...] = ()  # in order of preference
    name: str | None = None
    customer_no: str | None = None


@dataclass(frozen=True)
class RefusedRow:
    line: int
    reason: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class ListedElsewhere:
    """A number of this list already on another active list."""

    line: int
    number: str
    campaign: str
    call_list: str


@dataclass
class ImportResult:
    campaign: str
    list_name: str
    encoding: str
    mapping: ColumnMapping
    header: list[str]
    rows: int = 0
    imported: int = 0
    matched: int = 0  # to an existing business partner
    created: int = 0  # prospects created in the customer pool
    refused: list[RefusedRow] = field(default_factory=list)
    listed_elsewhere: list[ListedElsewhere] = field(default_factory=list)
    call_list_id: int | None = None  # None: nothing was written

    @property
    def written(self) -> bool:
        return self.call_list_id is not None


@dataclass
class _Row:
    line: int
    cells: list[str]
    name: str
    customer_no: str | None
    numbers: list[str]
    fields: dict[str, str]
    partner_id: int | None = None


def import_file(session: Session, actor: Actor, campaign: str, path: Path, *, encoding: str | None = None,
                sheet: str | None = None, **options) -> ImportResult:
    """Read a CSV or Excel file and import it (see import_table for the options)."""
    actor.require(Permission.CAMPAIGN_MANAGE, "import call lists")
    get_campaign(session, campaign)  # an unknown campaign before a long read
    table = read_table(path, encoding=encoding, sheet=sheet)
    options.setdefault("list_name", path.name)
    return import_table(session, actor, campaign, table, source=path.name, **options)


def import_table(session: Session, actor: Actor, campaign_name: str, table: Table, *,
                 mapping: ColumnMapping | None = None, list_name: str, source: str = "",
                 region: str = "CN", strict: bool = False, refuse_listed_elsewhere: bool = False,
                 dry_run: bool = False, progress: Progress | None = None) -> ImportResult:
    actor.require(Permission.CAMPAIGN_MANAGE, "import call lists")
    campaign = get_campaign(session, campaign_name)
    list_name = _list_name(list_name)
    mapping = resolve_mapping(table.header, mapping)
    report = progress or (lambda _stage, _done, _total: None)
    result = ImportResult(campaign.name, list_name, table.encoding, mapping, table.header, rows=len(table.rows))
    rows = _checked_rows(table, mapping, region, result, report)
    rows = _without_blocked(session, rows, campaign.id, result)
    result.listed_elsewhere = _listed_elsewhere(session, rows)
    if refuse_listed_elsewhere and result.listed_elsewhere:
        rows = _without_listed_elsewhere(rows, result)
    result.refused.sort(key=lambda r: r.line)
    if dry_run or not rows or (strict and result.refused):
        return result
    _match_partners(session, rows)
    result.matched = sum(r.partner_id is not None for r in rows)
    result.created = _create_prospects(session, actor, [r for r in rows if r.partner_id is None], report)
    result.call_list_id = _write_list(session, actor, campaign, rows, result, source, report)
    result.imported = len(rows)
    return result


def resolve_mapping(header: Sequence[str], mapping: ColumnMapping | None) -> ColumnMapping:
    """The mapping given, each column checked to be in the file, what it leaves out guessed from
    the other columns' names. ValidationError when no column holds phone numbers."""
    columns = ", ".join(header)
    given = mapping or ColumnMapping()
    free = [c for c in header if c not in (*given.phones, given.name, given.customer_no)]
    mapping = ColumnMapping(
        phones=given.phones or tuple(c for c in free if _PHONE_NAMES.match(c.strip())),
        name=given.name or next((c for c in free if _NAME_NAMES.match(c.strip())), None),
        customer_no=given.customer_no or next((c for c in free if _CUSTOMER_NAMES.match(c.strip())), None))
    for column in (*mapping.phones, mapping.name, mapping.customer_no):
        if column is not None and column not in header:
            raise ValidationError(f"The file has no column {column!r} (its columns: {columns})")
    if not mapping.phones:
        raise ValidationError(f"The file has no phone column: none of its columns ({columns}) is named like "
                              "one (phone, mobile, 电话, 手机, ...); map one, e.g. --map phone=COLUMN")
    used = [*mapping.phones, mapping.name, mapping.customer_no]
    repeated = sorted({c for c in used if c is not None and used.count(c) > 1})
    if repeated:
        raise ValidationError(f"The column {repeated[0]!r} is mapped twice")
    return mapping


def _list_name(name: str) -> str:
    name = " ".join(texts.check(name or "", "the list's name").split())
    if not name or len(name) > 200:
        raise ValidationError("A call list needs a name of 1 to 200 characters")
    return name


def _checked_rows(table: Table, mapping: ColumnMapping, region: str, result: ImportResult,
                  report: Progress) -> list[_Row]:
    index = {c: i for i, c in enumerate(table.header)}
    phone_at = [index[c] for c in mapping.phones]
    name_at = index[mapping.name] if mapping.name else None
    number_at = index[mapping.customer_no] if mapping.customer_no else None
    field_at = [(c, i) for c, i in index.items() if i not in (*phone_at, name_at, number_at)]
    rows: list[_Row] = []
    first_line: dict[str, int] = {}  # {E.164: the line it was first seen on}
    total = len(table.rows)
    for done, (line, cells) in enumerate(table.rows, start=1):
        if done % BATCH == 0:
            report("checking", done, total)
        cells = cells + [""] * (len(table.header) - len(cells))
        try:
            row = _row(line, cells, table.header, phone_at, name_at, number_at, field_at, region)
            _refuse_repeats(row, first_line)
        except ValidationError as exc:
            result.refused.append(RefusedRow(line, str(exc), tuple(cells)))
            continue
        rows.append(row)
    report("checking", total, total)
    return rows


def _row(line: int, cells: list[str], header: list[str], phone_at: list[int], name_at: int | None,
         number_at: int | None, field_at: list[tuple[str, int]], region: str) -> _Row:
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        raise ValidationError(f"the row has {len(cells)} cells but the header names {len(header)} columns")
    for column, cell in zip(header, cells, strict=False):
        if not texts.is_storable(cell):
            texts.check(cell, f"the column {column!r}")
    name = " ".join(cells[name_at].split()) if name_at is not None else ""
    if len(name) > MAX_NAME:
        raise ValidationError(f"the name is longer than {MAX_NAME} characters")
    customer_no = (cells[number_at].strip().upper() or None) if number_at is not None else None
    if customer_no is not None and len(customer_no) > MAX_CUSTOMER_NO:
        raise ValidationError(f"the customer number is longer than {MAX_CUSTOMER_NO} characters")
    fields = {column: cells[i].strip() for column, i in field_at if cells[i].strip()}
    long = next((c for c, v in fields.items() if len(v) > MAX_FIELD), None)
    if long is not None:
        raise ValidationError(f"the column {long!r} holds more than {MAX_FIELD} characters")
    return _Row(line, cells, name, customer_no, _numbers([cells[i] for i in phone_at], region), fields)


def _numbers(raw: list[str], region: str) -> list[str]:
    """The row's numbers in E.164, in order of preference; ValidationError when it has none."""
    found, unreadable = [], []
    for text in (r.strip() for r in raw):
        if not text:
            continue
        phone = normalize_phone(text, region)
        if phone.e164 is None:
            unreadable.append(text)
        elif phone.e164 not in found:
            found.append(phone.e164)
    if found:
        return found
    if unreadable:
        shown = ", ".join(repr(u) for u in unreadable)
        raise ValidationError(f"{shown} {'is not a phone number' if len(unreadable) == 1 else 'are not phone numbers'}"
                              f" that can be dialed (read with the default region {region})")
    raise ValidationError("no phone number")


def _refuse_repeats(row: _Row, first_line: dict[str, int]) -> None:
    for number in row.numbers:
        if number in first_line:
            raise ValidationError(f"{number} is already on line {first_line[number]} of this list")
    for number in row.numbers:
        first_line[number] = row.line


def _without_blocked(session: Session, rows: list[_Row], campaign_id: int, result: ImportResult) -> list[_Row]:
    """Rows with a number on a do-not-call list are refused whole: the person asked not to be called."""
    blocked = blocked_numbers(session, (n for r in rows for n in r.numbers), campaign_id, chunk=_CHUNK)
    if not blocked:
        return rows
    kept = []
    for row in rows:
        hit = next((n for n in row.numbers if n in blocked), None)
        if hit is None:
            kept.append(row)
        else:
            result.refused.append(RefusedRow(row.line, f"{hit} is on a do-not-call list", tuple(row.cells)))
    return kept


def _listed_elsewhere(session: Session, rows: list[_Row]) -> list[ListedElsewhere]:
    line_of = {n: r.line for r in rows for n in r.numbers}
    found: list[tuple[str, str, str]] = []
    for chunk in _chunks(list(line_of)):
        found += session.execute(
            select(CallListNumber.e164, CallList.name, Campaign.name)
            .join(CallList, CallList.id == CallListNumber.call_list_id)
            .join(Campaign, Campaign.id == CallList.campaign_id)
            .where(CallListNumber.e164.in_(chunk), CallList.is_active.is_(True))).all()
    return sorted((ListedElsewhere(line_of[n], n, campaign, listed) for n, listed, campaign in found),
                  key=lambda d: (d.line, d.number, d.campaign, d.call_list))


def _without_listed_elsewhere(rows: list[_Row], result: ImportResult) -> list[_Row]:
    """The rows none of whose numbers is on another active list; the others refused, once each."""
    first: dict[int, ListedElsewhere] = {}
    for listed in result.listed_elsewhere:
        first.setdefault(listed.line, listed)
    for row in rows:
        found = first.get(row.line)
        if found is not None:
            result.refused.append(RefusedRow(row.line, f"{found.number} is already on the list {found.call_list} "
                                                       f"of the campaign {found.campaign}", tuple(row.cells)))
    return [r for r in rows if r.line not in first]


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _match_partners(session: Session, rows: list[_Row]) -> None:
    """Each row's partner: by its customer number, else by its numbers in order of preference."""
    by_no: dict[str, int] = {}
    for chunk in _chunks(sorted({r.customer_no for r in rows if r.customer_no})):
        by_no.update((no, pid) for no, pid in session.execute(select(BusinessPartner.partner_no, BusinessPartner.id)
                     .where(BusinessPartner.partner_no.in_(chunk), BusinessPartner.is_archived.is_(False))))
    by_phone: dict[str, int] = {}
    for chunk in _chunks(sorted({n for r in rows for n in r.numbers})):
        by_phone.update((e164 or "", pid) for e164, pid in session.execute(  # never None: it was looked up
            select(PhoneNumber.e164, func.min(PhoneNumber.partner_id))
            .join(BusinessPartner, BusinessPartner.id == PhoneNumber.partner_id)
            .where(PhoneNumber.e164.in_(chunk), BusinessPartner.is_archived.is_(False))
            .group_by(PhoneNumber.e164)))
    for row in rows:
        row.partner_id = (by_no.get(row.customer_no) if row.customer_no else None) or next(
            (by_phone[n] for n in row.numbers if n in by_phone), None)


_PARTNERS = cast(SqlTable, BusinessPartner.__table__)
_ROLES = cast(SqlTable, PartnerRoleAssignment.__table__)
_PHONES = cast(SqlTable, PhoneNumber.__table__)
_TOKENS = cast(SqlTable, SearchToken.__table__)
_AUDIT = cast(SqlTable, AuditEntry.__table__)
_CONTACTS = cast(SqlTable, CallListContact.__table__)
_NUMBERS = cast(SqlTable, CallListNumber.__table__)


def _create_prospects(session: Session, actor: Actor, rows: list[_Row], report: Progress) -> int:
    """A prospect in the customer pool for each row no partner matched, a batch per statement."""
    if not rows:
        return 0
    actor.require(Permission.PARTNER_CREATE, "create business partners")
    values = iter(numbers.next_values(session, numbers.CUSTOMER, len(rows)))
    now = utcnow()
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        partners = [_prospect(row, numbers.FORMATS[numbers.CUSTOMER].format(next(values)), actor, now)
                    for row in batch]
        # Without RETURNING: SQLite returns rows in order only one INSERT at a time.
        _insert(session, _PARTNERS, partners)
        ids = dict(session.execute(select(BusinessPartner.partner_no, BusinessPartner.id).where(
            BusinessPartner.partner_no.in_([p["partner_no"] for p in partners]))).all())
        for row, partner in zip(batch, partners, strict=True):
            row.partner_id = ids[partner["partner_no"]]
        _index_prospects(session, actor, batch, partners, now)
        report("prospects", start + len(batch), len(rows))
    return len(rows)


def _prospect(row: _Row, partner_no: str, actor: Actor, now) -> dict:
    family, given = split_person_name(row.name)
    name = row.name or row.numbers[0]  # a list of bare numbers still names its prospects
    return {"partner_no": partner_no, "kind": PartnerKind.PERSON.value, "first_name": given or None,
            "last_name": family or None, "org_name": None, "name": name[:250], "language": None,
            "segment": None, "value_class": None, "owner_id": None, "is_archived": False,
            "created_at": now, "updated_at": now, "created_by_id": actor.user_id}


def _index_prospects(session: Session, actor: Actor, rows: list[_Row], partners: list[dict], now) -> None:
    """Roles, phone numbers, search tokens and audit entries of new prospects, as creating one by
    one would write them (crm.services.partners.create_partner)."""
    roles, phones, tokens, audits, terms = [], [], [], [], set()
    for row, partner in zip(rows, partners, strict=True):
        pid = row.partner_id
        roles.append({"partner_id": pid, "role": PartnerRole.PROSPECT.value})
        normalized = [_KnownPhone(n) for n in row.numbers]
        phones += [{"partner_id": pid, "kind": "mobile", "raw": p.raw, "e164": p.e164, "digits": p.digits,
                    "is_valid": True, "is_main": i == 0} for i, p in enumerate(normalized)]
        pairs = partner_tokens(kind=partner["kind"], first_name=partner["first_name"],
                               last_name=partner["last_name"], org_name=None,
                               partner_no=partner["partner_no"], phones=normalized)
        tokens += [{"token": t, "field": f, "partner_id": pid} for t, f in pairs]
        terms |= fuzzy_terms(t for t, f in pairs if f == SearchField.NAME)
        audits.append({"at": now, "user_id": actor.user_id, "partner_id": pid, "entity": "business_partner",
                       "entity_id": pid, "action": "create",
                       "changes": {"name": partner["name"], "partner_no": partner["partner_no"],
                                   "phones": row.numbers, "call_list_line": row.line}})
    for table, values in ((_ROLES, roles), (_PHONES, phones), (_TOKENS, tokens), (_AUDIT, audits)):
        _insert(session, table, values)
    add_term_variants(session, terms)


def _insert(session: Session, table: SqlTable, rows: list[dict]) -> None:
    """Many rows at once: COPY on PostgreSQL, an executemany on the connection elsewhere (the
    session's takes the ORM's bulk path, with work for mapped objects there are none of)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.connection().execute(table.insert(), rows)
        return
    columns = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c], ensure_ascii=False) if c in as_json else row[c] for c in columns])


class _KnownPhone(NormalizedPhone):
    """A number already in E.164 whose national number is cut off its country code (E.164 codes
    are prefix-free) instead of parsed again: parsing is much of an import's time."""

    def __init__(self, e164: str):
        super().__init__(e164, e164, e164[1:])
        code = next(e164[1:1 + n] for n in (1, 2, 3) if int(e164[1:1 + n]) in COUNTRY_CODE_TO_REGION_CODE)
        object.__setattr__(self, "_national", e164[1 + len(code):])

    _national: str

    @property
    def national_digits(self) -> str | None:
        return self._national


def _write_list(session: Session, actor: Actor, campaign: Campaign, rows: list[_Row], result: ImportResult,
                source: str, report: Progress) -> int:
    mapping = result.mapping
    call_list = CallList(campaign_id=campaign.id, name=result.list_name, imported_by_id=actor.user_id,
                         source={"file": source, "encoding": result.encoding, "rows": result.rows,
                                 "imported": len(rows), "refused": len(result.refused),
                                 "mapping": {"phones": list(mapping.phones), "name": mapping.name,
                                             "customer_no": mapping.customer_no}})
    session.add(call_list)
    session.flush()
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        _insert(session, _CONTACTS, [
            {"call_list_id": call_list.id, "line_no": r.line, "name": r.name, "customer_no": r.customer_no,
             "partner_id": r.partner_id, "fields": r.fields, "state": ContactState.OPEN.value, "attempts": 0,
             "next_attempt_at": None} for r in batch])
        ids = dict(session.execute(select(CallListContact.line_no, CallListContact.id).where(
            CallListContact.call_list_id == call_list.id,
            CallListContact.line_no.between(batch[0].line, batch[-1].line))).all())
        _insert(session, _NUMBERS, [
            {"contact_id": ids[r.line], "preference": i, "call_list_id": call_list.id, "e164": n}
            for r in batch for i, n in enumerate(r.numbers, start=1)])
        report("writing", start + len(batch), len(rows))
    audit.record(session, actor, entity="call_list", entity_id=call_list.id, action="import",
                 changes={"campaign": campaign.name, "name": result.list_name, "file": source,
                          "rows": result.rows, "imported": len(rows), "matched": result.matched,
                          "created": result.created, "refused": len(result.refused)})
    return call_list.id
