"""Mail and chat ingest: emails per second over SMTP, and chat latency from customer to agent.

Starts a real `cicada mailq` as a child process (tests/mailq_harness.py) on
free ports, with a fresh CRM database: an SQLite file in a temporary
directory, or with --db-url a throw-away schema on that PostgreSQL server
(dropped afterwards). The database gets --customers demo customers
(crm.demo.seed, so that most senders are identified as in real life) and
agents: --email-agents available for email, --chat-agents available for
chat with a chat capacity (IC profile setting `capacity`) high enough for
every chat to be assigned at once.

Email: --senders SMTP clients (one thread and one reused connection each)
send --messages emails to service@cicada.example, generated beforehand: plain
UTF-8 Chinese text (some with a phone number in the signature), multipart
text + HTML with a small attachment, and replies (In-Reply-To, References,
"Re:") to a mail the same client sent earlier, so each reply threads onto a
conversation whose 250 has already come back. The service answers 250 only
once the mail is parsed, stored raw, threaded, matched to the customer and
given its queue (routing rules) in one committed transaction
(email_queue.service_mail_in.SmtpHandler.handle_DATA awaits store_email); offering it
to an agent happens after the 250. Measured: wall time from the first send to
the last 250, hence messages/s; the 250 latency per mail; and when the router
holds every conversation (waiting, or offered or assigned to an agent).
Then the database is checked: one raw email and one inbound message per mail,
one conversation per thread, every reply in its thread's conversation.

Chat: --chats customers open the web chat's WebSocket at once (hello ->
welcome), the agents' bus clients (email_queue.client.MailqClient) accept
every WorkOffered, and once all chats are assigned each customer sends
--lines lines, one every --interval seconds (the customers staggered, so the
load is steady). Measured per line, on this process's perf_counter clock:
from just before the customer's send to the agent's bus client receiving
the matching `mail.chat_line` event (matched by a unique id in the text),
and to the customer's ack (stored). Agents answer every --reply-every-th
line; those replies are timed from the agent's chat_send to the customer's
socket. Events are read by one thread polling every agent's event socket,
commands sent by a few worker threads, customers run on asyncio. With
--mail-during-chat R, emails also arrive over SMTP at R per second while the
chats run, as they do in a contact center (the email phase's backlog is still
waiting then).

    .venv/bin/python bench/mail_ingest.py                                   # SQLite, 2,000 mails, 100 chats
    .venv/bin/python bench/mail_ingest.py --messages 5000 --senders 16
    .venv/bin/python bench/mail_ingest.py --db-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/mail_ingest.py --phases chat --profile            # py-spy stacks of the mailq

Exits non-zero only on errors (a refused mail, a lost chat line, a database
that does not hold what was acknowledged), never for a missed goal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import queue
import random
import re
import resource
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

console = Console(width=150)
SERVICE = "service@cicada.example"
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """Something went wrong that is not a figure: the run is not valid."""


# --- figures ---------------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    return {"p50": percentile(values, 0.50), "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99), "max": max(values) if values else float("nan"),
            "count": len(values)}


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its threads, and of its
    child processes (the mail queue's parsers), from /proc."""
    total = float("nan")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total = (0.0 if total != total else total) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine spent (every core), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle, iowait
    return (sum(values[:8]) - idle) / CLK_TCK


class CpuMeter:
    """CPU used during a phase by the mail queue, this benchmark, and everything else on the machine."""

    def __init__(self, pid: int):
        self.pid = pid
        self.start()

    def start(self) -> None:
        self.t0, self.mailq0 = time.perf_counter(), process_cpu_seconds(self.pid)
        self.own0, self.busy0 = own_cpu_seconds(), machine_busy_seconds()

    def cores(self) -> dict:
        wall = time.perf_counter() - self.t0
        mailq = process_cpu_seconds(self.pid) - self.mailq0
        own = own_cpu_seconds() - self.own0
        busy = machine_busy_seconds() - self.busy0
        return {"mailq_cpu_cores": mailq / wall, "bench_cpu_cores": own / wall,
                "other_cpu_cores": max(0.0, busy - mailq - own) / wall, "mailq_cpu_seconds": mailq}


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the database ----------------------------------------------------------------------------

@dataclass
class BenchDatabase:
    url: str
    kind: str  # sqlite or postgresql
    schema: str | None = None
    admin_url: str | None = None

    @classmethod
    def make(cls, workdir: Path, server_url: str | None) -> BenchDatabase:
        if not server_url:
            return cls(f"sqlite:///{workdir / 'crm.db'}", "sqlite")
        from sqlalchemy import make_url, text

        from crm.db import make_engine

        schema = f"cicada_bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(server_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return cls(url.render_as_string(hide_password=False), "postgresql", schema, server_url)

    def drop(self) -> None:
        if self.schema is None:
            return
        from sqlalchemy import text

        from crm.db import make_engine

        admin = make_engine(self.admin_url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        admin.dispose()
        console.print(f"dropped the schema {self.schema}")


def prepare_database(db: BenchDatabase, customers: int, email_agents: list[str], chat_agents: list[str],
                     chat_capacity: int) -> list[str]:
    """Migrate, seed `customers` demo customers, add the agents; returns customers' email addresses."""
    from gateway_harness import _HASH
    from sqlalchemy import select

    from crm.db import Database, make_engine, upgrade
    from crm.models import EmailAddress
    from crm.permissions import Actor
    from crm.services.profiles import set_profile_setting
    from crm.services.users import create_user

    engine = make_engine(db.url)
    upgrade(engine)
    database = Database(engine)
    if customers:
        from crm.demo.seed import seed

        with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(f"seeding: {stage}", total=total)
                bar.update(tasks[stage], completed=done, total=total)

            seeded = seed(database, customers, progress=progress)
        console.print(f"seeded {customers:,} customers in {seeded.seconds:.1f} s")
    with database.unit_of_work() as session:
        for name in [*email_agents, *chat_agents]:
            create_user(session, Actor.system(), username=name, password="", password_hash=_HASH,
                        role="agent", display_name=name.title())
        for name in chat_agents:
            set_profile_setting(session, Actor.system(), "capacity", {"email": 10, "chat": chat_capacity},
                                username=name)
    with database.reading() as session:
        addresses = list(session.scalars(select(EmailAddress.address).order_by(EmailAddress.id).limit(5000)))
    database.dispose()
    return addresses


# --- the emails ------------------------------------------------------------------------------

SENTENCES = [
    "您好，我家的宽带从昨天晚上开始一直断断续续，每隔十几分钟就掉线一次。",
    "路由器的指示灯一直在闪红灯，重启了好几次也没有用。",
    "十一月份的账单金额和套餐说明不一致，多收了我三十八元，请核实。",
    "我上个月已经申请了退款，但是到现在还没有收到，麻烦帮忙查一下进度。",
    "工程师约好今天上午上门安装，可是一直没有人联系我。",
    "请问现在办理家庭套餐升级到千兆需要多少钱？有没有优惠活动？",
    "手机卡在国外无法漫游，出发前已经开通了国际漫游业务。",
    "发票抬头写错了，应该是上海星云贸易有限公司，请重新开具。",
    "这是我第三次反映这个问题了，如果再不解决我要投诉。",
    "附件是故障时的截图和测速结果，下载速度只有两兆左右。",
    "我们公司的专线从今天早上九点开始中断，影响了整个办公室的业务。",
    "麻烦尽快安排维修，家里老人需要用网络看病问诊。",
    "另外想咨询一下，宽带到期以后是自动续费还是需要手动办理？",
    "我已经按照客服说的方法把光猫恢复了出厂设置，问题依旧。",
    "感谢你们之前的帮助，这次的问题和上次不一样。",
    "合同上写的是免费送机顶盒，但是账单里面有一笔设备费。",
    "请在工作日下午两点以后联系我，上午我在开会不方便接电话。",
    "我的套餐里包含的流量这个月被提前用完了，但我并没有怎么用。",
]
REPLY_SENTENCES = [
    "补充一下：刚才又掉线了，时间是下午三点二十分左右。",
    "谢谢回复，我已经按照你们说的操作了，但还是不行。",
    "请问工程师具体什么时候能到？我好安排家里有人。",
    "问题已经解决了，非常感谢！",
    "还有一个问题忘了问，账单可以改成电子版的吗？",
    "我把订单号发给你们：20241103887412。",
]
FAMILY = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = ["芳", "伟", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"]
DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "gmail.com", "foxmail.com", "example.cn"]
TOPICS = ["宽带故障", "账单疑问", "退款进度", "上门安装", "套餐升级", "国际漫游", "发票重开", "专线中断", "设备费用"]


@dataclass
class Mail:
    message_id: str
    sender: str
    raw: bytes
    root: str  # the Message-ID of the first mail of its thread
    kind: str  # plain, multipart, reply


def _customer(rng: random.Random, known: list[str], n: int) -> tuple[str, str]:
    name = rng.choice(FAMILY) + rng.choice(GIVEN)
    if known and rng.random() < 0.7:
        return name, rng.choice(known)
    return name, f"user{n:05d}.{rng.randrange(10**6)}@{rng.choice(DOMAINS)}"


def _body(rng: random.Random, name: str, lines: list[str], signature_phone: bool) -> str:
    text = "您好：\n\n" + "\n".join(rng.sample(lines, k=min(len(lines), rng.randint(2, 5)))) + "\n\n谢谢！\n" + name
    if signature_phone:
        text += f"\n电话：139 {rng.randrange(10**4):04d} {rng.randrange(10**4):04d}"
    return text + "\n"


def _new_mail(rng: random.Random, known: list[str], n: int, kind: str) -> tuple[EmailMessage, str, str, str]:
    name, address = _customer(rng, known, n)
    subject = f"{rng.choice(TOPICS)} - 单号 {20240000 + n}"  # unique: no two threads by the same subject
    message = EmailMessage()
    message["From"] = f"{name} <{address}>"
    message["To"] = SERVICE
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(idstring=f"bench{n}", domain=address.split("@")[1])
    text = _body(rng, name, SENTENCES, signature_phone=rng.random() < 0.3)
    if kind == "plain":
        message.set_content(text, cte=rng.choice(["base64", "8bit", "quoted-printable"]))
    else:
        paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines() if line)
        html = (f'<html><head><meta charset="utf-8"></head><body style="font-family:微软雅黑">{paragraphs}'
                f'<p><img src="https://mail.{address.split("@")[1]}/open.gif?id={n}" width="1" height="1"></p>'
                "</body></html>")
        message.set_content(text, cte="base64")
        message.add_alternative(html, subtype="html", cte="base64")
        size = rng.randint(2_000, 30_000)
        maintype, subtype, filename = rng.choice([
            ("application", "pdf", f"发票-{n}.pdf"), ("image", "jpeg", f"截图_{n}.jpg"),
            ("image", "png", f"speedtest-{n}.png"),
            ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document", f"合同补充说明{n}.docx")])
        message.add_attachment(rng.randbytes(size), maintype=maintype, subtype=subtype, filename=filename)
    return message, address, name, subject


def _reply(rng: random.Random, parent: EmailMessage, parent_text: str, n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = parent["From"]
    message["To"] = SERVICE
    subject = str(parent["Subject"])
    message["Subject"] = subject if subject.startswith("回复") else f"回复：{subject}"
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(idstring=f"bench{n}", domain="example.cn")
    message["In-Reply-To"] = parent["Message-ID"]
    references = (str(parent["References"]) + " " if parent["References"] else "") + parent["Message-ID"]
    message["References"] = references
    quoted = "\n".join("> " + line for line in parent_text.splitlines())
    text = "\n".join(rng.sample(REPLY_SENTENCES, k=2)) + f"\n\n在 {parent['Date']}，您写道：\n{quoted}\n"
    message.set_content(text, cte=rng.choice(["base64", "8bit"]))
    return message


def make_mails(count: int, senders: int, known: list[str], seed: int, reply_share: float,
               multipart_share: float, first: int = 0) -> list[list[Mail]]:
    """`senders` lists of mails; a reply always answers an earlier mail of its own list."""
    rng = random.Random(seed)
    lists: list[list[Mail]] = [[] for _ in range(senders)]
    sent: list[list[tuple[EmailMessage, str, str]]] = [[] for _ in range(senders)]
    for n in range(first, first + count):
        k = n % senders
        if sent[k] and rng.random() < reply_share:
            parent, parent_text, root = rng.choice(sent[k])
            message = _reply(rng, parent, parent_text, n)
            kind, text = "reply", message.get_content()
        else:
            kind = "multipart" if rng.random() < multipart_share / (1 - reply_share) else "plain"
            message, _address, _name, _subject = _new_mail(rng, known, n, kind)
            root = message["Message-ID"]
            text = (message.get_body(("plain",)) or message).get_content()
        sender = message["From"].addresses[0].addr_spec
        sent[k].append((message, text, root))
        raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # smtplib sends bytes as they are
        lists[k].append(Mail(message["Message-ID"], sender, raw, root, kind))
    return lists


# --- the agents --------------------------------------------------------------------------------

CHAT_ID = re.compile(r"\[(c\d+-\d+)\]")
REPLY_ID = re.compile(r"\[(r\d+-\d+)\]")


@dataclass
class Agent:
    name: str
    channels: tuple[str, ...]
    queues: list[str] | None
    events: object = None  # MailqClient: login and the event socket (read by the receiver thread)
    commands: object = None  # MailqClient sharing the session: accept, ping, chat_send (a worker thread)


@dataclass
class Seen:
    """What the agents' side saw, on this process's perf_counter clock."""

    line_at: dict[str, float] = field(default_factory=dict)  # chat line id -> agent received it
    offered: dict[int, float] = field(default_factory=dict)
    accepted: dict[int, str] = field(default_factory=dict)  # conversation -> agent
    accepted_at: dict[int, float] = field(default_factory=dict)
    reply_sent: dict[str, float] = field(default_factory=dict)  # agent reply id -> before chat_send
    errors: list[str] = field(default_factory=list)
    new_messages: int = 0
    withdrawn: int = 0


class AgentDesks:
    """Agents' bus clients: one thread reads every agent's events, `workers`
    threads send their commands (each agent's commands always from the same
    thread); pings every PING_SECONDS."""

    def __init__(self, mailq, workers: int = 4, reply_every: int = 0):
        self.mailq = mailq
        self.agents: dict[str, Agent] = {}
        self.seen = Seen()
        self.reply_every = reply_every
        self.stop = threading.Event()
        self.work: list[queue.Queue] = [queue.Queue() for _ in range(workers)]
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()
        self.replies = 0
        self.slot: dict[str, int] = {}  # agent -> index of the worker thread sending its commands

    def login(self, names: list[str], channels: tuple[str, ...], queues: list[str] | None) -> None:
        for name in names:
            client = self.mailq.client()
            client.timeout = 30
            client.login(self.mailq.sign_in(name), queues=queues, client=f"bench desk {name}")
            commands = self.mailq.client(events=False)
            commands.timeout = 30
            commands.session, commands.agent = client.session, name
            self.slot[name] = len(self.slot) % len(self.work)
            self.agents[name] = Agent(name, channels, queues, client, commands)
        time.sleep(0.2)  # subscriptions reach the publisher before events flow

    def start(self) -> None:
        self.threads = [threading.Thread(target=self._receive, name="bench-events", daemon=True)]
        self.threads += [threading.Thread(target=self._work, args=(q,), name=f"bench-commands-{i}", daemon=True)
                         for i, q in enumerate(self.work)]
        for thread in self.threads:
            thread.start()

    def make_available(self, names: list[str]) -> None:
        for name in names:
            for channel in self.agents[name].channels:
                self._do(name, "available", channel)

    def _do(self, agent: str, what: str, *args) -> None:
        self.work[self.slot[agent]].put((agent, what, args))

    def _receive(self) -> None:
        import zmq

        from bus import mailq as bus
        from bus.delivery import read_event
        from bus.envelope import decode_event

        poller = zmq.Poller()
        known: dict = {}
        while not self.stop.is_set():
            for agent in list(self.agents.values()):
                sock = agent.events._events
                if sock not in known:
                    known[sock] = agent.name
                    poller.register(sock, zmq.POLLIN)
            for sock, _ in poller.poll(100):
                while True:
                    try:
                        payload = read_event(sock.recv_multipart(zmq.NOBLOCK))
                    except zmq.Again:
                        break
                    if payload is None:  # a confirmation of the session's event key
                        continue
                    at = time.perf_counter()
                    try:
                        _envelope, event = decode_event(payload, bus.EVENTS)
                    except Exception as exc:  # noqa: BLE001 - a bad event is an error of the run
                        self.seen.errors.append(f"undecodable event: {exc}")
                        continue
                    self._event(known[sock], event, at)

    def _event(self, agent: str, event, at: float) -> None:
        from bus import mailq as bus

        if isinstance(event, bus.ChatLine):
            if event.line.sender != "customer":
                return
            match = CHAT_ID.search(event.line.text)
            if match:
                line_id = match.group(1)
                self.seen.line_at.setdefault(line_id, at)
                n = int(line_id.rsplit("-", 1)[1])
                if self.reply_every and n % self.reply_every == self.reply_every - 1:
                    self._do(agent, "reply", event.conversation_id, line_id)
        elif isinstance(event, bus.WorkOffered):
            self.seen.offered.setdefault(event.work.conversation_id, at)
            self._do(agent, "accept", event.work.conversation_id)
        elif isinstance(event, bus.NewMessage):
            self.seen.new_messages += 1
        elif isinstance(event, bus.WorkWithdrawn):
            self.seen.withdrawn += 1

    def _work(self, work: queue.Queue) -> None:
        from bus import mailq as bus
        from email_queue.client import MailqError

        pinged: dict[str, float] = {}
        while not self.stop.is_set():
            now = time.monotonic()
            for name, agent in list(self.agents.items()):
                if self.work[self.slot[name]] is work and \
                        now - pinged.get(name, now - bus.PING_SECONDS) >= bus.PING_SECONDS - 0.5:
                    pinged[name] = now
                    self._safely(agent.commands.ping)
            try:
                name, what, args = work.get(timeout=0.2)
            except queue.Empty:
                continue
            client = self.agents[name].commands
            if what == "available":
                self._safely(client.set_available, args[0], True)
            elif what == "accept":
                try:
                    client.accept(args[0])
                    with self.lock:
                        self.seen.accepted[args[0]] = name
                        self.seen.accepted_at[args[0]] = time.perf_counter()
                except MailqError as exc:
                    if exc.code != "not_offered":  # withdrawn meanwhile: not an error
                        self.seen.errors.append(f"{name} accept {args[0]}: {exc}")
            elif what == "reply":
                cid, line_id = args
                reply_id = "r" + line_id[1:]
                self.seen.reply_sent[reply_id] = time.perf_counter()
                if self._safely(client.chat_send, cid, f"好的，我们马上为您查看，请稍候。[{reply_id}]"):
                    self.replies += 1

    def _safely(self, fn, *args) -> bool:
        try:
            fn(*args)
            return True
        except Exception as exc:  # noqa: BLE001 - counted, shown at the end
            self.seen.errors.append(f"{getattr(fn, '__name__', fn)}{args}: {exc}")
            return False

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(5)
        for agent in self.agents.values():
            agent.events.close()
            agent.commands.close()


def router_holds(status_client, desks: AgentDesks, channel_queues: set[str]) -> int:
    """Conversations the router holds for these queues: waiting, plus offered or assigned to the desks."""
    status = status_client.status()
    waiting = sum(q.waiting for q in status.queues if q.name in channel_queues)
    return waiting + len(desks.seen.accepted)


# --- phases ------------------------------------------------------------------------------------

def email_phase(args, mailq, desks: AgentDesks, known: list[str], db_url: str, profiler) -> dict:
    lists = make_mails(args.messages, args.senders, known, args.seed, args.reply_share, args.multipart_share)
    mails = [m for batch in lists for m in batch]
    kinds = Counter(m.kind for m in mails)
    roots = {m.root for m in mails}
    size = sum(len(m.raw) for m in mails)
    console.print(f"{len(mails):,} emails generated ({kinds['plain']} plain, {kinds['multipart']} multipart with "
                  f"HTML and an attachment, {kinds['reply']} replies; {size / len(mails) / 1024:.1f} KiB on "
                  f"average) for {len(roots):,} conversations, over {args.senders} SMTP connections")

    latencies: list[list[float]] = [[] for _ in lists]
    acked: list[float] = []  # when each 250 came back
    first_send: list[float] = [math.inf] * len(lists)
    last_250: list[float] = [0.0] * len(lists)
    errors: list[str] = []
    start = threading.Barrier(len(lists) + 1)

    def sender(k: int) -> None:
        try:
            smtp = smtplib.SMTP("127.0.0.1", mailq.smtp_port, timeout=120)
            smtp.ehlo("bench.example")
        except Exception as exc:  # noqa: BLE001
            errors.append(f"connect: {exc}")
            start.abort()
            return
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        for mail in lists[k]:
            began = time.perf_counter()
            first_send[k] = min(first_send[k], began)
            try:
                smtp.sendmail(mail.sender, [SERVICE], mail.raw)
            except (smtplib.SMTPException, OSError) as exc:
                errors.append(f"{mail.message_id}: {exc}")
                continue
            ended = time.perf_counter()
            last_250[k] = ended
            acked.append(ended)
            latencies[k].append((ended - began) * 1000)
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass

    threads = [threading.Thread(target=sender, args=(k,), name=f"smtp-{k}") for k in range(len(lists))]
    for thread in threads:
        thread.start()
    meter = CpuMeter(mailq.process.pid)
    profiler.start("email")
    try:
        start.wait()
    except threading.BrokenBarrierError:
        raise BenchError("SMTP clients could not connect: " + "; ".join(errors[:3])) from None
    with Progress(TextColumn("emails"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[rate]}"), console=console, transient=True) as bar:
        task = bar.add_task("emails", total=len(mails), rate="")
        t0 = time.perf_counter()
        while any(t.is_alive() for t in threads):
            time.sleep(0.2)
            elapsed = time.perf_counter() - t0
            bar.update(task, completed=len(acked), rate=f"{len(acked) / max(elapsed, 1e-9):.0f}/s")
        bar.update(task, completed=len(acked))
    wall = max(last_250) - min(first_send)
    cpu = meter.cores()

    # the router: every conversation waiting, or offered or assigned to an agent
    status_client = mailq.client(events=False, keypair=mailq.keypair)  # the operator's key: the whole status
    status_client.timeout = 30
    routed_at, held = None, 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        held = router_holds(status_client, desks, {"service", "vip", "sales"})
        if held >= len(roots):
            routed_at = time.perf_counter()
            break
        time.sleep(0.05)
    status_client.close()
    profiler.stop("email")

    verified = verify_emails(db_url, mails, roots)
    all_latencies = [x for batch in latencies for x in batch]
    acked.sort()
    quarter = len(acked) // 4
    quarters = [quarter / (acked[(i + 1) * quarter - 1] - (acked[i * quarter - 1] if i else min(first_send)))
                for i in range(4)] if quarter > 1 else []
    return {
        "messages": len(mails), "senders": len(lists), "kinds": dict(kinds), "average_kib": size / len(mails) / 1024,
        "conversations_expected": len(roots), "wall_s": wall, "per_second": len(all_latencies) / wall if wall else 0,
        "smtp_errors": errors, "latency_250_ms": summary(all_latencies),
        "router_holds_all_after_s": (routed_at - min(first_send)) if routed_at else None,
        "router_held": held, "per_second_by_quarter": quarters, **cpu,
        "mailq_cpu_ms_per_mail": 1000 * cpu["mailq_cpu_seconds"] / len(mails),
        "offered_to_agents": len(desks.seen.offered),
        **verified,
    }


def verify_emails(db_url: str, mails: list[Mail], roots: set[str]) -> dict:
    from sqlalchemy import func, select

    from crm.db import Database
    from crm.models import Conversation, ConversationMessage, RawEmail

    database = Database.open(db_url)
    try:
        with database.reading() as session:
            raw = session.scalar(select(func.count(RawEmail.id)))
            conversations = session.scalar(select(func.count(Conversation.id)).where(Conversation.channel == "email"))
            unqueued = session.scalar(select(func.count(Conversation.id)).where(
                Conversation.channel == "email", Conversation.queue.is_(None)))
            identified = session.scalar(select(func.count(Conversation.id)).where(
                Conversation.channel == "email", Conversation.partner_id.is_not(None)))
            queues = dict(session.execute(select(Conversation.queue, func.count(Conversation.id)).where(
                Conversation.channel == "email").group_by(Conversation.queue)).all())
            rows = session.execute(select(ConversationMessage.message_id, ConversationMessage.conversation_id).where(
                ConversationMessage.kind == "inbound", ConversationMessage.raw_email_id.is_not(None))).all()
    finally:
        database.dispose()
    stored = dict(rows)
    by_root: dict[str, set[int]] = defaultdict(set)
    missing = 0
    for mail in mails:
        if mail.message_id in stored:
            by_root[mail.root].add(stored[mail.message_id])
        else:
            missing += 1
    split = sum(1 for ids in by_root.values() if len(ids) > 1)  # a thread spread over conversations
    owners = Counter(next(iter(ids)) for ids in by_root.values() if len(ids) == 1)
    merged = sum(1 for n in owners.values() if n > 1)  # threads sharing one conversation
    problems = []
    if raw != len(mails):
        problems.append(f"{raw} raw emails stored for {len(mails)} sent")
    if len(rows) != len(mails) or missing:
        problems.append(f"{len(rows)} inbound messages stored, {missing} of the sent ones missing")
    if conversations != len(roots):
        problems.append(f"{conversations} email conversations for {len(roots)} threads")
    if split or merged:
        problems.append(f"{split} threads split over several conversations, {merged} conversations merging threads")
    if unqueued:
        problems.append(f"{unqueued} conversations without a queue")
    return {"raw_emails": raw, "inbound_messages": len(rows), "conversations": conversations,
            "identified": identified, "queues": queues, "verify_problems": problems}


@dataclass
class Customer:
    index: int
    name: str
    email: str
    conversation: int | None = None
    sent: dict[str, float] = field(default_factory=dict)
    acked: dict[str, float] = field(default_factory=dict)
    replies_at: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    opened_ms: float | None = None


async def chat_customers(args, mailq, desks: AgentDesks, known: list[str], profiler,
                         background: BackgroundMail) -> dict:
    from websockets.asyncio.client import connect

    rng = random.Random(args.seed + 1)
    customers = []
    for c in range(args.chats):
        name, address = _customer(rng, known, 90000 + c)
        customers.append(Customer(c, name, address))
    url = f"ws://127.0.0.1:{mailq.chat_port}/chat/ws"
    everyone_assigned = asyncio.Event()
    closing: list[bool] = []  # set once the benchmark closes the sockets itself
    go_at: list[float] = []
    sockets: dict[int, object] = {}

    async def reader(customer: Customer, ws) -> None:
        try:
            async for raw in ws:
                at = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") == "ack":
                    customer.acked.setdefault(frame["client_id"], at)
                elif frame.get("type") == "line" and frame["line"]["from"] == "agent":
                    match = REPLY_ID.search(frame["line"]["text"])
                    if match:
                        customer.replies_at.setdefault(match.group(1), at)
                elif frame.get("type") == "error":
                    customer.errors.append(f"{frame.get('code')}: {frame.get('message')}")
        except Exception as exc:  # noqa: BLE001 - the socket closing at the end is fine
            if not closing:
                customer.errors.append(f"socket: {exc}")

    async def customer_task(customer: Customer) -> None:
        ws = await connect(url, open_timeout=30, max_queue=None)
        sockets[customer.index] = ws
        began = time.perf_counter()
        await ws.send(json.dumps({"type": "hello", "name": customer.name, "email": customer.email,
                                  "page": "https://www.cicada.example/broadband/support", "language": "zh"}))
        welcome = json.loads(await ws.recv())
        if welcome.get("type") != "welcome":
            raise BenchError(f"chat {customer.index}: {welcome}")
        customer.opened_ms = (time.perf_counter() - began) * 1000
        customer.conversation = welcome["conversation"]
        read = asyncio.create_task(reader(customer, ws))
        await everyone_assigned.wait()
        first = go_at[0] + args.interval * customer.index / args.chats
        for n in range(args.lines):
            await asyncio.sleep(max(0.0, first + n * args.interval - time.perf_counter()))
            line_id = f"c{customer.index:03d}-{n:03d}"
            text = f"{rng.choice(SENTENCES)} [{line_id}]"
            customer.sent[line_id] = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "text": text, "client_id": line_id}))
        # the last lines and replies
        deadline = time.perf_counter() + 15
        while time.perf_counter() < deadline and (len(customer.acked) < args.lines):
            await asyncio.sleep(0.05)
        customer.reader = read

    opened_at = time.perf_counter()
    tasks = [asyncio.create_task(customer_task(c)) for c in customers]
    with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        opening = bar.add_task("chats assigned", total=args.chats)
        deadline = time.perf_counter() + 120
        while True:
            failed = [t for t in tasks if t.done() and t.exception()]
            if failed:
                raise BenchError(f"a customer failed: {failed[0].exception()!r}")
            ids = {c.conversation for c in customers if c.conversation is not None}
            assigned = sum(1 for cid in ids if cid in desks.seen.accepted)
            bar.update(opening, completed=assigned)
            if len(ids) == args.chats and assigned == args.chats:
                break
            if time.perf_counter() > deadline:
                raise BenchError(f"only {assigned} of {args.chats} chats were assigned within 120 s "
                                 f"({len(ids)} opened)")
            await asyncio.sleep(0.05)
        assigned_at = max(desks.seen.accepted_at[c.conversation] for c in customers)
        bar.remove_task(opening)
        console.print(f"{args.chats} chats open and assigned to {args.chat_agents} agents in "
                      f"{assigned_at - opened_at:.2f} s")
        await asyncio.sleep(0.5)
        meter = CpuMeter(mailq.process.pid)
        profiler.start("chat")
        go_at.append(time.perf_counter() + 0.2)
        background.start()
        everyone_assigned.set()
        total = args.chats * args.lines
        lines = bar.add_task("lines at the agents", total=total)
        while not all(t.done() for t in tasks):
            bar.update(lines, completed=len(desks.seen.line_at))
            await asyncio.sleep(0.1)
        deadline = time.perf_counter() + 15  # the last lines at the agents, the last replies at the customers
        while time.perf_counter() < deadline and (
                len(desks.seen.line_at) < total or any(not q.empty() for q in desks.work)
                or sum(len(c.replies_at) for c in customers) < len(desks.seen.reply_sent)):
            bar.update(lines, completed=len(desks.seen.line_at))
            await asyncio.sleep(0.05)
        bar.update(lines, completed=len(desks.seen.line_at))
    cpu = meter.cores()
    profiler.stop("chat")
    mail = background.finish()
    for task in tasks:
        if task.exception():
            raise BenchError(f"a customer failed: {task.exception()!r}")
    closing.append(True)
    for ws in sockets.values():
        await ws.close()
    for c in customers:
        if hasattr(c, "reader"):
            c.reader.cancel()

    to_agent, to_ack, to_customer, lost, unacked = [], [], [], [], []
    slow: list[tuple[float, float]] = []  # (epoch seconds sent, ms) of the lines slower than the goal
    epoch = time.time() - time.perf_counter()
    for c in customers:
        for line_id, sent in c.sent.items():
            at = desks.seen.line_at.get(line_id)
            if at is None:
                lost.append(line_id)
            else:
                to_agent.append((at - sent) * 1000)
                if to_agent[-1] > args.goal_p99:
                    slow.append((round(epoch + sent, 3), round(to_agent[-1], 1)))
            if line_id in c.acked:
                to_ack.append((c.acked[line_id] - sent) * 1000)
            else:
                unacked.append(line_id)
        for reply_id, at in c.replies_at.items():
            if reply_id in desks.seen.reply_sent:
                to_customer.append((at - desks.seen.reply_sent[reply_id]) * 1000)
    errors = [e for c in customers for e in c.errors]
    replies_lost = len(desks.seen.reply_sent) - len(to_customer)
    return {
        "chats": args.chats, "agents": args.chat_agents, "lines_per_chat": args.lines, "interval_s": args.interval,
        "lines_per_second": args.chats / args.interval, "lines_sent": sum(len(c.sent) for c in customers),
        "open_ms": summary([c.opened_ms for c in customers if c.opened_ms is not None]),
        "all_assigned_s": assigned_at - opened_at, "customer_to_agent_ms": summary(to_agent),
        "customer_to_ack_ms": summary(to_ack), "agent_to_customer_ms": summary(to_customer),
        "slow_lines": sorted(slow), "slow_seconds": len({int(t) for t, _ms in slow}),
        "agent_replies": len(desks.seen.reply_sent), "replies_lost": replies_lost, "lost": lost[:20],
        "lost_count": len(lost), "unacked_count": len(unacked), "customer_errors": errors[:20],
        **cpu, **mail, "conversations": [c.conversation for c in customers],
    }


def verify_chats(db_url: str, chat: dict) -> list[str]:
    from sqlalchemy import func, select

    from crm.db import Database
    from crm.models import Conversation, ConversationMessage

    database = Database.open(db_url)
    try:
        with database.reading() as session:
            ids = chat["conversations"]
            inbound = session.scalar(select(func.count(ConversationMessage.id)).where(
                ConversationMessage.conversation_id.in_(ids), ConversationMessage.kind == "inbound"))
            outbound = session.scalar(select(func.count(ConversationMessage.id)).where(
                ConversationMessage.conversation_id.in_(ids), ConversationMessage.kind == "outbound"))
            assigned = session.scalar(select(func.count(Conversation.id)).where(
                Conversation.id.in_(ids), Conversation.status == "assigned"))
    finally:
        database.dispose()
    chat.update(stored_lines=inbound, stored_replies=outbound, stored_assigned=assigned)
    problems = []
    if inbound != chat["lines_sent"]:
        problems.append(f"{inbound} customer lines stored for {chat['lines_sent']} sent")
    if assigned != chat["chats"]:
        problems.append(f"{assigned} of {chat['chats']} chats stored as assigned")
    return problems


class BackgroundMail:
    """Emails at a steady rate over one SMTP connection while the chats run (--mail-during-chat)."""

    def __init__(self, args, mailq, known: list[str]):
        self.rate, self.port = args.mail_during_chat, mailq.smtp_port
        count = int(self.rate * (args.lines * args.interval + 30)) + 1
        self.mails = make_mails(count, 1, known, args.seed + 2, args.reply_share, args.multipart_share,
                                first=500_000)[0] if self.rate > 0 else []
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._send, name="smtp-background", daemon=True)

    def start(self) -> None:
        if self.rate > 0:
            self.thread.start()

    def finish(self) -> dict:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(60)
        return {"mail_during_chat_per_second": self.rate, "mail_during_chat_sent": len(self.latencies),
                "mail_during_chat_250_ms": summary(self.latencies), "mail_during_chat_errors": self.errors[:10]}

    def _send(self) -> None:
        try:
            smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=120)
        except OSError as exc:
            self.errors.append(f"connect: {exc}")
            return
        began = time.perf_counter()
        for n, mail in enumerate(self.mails):
            if self.stop.wait(max(0.0, began + n / self.rate - time.perf_counter())):
                break
            t0 = time.perf_counter()
            try:
                smtp.sendmail(mail.sender, [SERVICE], mail.raw)
                self.latencies.append((time.perf_counter() - t0) * 1000)
            except (smtplib.SMTPException, OSError) as exc:
                self.errors.append(f"{mail.message_id}: {exc}")
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass


class Profiler:
    """py-spy record of the mail queue during a phase (--profile): raw collapsed stacks per thread."""

    def __init__(self, enabled: bool, pid: int, workdir: Path):
        self.enabled, self.pid, self.workdir = enabled, pid, workdir
        self.process: subprocess.Popen | None = None
        self.outputs: dict[str, Path] = {}

    def start(self, phase: str) -> None:
        if not self.enabled:
            return
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        out = self.workdir / f"mailq-{phase}.collapsed"
        self.outputs[phase] = out
        with open(self.workdir / f"py-spy-{phase}.log", "wb") as log:
            self.process = subprocess.Popen([spy, "record", "--pid", str(self.pid), "--format", "raw", "--threads",
                                             "--nonblocking", "--rate", "250", "--output", str(out)],
                                            stdout=subprocess.DEVNULL, stderr=log)

    def stop(self, phase: str) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None
        console.print(f"py-spy stacks of the mail queue during the {phase} phase: {self.outputs[phase]}")


# --- the run -------------------------------------------------------------------------------------

def run(args) -> dict:
    from mailq_harness import RunningMailq

    workdir = Path(tempfile.mkdtemp(prefix="cicada-mail-ingest-"))
    db = BenchDatabase.make(workdir, args.db_url)
    phases = set(args.phases.split(","))
    email_agents = [f"mailagent{i}" for i in range(1, args.email_agents + 1)]
    chat_agents = [f"chatagent{i:02d}" for i in range(1, args.chat_agents + 1)]
    chat_capacity = max(3, math.ceil(args.chats / max(1, args.chat_agents)))
    if chat_capacity > 100:
        raise BenchError(f"{args.chats} chats over {args.chat_agents} agents is more than the profile's "
                         "capacity limit of 100 each; use more --chat-agents")
    report: dict = {
        "database": db.kind, "customers": args.customers, "email_agents": args.email_agents,
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
                   f"Python {platform.python_version()}", "workdir": str(workdir),
        "load_average_at_start": os.getloadavg()[0],
    }
    console.print(f"database: {db.kind}{f' (schema {db.schema})' if db.schema else ''}; work in {workdir}")
    # Every customer here comes from 127.0.0.1: the limits on new chats per address are lifted.
    mailq = RunningMailq(workdir / "mailq", agents=(), db_url=db.url, silent_seconds=20.0, send_seconds=10.0,
                         chat_per_source=100_000, chat_openings_burst=100_000, chat_max_waiting=100_000)
    desks = None
    errors: list[str] = []
    try:
        known = prepare_database(db, args.customers, email_agents, chat_agents, chat_capacity)
        mailq.start(timeout=60, prepare=False)
        console.print(mailq.banner)
        profiler = Profiler(args.profile, mailq.process.pid, workdir)
        desks = AgentDesks(mailq, reply_every=args.reply_every)
        desks.start()
        if "email" in phases and email_agents:
            desks.login(email_agents, ("email",), None)
            desks.make_available(email_agents)
        if "email" in phases:
            report["email"] = email = email_phase(args, mailq, desks, known, db.url, profiler)
            errors += [f"SMTP: {e}" for e in email["smtp_errors"][:10]]
            errors += email["verify_problems"]
        if "chat" in phases:
            desks.login(chat_agents, ("chat",), None)  # every queue: a VIP customer's chat goes to vip
            desks.make_available(chat_agents)
            console.print(f"{args.chat_agents} chat agents logged in, chat capacity {chat_capacity} each")
            background = BackgroundMail(args, mailq, known)
            report["chat"] = chat = asyncio.run(chat_customers(args, mailq, desks, known, profiler, background))
            chat["capacity"] = chat_capacity
            errors += verify_chats(db.url, chat)
            if chat["lost_count"]:
                errors.append(f"{chat['lost_count']} chat lines never reached an agent, e.g. {chat['lost'][:5]}")
            if chat["unacked_count"]:
                errors.append(f"{chat['unacked_count']} chat lines were not acknowledged to the customer")
            if chat["replies_lost"]:
                errors.append(f"{chat['replies_lost']} agent replies never reached the customer")
            errors += [f"customer: {e}" for e in chat["customer_errors"]]
            errors += [f"SMTP during the chats: {e}" for e in chat["mail_during_chat_errors"]]
        errors += [f"agent: {e}" for e in desks.seen.errors[:10]]
        if mailq.process.poll() is not None:
            errors.append("the mail queue stopped during the run")
        log = mailq.log()
        failures = [line for line in log.splitlines() if "Traceback" in line or " ERROR " in line]
        if failures:
            errors.append(f"the mail queue logged {len(failures)} errors; see {mailq.log_path}")
    finally:
        if desks is not None:
            desks.close()
        mailq.stop()
        db.drop()
    report["errors"] = errors
    if not args.keep and not errors and not args.profile:
        shutil.rmtree(workdir, ignore_errors=True)
        report["workdir"] = None
    return report


def print_report(report: dict, goal_rate: float, goal_p99: float) -> None:
    console.print()
    email, chat = report.get("email"), report.get("chat")
    if email:
        table = Table(title=f"Email over SMTP ({report['database']}, {report['customers']:,} customers in the CRM)")
        table.add_column("what")
        table.add_column("figure", justify="right")
        table.add_row("messages (plain / multipart / replies)",
                      f"{email['messages']:,} ({email['kinds'].get('plain', 0)} / "
                      f"{email['kinds'].get('multipart', 0)} / {email['kinds'].get('reply', 0)}), "
                      f"{email['average_kib']:.1f} KiB avg")
        table.add_row("SMTP connections", str(email["senders"]))
        table.add_row("first send to last 250", f"{email['wall_s']:.2f} s")
        table.add_row("[bold]messages per second (stored, threaded, routed)[/bold]",
                      f"[bold]{email['per_second']:.0f}[/bold]")
        s = email["latency_250_ms"]
        table.add_row("send to 250, ms p50 / p95 / p99 / max",
                      f"{s['p50']:.1f} / {s['p95']:.1f} / {s['p99']:.1f} / {s['max']:.1f}")
        routed = email["router_holds_all_after_s"]
        table.add_row("router holds every conversation after",
                      f"{routed:.2f} s" if routed is not None else f"not within 120 s ({email['router_held']})")
        table.add_row("conversations (expected) / identified",
                      f"{email['conversations']:,} ({email['conversations_expected']:,}) / {email['identified']:,}")
        table.add_row("raw emails / inbound messages", f"{email['raw_emails']:,} / {email['inbound_messages']:,}")
        table.add_row("queues", ", ".join(f"{q} {n}" for q, n in sorted(email["queues"].items())))
        table.add_row("mailq CPU (with its parser processes)",
                      f"{email['mailq_cpu_cores']:.2f} cores, {email['mailq_cpu_ms_per_mail']:.1f} ms "
                                   "per mail")
        table.add_row("messages per second by quarter of the run",
                      " / ".join(f"{q:.0f}" for q in email["per_second_by_quarter"]))
        table.add_row("CPU of the benchmark / other processes", f"{email['bench_cpu_cores']:.2f} / "
                                                                f"{email['other_cpu_cores']:.2f} cores")
        table.add_row("SMTP errors / check problems", f"{len(email['smtp_errors'])} / {len(email['verify_problems'])}")
        console.print(table)
        met = email["per_second"] >= goal_rate
        console.print(f"goal {goal_rate:g} messages/s: " + ("[green]met[/green]" if met else "[red]not met[/red]")
                      + f" ({email['per_second']:.0f}/s)")
    if chat:
        during = (f", {chat['mail_during_chat_per_second']:g} emails/s meanwhile"
                  if chat["mail_during_chat_per_second"] else "")
        table = Table(title=f"Web chat ({report['database']}): {chat['chats']} concurrent chats, {chat['agents']} "
                            f"agents (capacity {chat['capacity']}), {chat['lines_per_second']:.0f} customer lines/s"
                            + during)
        table.add_column("milliseconds")
        for column in ("p50", "p95", "p99", "max", "count"):
            table.add_column(column, justify="right")
        for label, key in (("[bold]customer send to agent's bus event[/bold]", "customer_to_agent_ms"),
                           ("customer send to ack (stored)", "customer_to_ack_ms"),
                           ("agent chat_send to customer's socket", "agent_to_customer_ms"),
                           ("hello to welcome (chat opened)", "open_ms")):
            s = chat[key]
            table.add_row(label, *(f"{s[k]:.1f}" for k in ("p50", "p95", "p99", "max")), str(s["count"]))
        console.print(table)
        console.print(f"all {chat['chats']} chats opened and assigned in {chat['all_assigned_s']:.2f} s; "
                      f"{chat['lines_sent']:,} lines sent, {chat['lost_count']} lost, {chat['unacked_count']} "
                      f"unacknowledged; {chat['agent_replies']} agent replies, {chat['replies_lost']} lost; "
                      f"CPU: mailq {chat['mailq_cpu_cores']:.2f} cores, benchmark {chat['bench_cpu_cores']:.2f}, "
                      f"other processes {chat['other_cpu_cores']:.2f}")
        console.print(f"lines slower than {goal_p99:g} ms: {len(chat['slow_lines'])}, sent within "
                      f"{chat['slow_seconds']} distinct seconds of the {chat['lines_per_chat'] * chat['interval_s']:.0f} s")
        if chat["mail_during_chat_sent"]:
            s = chat["mail_during_chat_250_ms"]
            console.print(f"meanwhile {chat['mail_during_chat_sent']} emails at {chat['mail_during_chat_per_second']:g}/s "
                          f"over SMTP: send to 250 p50 {s['p50']:.1f} ms, p99 {s['p99']:.1f} ms")
        p99 = chat["customer_to_agent_ms"]["p99"]
        met = p99 < goal_p99 and not chat["lost_count"]
        console.print(f"goal chat p99 < {goal_p99:g} ms: " + ("[green]met[/green]" if met else "[red]not met[/red]")
                      + f" (p99 {p99:.1f} ms)")
    console.print(f"machine: {report['machine']}; load average at the start {report['load_average_at_start']:.2f}")
    if report.get("workdir"):
        console.print(f"work directory kept: {report['workdir']}")
    for error in report["errors"]:
        console.print(f"[red]error:[/red] {error}")


def main() -> int:
    class Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
        pass

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=Formatter,
        epilog="Figures and how to read them: docs/performance.md, 'Mail and chat ingest'.")
    parser.add_argument("--messages", type=int, default=2000, help="emails to send (N)")
    parser.add_argument("--senders", type=int, default=8, help="parallel SMTP clients, one connection each (K)")
    parser.add_argument("--reply-share", type=float, default=0.25, help="share of the emails that are replies")
    parser.add_argument("--multipart-share", type=float, default=0.3,
                        help="share of the emails that are text + HTML with an attachment")
    parser.add_argument("--chats", type=int, default=100, help="concurrent web chats (C)")
    parser.add_argument("--lines", type=int, default=30, help="lines each chat customer sends (M)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a customer's lines")
    parser.add_argument("--reply-every", type=int, default=3,
                        help="an agent answers every n-th customer line (0: never)")
    parser.add_argument("--mail-during-chat", type=float, default=0.0, metavar="RATE",
                        help="also send this many emails per second over SMTP while the chats run")
    parser.add_argument("--chat-agents", type=int, default=20,
                        help="agents taking chats; their chat capacity is raised so that all chats are assigned")
    parser.add_argument("--email-agents", type=int, default=4, help="agents available for email (capacity 10)")
    parser.add_argument("--customers", type=int, default=2000,
                        help="demo customers seeded into the CRM; 70%% of the senders use their addresses")
    parser.add_argument("--db-url", help="a PostgreSQL server URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/"
                                         "test; the run uses a throw-away schema there (default: a fresh SQLite file)")
    parser.add_argument("--phases", default="email,chat", help="which phases to run: email, chat or both")
    parser.add_argument("--profile", action="store_true",
                        help="record the mail queue with py-spy during each phase (collapsed stacks, kept)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (database, mailq log)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated mails and chats")
    parser.add_argument("--goal-rate", type=float, default=200.0, help="goal in messages/s")
    parser.add_argument("--goal-p99", type=float, default=50.0, help="goal of chat p99 in ms")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    if not set(args.phases.split(",")) <= {"email", "chat"}:
        parser.error("--phases takes email, chat or email,chat")
    if args.messages < 1 or args.senders < 1 or args.chats < 1 or args.lines < 1 or args.interval <= 0:
        parser.error("--messages, --senders, --chats and --lines must be positive, --interval above 0")
    sys.setswitchinterval(0.001)  # the event thread gets the GIL soon after its socket wakes it
    try:
        report = run(args)
    except BenchError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    print_report(report, args.goal_rate, args.goal_p99)
    if args.json:
        report.get("chat", {}).pop("conversations", None)
        Path(args.json).write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
