"""`cicada demo`: the whole product on one machine with embedded defaults."""

from __future__ import annotations

from dataclasses import dataclass

from cicada.commands import open_database
from cicada.commands.config_cmd import _redact


def register(commands) -> None:
    parser = commands.add_parser(
        "demo", help="start Cicada on this machine with demo data",
        description="Create and migrate the database (SQLite in the user data directory unless "
                    "configured otherwise), fill it with demo data if it is empty, print how to "
                    "log in, import the example call scripts if there are none, then run the application "
                    "service (the CRM over HTTPS, with the certificate `cicada keys init` makes), the CTI "
                    "gateway, the mail queue (email and web chat) and the supervisors' web console on "
                    "127.0.0.1, a softphone for agent1 and "
                    "the agent desktop for agent1, given the application service's address and fingerprint "
                    "(it has no database), whose Demo menu places customers' calls. Without a display (or "
                    "with --no-desktop) the services run without the desktop, until Ctrl-C.")
    parser.add_argument("--customers", type=int, default=2000, metavar="N",
                        help="customers to create in an empty database (default: 2000)")
    parser.add_argument("--no-gateway", action="store_true",
                        help="prepare the database and stop, without running the gateway")
    parser.add_argument("--no-desktop", action="store_true",
                        help="run the services only, in this terminal (the default without a display)")
    parser.set_defaults(run=_demo)


def _demo(args) -> int:
    from rich.console import Console
    from sqlalchemy import func, select

    from cicada.commands.db_cmd import print_logins, print_summary, run_seed
    from crm import db
    from crm.demo.seed import demo_logins
    from crm.models import BusinessPartner, Interaction, User

    config, database = open_database(args, check=False)
    console = Console()
    console.print(f"CRM database: {_redact(config.database_url)}")
    db.upgrade(database.engine)
    database = db.Database(database.engine)
    with database.reading() as session:
        partners = session.scalar(select(func.count()).select_from(BusinessPartner))
    if partners == 0:
        console.print(f"The database is empty: creating {args.customers:,} demo customers.")
        print_summary(run_seed(database, args.customers, config.default_region))
    else:
        with database.reading() as session:
            users = session.scalar(select(func.count()).select_from(User))
            interactions = session.scalar(select(func.count()).select_from(Interaction))
        console.print(f"{partners:,} business partners, {users:,} users, "
                      f"{interactions:,} interaction records.")
        print_logins(demo_logins())
    _install_example_scripts(database, console)
    console.print(
        "\nTry the CRM:\n"
        "  cicada crm search 张伟\n"
        "  cicada crm identify --phone '138 0013 8000'\n"
        "(inside the project's environment: .venv/bin/cicada, or python3 dev.py cicada ...)")
    if args.no_gateway:
        return 0
    _ensure_gateway_keys(config, console)
    _write_demo_customers(database, args)
    app = _start_app(args, console)
    if app is None:
        return 2
    try:
        if args.no_desktop or not _has_display():
            return _run_gateway(args, console, app)
        return _run_with_desktop(args, console, app)
    finally:
        _stop(app.process)


DEMO_CUSTOMERS = 200  # whose calls and emails the desktop's Demo menu simulates


def _demo_customers_path(args):
    from cicada.commands import load

    return load(args).data_dir / "demo-customers.json"


def _write_demo_customers(database, args) -> None:
    """Some customers' mobile numbers and email addresses, for the desktop's Demo menu: the
    desktop has no database to pick them from."""
    import json

    from sqlalchemy import func, select

    from crm.models import BusinessPartner, EmailAddress, PhoneNumber

    with database.reading() as session:
        numbers = session.scalars(select(PhoneNumber.e164).where(
            PhoneNumber.is_main.is_(True), PhoneNumber.e164.like("+861%")).order_by(func.random())
            .limit(DEMO_CUSTOMERS)).all()
        addresses = session.execute(select(BusinessPartner.name, EmailAddress.address).join(
            EmailAddress, EmailAddress.partner_id == BusinessPartner.id).order_by(func.random())
            .limit(DEMO_CUSTOMERS)).all()
    path = _demo_customers_path(args)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"numbers": [n.removeprefix("+86") for n in numbers],
                                "addresses": [list(a) for a in addresses]}, ensure_ascii=False), encoding="utf-8")


@dataclass
class _App:
    process: object  # subprocess.Popen
    url: str
    fingerprint: str


def _start_app(args, console) -> _App | None:
    """The application service as a child process, with the certificate `cicada keys init`
    makes (or the site's); what the desktop needs to trust it: its URL and fingerprint."""
    import subprocess
    import threading

    from app_service.client import fingerprint
    from bus.keys import KeyFileError, ensure_tls_certificate
    from cicada.commands import load
    from cicada.commands.app_cmd import tls_certificate
    from cicada.config import keys_settings

    config = load(args)
    keys = keys_settings(config)
    try:
        if keys.tls_certificate is None:
            ensure_tls_certificate(keys.directory, keys.tls_hosts)
        certificate, _key = tls_certificate(config)
        seal = fingerprint(certificate.read_text())
    except (KeyFileError, OSError, ValueError) as exc:
        console.print(f"[red]The application service's certificate cannot be used: {exc}[/red]")
        return None
    console.print("\nStarting the application service ...")
    child = subprocess.Popen([*_cicada(args), "app"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                             **_child_of_the_demo())
    for line in child.stdout:
        console.print(line.rstrip(), markup=False, highlight=False)
        if "application service ready" in line:
            threading.Thread(target=_echo, args=(child.stdout, console), daemon=True).start()
            url = line.split("ready:", 1)[1].strip().removesuffix("/").removesuffix("/v1")
            console.print(f"Its certificate's fingerprint (SHA-256): {seal}", markup=False, highlight=False)
            return _App(child, url, seal)
    console.print("[red]The application service did not start; see the lines above.[/red]")
    child.wait()
    return None


def _stop(child) -> None:
    import subprocess

    if child.poll() is None:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()


def _ensure_gateway_keys(config, console) -> None:
    """The gateway's CURVE keys, made on the first run as `cicada keys init` makes them at install:
    the demo's bus is closed as a real one is."""
    from bus.keys import ensure_keys, public_key_path
    from cicada.config import keys_settings

    directory = keys_settings(config).directory
    if not public_key_path(directory, "gateway").exists():
        ensure_keys(directory, ["gateway"])
        console.print(f"The gateway's keys are made in {directory}.")


def _install_example_scripts(database, console) -> None:
    """The shipped example call scripts, imported and active, once."""
    from importlib.resources import files

    from crm.permissions import Actor
    from crm.services import scripts as store
    from scripting import library

    with database.reading() as session:
        if store.list_scripts(session, Actor.system()):
            return
    names = []
    for source in sorted(files("scripting").joinpath("examples").iterdir(), key=lambda f: f.name):
        if source.name.endswith(".yaml"):
            stored, _ = library.import_script(database, Actor.system(), source.read_bytes(), origin=source.name)
            library.activate(database, Actor.system(), stored.name, stored.version)
            names.append(stored.name)
    console.print(f"Call scripts imported and active: {', '.join(names)} "
                  "(cicada scripts list; docs/scripts.md).", soft_wrap=True)


def _has_display() -> bool:
    import os
    import sys

    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _cicada(args) -> list[str]:
    import sys

    command = [sys.executable, "-m", "cicada.cli"]
    if args.config:
        command += ["--config", args.config]
    if args.db_url:
        command += ["--db-url", args.db_url]
    return command


def _child_of_the_demo() -> dict:
    """Popen options for the demo's services: out of the terminal's process group, so that Ctrl-C
    reaches only the demo, which stops them in order; and told by the kernel when the demo dies
    (SIGKILL included), so that none outlives it."""
    import sys

    if not sys.platform.startswith("linux"):
        return {"start_new_session": True}
    from cti_gateway.children import die_with_parent

    return {"start_new_session": True, "preexec_fn": die_with_parent}


def _echo(stream, console) -> None:
    """Keep showing what the gateway prints (and never let its pipe fill up)."""
    for line in stream:
        console.print(line.rstrip(), markup=False, highlight=False)


def _run_with_desktop(args, console, app: _App) -> int:
    """The gateway and agent1's softphone as child processes, the desktop here."""
    import os
    import subprocess
    import threading

    from cicada.commands import load
    from cicada.commands.gateway_cmd import gateway_settings

    config = load(args)
    gateway = gateway_settings(config)
    console.print("\nStarting the CTI gateway ...")
    children = [subprocess.Popen([*_cicada(args), "gateway"], stdout=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, text=True, **_child_of_the_demo())]
    try:
        for line in children[0].stdout:
            console.print(line.rstrip(), markup=False, highlight=False)
            if "gateway ready" in line:
                break
        else:
            console.print("[red]The gateway did not start; see the lines above.[/red]")
            return 2
        threading.Thread(target=_echo, args=(children[0].stdout, console), daemon=True).start()
        mailq = _start_mailq(args, console)
        if mailq is not None:
            children.append(mailq)
        supervisors = _start_console(args, console)
        if supervisors is not None:
            children.append(supervisors)
        # signed in as agent1, the phone sees the calls he accepts in the desktop
        children.append(subprocess.Popen([*_cicada(args), "phone", "--agent", "agent1"],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         env={**os.environ, "CICADA_AGENT_PASSWORD": "agent1-demo"},
                                         **_child_of_the_demo()))
        console.print(
            "The desktop opens logged in as agent1 (password agent1-demo; press OK twice).\n"
            "Go Ready (F5), then Demo > Simulate a customer's call (Ctrl+Shift+N): a demo customer\n"
            "calls the billing queue, the desktop pops them; Accept (F2), talk, Hang up (F4),\n"
            "set the outcome and End (F12). agent1's softphone answers the calls you accept.\n"
            "Demo > Simulate a customer's email (Ctrl+Shift+E) writes to service@cicada.example; the\n"
            "Inbox page (Ctrl+7) offers it. Demo > Open the web chat starts a chat as a customer.",
            soft_wrap=True)
        queue = next((q for q in gateway.queues if q.name == "billing-zh"), gateway.queues[0])
        # The desktop in a process of its own too: whatever becomes of it, the
        # gateway and the phone are stopped below.
        desktop = subprocess.Popen(
            [*_cicada(args), "desktop", "--user", "agent1", "--app", app.url, "--fingerprint", app.fingerprint,
             "--demo-calls", f"{gateway.sip_host}:{gateway.sip_port}/{queue.dnis[0]}",
             "--demo-customers", str(_demo_customers_path(args))],
            stdin=subprocess.DEVNULL, env={**os.environ, "CICADA_AGENT_PASSWORD": "agent1-demo"},
            **_child_of_the_demo())
        children.append(desktop)
        try:
            code = desktop.wait()
        except KeyboardInterrupt:
            return 130
        if code not in (0, 1):
            console.print(f"[red]The desktop stopped with code {code}.[/red] Without a display it "
                          "cannot open: use --no-desktop. On Linux Qt needs the X11 libraries of its "
                          "xcb plugin (Debian: libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 "
                          "libxkbcommon-x11-0 libegl1).")
        return 0 if code in (0, 1) else 2
    finally:
        for child in reversed(children):
            _stop(child)


def _start_mailq(args, console):
    """The mail queue as a child process, once it says it is ready; None if it could not start."""
    import subprocess
    import threading

    console.print("\nStarting the mail queue ...")
    from cicada.commands import load

    from bus.keys import ensure_keys
    from cicada.config import keys_settings

    config = load(args)
    ensure_keys(keys_settings(config).directory, ["mailq"])  # its CURVE pair; the desktop here reads its public key
    sent = config.data_dir / "sent-mail"  # replies land here when no [mail] relay is configured
    child = subprocess.Popen([*_cicada(args), "mailq", "--sent-folder", str(sent)], stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, text=True, **_child_of_the_demo())
    for line in child.stdout:
        console.print(line.rstrip(), markup=False, highlight=False)
        if "mail queue ready" in line:
            threading.Thread(target=_echo, args=(child.stdout, console), daemon=True).start()
            return child
    console.print("[yellow]The mail queue did not start (see above): calls work, emails and chats do not."
                  "[/yellow]")
    child.wait()
    return None


def _run_gateway(args, console, app: _App) -> int:
    from cicada.commands.gateway_cmd import gateway_keypair, gateway_settings
    from cicada.commands import load
    from cti_gateway.service import GatewayError, run_gateway

    config = load(args)
    gateway = gateway_settings(config)
    keypair = gateway_keypair(config)
    numbers = ", ".join(f"{q.dnis[0]} {q.name}" for q in gateway.queues if q.dnis)
    console.print(
        "\nThe CTI gateway is starting. In another terminal, take calls as agent1 and call in:\n"
        "  cicada phone --agent agent1 --login          (password: agent1-demo)\n"
        f"  cicada desktop --app {app.url} --fingerprint {app.fingerprint}\n"
        "  cicada call --from 13800138000 --to 4008001001 --hold-for 20\n"
        f"Queues and their numbers: {numbers}.\nCtrl-C stops the gateway.")

    def ready(service) -> None:
        console.print(service.describe())

    mailq = _start_mailq(args, console)
    if mailq is not None:
        console.print("Emails to service@cicada.example over SMTP at 127.0.0.1:2525 and chats from "
                      "http://127.0.0.1:8025/chat/ go to the agents' Inbox (cicada desktop).")
    supervisors = _start_console(args, console)  # it watches the gateway once that listens
    try:
        run_gateway(gateway, config.database_url, keypair=keypair, verbose=args.verbose, on_ready=ready)
    except GatewayError as exc:
        console.print(f"[red]The gateway did not start: {exc}[/red]")
        return 2
    finally:
        for child in (supervisors, mailq):
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait(15)
    return 0


def _start_console(args, console):
    """The supervisors' console as a child process, once it listens; its address and the demo
    supervisor's login printed. None if it could not start (the rest of the demo works on)."""
    import subprocess
    import threading

    console.print("\nStarting the supervisors' console ...")
    child = subprocess.Popen([*_cicada(args), "console"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             text=True, **_child_of_the_demo())
    for line in child.stdout:
        console.print(line.rstrip(), markup=False, highlight=False)
        if "console ready" in line:
            threading.Thread(target=_echo, args=(child.stdout, console), daemon=True).start()
            url = line.split("ready:", 1)[1].strip()
            console.print(f"Supervisors: open {url} and sign in as supervisor (password supervisor-demo) "
                          "to watch the queues and agents live.", markup=False, highlight=False, soft_wrap=True)
            return child
    console.print("[yellow]The console did not start (see above): the rest of the demo works.[/yellow]")
    child.wait()
    return None
