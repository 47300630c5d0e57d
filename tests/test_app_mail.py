"""Emails and chats through the application service, over real HTTPS, on SQLite
and PostgreSQL: the desktop's crm_access calls with a signed-in client read the
inbox and conversations, download attachments, reply with files, note, link
the customer, send failed emails again and render reply templates; nothing
without a session, nothing of another agent's, no customer the agent may not
read, no file too big, and Chinese names and subjects intact."""

from __future__ import annotations

import ssl
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest
from app_harness import PASSWORD, InProcessApp
from conftest import PgSchema, _empty_all_tables, pg_url
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from agent_desktop import crm_access
from app_service.mail_api import content_disposition, download_type
from crm.db import Database, make_engine, upgrade
from crm.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crm.models import OutboundEmail, User
from crm.permissions import Actor
from crm.services import outbox
from crm.services.conversations import email_in, queueing, reading
from crm.conversation_types import ATTACHMENT_BYTES, NewAttachment
from crm.services.conversations.queueing import Route
from crm.services.partners import PartnerDraft, create_partner
from crm.services.sessions import SessionEnded
from crm.services.users import actor_for, create_user, hash_password
from email_queue.parse import parse_email

SYSTEM = Actor.system()
SERVICE = "service@cicada.example"
_HASH = hash_password(PASSWORD)
PDF = b"%PDF-1.4 " + bytes(range(256)) * 40


def route(facts) -> Route:
    return Route("service", 5, timedelta(hours=4))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def service(request, tmp_path_factory):
    """One application service per backend for the module; `office` empties its database between tests."""
    workdir = tmp_path_factory.mktemp("mail-app")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'crm.db'}"
    else:
        schema = PgSchema(pg_url())
        url = make_url(pg_url()).update_query_dict({"options": f"-csearch_path={schema.name}"}) \
            .render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    try:
        with InProcessApp(url, workdir / "app") as app:
            yield Database(engine), app
    finally:
        engine.dispose()
        if schema is not None:
            schema.drop()


class Office:
    def __init__(self, database: Database, app: InProcessApp):
        self.database, self.app = database, app
        self.clients: list = []

    def desk(self, username: str):
        """A client signed in as `username`, as the desktop holds one."""
        client = self.app.client()
        client.sign_in(username, PASSWORD)
        self.clients.append(client)
        return client

    def mail(self, *, subject="宽带断了", sender="li.na@example.cn", body="从昨晚开始断网。", message_id=None,
             files=(), assign_to: str | None = None) -> int:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, SERVICE, subject
        message["Message-ID"] = message_id or f"<{abs(hash((subject, sender, body)))}@example.cn>"
        message.set_content(body)
        for name, maintype, subtype, content in files:
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
        raw = message.as_bytes()
        with self.database.unit_of_work() as s:
            received = email_in.receive_email(s, raw=raw, parsed=parse_email(raw), mailbox=SERVICE, via="smtp",
                                              route=route)
        if assign_to:
            with self.database.unit_of_work() as s:
                queueing.set_assignment(s, received.conversation_id, "assigned", assign_to)
        return received.conversation_id

    def customer(self, owner: str, last="李", first="娜") -> int:
        with self.database.unit_of_work() as s:
            return create_partner(s, actor_for(s, owner), PartnerDraft(kind="person", last_name=last, first_name=first),
                                  confirm_duplicates=True).id

    def last_email(self) -> tuple[int, str, str]:
        """(id, to, subject) of the latest email in the outbox."""
        with self.database.reading() as s:
            return tuple(s.execute(select(OutboundEmail.id, OutboundEmail.to_address, OutboundEmail.subject)
                             .order_by(OutboundEmail.id.desc()).limit(1)).one())


@pytest.fixture
def office(service):
    database, app = service
    with database.unit_of_work() as s:
        for name, role in {"ann": "agent", "bob": "agent", "sue": "supervisor", "rex": "sales_rep"}.items():
            create_user(s, SYSTEM, username=name, password="", password_hash=_HASH, role=role,
                        display_name=name.title())
    office = Office(database, app)
    yield office
    for client in office.clients:
        client.close()
    _empty_all_tables(database.engine)


# --- reading -------------------------------------------------------------------------------------


def test_the_inbox_lists_the_agents_own_and_the_group_inbox_a_page_at_a_time(office):
    mine = office.mail(subject="宽带断了", assign_to="ann")
    waiting = [office.mail(subject=f"发票问题 {n}", sender=f"c{n}@example.cn") for n in range(3)]
    office.mail(subject="别人的", sender="x@example.cn", assign_to="bob")
    ann = office.desk("ann")
    rows = crm_access.inbox(ann, mine=True)
    assert [(r.conversation_id, r.subject, r.customer, r.assigned_to) for r in rows] == [
        (mine, "宽带断了", "li.na@example.cn", "ann")]
    group = crm_access.inbox(ann, mine=False, queues=["service"])
    assert sorted(r.conversation_id for r in group) == sorted(waiting)
    first, second = (crm_access.inbox(ann, mine=False, queues=["service"], offset=o, limit=2) for o in (0, 2))
    assert [r.conversation_id for r in first + second] == [r.conversation_id for r in group]
    assert crm_access.inbox(ann, mine=False, queues=["other"]) == []
    assert crm_access.inbox(ann, mine=False, queues=[]) == []  # no queue: nothing, as the service says
    assert [r.conversation_id for r in crm_access.inbox(ann, mine=False, text="问题 1")] == [waiting[1]]
    assert crm_access.inbox(ann, mine=True, channel="chat") == []
    assert crm_access.inbox(ann, mine=True, only="closed") == []


def test_a_conversation_is_read_with_its_chinese_subject_and_attachment_names_and_its_files_download(office):
    cid = office.mail(subject="发票 2026 年 3 月", assign_to="ann",
                      files=[("发票 2026年3月.pdf", "application", "pdf", PDF)])
    ann = office.desk("ann")
    view = crm_access.conversation(ann, cid)
    assert (view.id, view.subject, view.assigned_to, view.channel) == (cid, "发票 2026 年 3 月", "ann", "email")
    [message] = view.messages
    assert message.text.startswith("从昨晚开始断网") and message.at is not None
    [info] = message.attachments
    assert (info.filename, info.content_type, info.size) == ("发票 2026年3月.pdf", "application/pdf", len(PDF))
    assert crm_access.attachment(ann, info.id) == ("发票 2026年3月.pdf", "application/pdf", PDF)
    response = httpx.get(f"{office.app.url}/v1/attachments/{info.id}", headers={"Authorization": f"Bearer {ann.token}"},
                         verify=ssl.create_default_context(cafile=str(office.app.certificate)))
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("attachment;")
    with pytest.raises(ValidationError, match="larger than"):  # the client stops reading what is too big
        ann.download(f"/v1/attachments/{info.id}", max_bytes=1000)


def test_a_file_name_or_type_a_sender_wrote_cannot_lead_anywhere_else():
    for hostile in ("../../.bashrc", "a\r\nSet-Cookie: x=1", "..\\..\\boot.ini", "\x00", ""):
        header = content_disposition(hostile)
        assert "\r" not in header and "\n" not in header and "/" not in header and "\\" not in header
        assert 'filename="."' not in header and 'filename=".' not in header
    assert content_disposition("报价单.pdf") == (
        "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf")
    assert download_type("text/html; charset=gb2312") == "text/html"
    assert download_type("image/png\r\nX-Evil: 1") == "application/octet-stream"
    assert download_type(None) == "application/octet-stream"


# --- writing -------------------------------------------------------------------------------------


def test_a_reply_with_a_chinese_file_is_stored_queued_and_shown(office):
    cid = office.mail(assign_to="ann")
    ann = office.desk("ann")
    quote = NewAttachment("报价单 (最终).pdf", "application/pdf", PDF)
    message_id = crm_access.send_reply(ann, cid, body="您好，报价单见附件。", cc=["boss@example.cn"], attachments=[quote])
    view = crm_access.conversation(ann, cid)
    sent = view.messages[-1]
    assert (sent.id, sent.kind, sent.text, sent.subject, sent.delivery) == (
        message_id, "outbound", "您好，报价单见附件。", "Re: 宽带断了", "queued")
    assert [(a.filename, a.size) for a in sent.attachments] == [("报价单 (最终).pdf", len(PDF))]
    assert crm_access.attachment(ann, sent.attachments[0].id)[2] == PDF
    assert office.last_email()[1:] == ("li.na@example.cn", "Re: 宽带断了")


def test_notes_are_kept_and_failed_emails_go_out_again(office):
    cid = office.mail(assign_to="ann")
    ann = office.desk("ann")
    note_id = crm_access.add_note(ann, cid, "客户说明天上午在家。")
    assert [(m.id, m.kind, m.text) for m in crm_access.conversation(ann, cid).messages][-1] == (
        note_id, "note", "客户说明天上午在家。")
    crm_access.send_reply(ann, cid, body="好的")
    with pytest.raises(Conflict, match="no email that failed"):
        crm_access.retry_failed(ann, cid)
    email_id = office.last_email()[0]
    with office.database.unit_of_work() as s:
        outbox.mark_failed(s, email_id, "550 mailbox unavailable", temporary=False)
    assert crm_access.inbox(ann, mine=True, only="failed")[0].conversation_id == cid
    assert crm_access.retry_failed(ann, cid) == [email_id]
    assert crm_access.conversation(ann, cid).messages[-1].delivery == "queued"


def test_the_customer_is_linked_and_fills_in_a_reply_template(office):
    cid = office.mail(assign_to="ann")
    partner_id = office.customer("ann")
    ann = office.desk("ann")
    crm_access.link_partner(ann, cid, partner_id)
    view = crm_access.conversation(ann, cid)
    assert view.partner_id == partner_id
    template = "{{ partner.name }}，您好！关于“{{ conversation.subject }}”：{{ agent.name }}"
    rendered = crm_access.render_reply(ann, template, view=view, partner_id=None)
    assert (rendered.text, rendered.warnings) == ("李娜，您好！关于“宽带断了”：Ann", ())
    assert crm_access.render_reply_for(ann, cid, "{{ partner.name }}", partner_id=None).text == "李娜"
    crm_access.link_partner(ann, cid, None)
    assert crm_access.conversation(ann, cid).partner_id is None
    assert crm_access.render_reply_for(ann, cid, "[{{ partner.name }}]", partner_id=None).text != "[李娜]"


# --- refused -------------------------------------------------------------------------------------


def test_nothing_without_a_session_nor_after_signing_out(office):
    cid = office.mail(assign_to="ann", files=[("a.pdf", "application", "pdf", PDF)])
    ann = office.desk("ann")
    attachment_id = crm_access.conversation(ann, cid).messages[0].attachments[0].id
    stolen = ann.token
    ann.sign_out()
    for client in (office.app.client(), office.app.client(token=stolen)):
        office.clients.append(client)
        for call in (lambda: crm_access.inbox(client, mine=True), lambda: crm_access.conversation(client, cid),
                     lambda: crm_access.attachment(client, attachment_id),
                     lambda: crm_access.send_reply(client, cid, body="x"),
                     lambda: crm_access.add_note(client, cid, "x"), lambda: crm_access.link_partner(client, cid, None),
                     lambda: crm_access.retry_failed(client, cid),
                     lambda: crm_access.render_reply_for(client, cid, "x", partner_id=None)):
            with pytest.raises(SessionEnded):
                call()
    with office.database.reading() as s:
        assert len(reading.conversation_view(s, SYSTEM, cid).messages) == 1


def test_without_a_session_a_reply_is_refused_before_its_files_are_read(office):
    cid = office.mail(assign_to="ann")

    def body():  # 30 MB that are not even JSON: read, they would be a 422
        for _ in range(30):
            yield b"x" * 1_000_000

    context = ssl.create_default_context(cafile=str(office.app.certificate))
    with httpx.Client(verify=context) as stranger:
        response = stranger.post(f"{office.app.url}/v1/conversations/{cid}/replies", content=body(),
                                 headers={"Authorization": "Bearer made-up", "Content-Type": "application/json"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "session_ended"


def test_an_agent_disabled_while_signed_in_reads_nothing_more(office):
    cid = office.mail(assign_to="ann")
    ann = office.desk("ann")
    assert crm_access.conversation(ann, cid).id == cid
    with office.database.unit_of_work() as s:
        s.execute(update(User).where(User.username == "ann").values(is_active=False))
    for call in (lambda: crm_access.inbox(ann, mine=True), lambda: crm_access.conversation(ann, cid),
                 lambda: crm_access.add_note(ann, cid, "还在吗")):
        with pytest.raises(SessionEnded) as ended:
            call()
        assert ended.value.reason == "account_disabled"


def test_another_agents_conversation_is_neither_read_nor_worked(office):
    cid = office.mail(assign_to="ann", files=[("合同.pdf", "application", "pdf", PDF)])
    attachment_id = crm_access.conversation(office.desk("ann"), cid).messages[0].attachments[0].id
    bob = office.desk("bob")
    assert crm_access.inbox(bob, mine=True) == []
    for call in (lambda: crm_access.conversation(bob, cid), lambda: crm_access.attachment(bob, attachment_id),
                 lambda: crm_access.send_reply(bob, cid, body="偷看"), lambda: crm_access.add_note(bob, cid, "偷看"),
                 lambda: crm_access.link_partner(bob, cid, None), lambda: crm_access.retry_failed(bob, cid),
                 lambda: crm_access.render_reply_for(bob, cid, "{{ conversation.subject }}", partner_id=None)):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(NotFound):
        crm_access.conversation(bob, cid + 1000)
    sue = office.desk("sue")  # a supervisor reads every conversation
    assert crm_access.conversation(sue, cid).subject == "宽带断了"
    with office.database.reading() as s:
        assert len(reading.conversation_view(s, SYSTEM, cid).messages) == 1


def test_a_customer_the_agent_may_not_read_is_neither_linked_nor_rendered(office):
    cid = office.mail(assign_to="rex")
    anns_customer = office.customer("ann", "王", "强")
    rex = office.desk("rex")  # a sales rep reads his own customers and the pool only
    with pytest.raises(PermissionDenied):
        crm_access.link_partner(rex, cid, anns_customer)
    with pytest.raises(PermissionDenied):
        crm_access.render_reply_for(rex, cid, "{{ partner.phone }}", partner_id=anns_customer)
    assert crm_access.conversation(rex, cid).partner_id is None


def test_files_too_big_are_refused_before_anything_is_stored(office):
    cid = office.mail(assign_to="ann")
    ann = office.desk("ann")
    too_big = NewAttachment("大文件.bin", "application/octet-stream", b"\0" * (ATTACHMENT_BYTES + 1))
    with pytest.raises(ValidationError, match="大文件.bin is larger than 20 MB"):
        crm_access.send_reply(ann, cid, body="附件", attachments=[too_big])
    halves = [NewAttachment(f"part{n}.bin", "application/octet-stream", b"\0" * 13_000_000) for n in (1, 2)]
    with pytest.raises(ValidationError, match="at most 25 MB together"):
        crm_access.send_reply(ann, cid, body="附件", attachments=halves)
    with pytest.raises(ValidationError, match="larger than the application service takes"):
        crm_access.add_note(ann, cid, "字" * 400_000)  # 1.2 MB of JSON for a note
    assert len(crm_access.conversation(ann, cid).messages) == 1


def test_bad_input_is_refused_with_what_is_wrong(office):
    cid = office.mail(assign_to="ann")
    ann = office.desk("ann")
    with pytest.raises(ValidationError, match="only"):
        crm_access.inbox(ann, mine=True, only="everything")
    with pytest.raises(ValidationError, match="limit"):
        crm_access.inbox(ann, mine=True, limit=0)
    with pytest.raises(ValidationError, match="A note has 1 to"):
        crm_access.add_note(ann, cid, "   ")
    with pytest.raises(ValidationError, match="^cc: "):
        ann.call("POST", f"/v1/conversations/{cid}/replies", json={"body": "x", "cc": "boss@example.cn"})
    with pytest.raises(ValidationError, match="not base64"):
        ann.call("POST", f"/v1/conversations/{cid}/replies", json={
            "body": "x", "attachments": [{"filename": "a", "content_type": "text/plain", "content": "**"}]})
    assert len(crm_access.conversation(ann, cid).messages) == 1
