"""`cicada users`: accounts of agents, supervisors and administrators."""

from __future__ import annotations

import getpass
import sys

from cicada.commands import open_database


def register(commands) -> None:
    parser = commands.add_parser("users", help="list, add, disable and enable user accounts, set passwords",
                                 description="Manage the accounts people log in with.")
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list the users")
    listing.set_defaults(run=_list)
    add = sub.add_parser("add", help="add a user; the password is asked for, or read from stdin",
                         description="Add a user. The password is asked for twice at the terminal, "
                                     "or read as one line from standard input with --password-stdin.")
    add.add_argument("username")
    add.add_argument("--role", required=True,
                     choices=["agent", "sales_rep", "supervisor", "administrator"])
    add.add_argument("--name", help="display name")
    add.add_argument("--email")
    add.add_argument("--extension", help="SIP address of the user's phone")
    add.add_argument("--team", metavar="CODE", help="code of the org unit the user works in")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(run=_add)
    for action, helptext in (("disable", "disable an account: it can do nothing, and its sessions end "
                                         "everywhere at once"),
                             ("enable", "enable a disabled account")):
        command = sub.add_parser(action, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        command.add_argument("username")
        command.set_defaults(run=_set_active, active=action == "enable")
    password = sub.add_parser("password", help="set a user's password; his sessions end everywhere",
                              description="Set a user's password (asked for twice, or read from stdin "
                                          "with --password-stdin). Every session of the account ends.")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    password.set_defaults(run=_set_password)


def _list(args) -> int:
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from crm.models import OrgUnit, User

    _, database = open_database(args)
    table = Table(title="Users")
    for column in ("user", "name", "role", "team", "extension", "active"):
        table.add_column(column)
    with database.reading() as session:
        rows = session.execute(
            select(User, OrgUnit.name).outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
            .order_by(User.username)).all()
        for user, team in rows:
            table.add_row(user.username, user.display_name, user.role, team or "",
                          user.extension or "", "yes" if user.is_active else "no")
    Console().print(table)
    return 0


def _add(args) -> int:
    from sqlalchemy import select

    from crm.errors import ValidationError
    from crm.models import OrgUnit
    from crm.permissions import Actor
    from crm.services.users import create_user

    password = _read_password(args.password_stdin)
    _, database = open_database(args)
    with database.unit_of_work() as session:
        unit = None
        if args.team:
            unit = session.scalar(select(OrgUnit).where(OrgUnit.code == args.team))
            if unit is None:
                raise ValidationError(f"no org unit with code {args.team!r}")
        user = create_user(session, Actor.system(), username=args.username, password=password,
                           role=args.role, display_name=args.name, email=args.email,
                           org_unit=unit, extension=args.extension)
        print(f"added {user.username} ({user.role})")
    return 0


def _set_active(args) -> int:
    from crm.permissions import Actor
    from crm.services.users import set_active

    _, database = open_database(args)
    with database.unit_of_work() as session:
        user = set_active(session, Actor.system(), args.username, args.active)
    print(f"{user.username} is {'enabled' if args.active else 'disabled; its sessions have ended'}")
    return 0


def _set_password(args) -> int:
    from crm.permissions import Actor
    from crm.services.users import set_password

    password = _read_password(args.password_stdin)
    _, database = open_database(args)
    with database.unit_of_work() as session:
        user = set_password(session, Actor.system(), args.username, password)
    print(f"{user.username}'s password is set; its sessions have ended")
    return 0


def _read_password(from_stdin: bool) -> str:
    from crm.errors import ValidationError

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise ValidationError("the two passwords differ")
    return first
