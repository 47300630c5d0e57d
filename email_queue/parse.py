"""Parsing inbound email as real mailboxes deliver it.

`parse_email` turns the raw bytes of a message into a `ParsedEmail` for the queue:
decoded headers, a readable text body, HTML safe to show an agent, and attachments
with names safe to save. It never raises: what it cannot read becomes a short
`defect` the agent can see, and the rest of the message is kept.

How, and why:

* The MIME structure comes from the standard library's parser with the compat32
  policy, which stores headers as sent. The default policy interprets some headers
  while parsing (Content-Type among them), and a malformed one raises and loses the
  whole message.
* Addresses are read with the default policy's header parser one header at a time;
  where it raises, `email.utils.getaddresses` reads that header instead.
* Header text (RFC 2047 encoded words, RFC 2231 parameters, raw 8-bit bytes) and
  bodies are decoded here, because both policies decode with the declared charset
  only: mail labelled gb2312 routinely carries GBK characters, Big5 mail HKSCS ones.
  A declared charset is widened to its superset and, when even that fails, the
  bytes are tried as UTF-8, GB18030 and finally latin-1, noting a defect.
* HTML is cleaned by nh3 (ammonia). Remote images are held back in a
  `data-remote-src` attribute until the agent asks for them: loading them tells the
  sender the mail was read.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import logging
import mimetypes
import os
import quopri
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import errors
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser

import nh3

from crm import texts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str  # a bare, safe file name (see _safe_filename)
    content_type: str  # lowercased "type/subtype"
    content: bytes  # decoded payload; b"" if undecodable (a defect says so)
    content_id: str | None  # Content-ID without the angle brackets
    inline: bool  # shown within the message (e.g. an image the HTML refers to by cid:)


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None  # "<local@domain>", None when missing or unusable
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender_name: str
    sender_address: str | None
    reply_to: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: datetime | None  # aware, UTC
    text: str
    html: str | None  # sanitised; remote images held back in data-remote-src
    has_remote_images: bool
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse a raw message. Never raises: a message that cannot be read at all comes back empty, with a defect."""
    try:
        return _storable(_parse(bytes(raw)))
    except Exception as exc:  # the last line of defence: the queue must store something for every message
        log.warning("unreadable email", exc_info=True)
        return _empty_email([f"message could not be read ({type(exc).__name__})"])


def _parse(raw: bytes) -> ParsedEmail:
    if not raw.strip():
        return _empty_email(["empty message"])
    defects: list[str] = []
    try:
        message = email.message_from_bytes(raw, policy=compat32)
    except RecursionError:  # hundreds of nested multiparts: keep the headers, and the body as one unread part
        message = BytesHeaderParser(policy=compat32).parsebytes(raw)
        defects.append("parts nested too deeply to read")
    message_id = _message_id(message, defects)
    in_reply_to = _message_ids(_first(message, "In-Reply-To", defects) or "")
    subject = _header_text(message, "Subject", defects)
    sender_name, sender_address = _sender(message, defects)
    reply_to = _addresses(message, "Reply-To", defects)
    to = _addresses(message, "To", defects)
    cc = _addresses(message, "Cc", defects)
    date = _date(message, defects)

    content = _Content()
    _walk(message, "", content)
    html, has_remote_images = _sanitise_html("\n".join(content.html)) if content.html else (None, False)
    text = "\n\n".join(part.strip() for part in content.plain if part.strip())
    if not text and html:
        text = html_to_text(html)
    return ParsedEmail(
        message_id=message_id,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(dict.fromkeys(_message_ids(" ".join(_raw_values(message, "References"))))),
        subject=subject,
        sender_name=sender_name,
        sender_address=sender_address,
        reply_to=reply_to[0] if reply_to else None,
        to=to,
        cc=cc,
        date=date,
        text=text,
        html=html,
        has_remote_images=has_remote_images,
        attachments=tuple(content.attachments),
        defects=_at_most(_MAX_DEFECTS, dict.fromkeys(defects + content.defects)),
    )


_MAX_DEFECTS = 20  # a broken message can have thousands; the agent needs the first few


def _at_most(limit: int, defects) -> tuple[str, ...]:
    defects = list(defects)
    if len(defects) <= limit:
        return tuple(defects)
    return (*defects[:limit - 1], f"... and {len(defects) - limit + 1} more problems")


UNSTORABLE_DEFECT = "characters the CRM cannot store (NUL, broken UTF-16) were replaced by \ufffd"


def _storable(parsed: ParsedEmail) -> ParsedEmail:
    """The message with each character the CRM cannot store replaced (see crm.texts):
    a NUL or a lone surrogate (a UTF-7 or 8-bit header can decode to one) must
    never cost the message."""
    cleaned = {name: _storable_value(value) for name, value in vars(parsed).items() if name != "attachments"}
    cleaned["attachments"] = tuple(
        replace(a, filename=texts.storable(a.filename), content_type=texts.storable(a.content_type),
                content_id=texts.storable(a.content_id)) for a in parsed.attachments)
    cleaned = replace(parsed, **cleaned)
    if cleaned == parsed:
        return parsed
    return replace(cleaned, defects=_at_most(_MAX_DEFECTS, dict.fromkeys((*cleaned.defects, UNSTORABLE_DEFECT))))


def _storable_value(value):
    if isinstance(value, str):
        return texts.storable(value)
    if isinstance(value, tuple):
        return tuple(_storable_value(item) for item in value)
    return value


def _empty_email(defects: list[str]) -> ParsedEmail:
    return ParsedEmail(
        message_id=None, in_reply_to=None, references=(), subject="", sender_name="", sender_address=None,
        reply_to=None, to=(), cc=(), date=None, text="", html=None, has_remote_images=False, attachments=(),
        defects=tuple(defects),
    )


# --- Charsets -------------------------------------------------------------------------------------------

# Labels mail software writes that Python does not know by that name.
_LABEL_ALIASES = {"x-gbk": "gbk", "windows-874": "cp874", "x-mac-roman": "mac-roman", "x-sjis": "shift_jis"}

# What a declared charset is decoded as, in order: senders' labels understate what they
# send (GBK and GB18030 under gb2312, HKSCS under big5, cp1252 quotes under latin-1).
_WIDER = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "big5hkscs": ("big5hkscs", "cp950"),
    "cp950": ("cp950", "big5hkscs"),
    "euc_kr": ("cp949",),
    "iso8859-1": ("cp1252", "iso8859-1"),
}

# Codecs Python knows that no honest mail declares; decoding with them would mangle text.
_NOT_CHARSETS = {"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode"}

# Tried in this order when the declared charset is absent, unknown or wrong; then latin-1, which never fails.
_FALLBACKS = ("utf-8", "gb18030")


def _decode(data: bytes, label: str | None) -> tuple[str, str | None]:
    """Decode bytes declared as `label` (None: undeclared); the defect says when a fallback was needed."""
    label = (label or "").strip().lower()
    declared = _codecs_for(label) if label else ("utf-8",)
    for codec in dict.fromkeys(declared + _FALLBACKS):
        try:
            text = data.decode(codec)
        except (UnicodeError, LookupError):
            continue
        return text, None if codec in declared else _fallback_defect(label, declared, codec)
    return data.decode("latin-1"), _fallback_defect(label, declared, "latin-1")


def _codecs_for(label: str) -> tuple[str, ...]:
    """The codecs to try for a declared charset label, widest first; () when Python does not know it."""
    try:
        name = codecs.lookup(_LABEL_ALIASES.get(label, label)).name
    except (LookupError, ValueError):
        return ()
    return () if name in _NOT_CHARSETS else _WIDER.get(name, (name,))


def _fallback_defect(label: str, declared: tuple[str, ...], codec: str) -> str:
    decoded_as = f"decoded as {codec.upper()}"
    if not label:
        return f"undeclared charset, {decoded_as}"
    if not declared:
        return f"unknown charset {label!r}, {decoded_as}"
    return f"text is not valid {label}, {decoded_as}"


def _raw_bytes(text: str) -> bytes:
    """The bytes behind text the parser read as ASCII with surrogate escapes (8-bit bytes as sent)."""
    return text.encode("utf-8", "surrogateescape")


def _text_of_raw(text: str) -> str:
    return _decode(_raw_bytes(text), None)[0]


# --- Headers --------------------------------------------------------------------------------------------

_LINE_BREAK = re.compile(r"[\r\n]")
_SURROGATE = re.compile("[\udc80-\udcff]")  # a byte >= 0x80 the parser could not read as ASCII
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bq])\?([^?]*)\?=", re.IGNORECASE)
_ADDRESS = re.compile(r"[^\s<>@,;\x00-\x1f\x7f]+@[^\s<>@,;\x00-\x1f\x7f]+")
_MESSAGE_ID = re.compile(r"[!-;=?A-~]+@[!-;=?A-~]+")  # printable ASCII without <, >, or a second @
_BRACKETED = re.compile(r"<([^<>]*)>")


def _raw_values(message: Message, name: str) -> list[str]:
    """Every value of a header, unfolded, as sent (8-bit bytes kept as surrogate escapes)."""
    name = name.lower()
    return [_LINE_BREAK.sub("", str(value)) for key, value in message.raw_items() if key.lower() == name]


def _first(message: Message, name: str, defects: list[str]) -> str | None:
    values = _raw_values(message, name)
    if len(values) > 1:
        defects.append(f"duplicate {name} headers")
    return values[0] if values else None


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _header_text(message: Message, name: str, defects: list[str]) -> str:
    text, problems = _decode_words(_first(message, name, defects) or "")
    defects.extend(f"{problem} ({name})" for problem in problems)
    return _one_line(text)


def _decode_words(value: str) -> tuple[str, list[str]]:
    """Decode RFC 2047 encoded words and raw 8-bit text in a header value.

    Adjacent words in one charset are joined before decoding, since mailers split
    multibyte characters across them; whitespace between words goes, as RFC 2047 says.
    """
    chunks: list[tuple[bytes, str | None]] = []  # (bytes, charset); None: text as sent
    position = 0
    for word in _ENCODED_WORD.finditer(value):
        gap, position = value[position:word.start()], word.end()
        if gap and not (gap.isspace() and chunks and chunks[-1][1]):
            _append_chunk(chunks, _raw_bytes(gap), None)
        payload = _word_payload(word.group(2), word.group(3))
        if payload is None:
            _append_chunk(chunks, _raw_bytes(word.group()), None)
        else:
            _append_chunk(chunks, payload, word.group(1).lower())
    if position < len(value):
        _append_chunk(chunks, _raw_bytes(value[position:]), None)
    decoded = [_decode(data, charset) for data, charset in chunks]
    return "".join(text for text, _ in decoded), [problem for _, problem in decoded if problem]


def _append_chunk(chunks: list[tuple[bytes, str | None]], data: bytes, charset: str | None) -> None:
    if chunks and chunks[-1][1] == charset:
        chunks[-1] = (chunks[-1][0] + data, charset)
    else:
        chunks.append((data, charset))


def _word_payload(encoding: str, text: str) -> bytes | None:
    data = _raw_bytes(text)
    if encoding.lower() == "q":
        return binascii.a2b_qp(data, header=True)
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4))  # mailers drop the padding
    except binascii.Error:
        return None


def _sender(message: Message, defects: list[str]) -> tuple[str, str | None]:
    raw = _first(message, "From", defects)
    if raw is None:
        defects.append("no From")
        return "", None
    addresses = _parse_addresses(raw, "From", defects)
    if not addresses:
        defects.append("unusable From address")
    pairs = getaddresses([raw])
    name, problems = _decode_words(pairs[0][0] if pairs else "")
    defects.extend(f"{problem} (From)" for problem in problems)
    return _one_line(name).strip("\"' "), addresses[0] if addresses else None


def _addresses(message: Message, name: str, defects: list[str]) -> tuple[str, ...]:
    found = [address for raw in _raw_values(message, name) for address in _parse_addresses(raw, name, defects)]
    return tuple(dict.fromkeys(found))


def _parse_addresses(raw: str, name: str, defects: list[str]) -> list[str]:
    """The lowercased addresses in one header: the default policy's parser, or getaddresses where it raises."""
    try:
        specs = [address.addr_spec for address in default_policy.header_factory(name, raw).addresses]
    except Exception:
        defects.append(f"malformed {name} header")
        specs = [spec for _, spec in getaddresses([raw])]
    cleaned = (_text_of_raw(spec).strip().lower() for spec in specs)
    return [address for address in cleaned if _ADDRESS.fullmatch(address)]


def _date(message: Message, defects: list[str]) -> datetime | None:
    raw = _first(message, "Date", defects)
    if raw is None:
        defects.append("no Date")
        return None
    try:
        moment = parsedate_to_datetime(raw)
        if moment.tzinfo is None:  # "-0000": the zone is unknown; UTC is the best guess
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("unparseable Date")
        return None


def _message_id(message: Message, defects: list[str]) -> str | None:
    raw = _first(message, "Message-ID", defects)
    if raw is None:
        defects.append("no Message-ID")
        return None
    ids = _message_ids(raw)
    if not ids:
        defects.append("unusable Message-ID")
    return ids[0] if ids else None


def _message_ids(value: str) -> list[str]:
    """Every usable message id in a header value, normalised to "<local@domain>", in order."""
    value = _LINE_BREAK.sub("", value)
    bracketed = ["".join(found.split()) for found in _BRACKETED.findall(value)]
    candidates = bracketed or [token.strip("<>,;") for token in value.split()]
    return [f"<{found}>" for found in candidates if len(found) < 990 and _MESSAGE_ID.fullmatch(found)]


def normalise_message_id(value: str | None) -> str | None:
    """The "<local@domain>" form of a message id, whitespace and brackets tidied; None if there is none."""
    ids = _message_ids(value) if isinstance(value, str) else []
    return ids[0] if ids else None


# --- MIME structure -------------------------------------------------------------------------------------

_MAX_DEPTH = 30  # deeper nesting is an attack or a loop, not a mail

_DEFECT_TEXT = {
    errors.StartBoundaryNotFoundDefect: "multipart start boundary missing",
    errors.CloseBoundaryNotFoundDefect: "multipart closing boundary missing",
    errors.NoBoundaryInMultipartDefect: "multipart without a boundary",
    errors.MultipartInvariantViolationDefect: "multipart without parts",
    errors.MissingHeaderBodySeparatorDefect: "no blank line after the headers",
    errors.FirstHeaderLineIsContinuationDefect: "first header line is indented",
    errors.MisplacedEnvelopeHeaderDefect: "misplaced mbox 'From ' line",
    errors.InvalidMultipartContentTransferEncodingDefect: "multipart with a transfer encoding",
}


def _describe(defect: errors.MessageDefect) -> str:
    name = type(defect).__name__.removesuffix("Defect")
    return _DEFECT_TEXT.get(type(defect)) or re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


@dataclass
class _Content:
    """What a walk over the MIME tree collects."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def _walk(part: Message, section: str, content: _Content, depth: int = 0) -> None:
    """Collect body text and attachments; `section` numbers parts as IMAP does ("2.1")."""
    where = f" in part {section}" if section else ""
    content.defects.extend(_describe(defect) + where for defect in part.defects)
    if depth > _MAX_DEPTH:
        content.defects.append(f"parts nested too deeply{where}")
    elif part.get_content_maintype() == "message" and part.is_multipart():
        content.attachments.append(_enclosed_message(part, section or "1", content.defects))
    elif part.is_multipart():
        _walk_children(part, section, content, depth)
    else:
        _add_leaf(part, section or "1", content)


def _walk_children(part: Message, section: str, content: _Content, depth: int) -> None:
    children = [child for child in part.get_payload() if isinstance(child, Message)]
    sections = [f"{section}.{number}" if section else str(number) for number in range(1, len(children) + 1)]
    if part.get_content_type() != "multipart/alternative":
        for child, child_section in zip(children, sections):
            _walk(child, child_section, content, depth + 1)
        return
    options = [_Content() for _ in children]
    for child, child_section, option in zip(children, sections, options):
        _walk(child, child_section, option, depth + 1)
    # Alternatives say the same thing: plain text from the first that has some, HTML from
    # the last that has some (the richest, RFC 2046 5.1.4); attachments from all of them.
    content.plain += next((option.plain for option in options if "".join(option.plain).strip()), [])
    content.html += next((option.html for option in reversed(options) if option.html), [])
    for option in options:
        content.attachments += option.attachments
        content.defects += option.defects


def _add_leaf(part: Message, section: str, content: _Content) -> None:
    _decode_8bit_parameters(part, section, content.defects)
    if _is_body_text(part):
        _add_body_text(part, section, content)
    else:
        content.attachments.append(_attachment(part, section, content.defects))


def _decode_8bit_parameters(part: Message, section: str, defects: list[str]) -> None:
    """Decode raw 8-bit Content-Type and Content-Disposition values (file names, mostly) in place.

    compat32 hands such values out as Header objects whose text has lost the bytes.
    """
    for name in ("Content-Type", "Content-Disposition"):
        values = _raw_values(part, name)
        if values and _SURROGATE.search(values[0]):
            text, problem = _decode(_raw_bytes(values[0]), None)
            part.replace_header(name, text)
            if problem:
                defects.append(f"{problem} ({name} of part {section})")


def _is_body_text(part: Message) -> bool:
    return (part.get_content_type() in ("text/plain", "text/html")
            and part.get_content_disposition() != "attachment"
            and not _raw_filename(part))


def _add_body_text(part: Message, section: str, content: _Content) -> None:
    data = _payload(part, section, content.defects)
    is_html = part.get_content_subtype() == "html"
    charset = _charset(part, section, content.defects) or (_meta_charset(data) if is_html else None)
    text, problem = _decode(data, charset)
    if problem:
        content.defects.append(f"{problem} (part {section})")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")  # NUL: PostgreSQL refuses it
    if not is_html and str(_param(part, "format") or "").lower() == "flowed":
        text = unflow(text, delsp=str(_param(part, "delsp") or "").lower() == "yes")
    (content.html if is_html else content.plain).append(text)


def unflow(text: str, *, delsp: bool = False) -> str:
    """Text in format=flowed (RFC 3676) as the paragraphs its sender wrote.

    Such mail (Thunderbird's, Apple Mail's) is wrapped at about 72 characters;
    a line ending in a space goes on in the next line of the same quote depth.
    """
    paragraphs: list[tuple[int, str]] = []  # (quote depth, text)
    open_paragraph = False
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        line = line[depth:].removeprefix(" ")  # space-stuffed
        flowed = line.endswith(" ") and line != "-- "  # the signature separator is always fixed
        if flowed and delsp:
            line = line[:-1]
        if open_paragraph and paragraphs[-1][0] == depth:
            paragraphs[-1] = (depth, paragraphs[-1][1] + line)
        else:
            paragraphs.append((depth, line))
        open_paragraph = flowed
    return "\n".join(">" * depth + " " * bool(depth) + line for depth, line in paragraphs)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def _meta_charset(html: bytes) -> str | None:
    """The charset an HTML part declares only in a <meta> tag (web forms often send it so)."""
    found = _META_CHARSET.search(html[:4096])
    return found.group(1).decode("ascii") if found else None


_BASE64_DEFECTS = (errors.InvalidBase64CharactersDefect, errors.InvalidBase64PaddingDefect)


def _payload(part: Message, section: str, defects: list[str]) -> bytes:
    """The decoded payload; base64 damage becomes a defect (and b"" when nothing is decodable)."""
    transfer_encoding = part.get("content-transfer-encoding")
    if isinstance(transfer_encoding, str) and transfer_encoding != transfer_encoding.strip():
        part.replace_header("content-transfer-encoding", transfer_encoding.strip())  # "base64 " is not decoded
    known = len(part.defects)
    payload = part.get_payload(decode=True)
    found = part.defects[known:]
    if any(isinstance(defect, errors.InvalidBase64LengthDefect) for defect in found):
        defects.append(f"undecodable base64 in part {section}")
        return b""
    if any(isinstance(defect, _BASE64_DEFECTS) for defect in found):
        defects.append(f"broken base64 in part {section}")
    return payload if isinstance(payload, bytes) else b""


def _attachment(part: Message, section: str, defects: list[str]) -> Attachment:
    content_type = "".join(part.get_content_type().split())
    content_id = _content_id(part)
    disposition = part.get_content_disposition()
    return Attachment(
        filename=_safe_filename(_filename(part, section, defects), content_type),
        content_type=content_type,
        content=_payload(part, section, defects),
        content_id=content_id,
        inline=disposition == "inline" or (disposition is None and content_id is not None),
    )


def _enclosed_message(part: Message, section: str, defects: list[str]) -> Attachment:
    """A forwarded message (message/rfc822) kept whole, as an .eml named after its subject."""
    content_type = part.get_content_type()
    messages = [inner for inner in part.get_payload() if isinstance(inner, Message)]
    if messages and part.get("Content-Transfer-Encoding", "").strip().lower() in ("base64", "quoted-printable"):
        messages = [_reparsed(messages, part, section, defects)]
    if content_type in ("message/rfc822", "message/global") and messages:
        subject = _header_text(messages[0], "Subject", [])
        name = re.sub(r"[/\\]", "_", subject) + ".eml" if subject else ""
    else:
        name = _filename(part, section, defects)
    try:
        content = b"".join(inner.as_bytes(policy=compat32) for inner in messages)
    except Exception:
        defects.append(f"enclosed message in part {section} could not be kept")
        content = b""
    return Attachment(
        filename=_safe_filename(name, content_type), content_type=content_type, content=content,
        content_id=_content_id(part), inline=False,
    )


def _reparsed(messages: list[Message], part: Message, section: str, defects: list[str]) -> Message:
    """The enclosed message of a part that encodes it (RFC 2046 forbids it; some mail programs do it).

    The parser took the encoded text for a message of its own; decoding it gives the real one.
    """
    encoded = b"".join(inner.as_bytes(policy=compat32) for inner in messages)
    encoding = part["Content-Transfer-Encoding"].strip().lower()
    try:
        data = (base64.b64decode(b"".join(encoded.split())) if encoding == "base64"
                else quopri.decodestring(encoded))
    except (binascii.Error, ValueError):
        defects.append(f"undecodable {encoding} in the enclosed message of part {section}")
        return messages[0]
    return email.message_from_bytes(data.lstrip(b"\r\n"), policy=compat32)


def _content_id(part: Message) -> str | None:
    values = _raw_values(part, "Content-ID")
    found = "".join(_text_of_raw(values[0]).split()).strip("<>") if values else ""
    return found or None


def _param(part: Message, name: str, header: str = "content-type") -> str | tuple | None:
    """A MIME parameter as sent: a string, or (charset, language, text) for RFC 2231; None if absent or unreadable."""
    try:
        return part.get_param(name, header=header)
    except (TypeError, ValueError, IndexError):  # compat32 trips over some malformed RFC 2231 continuations
        return None


def _charset(part: Message, section: str, defects: list[str]) -> str | None:
    value = _param(part, "charset")
    label = value[2] if isinstance(value, tuple) else value
    if label is not None and not (isinstance(label, str) and label.isascii()):
        defects.append(f"unreadable charset label (part {section})")
        return None
    return label


def _raw_filename(part: Message) -> str | tuple | None:
    return _param(part, "filename", "content-disposition") or _param(part, "name")


def _filename(part: Message, section: str, defects: list[str]) -> str:
    value = _raw_filename(part)
    if isinstance(value, tuple):  # RFC 2231: percent-decoded bytes held as latin-1 text
        charset, _, text = value
        name, problem = _decode(_latin1_bytes(str(text)), charset)
        problems = [problem] if problem else []
    else:
        name, problems = _decode_words(str(value or ""))
    defects.extend(f"{problem} (name of part {section})" for problem in problems)
    return name


def _latin1_bytes(text: str) -> bytes:
    try:
        return text.encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:
        return _raw_bytes(text)


_MAX_NAME = 150
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')


def _safe_filename(name: str, content_type: str) -> str:
    """A bare file name that is safe to save: no path, no control characters, not hidden, not too long."""
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]  # the last path component only
    name = " ".join(name.split())  # newlines and tabs become spaces
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))  # incl. RTL overrides
    name = _WINDOWS_RESERVED.sub("_", name).strip(" .")
    if len(name) > _MAX_NAME:
        stem, extension = os.path.splitext(name)
        if len(extension) > 16:
            stem, extension = name, ""
        name = stem[:_MAX_NAME - len(extension)].rstrip(" .") + extension
    return name or "attachment" + (mimetypes.guess_extension(content_type) or "")


# --- HTML -----------------------------------------------------------------------------------------------

_URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"cid", "data"}
_DROPPED_WITH_CONTENT = {"script", "style", "title"}
_URL_NOISE = re.compile(r"[\t\n\r]")  # browsers ignore these inside URLs
# nh3 serialises well-formed tags with double-quoted attributes ('"' escaped as &quot;), so a
# quote-aware pattern finds every <img> tag of its output and nothing else.
_IMG_TAG = re.compile(r'<img\b(?:[^>"]|"[^"]*")*>', re.IGNORECASE)
_REMOTE_SRC = re.compile(r'(\s)src="(https?:[^"]*)"', re.IGNORECASE)
_HELD_BACK_SRC = re.compile(r'(\s)data-remote-src="(https?:[^"]*)"', re.IGNORECASE)


def _sanitise_html(html: str) -> tuple[str, bool]:
    """Clean HTML with nh3 and hold back remote images; also says whether any were held back."""
    clean = nh3.clean(html, clean_content_tags=_DROPPED_WITH_CONTENT, url_schemes=_URL_SCHEMES,
                      attribute_filter=_filter_attribute)
    clean = _IMG_TAG.sub(lambda tag: _REMOTE_SRC.sub(r'\1data-remote-src="\2"', tag.group()), clean)
    return clean.strip(), any(_HELD_BACK_SRC.search(tag) for tag in _IMG_TAG.findall(clean))


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    """Images load only from http(s) (held back later), cid: or data:image; data: URLs serve nothing else."""
    if attribute not in ("src", "href", "cite"):
        return value
    url = _URL_NOISE.sub("", value).strip()
    lowered = url.lower()
    if element == "img" and attribute == "src":
        if url.startswith("//"):  # protocol-relative: as remote as it gets
            return "https:" + url
        return url if lowered.startswith(("http:", "https:", "cid:", "data:image/")) else None
    return None if lowered.startswith("data:") else value


def show_remote_images(html: str) -> str:
    """Turn held-back image URLs back into src (the agent's "load images")."""
    return _IMG_TAG.sub(lambda tag: _HELD_BACK_SRC.sub(r'\1src="\2"', tag.group()), html)


_SKIPPED_IN_TEXT = frozenset({"script", "style", "title"})
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "pre"})
_LINE_TAGS = frozenset({"div", "li", "tr", "dt", "dd", "hr"})


class _TextExtractor(HTMLParser):
    """Readable text from HTML: tags dropped, blocks as line breaks, entities unescaped.

    Line breaks wait in `pending` until text follows, so that nested or adjacent blocks
    give one break, while each <br> counts.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.pending = 0  # line breaks owed before the next text
        self.skipping = 0  # inside <script>, <style> or <title>

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIPPED_IN_TEXT:
            self.skipping += 1
        elif tag == "body":  # an unclosed <title> must not swallow the body
            self.skipping = 0
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs) -> None:  # <br/>: one break, not a start and an end
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_IN_TEXT:
            self.skipping = max(0, self.skipping - 1)
        elif tag in ("td", "th"):
            self.handle_data(" ")
        elif tag != "br":
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.skipping or (self.pending and data.isspace()):
            return
        self.pieces.append("\n" * self.pending + data)
        self.pending = 0

    def _break(self, tag: str) -> None:
        if tag == "br":
            self.pending += 1
        elif tag in _PARAGRAPH_TAGS:
            self.pending = max(self.pending, 2)
        elif tag in _LINE_TAGS:
            self.pending = max(self.pending, 1)


def html_to_text(html: str) -> str:
    """Readable text from HTML: tags dropped, <br>/<p>/<div>/<li> as line breaks, scripts and styles dropped."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
        text = "".join(extractor.pieces)
    except AssertionError:  # html.parser's answer to some malformed declarations; fall back to dropping tags
        text = unescape(re.sub(r"<[^>]*>", " ", html))
    lines = (" ".join(line.split()) for line in text.replace("\x00", "").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- in a parser process ---------------------------------------------------------------------------


def end_with_the_mail_queue() -> None:
    """The parser processes' initializer: a process ends once the mail queue that started it
    is gone, however it went (kill -9 included); a pool's process would otherwise wait for work
    for ever, orphaned, and keep multiprocessing's resource tracker alive with it. Watched by
    the parent's pid rather than PR_SET_PDEATHSIG, which follows the thread that started the
    process, and any thread of the mail queue may start one."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="watch-the-mail-queue", daemon=True).start()
