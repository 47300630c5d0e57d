"""Keeping the search index of a partner up to date."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session, selectinload

from crm.db import insert_or_ignore
from crm.models import BusinessPartner, SearchField, SearchTermVariant, SearchToken
from crm.phones import NormalizedPhone
from crm.search_keys import deletions, fuzzy_terms, partner_tokens


_SEARCH_TOKENS = cast(Table, SearchToken.__table__)


def tokens_of(partner: BusinessPartner) -> set[tuple[str, str]]:
    return partner_tokens(
        kind=partner.kind,
        first_name=partner.first_name,
        last_name=partner.last_name,
        org_name=partner.org_name,
        partner_no=partner.partner_no,
        cities=[a.city for a in partner.addresses],
        emails=[e.address for e in partner.emails],
        phones=[NormalizedPhone(p.raw, p.e164, p.digits) for p in partner.phones],
    )


def reindex_partner(session: Session, partner: BusinessPartner) -> None:
    session.flush()
    session.execute(delete(SearchToken).where(SearchToken.partner_id == partner.id))
    pairs = tokens_of(partner)
    session.execute(
        _SEARCH_TOKENS.insert(),
        [{"token": t, "field": f, "partner_id": partner.id} for t, f in sorted(pairs)],
    )
    names = {t for t, f in pairs if f in (SearchField.NAME, SearchField.CITY)}
    add_term_variants(session, fuzzy_terms(names))


def term_variant_rows(terms) -> list[dict]:
    return [{"variant": v, "term": t} for t in terms for v in deletions(t)]


def add_term_variants(session: Session, terms) -> None:
    rows = term_variant_rows(terms)
    if not rows:
        return
    new = _unknown_terms(session, {r["term"] for r in rows})
    rows = [r for r in rows if r["term"] in new]
    if rows:
        session.execute(insert_or_ignore(session, SearchTermVariant), rows)


def _unknown_terms(session: Session, terms: set[str], chunk: int = 900) -> set[str]:
    """Every known term has its own row (term, term), so one key lookup per term tells it.
    (An IN list on both columns made SQLite look up every pair: minutes for a large import.)"""
    wanted, known = sorted(terms), set[str]()
    for start in range(0, len(wanted), chunk):
        known.update(session.scalars(select(SearchTermVariant.term).where(
            SearchTermVariant.variant.in_(wanted[start:start + chunk]),
            SearchTermVariant.term == SearchTermVariant.variant)))
    return terms - known


def reindex_all(db, *, batch: int = 1000, progress=None) -> int:
    """Rebuild the search index of every partner, a batch per transaction
    (after the search keys changed, or to repair the index). Returns the count."""
    progress = progress or (lambda done, total: None)
    with db.reading() as session:
        total = session.scalar(select(func.count()).select_from(BusinessPartner))
    done, last_id = 0, 0
    progress(0, total)
    while True:
        with db.unit_of_work() as session:
            partners = session.scalars(
                select(BusinessPartner).where(BusinessPartner.id > last_id)
                .order_by(BusinessPartner.id).limit(batch)
                .options(selectinload(BusinessPartner.addresses), selectinload(BusinessPartner.emails),
                         selectinload(BusinessPartner.phones))).all()
            if not partners:
                return done
            ids = [p.id for p in partners]
            session.execute(delete(SearchToken).where(SearchToken.partner_id.in_(ids)))
            rows, terms = [], set()
            for partner in partners:
                pairs = tokens_of(partner)
                rows += [{"token": t, "field": f, "partner_id": partner.id} for t, f in pairs]
                terms |= fuzzy_terms(t for t, f in pairs if f in (SearchField.NAME, SearchField.CITY))
            session.execute(_SEARCH_TOKENS.insert(), rows)
            add_term_variants(session, terms)
            last_id = ids[-1]
        done += len(partners)
        progress(done, total)
