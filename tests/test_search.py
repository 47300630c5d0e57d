"""Partner search: names in Chinese, pinyin and Latin, typos, fragments, paging."""

import pytest

import factories
from crm.errors import ValidationError
from crm.models import UserRole
from crm.permissions import Actor
from crm.services import search as search_module
from crm.services.search import search_partners

SYSTEM = Actor.system()


@pytest.fixture
def people(db):
    with db.unit_of_work() as s:
        made = dict(
            zhang_wei=factories.person(s, first="伟", last="张", city="北京", phones=["13800138000"],
                                       emails=["zhang.wei@example.cn"]),
            zhang_xiuying=factories.person(s, first="秀英", last="张", city="上海"),
            zhang_wei_other=factories.person(s, first="伟", last="章", city="杭州"),
            smith=factories.person(s, first="John", last="Smith", city="San Francisco", country="US",
                                   emails=["john.smith@acme.example"]),
            smithson=factories.person(s, first="Mary", last="Smithson", city="London", country="GB"),
            zoe=factories.person(s, first="Zoë", last="O'Brien", city="Dublin", country="IE"),
            huawei=factories.organization(s, name="北京华为科技有限公司", city="深圳"),
            acme=factories.organization(s, name="Acme Trading Co., Ltd.", city="Hong Kong", country="HK"),
        )
    return made


def names(db, text, actor=SYSTEM, **kwargs):
    with db.reading() as s:
        return [h.name for h in search_partners(s, actor, text, **kwargs).items]


def test_chinese_full_name_part_of_name_and_company_fragment(db, people):
    assert names(db, "张伟") == ["张伟", "章伟"]  # same reading, ranked after the exact name
    assert names(db, "秀英") == ["张秀英"]
    assert names(db, "华为") == ["北京华为科技有限公司"]


def test_pinyin_finds_chinese_names_in_either_order(db, people):
    # Both 张伟 and 章伟 read "zhang wei".
    assert set(names(db, "zhang wei")) == {"张伟", "章伟"}
    assert set(names(db, "wei zhang")) == {"张伟", "章伟"}
    assert names(db, "zhangxiuying") == ["张秀英"]


def test_wrong_character_with_the_same_reading_still_finds_the_name(db, people):
    # 张为 is typed for 张伟 when the input method offers the wrong character.
    assert set(names(db, "张为")) == {"张伟", "章伟"}


def test_exact_characters_rank_before_homophones(db, people):
    with db.reading() as s:
        hits = search_partners(s, SYSTEM, "章伟").items
    assert [h.name for h in hits] == ["章伟", "张伟"]
    assert hits[0].score > hits[1].score


def test_homophones_are_not_guessed_when_a_page_of_exact_hits_exists(db, people):
    with db.unit_of_work() as s:
        for city in ["A", "B", "C"]:
            factories.person(s, first="伟", last="章", city=city)
    with db.reading() as s:
        hits = search_partners(s, SYSTEM, "章伟", page_size=3).items
    assert [h.name for h in hits] == ["章伟"] * 3


def test_latin_prefixes_typos_and_accents(db, people):
    assert names(db, "smith") == ["John Smith", "Mary Smithson"]  # exact word first
    assert names(db, "jo smi") == ["John Smith"]
    assert names(db, "smiht") == ["John Smith"]
    assert names(db, "Jhon Smith") == ["John Smith"]
    assert names(db, "zoe obrien") == ["Zoë O'Brien"]
    # The company by name first, then the partner whose email domain starts so.
    assert names(db, "ACME") == ["Acme Trading Co., Ltd.", "John Smith"]


def test_city_phone_email_and_customer_number(db, people):
    assert names(db, "北京") == ["张伟", "北京华为科技有限公司"]  # city, then company name
    assert names(db, "san fran") == ["John Smith"]
    assert names(db, "8000") == ["张伟"]
    assert names(db, "138 0013") == ["张伟"]
    assert names(db, "john.smith@") == ["John Smith"]
    assert names(db, "acme.example") == ["John Smith"]
    assert names(db, people["smithson"].partner_no) == ["Mary Smithson"]


def test_results_say_where_they_matched(db, people):
    with db.reading() as s:
        [hit] = search_partners(s, SYSTEM, "zhang.wei@example").items
    assert hit.matched_fields == ("email",)
    assert (hit.city, hit.phone, hit.email) == ("北京", "13800138000", "zhang.wei@example.cn")


def test_paging(db):
    with db.unit_of_work() as s:
        for i in range(25):
            factories.person(s, first=f"Anna{chr(97 + i)}", last="Lee")
    with db.reading() as s:
        first = search_partners(s, SYSTEM, "lee", page_size=10)
        third = search_partners(s, SYSTEM, "lee", page=3, page_size=10)
    assert (first.total, len(first.items), first.has_more) == (25, 10, True)
    assert (len(third.items), third.has_more) == (5, False)
    assert not {h.partner_id for h in first.items} & {h.partner_id for h in third.items}


def test_too_many_hits_are_cut_and_the_user_told(db, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_HITS", 5)
    with db.unit_of_work() as s:
        for i in range(8):
            factories.person(s, first=f"Bo{i}", last="Wang")
        factories.person(s, first="Bo", last="Wang")
    with db.reading() as s:
        broad = search_partners(s, SYSTEM, "wang")
        narrow = search_partners(s, SYSTEM, "wang bo3")
    assert broad.total is None and broad.has_more and "narrow" in broad.notes[0]
    assert [h.name for h in narrow.items] == ["Bo3 Wang"]


def test_sales_rep_finds_own_shared_and_pool_customers_only(db):
    with db.unit_of_work() as s:
        rep = factories.user(s, "rep", UserRole.SALES_REP)
        other = factories.user(s, "other", UserRole.SALES_REP)
        factories.person(s, rep, first="Mine", last="Chen")
        factories.person(s, other, first="Theirs", last="Chen")
        factories.person(s, first="Pool", last="Chen", to_pool=True)
    assert names(db, "chen", rep) == ["Mine Chen", "Pool Chen"]


@pytest.mark.parametrize("text", ["", "   ", "!!!", "a " * 9, "x" * 10_000 + " " + "y " * 500])
def test_empty_query_is_refused(db, text):
    with db.reading() as s, pytest.raises(ValidationError):
        search_partners(s, SYSTEM, text)


def test_bad_paging_is_refused(db, people):
    with db.reading() as s, pytest.raises(ValidationError, match="page"):
        search_partners(s, SYSTEM, "zhang", page=0)


def test_full_name_of_two_common_words_is_found_completely(db, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_HITS", 6)
    with db.unit_of_work() as s:
        factories.person(s, first="Min Wei", last="Zhang")  # both words, not as a name
        for i in range(8):
            factories.person(s, first=f"Min{i}", last="Zhang")  # many "zhang"
            factories.person(s, first="Wei", last=f"Li{i}")  # many "wei"
        target = factories.person(s, first="Wei", last="Zhang")
    with db.reading() as s:
        page = search_partners(s, SYSTEM, "zhang wei")
    assert [h.partner_id for h in page.items] == [target.id]
    assert page.total == 1


def test_full_name_with_a_typo_when_both_words_are_common(db, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_HITS", 4)
    with db.unit_of_work() as s:
        for i in range(6):
            factories.person(s, first="Joan", last=f"Baker{i}")
            factories.person(s, first=f"Amy{i}", last="Taylor")
        target = factories.person(s, first="Joan", last="Taylor")
    with db.reading() as s:
        page = search_partners(s, SYSTEM, "Joan Taylur")
    assert [h.partner_id for h in page.items] == [target.id]


def test_many_matches_are_paged_by_score_without_loading_them_all(db, monkeypatch):
    monkeypatch.setattr(search_module, "NAME_ORDER_LIMIT", 5)
    with db.unit_of_work() as s:
        exact = factories.person(s, first="Kim", last="Park")
        for i in range(12):
            factories.person(s, first=f"Kim{i}", last=f"Parker{i}")
    with db.reading() as s:
        first = search_partners(s, SYSTEM, "park", page_size=5)
        rest = [search_partners(s, SYSTEM, "park", page=p, page_size=5) for p in (2, 3)]
    assert first.items[0].partner_id == exact.id  # the exact word first
    assert first.total is None and first.has_more
    assert (len(rest[0].items), len(rest[1].items), rest[1].has_more) == (5, 3, False)
    seen = [h.partner_id for page in [first, *rest] for h in page.items]
    assert len(set(seen)) == 13


def test_city_of_two_common_words(db, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_HITS", 3)
    with db.unit_of_work() as s:
        for i in range(4):
            factories.person(s, first=f"A{i}", last="San", city="Santiago", country="CL")
            factories.person(s, first=f"B{i}", last="Francisco", city="Lisbon", country="PT")
        target = factories.person(s, first="Bob", last="Lee", city="San Francisco", country="US")
    with db.reading() as s:
        assert [h.partner_id for h in search_partners(s, SYSTEM, "san francisco").items] == [target.id]


def test_a_very_long_word_is_searched_as_its_first_80_letters(db, people):
    with db.reading() as s:
        assert search_partners(s, SYSTEM, "q" * 100_000).items == []
        assert [h.name for h in search_partners(s, SYSTEM, "smith" + "x" * 100_000).items] == []
