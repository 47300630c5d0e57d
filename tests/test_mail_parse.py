"""email_queue.parse over a corpus of awkward, real-world-shaped messages (tests/mail_corpus)."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm.conversation_types import answer_subject, strip_reply_prefixes
from crm.services.conversations.email_in import thread_subject
from email_queue.parse import (
    ParsedEmail,
    html_to_text,
    normalise_message_id,
    parse_email,
    show_remote_images,
    unflow,
)

CORPUS = Path(__file__).parent / "mail_corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.eml"))


def parsed(name: str) -> ParsedEmail:
    return parse_email((CORPUS / name).read_bytes())


def names(message: ParsedEmail) -> list[str]:
    return [attachment.filename for attachment in message.attachments]


def assert_storable(message: ParsedEmail) -> None:
    """Every text is valid Unicode without NUL (PostgreSQL refuses both), every file name is bare and safe."""
    texts = [message.subject, message.sender_name, message.text, message.html or "", *message.defects,
             *message.to, *message.cc, *message.references]
    for text in texts:
        text.encode("utf-8")
        assert "\x00" not in text
    for attachment in message.attachments:
        name = attachment.filename
        assert name and len(name) <= 150
        assert not {"/", "\\", "\x00"} & set(name) and not name.startswith(".")
        assert all(ord(char) >= 32 and not 0x7F <= ord(char) <= 0x9F for char in name)
    if message.date:
        assert message.date.tzinfo is UTC


def test_the_corpus_is_there():
    assert len(CORPUS_FILES) >= 20


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[path.name for path in CORPUS_FILES])
def test_every_corpus_message_parses_to_storable_values(path):
    assert_storable(parse_email(path.read_bytes()))


# --- charsets -------------------------------------------------------------------------------------------

def test_gb2312_body_subject_and_sender_name():
    message = parsed("gb2312.eml")
    assert message.subject == "订单查询：还没有收到货"
    assert message.sender_name == "王小明"
    assert message.sender_address == "wang.xiaoming@example.cn"
    assert message.text == "您好，我的订单还没有收到。\n订单号：A-1001"
    assert message.defects == ()


def test_gbk_characters_under_a_gb2312_label_are_kept():
    message = parsed("gbk_labelled_gb2312.eml")
    assert message.text == "朱镕先生和王喆、李堃都说：快递还没到。"
    assert message.subject == "关于镕喆堃的投诉"
    assert message.sender_name == "朱镕"
    assert message.defects == ()


def test_gb18030_four_byte_characters():
    message = parsed("gb18030.eml")
    assert message.text == "𠮷野家的发票，金额€100。"
    assert message.subject == "四字节字符𠮷"


def test_big5_with_an_hkscs_character():
    message = parsed("big5.eml")
    assert message.text == "您好，請問我的訂單何時出貨？大廈部𨋢壞咗。"
    assert message.subject == "請問訂單何時出貨"
    assert message.sender_name == "陳大文"
    assert message.defects == ()


def test_iso_8859_1_with_windows_quotes():
    message = parsed("iso-8859-1.eml")
    assert message.text == "Grüße aus Köln, das Café ist “geschlossen”."
    assert message.subject == "Grüße aus Köln"
    assert message.sender_name == "Jürgen Müller"


def test_iso_8859_15():
    message = parsed("iso-8859-15.eml")
    assert message.text == "Le prix est de 100 €, une œuvre signée Žižek."
    assert message.subject == "Facture de 100 € pour l'œuvre"


def test_utf8_encoded_words_split_mid_character_and_the_other_headers():
    message = parsed("utf8_encoded_words.eml")
    assert message.subject == "Re: 关于退款申请的回复"
    assert message.sender_name == "张伟"
    assert message.sender_address == "zhang.wei@example.com"
    assert message.to == ("service@cicada.example", "ops@cicada.example")
    assert message.cc == ("li.na@example.com",)
    assert message.reply_to == "replies@example.com"
    assert message.date == datetime(2024, 3, 12, 9, 45, 10, tzinfo=UTC)
    assert message.message_id == "<CAF=abc123+xyz@mail.example.com>"
    assert message.in_reply_to == "<ticket-12@cicada.example>"
    assert message.references == ("<root@cicada.example>", "<ticket-12@cicada.example>")
    assert message.text == "您好，我想申请退款。谢谢！"
    assert message.defects == ()


def test_undeclared_8bit_body_and_subject_are_read_as_gb18030():
    message = parsed("undeclared_gb18030.eml")
    assert message.text == "没有声明字符集的邮件正文。"
    assert message.subject == "发票问题"
    assert "undeclared charset, decoded as GB18030 (part 1)" in message.defects
    assert "undeclared charset, decoded as GB18030 (Subject)" in message.defects


def test_a_wrong_charset_label_falls_back_with_a_defect():
    message = parsed("wrong_charset_label.eml")
    assert message.text == "字符集标错了，其实是GBK。"
    assert message.defects == ("text is not valid utf-8, decoded as GB18030 (part 1)",)


def test_an_unknown_charset_label_falls_back_with_a_defect():
    message = parsed("unknown_charset_label.eml")
    assert message.text == "未知字符集标签。"
    assert message.defects == ("unknown charset 'x-chinese-simplified', decoded as GB18030 (part 1)",)


# --- structure ------------------------------------------------------------------------------------------

def test_nested_mixed_alternative_related():
    message = parsed("nested_related.eml")
    assert message.text == "The hinge broke, see the photo.\nRegards"
    assert message.html == '<p>The hinge <b>broke</b>, see the photo.</p><img src="cid:part1.hinge@example.com" alt="hinge">'
    image, pdf = message.attachments
    assert (image.filename, image.content_type, image.content_id, image.inline) == (
        "hinge.png", "image/png", "part1.hinge@example.com", True)
    assert image.content.startswith(b"\x89PNG\r\n")
    assert (pdf.filename, pdf.content_type, pdf.content_id, pdf.inline) == (
        "invoice.pdf", "application/pdf", None, False)
    assert pdf.content == b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    assert message.has_remote_images is False
    assert message.defects == ()


def test_a_text_part_marked_as_attachment_is_not_body():
    message = parsed("chinese_filenames.eml")
    assert message.text == "请查收附件。"
    notes = next(attachment for attachment in message.attachments if attachment.filename == "notes.txt")
    assert notes.content.decode() == "附件里的文字，不是正文。"  # the line break before a boundary is the boundary's


def test_a_forwarded_message_is_kept_as_an_eml_named_after_its_subject():
    message = parsed("forwarded_rfc822.eml")
    assert message.subject == "Fwd: 原始投诉"
    assert message.text == "See the forwarded complaint."
    (forwarded,) = message.attachments
    assert (forwarded.filename, forwarded.content_type) == ("原始投诉.eml", "message/rfc822")
    inner = parse_email(forwarded.content)
    assert (inner.message_id, inner.subject, inner.text) == ("<orig-1@example.com>", "原始投诉", "产品坏了。")


def test_a_forwarded_message_encoded_in_base64_is_decoded_and_kept():
    # RFC 2046 allows only 7bit, 8bit or binary for message/rfc822; some mail programs encode it anyway.
    message = parsed("forwarded_rfc822_base64.eml")
    (forwarded,) = message.attachments
    assert (forwarded.filename, forwarded.content_type) == ("退款申请.eml", "message/rfc822")
    inner = parse_email(forwarded.content)
    assert (inner.message_id, inner.sender_address, inner.sender_name) == (
        "<refund-7@example.cn>", "li.na@example.cn", "李娜")
    assert inner.text == "订单 A-1001 的退款还没有到账。"
    assert message.defects == ()


def test_format_flowed_text_is_read_as_the_paragraphs_the_sender_wrote():
    message = parsed("format_flowed.eml")
    assert message.text.split("\n") == [
        "Thank you for the appointment on Friday. Unfortunately I will not be at home before noon, "
        "could the technician come in the afternoon instead?",
        "",
        "On 12.03.24 16:02, Service wrote:",
        "> Our technician will visit you on Friday between 9:00 and 13:00 to repair the washing machine.",
        ">> Earlier quote that flows too.",
        ">From the space-stuffed line.",
        "",
        "-- ",  # the signature separator is not a flowed line
        "Anna Berg",
    ]


def test_format_flowed_with_delsp_joins_chinese_without_a_space():
    assert parsed("format_flowed_delsp.eml").text == "您好，师傅周五上午来不了的话，能不能改到下午两点以后？谢谢。"


@pytest.mark.parametrize("text, delsp, expected", [
    ("one \ntwo", False, "one two"),
    ("one \ntwo", True, "onetwo"),
    ("fixed\nlines", False, "fixed\nlines"),
    ("> quoted \nnot quoted", False, "> quoted \nnot quoted"),  # a change of depth ends the paragraph
    ("last line flowed ", False, "last line flowed "),
])
def test_unflow(text, delsp, expected):
    assert unflow(text, delsp=delsp) == expected


def test_broken_base64_is_reported_per_part():
    message = parsed("broken_base64.eml")
    damaged, undecodable = message.attachments
    assert damaged.content == b"%PDF-1.4\n"  # what survives around the junk characters
    assert undecodable.content == b""
    assert message.defects == ("broken base64 in part 2", "undecodable base64 in part 3")


def test_a_missing_closing_boundary_keeps_every_part():
    message = parsed("missing_close_boundary.eml")
    assert message.text == "The first part."
    assert [(a.filename, a.content) for a in message.attachments] == [("log.txt", b"last line of the log")]
    assert message.defects == ("multipart closing boundary missing",)


def test_headers_the_default_policy_cannot_parse_do_not_lose_the_message():
    message = parsed("broken_headers.eml")
    assert message.sender_name == "Zhang San"
    assert message.sender_address == "zhang@example.cn"
    assert message.subject == "still readable"
    assert message.text == "The body survives."
    assert message.cc == ()
    assert {"malformed From header", "malformed Cc header"} <= set(message.defects)


def test_a_message_with_only_headers():
    message = parsed("headers_only.eml")
    assert (message.subject, message.sender_address, message.text, message.html) == (
        "only headers", "headers@example.com", "", None)
    assert message.attachments == () and message.defects == ()


def test_an_empty_file():
    message = parsed("empty.eml")
    assert message.defects == ("empty message",)
    assert (message.subject, message.text, message.sender_address, message.message_id) == ("", "", None, None)


def test_binary_garbage_gives_defects_not_an_exception():
    message = parsed("binary_garbage.eml")
    assert message.sender_address is None and message.message_id is None
    assert {"no From", "no Message-ID", "no Date"} <= set(message.defects)


# --- Message-IDs ----------------------------------------------------------------------------------------

def test_a_missing_message_id():
    message = parsed("no_message_id.eml")
    assert message.message_id is None
    assert message.defects == ("no Message-ID",)


def test_duplicate_message_ids_take_the_first():
    message = parsed("duplicate_message_id.eml")
    assert message.message_id == "<first@example.com>"
    assert message.defects == ("duplicate Message-ID headers",)


def test_a_garbage_message_id_is_none_with_a_defect():
    message = parse_email(b"From: a@example.com\nMessage-ID: not an id\nDate: Tue, 12 Mar 2024 09:30:00 +0000\n\nx\n")
    assert message.message_id is None
    assert message.defects == ("unusable Message-ID",)


@pytest.mark.parametrize(("value", "expected"), [
    ("<abc@example.com>", "<abc@example.com>"),
    ("  <abc@example.com>  ", "<abc@example.com>"),
    ("abc@example.com", "<abc@example.com>"),
    ("<<abc@example.com>>", "<abc@example.com>"),
    ("< abc@example.com >", "<abc@example.com>"),
    ("<abc\r\n @example.com>", "<abc@example.com>"),
    ("<abc@example.com> (added by the gateway)", "<abc@example.com>"),
    ("", None),
    (None, None),
    ("<>", None),
    ("no id here", None),
    ("<abc@example.com@evil>", None),
    ("<中文@example.com>", None),
])
def test_normalise_message_id(value, expected):
    assert normalise_message_id(value) == expected


# --- HTML -----------------------------------------------------------------------------------------------

def test_hostile_html_is_sanitised_and_remote_images_are_held_back():
    message = parsed("html_only_hostile.eml")
    html = message.html
    for banned in ("<script", "document.cookie", "onload", "onclick", "javascript:", "<iframe", "<form", "<input",
                   "<style", "background", "<title"):
        assert banned not in html.lower(), banned
    assert 'data-remote-src="https://tracker.example/open.gif?u=42&amp;m=7"' in html
    assert 'data-remote-src="https://cdn.example/logo.png"' in html
    assert 'src="https://' not in html.replace("data-remote-src", "")
    assert '<img src="cid:logo@shop.example" alt="inline logo">' in html
    assert '<a href="https://shop.example/order?id=1&amp;x=2"' in html
    assert message.has_remote_images is True
    (logo,) = message.attachments
    assert (logo.filename, logo.content_id, logo.inline) == ("attachment.png", "logo@shop.example", True)


def test_html_only_mail_gets_text_derived_from_the_html():
    message = parsed("html_only_hostile.eml")
    assert message.text == ("Dear customer,\nyour order & invoice are ready.\n\nClick here or view order.\n\n"
                            "Item one\nItem two\n\nZürich 价格")


def test_show_remote_images_restores_what_was_held_back():
    html = show_remote_images(parsed("html_only_hostile.eml").html)
    assert '<img src="https://tracker.example/open.gif?u=42&amp;m=7" width="1" height="1">' in html
    assert "data-remote-src" not in html
    assert '<img src="cid:logo@shop.example" alt="inline logo">' in html


def test_show_remote_images_restores_only_web_urls():
    assert show_remote_images('<img data-remote-src="javascript:alert(1)">') == (
        '<img data-remote-src="javascript:alert(1)">')


@pytest.mark.parametrize(("html", "kept"), [
    ('<img src="http://t.example/a.gif" alt="a>b">', 'data-remote-src="http://t.example/a.gif"'),
    ('<img src=" ht\ttps://t.example/a.gif">', 'data-remote-src="https://t.example/a.gif"'),
    ('<img src="//t.example/a.gif">', 'data-remote-src="https://t.example/a.gif"'),
    ('<img src="relative/a.gif">', "<img>"),
    ('<img src="javascript:alert(1)">', "<img>"),
    ('<img src="data:image/png;base64,AAAA">', 'src="data:image/png;base64,AAAA"'),
    ('<img src="cid:x@y" data-remote-src="javascript:alert(1)">', '<img src="cid:x@y">'),
    ('<a href="data:text/html,x">d</a>', '<a rel="noopener noreferrer">d</a>'),
])
def test_image_sources(html, kept):
    message = parse_email(b"Content-Type: text/html\n\n" + html.encode())
    assert kept in message.html
    assert message.has_remote_images is ("data-remote-src" in kept)


def test_html_to_text():
    html = ("<html><head><title>Offer</title><style>p{}</style></head><body><p>Hello&nbsp;&amp; <b>bye</b></p>"
            "<div>a<br>b<br/>c</div>\n <ul>\n <li>one</li>\n <li>two</li></ul><script>var p = '<p>';</script>"
            "<table><tr><td>x</td><td>y</td></tr></table>end &lt;tag&gt; &#20013;</body></html>")
    assert html_to_text(html) == "Hello & bye\n\na\nb\nc\n\none\ntwo\n\nx y\n\nend <tag> 中"


def test_html_to_text_survives_malformed_declarations():
    assert html_to_text("a <![weird[ b") == "a <![weird[ b"


# --- attachment names -----------------------------------------------------------------------------------

def test_hostile_attachment_names_become_bare_safe_names():
    message = parsed("hostile_filenames.eml")
    assert names(message)[:4] == ["passwd", "evil.exe", "x.bat", "evilname next.txt"]
    long_name = names(message)[4]
    assert len(long_name) == 150 and long_name == "a" * 146 + ".pdf"
    assert names(message)[5:] == ["attachment.bin", "htaccess"]
    assert [a.content for a in message.attachments][:3] == [b"root:x:0:0\n", b"MZ", b"@echo off\n"]


def test_chinese_names_in_rfc2047_rfc2231_and_raw_utf8():
    message = parsed("chinese_filenames.eml")
    assert names(message) == ["合同镕.doc", "报价单 2024.xlsx", "notes.txt", "发票 2024.pdf", "attachment.ics"]
    contents = [attachment.content for attachment in message.attachments]
    assert contents[:2] == [b"doc bytes", b"xlsx bytes"] and contents[3] == b"%PDF raw utf-8 name"
    assert message.defects == ()


# --- subjects -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("subject", "expected"), [
    ("Re: Fwd: AW: 回复： 答复: 转发: Subject", "Subject"),
    ("RE: re: Re[2]: FW: Order 42", "Order 42"),
    ("Re: [Ticket #12] Printer broken", "[Ticket #12] Printer broken"),
    ("[Ticket #12] Re: Printer broken", "[Ticket #12] Printer broken"),
    ("Sv: Vs: WG: Antw: Bestellung", "Bestellung"),
    ("Regarding: your call", "Regarding: your call"),
    ("  Re:   spaced    out  ", "spaced out"),
    ("", ""),
])
def test_strip_reply_prefixes(subject, expected):
    assert strip_reply_prefixes(subject) == expected
    assert thread_subject(subject) == expected.lower()


@pytest.mark.parametrize(("subject", "forward", "expected"), [
    ("Re: Re: Your repair appointment", False, "Re: Your repair appointment"),
    ("回复：发票金额不对", False, "Re: 发票金额不对"),
    ("AW: Bestellung", True, "Fwd: Bestellung"),
    ("Re: [Ticket #12] Printer broken", False, "Re: [Ticket #12] Printer broken"),
    ("Re:", False, "Re:"),
    ("", True, "Fwd:"),
])
def test_answer_subject_has_one_prefix(subject, forward, expected):
    assert answer_subject(subject, forward=forward) == expected


# --- never raises, and scales ---------------------------------------------------------------------------

def test_random_bytes_never_raise():
    rng = random.Random(20240312)
    for _ in range(300):
        assert_storable(parse_email(rng.randbytes(rng.randint(0, 2000))))


def test_damaged_corpus_messages_never_raise():
    rng = random.Random(7)
    samples = [path.read_bytes() for path in CORPUS_FILES]
    pieces = [b"\n", b"--", b"=?gb2312?B?", b"?=", b'"', b"<", b";", b"*", b"''", b"\x00", b"\xff\xfe", b"\xe4\xb8",
              b"Content-Type: multipart/mixed; boundary=x\n", b"--x\n", b"Content-Transfer-Encoding: base64\n"]
    for _ in range(300):
        damaged = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 6)):
            at = rng.randint(0, len(damaged))
            if rng.random() < 0.5:
                damaged[at:at] = rng.choice(pieces)
            else:
                del damaged[at:at + rng.randint(1, 20)]
        assert_storable(parse_email(bytes(damaged)))


def test_a_content_type_the_default_policy_raises_on_keeps_the_body():
    """Python 3.11's default policy raises IndexError while parsing this Content-Type, losing the message."""
    raw = b"From: a@example.com\nContent-Type: text/plain; charset*\n\nstill here\n"
    assert parse_email(raw).text == "still here"


def test_a_30_mb_attachment_comes_through_intact():
    data = random.Random(30).randbytes(30 * 1024 * 1024)
    raw = (b"From: big@example.com\r\nSubject: big\r\nMessage-ID: <big@example.com>\r\n"
           b"Date: Tue, 12 Mar 2024 09:30:00 +0000\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
           b"--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=big.zip\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(data) + b"--b--\r\n")
    message = parse_email(raw)
    (attachment,) = message.attachments
    assert attachment.filename == "big.zip"
    assert attachment.content == data
    assert message.text == "see attached"
    assert message.defects == ()


def nested(depth: int) -> bytes:
    return (b"From: deep@example.com\nSubject: deep\n"
            + b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (level, level)
                       for level in range(depth))
            + b"Content-Type: text/plain\n\ndeep\n")


def test_deeply_nested_unclosed_multiparts_give_a_bounded_list_of_defects():
    message = parse_email(nested(40))
    assert (message.subject, message.sender_address) == ("deep", "deep@example.com")
    assert len(message.defects) == 20
    assert message.defects[-1] == "... and 16 more problems"  # 2 headers, 32 multiparts, the nesting


def test_nesting_beyond_the_parser_keeps_the_headers():
    message = parse_email(nested(1000))
    assert (message.subject, message.sender_address) == ("deep", "deep@example.com")
    assert message.defects[0] == "parts nested too deeply to read"
