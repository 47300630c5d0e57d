"""Importing call lists: CSV in UTF-8, GBK and GB18030, Excel; every refused row with its line and
reason; partners matched or created as prospects; nothing written when the import fails."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

import factories
from crm.errors import PermissionDenied, ValidationError
from crm.models import (
    AuditEntry,
    BusinessPartner,
    CallList,
    CallListContact,
    CallListNumber,
    PartnerRoleAssignment,
)
from crm.permissions import Actor
from crm.services import call_lists, campaigns, do_not_call
from crm.services.call_lists import ColumnMapping
from crm.services.search import search_partners

HEADER = "姓名,手机,电话,客户编号,城市,产品\n"


@pytest.fixture
def world(db):
    with db.unit_of_work() as s:
        campaigns.save_campaign(s, Actor.system(), "name: Spring\n")
        campaigns.save_campaign(s, Actor.system(), "name: Autumn\n")
        supervisor = factories.user(s, "sue", "supervisor")
        known = factories.person(s, first="伟", last="张", phones=["13800138000"])
        numbered = factories.person(s, first="Anna", last="Berg", phones=["+44 20 7946 0958"])
        do_not_call.add(s, Actor.system(), "13700137000", "asked")
        do_not_call.add(s, Actor.system(), "13600136000", "complained", campaign="Spring")
        do_not_call.add(s, Actor.system(), "13500135000", "another campaign's", campaign="Autumn")
    return {"supervisor": supervisor, "known": known.id, "numbered": (numbered.id, numbered.partner_no)}


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(db, path, *, actor=None, campaign="Spring", **options):
    with db.unit_of_work() as s:
        return call_lists.import_file(s, actor or Actor.system(), campaign, path, **options)


def counts(db) -> dict:
    with db.reading() as s:
        return {model.__name__: s.scalar(select(func.count()).select_from(model))
                for model in (CallList, CallListContact, CallListNumber, BusinessPartner)}


def test_a_good_list_is_imported_matched_and_kept_with_its_fields(db, world, tmp_path):
    customer_no = world["numbered"][1]
    path = write(tmp_path, HEADER
                 + "张伟,13800138000,,,北京,宽带\n"  # matched by phone
                 + f"A. Berg,13900139000,,{customer_no.lower()},London,保险\n"  # by customer number
                 + "李娜,139 0000 0001,010-6552 9988,,上海,\n"  # new: a prospect, two numbers
                 + "\n"  # a blank line is no row
                 + ",+1 415 555 0100,,,,\n")  # no name: the prospect is named by its number
    progress = []
    result = run_import(db, path, progress=lambda *a: progress.append(a))
    assert result.refused == [] and result.written
    assert (result.rows, result.imported, result.matched, result.created) == (4, 4, 2, 2)
    assert result.encoding == "utf-8"
    assert result.mapping == ColumnMapping(phones=("手机", "电话"), name="姓名", customer_no="客户编号")
    assert progress[-1] == ("writing", 4, 4) and ("checking", 4, 4) in progress and ("prospects", 2, 2) in progress
    with db.reading() as s:
        contacts = s.scalars(select(CallListContact).order_by(CallListContact.line_no)).all()
        assert [(c.line_no, c.name, c.state, c.fields) for c in contacts] == [
            (2, "张伟", "open", {"城市": "北京", "产品": "宽带"}),
            (3, "A. Berg", "open", {"城市": "London", "产品": "保险"}),
            (4, "李娜", "open", {"城市": "上海"}),
            (6, "", "open", {})]
        assert contacts[0].partner_id == world["known"] and contacts[1].partner_id == world["numbered"][0]
        assert contacts[1].customer_no == customer_no
        numbers = s.execute(select(CallListNumber.preference, CallListNumber.e164)
                            .where(CallListNumber.contact_id == contacts[2].id)
                            .order_by(CallListNumber.preference)).all()
        assert numbers == [(1, "+8613900000001"), (2, "+861065529988")]
        new = s.get(BusinessPartner, contacts[2].partner_id)
        assert (new.name, new.last_name, new.first_name, new.owner_id) == ("李娜", "李", "娜", None)
        assert s.scalars(select(PartnerRoleAssignment.role).where(
            PartnerRoleAssignment.partner_id == new.id)).all() == ["prospect"]
        assert [p.e164 for p in new.phones] == ["+8613900000001", "+861065529988"]
        assert s.get(BusinessPartner, contacts[3].partner_id).name == "+14155550100"
        # the new prospects are found as any partner is: by name and by number
        assert [h.partner_id for h in search_partners(s, Actor.system(), "李娜").items] == [new.id]
        assert [h.partner_id for h in search_partners(s, Actor.system(), "65529988").items] == [new.id]
        trail = s.scalars(select(AuditEntry).where(AuditEntry.entity == "call_list")).one()
        assert trail.changes["imported"] == 4 and trail.changes["created"] == 2
        created = s.scalars(select(AuditEntry.partner_id).where(
            AuditEntry.entity == "business_partner", AuditEntry.partner_id == new.id)).all()
        assert created == [new.id]


def test_every_refused_row_is_reported_with_its_line_and_reason(db, world, tmp_path):
    path = write(tmp_path, HEADER
                 + "好,13800138000,,,,\n"  # 2: kept
                 + "坏,12345,abc,,,\n"  # 3: no number can be read
                 + "空,,,,,\n"  # 4: no number at all
                 + "重,139 0013 9000,138-0013-8000,,,\n"  # 5: its second number is on line 2
                 + "禁,13700137000,,,,\n"  # 6: the contact center's do-not-call list
                 + "本,13911112222,13600136000,,,\n"  # 7: the campaign's list, on its second number
                 + "别,13500135000,,,,\n"  # 8: another campaign's list: no matter here
                 + "多,13922223333,,,,,extra\n"  # 9: a cell beyond the header
                 + '"长",13933334444,,' + "C" * 41 + ",,\n")  # 10: a customer number too long
    result = run_import(db, path)
    assert [(r.line, r.reason) for r in result.refused] == [
        (3, "'12345', 'abc' are not phone numbers that can be dialed (read with the default region CN)"),
        (4, "no phone number"),
        (5, "+8613800138000 is already on line 2 of this list"),
        (6, "+8613700137000 is on a do-not-call list"),
        (7, "+8613600136000 is on a do-not-call list"),
        (9, "the row has 7 cells but the header names 6 columns"),
        (10, "the customer number is longer than 40 characters"),
    ]
    assert result.refused[0].cells == ("坏", "12345", "abc", "", "", "")
    assert result.imported == 2 and result.written
    with db.reading() as s:
        assert s.scalars(select(CallListContact.line_no).order_by(CallListContact.line_no)).all() == [2, 8]


def test_strict_imports_nothing_when_a_row_is_refused(db, world, tmp_path):
    before = counts(db)
    path = write(tmp_path, HEADER + "新,13911112222,,,,\n坏,12345,,,,\n")
    result = run_import(db, path, strict=True)
    assert not result.written and [r.line for r in result.refused] == [3]
    assert counts(db) == before


def test_a_check_writes_nothing(db, world, tmp_path):
    before = counts(db)
    result = run_import(db, write(tmp_path, HEADER + "新,13911112222,,,,\n"), dry_run=True)
    assert not result.written and result.refused == [] and counts(db) == before


def test_a_failure_while_writing_leaves_nothing_half_imported(db, world, tmp_path, monkeypatch):
    before = counts(db)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(call_lists, "_write_list", broken)  # after the prospects were inserted
    with pytest.raises(RuntimeError):
        run_import(db, write(tmp_path, HEADER + "新,13911112222,,,,\n"))
    assert counts(db) == before


@pytest.mark.parametrize("encoding, name", [("gbk", "欧阳修"), ("gb18030", "王𠮷")])
def test_chinese_encodings_are_detected(db, world, tmp_path, encoding, name):
    path = write(tmp_path, HEADER + f"{name},13911112222,,,深圳,宽带\n", encoding)
    result = run_import(db, path)
    assert result.encoding == encoding and result.imported == 1
    with db.reading() as s:
        contact = s.scalars(select(CallListContact)).one()
        assert contact.name == name and contact.fields == {"城市": "深圳", "产品": "宽带"}
        assert s.get(BusinessPartner, contact.partner_id).name == name


def test_a_file_in_another_encoding_than_the_one_chosen_is_refused_whole(db, world, tmp_path):
    before = counts(db)
    path = write(tmp_path, HEADER + "张三,13911112222,,,,\n李四,13922223333,,,,\n", "gbk")
    with pytest.raises(ValidationError, match=r"list.csv is not UTF-8 text: the bytes at line 1 "):
        run_import(db, path, encoding="utf-8")
    assert run_import(db, path, encoding="GB18030").imported == 2  # a superset of GBK
    with pytest.raises(ValidationError, match="Unknown encoding 'latin-1'"):
        run_import(db, path, encoding="latin-1")
    assert counts(db)["CallList"] == before["CallList"] + 1


def test_a_file_that_is_no_text_is_refused(db, world, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(b"\x81\x30\xff\xff" * 10)  # neither UTF-8 nor GB18030
    with pytest.raises(ValidationError, match="neither UTF-8, GBK nor GB18030"):
        run_import(db, path)


def test_a_list_without_a_phone_column_is_refused_naming_its_columns(db, world, tmp_path):
    before = counts(db)
    path = write(tmp_path, "name,city\n张伟,北京\n")
    with pytest.raises(ValidationError, match=r"no phone column: none of its columns \(name, city\)"):
        run_import(db, path)
    with pytest.raises(ValidationError, match=r"no column 'Mobile' \(its columns: name, city\)"):
        run_import(db, path, mapping=ColumnMapping(phones=("Mobile",)))
    assert counts(db) == before


def test_a_mapping_chooses_the_columns_and_their_order_of_preference(db, world, tmp_path):
    path = write(tmp_path, "Who,Office,Cell,Notes\nAnn,010-6552 9988,13911112222,VIP\n")
    mapping = ColumnMapping(phones=("Cell", "Office"), name="Who")
    result = run_import(db, path, mapping=mapping)
    assert result.imported == 1
    with db.reading() as s:
        assert s.scalars(select(CallListNumber.e164).order_by(CallListNumber.preference)).all() == [
            "+8613911112222", "+861065529988"]
        assert s.scalars(select(CallListContact.fields)).one() == {"Notes": "VIP"}
    with pytest.raises(ValidationError, match="'Cell' is mapped twice"):
        run_import(db, path, mapping=ColumnMapping(phones=("Cell",), name="Cell"))
    # what a mapping leaves out is guessed from the other columns' names
    partial = write(tmp_path, "姓名,Office,手机\n张三,010-6552 9988,13922223333\n", name="partial.csv")
    result = run_import(db, partial, mapping=ColumnMapping(phones=("Office",)), dry_run=True)
    assert result.mapping == ColumnMapping(phones=("Office",), name="姓名")
    assert run_import(db, partial, mapping=ColumnMapping(name="姓名"), dry_run=True).mapping.phones == ("手机",)


def test_numbers_on_other_active_lists_are_reported_or_refused(db, world, tmp_path):
    first = write(tmp_path, HEADER + "甲,13911112222,,,,\n", name="first.csv")
    run_import(db, first, campaign="Autumn")
    assert run_import(db, first).imported == 1  # reported, not refused
    path = write(tmp_path, HEADER + "乙,13922223333,,,,\n甲,13911112222,,,,\n", name="second.csv")
    result = run_import(db, path, dry_run=True)
    assert [(d.line, d.number, d.campaign, d.call_list) for d in result.listed_elsewhere] == [
        (3, "+8613911112222", "Autumn", "first.csv"), (3, "+8613911112222", "Spring", "first.csv")]
    assert result.refused == []
    refused = run_import(db, path, refuse_listed_elsewhere=True)  # refused once, for the first list
    assert [(r.line, r.reason) for r in refused.refused] == [
        (3, "+8613911112222 is already on the list first.csv of the campaign Autumn")]
    assert refused.imported == 1
    with db.unit_of_work() as s:
        for listed in s.scalars(select(CallList)):
            listed.is_active = False
    assert run_import(db, path, dry_run=True).listed_elsewhere == []  # inactive lists do not count


def test_an_excel_workbook_is_read_with_its_row_numbers(db, world, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("客户")
    sheet.append(["姓名", "手机", "生日"])
    sheet.append(["欧阳娜娜", 13911112222, None])  # a number stored as a number
    sheet.append([None, None, None])  # an empty row
    sheet.append(["王芳", 13911112222.0, "1990-01-01"])  # the same number again
    sheet.append(["李雷", "abc", None])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    result = run_import(db, path, sheet="客户")
    assert result.encoding == "excel" and result.imported == 1
    assert [(r.line, r.reason) for r in result.refused] == [
        (4, "+8613911112222 is already on line 2 of this list"),
        (5, "'abc' is not a phone number that can be dialed (read with the default region CN)")]
    with pytest.raises(ValidationError, match="no sheet 'Sheet9' \\(its sheets: Notes, 客户\\)"):
        run_import(db, path, sheet="Sheet9")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("name,phone\n")
    with pytest.raises(ValidationError, match="fake.xlsx is not an Excel workbook"):
        run_import(db, fake)


def test_agents_may_not_import_lists(db, world, tmp_path):
    with db.unit_of_work() as s:
        agent = factories.user(s, "amy", "agent")
    with pytest.raises(PermissionDenied, match="campaign.manage"):
        run_import(db, write(tmp_path, HEADER + "新,13911112222,,,,\n"), actor=agent)
    result = run_import(db, write(tmp_path, HEADER + "新,13911112222,,,,\n"), actor=world["supervisor"])
    assert result.imported == 1


def test_an_unknown_campaign_is_named(db, world, tmp_path):
    with pytest.raises(Exception, match="no campaign 'Winter'"):
        run_import(db, write(tmp_path, HEADER), campaign="Winter")


@pytest.mark.parametrize("number", ["+8613800138000", "+861065529988", "+14155550100", "+442079460958",
                                    "+35312345678", "+85223456789", "+97142345678"])
def test_the_national_number_of_a_new_prospect_is_the_one_phonenumbers_gives(number):
    from crm.phones import normalize_phone

    assert call_lists._KnownPhone(number).national_digits == normalize_phone(number).national_digits
