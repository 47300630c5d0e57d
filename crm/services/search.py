"""Partner search by name, company, city, phone, email or customer number.

Each word of the query must match some search token of a partner by prefix
(see `crm.search_keys`). When a word finds less than a page of partners, its
likely misspellings are tried too: names one letter away for Latin words, and
the same pinyin reading for Chinese ones (the wrong character picked in the
input method). Results are ranked by how exactly each word matched.

Like the search help of a CRM, a word that matches too many partners is cut
at `MAX_HITS`; the result then says so and asks for a narrower query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from rapidfuzz.distance import OSA
from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, or_, select
from sqlalchemy.orm import Session

from crm import texts
from crm.errors import ValidationError
from crm.models import (
    Address,
    BusinessPartner,
    EmailAddress,
    PhoneNumber,
    SearchField,
    SearchTermVariant,
    SearchToken,
    User,
)
from crm.paging import Page, check_paging
from crm.permissions import Actor, Permission, visible_partners_clause
from crm.phones import normalize_phone
from crm.search_keys import (
    MAX_TOKEN,
    MIN_FUZZY_LENGTH,
    deletions,
    fold,
    is_cjk,
    pinyin,
    prefix_upper_bound,
    words,
)

MAX_HITS = 1000
MAX_WORDS = 8
# Up to this many matches are counted and ordered by name within a score;
# beyond it, by score and then id, looking up only as many as the page needs.
NAME_ORDER_LIMIT = 200
EXACT, PREFIX, ALTERNATIVE = 3, 2, 1

_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{4,}$")
_EMAIL_LIKE = re.compile(r"@|^[^\s.]+\.[^\s.]+")


@dataclass(frozen=True)
class Probe:
    """One way a query word can match: a token prefix (or exact token)."""

    token: str
    quality: int
    exact_only: bool = False
    fields: tuple[str, ...] = ()


@dataclass
class Term:
    text: str
    probes: list[Probe]
    alternatives: list[Probe] = field(default_factory=list)
    latin: bool = False


@dataclass
class Matches:
    """Partners a term matched, with the best quality per partner."""

    quality: dict[int, int] = field(default_factory=dict)
    fields: dict[int, set[str]] = field(default_factory=dict)
    complete: bool = True

    def add(self, partner_id: int, quality: int, field_name: str) -> None:
        if quality > self.quality.get(partner_id, 0):
            self.quality[partner_id] = quality
        self.fields.setdefault(partner_id, set()).add(field_name)


@dataclass(frozen=True)
class SearchHit:
    partner_id: int
    partner_no: str
    name: str
    kind: str
    city: str | None
    phone: str | None
    email: str | None
    owner: str | None
    matched_fields: tuple[str, ...]
    score: int


def parse_query(text: str, region: str = "CN") -> list[Term]:
    text = (text or "").strip()
    if _PHONE_LIKE.match(text):
        return [_phone_term(text, region)]
    terms = []
    for chunk in text.split():
        if _EMAIL_LIKE.search(chunk) and not chunk.replace(".", "").isdigit():
            folded = fold(chunk)
            terms.append(Term(folded, [Probe(folded, PREFIX, fields=(SearchField.EMAIL.value,))]))
            continue
        for word in words(chunk):
            terms.append(_word_term(word[:MAX_TOKEN]))  # no token is longer
    return terms


def _phone_term(text: str, region: str) -> Term:
    digits = re.sub(r"\D", "", text)
    probes = [Probe(digits, PREFIX, fields=(SearchField.PHONE.value,))]
    phone = normalize_phone(text, region)
    national = phone.national_digits  # None without an E.164 number
    if national is not None and national != digits:
        probes.append(Probe(national, PREFIX, fields=(SearchField.PHONE.value,)))
    return Term(text, probes)


def _word_term(word: str) -> Term:
    term = Term(word, [Probe(word, PREFIX)])
    if is_cjk(word) and len(word) >= 2:
        term.alternatives.append(Probe(pinyin(word), ALTERNATIVE, exact_only=True,
                                       fields=(SearchField.NAME.value, SearchField.CITY.value)))
    term.latin = word.isascii() and word.isalpha() and len(word) >= MIN_FUZZY_LENGTH
    return term


def search_partners(session: Session, actor: Actor, text: str, *, page: int = 1,
                    page_size: int = 20, region: str = "CN") -> Page[SearchHit]:
    offset = check_paging(page, page_size)
    terms = parse_query(texts.check(text, "the search text"), region)
    if not terms:
        raise ValidationError("Type part of a name, company, city, phone number, email or customer number.")
    if len(terms) > MAX_WORDS:
        raise ValidationError(f"Search with at most {MAX_WORDS} words.")
    matches = [_match_term(session, t, page_size) for t in terms]
    scores, fields, complete = {}, {}, False
    if len(terms) > 1 and not any(m.complete for m in matches):
        # Every word is common ("zhang wei"): the run-together name is precise.
        scores, fields, complete = _joined(session, terms)
    if not scores:
        scores, fields, complete = _combine(session, terms, matches)
    if not scores and len(terms) > 1:
        scores, fields, complete = _joined(session, terms)
    page_ids, total, has_more = _rank(session, actor, scores, offset, page_size)
    hits = _hits(session, page_ids, scores, fields)
    notes = []
    if not complete:
        notes.append(f"More than {MAX_HITS} partners match; showing the best. Add a word to narrow the search.")
    return Page(items=hits, page=page, page_size=page_size,
                total=total if complete else None, has_more=has_more or not complete, notes=notes)


def _match_term(session: Session, term: Term, page_size: int) -> Matches:
    matches = Matches()
    for probe in term.probes:
        _run_probe(session, probe, matches)
    if len(matches.quality) < page_size:
        alternatives = list(term.alternatives)
        if term.latin:
            alternatives += _misspelling_probes(session, term.text)
        for probe in alternatives:
            _run_probe(session, probe, matches)
    return matches


def _probe_condition(probe: Probe, lo="lo", hi="hi", fields="fields"):
    if probe.exact_only:
        cond = SearchToken.token == bindparam(lo)
    else:
        cond = and_(SearchToken.token >= bindparam(lo), SearchToken.token < bindparam(hi))
    if probe.fields:
        cond = and_(cond, SearchToken.field.in_(bindparam(fields, expanding=True)))
    return cond


def _probe_params(probe: Probe, suffix: str = "") -> dict:
    params: dict[str, str | list[str]] = {f"lo{suffix}": probe.token}
    if not probe.exact_only:
        params[f"hi{suffix}"] = prefix_upper_bound(probe.token)
    if probe.fields:
        params[f"fields{suffix}"] = list(probe.fields)
    return params


# The probe statements are built once: a search runs several, and building a
# statement costs about as much as running it.
_PROBE_STATEMENTS = {
    (exact, filtered): select(SearchToken.partner_id, SearchToken.token, SearchToken.field)
    .where(_probe_condition(Probe("", 0, exact, ("x",) if filtered else ())))
    .limit(bindparam("limit"))
    for exact in (False, True) for filtered in (False, True)
}


def _run_probe(session: Session, probe: Probe, matches: Matches) -> None:
    stmt = _PROBE_STATEMENTS[(probe.exact_only, bool(probe.fields))]
    rows = _rows(session, stmt, _probe_params(probe) | {"limit": MAX_HITS + 1})
    if len(rows) > MAX_HITS:
        matches.complete = False
        rows = rows[:MAX_HITS]
    for partner_id, token, field_name in rows:
        quality = EXACT if token == probe.token and probe.quality == PREFIX else probe.quality
        matches.add(partner_id, quality, field_name)


def _rows(session: Session, stmt, params: dict) -> list[Any]:
    """Plain rows of a Core statement, without the ORM's per-row work."""
    return cast(list[Any], session.connection().execute(stmt, params).all())  # a list, typed a Sequence


_VARIANTS = select(SearchTermVariant.term).where(
    SearchTermVariant.variant.in_(bindparam("variants", expanding=True)))


def _misspelling_probes(session: Session, word: str) -> list[Probe]:
    """Known name words one edit away (two for long words) from `word`."""
    candidates = {term for (term,) in _rows(session, _VARIANTS, {"variants": list(deletions(word))})}
    limit = 1 if len(word) < 8 else 2
    return [Probe(c, ALTERNATIVE, exact_only=True) for c in candidates
            if c != word and OSA.distance(c, word) <= limit]


def _combine(session: Session, terms: list[Term], matches: list[Matches]):
    """Partners matched by every term: {id: score}, {id: fields}, complete?"""
    order = sorted(range(len(terms)), key=lambda i: (not matches[i].complete, len(matches[i].quality)))
    base = matches[order[0]]
    scores = dict(base.quality)
    fields = {pid: set(f) for pid, f in base.fields.items()}
    complete = base.complete
    for i in order[1:]:
        other = matches[i]
        if not other.complete and scores:
            # The other term was cut off: look for it only among the candidates.
            other = _verify(session, terms[i], list(scores))
        for pid in list(scores):
            if pid in other.quality:
                scores[pid] += other.quality[pid]
                fields[pid] |= other.fields[pid]
            else:
                del scores[pid]
    return scores, fields, complete


def _verify(session: Session, term: Term, partner_ids: list[int]) -> Matches:
    matches = Matches()
    probes = term.probes + term.alternatives
    params = {"ids": partner_ids}
    for n, probe in enumerate(probes):
        params |= _probe_params(probe, str(n))
    conditions = [_probe_condition(p, f"lo{n}", f"hi{n}", f"fields{n}") for n, p in enumerate(probes)]
    id_in = _id_in(session.get_bind().dialect.name)
    stmt = select(SearchToken.partner_id, SearchToken.token, SearchToken.field).where(
        id_in(SearchToken.partner_id), or_(*conditions))
    for partner_id, token, field_name in _rows(session, stmt, params):
        for probe in probes:
            if _token_matches(probe, token, field_name):
                quality = EXACT if token == probe.token and probe.quality == PREFIX else probe.quality
                matches.add(partner_id, quality, field_name)
    return matches


def _token_matches(probe: Probe, token: str, field_name: str) -> bool:
    if probe.fields and field_name not in probe.fields:
        return False
    return token == probe.token if probe.exact_only else token.startswith(probe.token)


def _joined(session: Session, terms: list[Term]):
    """Words written apart that the index holds together ("zhang wei" → zhangwei),
    also with one typo ("joan taylur" → joantaylor)."""
    joined = "".join(t.text for t in terms)[:MAX_TOKEN]
    matches = Matches()
    _run_probe(session, Probe(joined, PREFIX, fields=(SearchField.NAME.value, SearchField.CITY.value)), matches)
    if not matches.quality and joined.isascii() and joined.isalpha():
        for probe in _misspelling_probes(session, joined):
            _run_probe(session, probe, matches)
    scores = {pid: quality * len(terms) for pid, quality in matches.quality.items()}
    return scores, matches.fields, matches.complete


def _per_dialect(build) -> dict:
    """The statement `build(id_in)` makes, for each database: PostgreSQL takes a
    list of ids as one array parameter, cheaper to plan than a thousand."""
    return {dialect: build(_id_in(dialect)) for dialect in ("postgresql", "default")}


def _id_in(dialect: str):
    if dialect == "postgresql":
        return lambda column: column == any_(bindparam("ids", type_=ARRAY(Integer)))
    return lambda column: column.in_(bindparam("ids", expanding=True))


def _for(session: Session, statements: dict):
    return statements.get(session.get_bind().dialect.name, statements["default"])


_RANKABLE = _per_dialect(lambda id_in: select(BusinessPartner.id, BusinessPartner.name).where(
    id_in(BusinessPartner.id), BusinessPartner.is_archived.is_(False)))
_HIT_PARTNERS = _per_dialect(lambda id_in: (
    select(BusinessPartner.id, BusinessPartner.partner_no, BusinessPartner.name,
           BusinessPartner.kind, User.display_name.label("owner"))
    .outerjoin(User, User.id == BusinessPartner.owner_id)
    .where(id_in(BusinessPartner.id))
))
_MAIN_VALUES = {
    name: _per_dialect(lambda id_in, model=model, column=column: (
        select(model.partner_id, column).where(id_in(model.partner_id))
        .order_by(model.partner_id, model.is_main.desc(), model.id)))
    for name, model, column in (("city", Address, Address.city),
                                ("phone", PhoneNumber, PhoneNumber.raw),
                                ("email", EmailAddress, EmailAddress.address))
}


def _rank(session: Session, actor: Actor, scores: dict[int, int], offset: int,
          page_size: int) -> tuple[list[int], int | None, bool]:
    """The ids on the page, the total (None when not counted) and whether more follow."""
    if len(scores) <= NAME_ORDER_LIMIT:
        ranked = _visible_ranked(session, actor, scores)
        return ranked[offset:offset + page_size], len(ranked), len(ranked) > offset + page_size
    order = sorted(scores, key=lambda pid: (-scores[pid], pid))
    wanted = offset + page_size + 1
    window = max(wanted, 100)
    visible: list[int] = []
    for start in range(0, len(order), window):
        ids = order[start:start + window]
        allowed = set(_visible_ranked(session, actor, {pid: scores[pid] for pid in ids}))
        visible.extend(pid for pid in ids if pid in allowed)
        if len(visible) >= wanted:
            break
    return visible[offset:offset + page_size], None, len(visible) > offset + page_size


def _visible_ranked(session: Session, actor: Actor, scores: dict[int, int]) -> list[int]:
    if not scores:
        return []
    stmt = _for(session, _RANKABLE)
    if not actor.can(Permission.PARTNER_READ_ANY):
        stmt = stmt.where(visible_partners_clause(actor))
    rows = _rows(session, stmt, {"ids": list(scores)})
    rows.sort(key=lambda r: (-scores[r.id], r.name.casefold(), r.id))
    return [r.id for r in rows]


def _hits(session: Session, ids: list[int], scores: dict[int, int], fields) -> list[SearchHit]:
    if not ids:
        return []
    partners = {p.id: p for p in _rows(session, _for(session, _HIT_PARTNERS), {"ids": ids})}
    city, phone, email = (_main_values(session, name, ids) for name in ("city", "phone", "email"))
    return [
        SearchHit(pid, partners[pid].partner_no, partners[pid].name, partners[pid].kind,
                  city.get(pid), phone.get(pid), email.get(pid), partners[pid].owner,
                  tuple(sorted(fields.get(pid, ()))), scores[pid])
        for pid in ids
    ]


def _main_values(session: Session, name: str, ids: list[int]) -> dict[int, str]:
    """The main (else the first) value of a one-to-many detail per partner."""
    values: dict[int, str] = {}
    for partner_id, value in _rows(session, _for(session, _MAIN_VALUES[name]), {"ids": ids}):
        values.setdefault(partner_id, value)
    return values
