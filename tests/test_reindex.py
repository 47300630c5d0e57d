"""Rebuilding the search index repairs search for every partner."""

from sqlalchemy import delete, func, select

import factories
from crm.models import SearchToken
from crm.permissions import Actor
from crm.services.indexing import reindex_all
from crm.services.search import search_partners


def test_reindex_rebuilds_what_was_lost(db):
    with db.unit_of_work() as s:
        factories.person(s, first="伟", last="张", city="北京", phones=["13800138000"])
        factories.person(s, first="John", last="Smith", country="US", emails=["js@example.com"])
        before = s.scalar(select(func.count()).select_from(SearchToken))
        s.execute(delete(SearchToken))
    with db.reading() as s:
        assert search_partners(s, Actor.system(), "smith").items == []
    seen = []
    assert reindex_all(db, batch=1, progress=lambda done, total: seen.append((done, total))) == 2
    assert seen == [(0, 2), (1, 2), (2, 2)]
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(SearchToken)) == before
        assert [h.name for h in search_partners(s, Actor.system(), "zhang wei").items] == ["张伟"]
        assert [h.name for h in search_partners(s, Actor.system(), "smiht").items] == ["John Smith"]
