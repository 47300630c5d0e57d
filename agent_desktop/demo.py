"""The demo's simulated customers: `cicada call` from a real demo customer's
number into a demo queue, so a newcomer can take a call in the desktop
without a phone line."""

from __future__ import annotations

import random
import smtplib
import subprocess
import sys
from dataclasses import dataclass

from sqlalchemy import func, select

from crm.db import Database
from crm.models import BusinessPartner, EmailAddress, PhoneNumber


@dataclass(frozen=True)
class DemoCalls:
    sip_address: str  # the gateway's, HOST:PORT
    dnis: str  # the number dialled: chooses the queue
    config_path: str | None = None
    database_url: str | None = None
    hold_for: float = 120.0
    smtp_address: str | None = None  # the mail queue's SMTP listener, HOST:PORT
    mailbox: str = "service@cicada.example"
    chat_url: str | None = None  # the web chat widget


DEMO_EMAILS = [
    ("宽带又断了", "您好，\n\n我家的宽带从昨晚开始一直断断续续，路由器重启也没用。麻烦尽快派人看看。\n\n谢谢"),
    ("发票金额有误", "你好：\n\n本月发票比合同价多了 50 元，请核实并重新开具。\n\n祝好"),
    ("想升级套餐", "您好，我想把现在的套餐升级到 500M，请问费用是多少？什么时候可以办理？"),
    ("Router keeps rebooting", "Hello,\n\nthe router you installed last month reboots every hour. "
                               "Could someone come and replace it?\n\nBest regards"),
    ("Question about my invoice", "Hi,\n\nmy November invoice shows a charge I do not recognise. "
                                  "Can you explain it?\n\nThanks"),
]


def customer_number(database: Database, rng: random.Random | None = None) -> str:
    """The main mobile number of a random customer with a valid Chinese number."""
    rng = rng or random.Random()
    with database.reading() as session:
        candidates = select(PhoneNumber.e164).where(
            PhoneNumber.is_main.is_(True), PhoneNumber.e164.like("+861%"))
        count = session.scalar(select(func.count()).select_from(candidates.subquery()))
        if not count:
            return "13800138000"
        e164 = session.scalar(candidates.order_by(PhoneNumber.id).offset(rng.randrange(count)).limit(1))
    return e164.removeprefix("+86")


def place_call(calls: DemoCalls, ani: str) -> subprocess.Popen:
    """A customer's SIP call (pjsua2, in its own process) that stays on the
    line for `hold_for` seconds unless the agent hangs up first."""
    command = [sys.executable, "-m", "cicada.cli"]
    if calls.config_path:
        command += ["--config", calls.config_path]
    if calls.database_url:
        command += ["--db-url", calls.database_url]
    command += ["call", "--from", ani, "--to", calls.dnis, "--gateway", calls.sip_address,
                "--hold-for", f"{calls.hold_for:g}"]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def customer_address(database: Database, rng: random.Random | None = None) -> tuple[str, str]:
    """(name, email address) of a random customer who has one."""
    rng = rng or random.Random()
    with database.reading() as session:
        candidates = select(EmailAddress.address, BusinessPartner.name).join(
            BusinessPartner, BusinessPartner.id == EmailAddress.partner_id)
        count = session.scalar(select(func.count()).select_from(candidates.subquery()))
        if not count:
            return "张伟", "zhang.wei@example.cn"
        address, name = session.execute(candidates.order_by(EmailAddress.id).offset(rng.randrange(count))
                                         .limit(1)).one()
    return name, address


def send_email(calls: DemoCalls, name: str, address: str, rng: random.Random | None = None) -> str:
    """A customer's email to the demo's service address, through the mail queue's SMTP listener."""
    from email.message import EmailMessage
    from email.utils import formataddr, formatdate, make_msgid

    subject, body = (rng or random.Random()).choice(DEMO_EMAILS)
    message = EmailMessage()
    message["From"] = formataddr((name, address))
    message["To"] = calls.mailbox
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[-1])
    message["Date"] = formatdate(localtime=True)
    message.set_content(body)
    host, _, port = (calls.smtp_address or "127.0.0.1:2525").rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=10) as smtp:
        smtp.send_message(message)
    return subject
