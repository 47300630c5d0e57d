"""`cicada campaign`, `cicada calllist` and `cicada dnc`: outbound campaigns,
their call lists and the do-not-call lists (docs/outbound.md)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from cicada.commands import actor, open_database

REFUSED_SHOWN = 50  # rows printed; --refused writes every one


def add_as_user(parser) -> None:
    parser.add_argument("--as", "--user", dest="as_user", metavar="USER",
                        help="apply the permissions of this user (default: the system administrator)")


def register(commands) -> None:
    _register_campaign(commands)
    _register_calllist(commands)
    _register_dnc(commands)


def _register_campaign(commands) -> None:
    parser = commands.add_parser(
        "campaign", help="outbound campaigns: import, export, list, start, pause, stop",
        description="Outbound campaigns, written in YAML (docs/outbound.md): agents and teams, script, "
                    "caller ID, dialing mode, calling windows, retries and dispositions.")
    sub = parser.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="create campaigns from YAML files, or change them",
                         description="Create the campaign each file names, or replace the settings of the "
                                     "campaign of that name (its state and call lists stay). A file with "
                                     "errors is refused whole.")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_as_user(imp)
    imp.set_defaults(run=_campaign_import)
    export = sub.add_parser("export", help="write a campaign out as YAML")
    export.add_argument("name")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    add_as_user(export)
    export.set_defaults(run=_campaign_export)
    listing = sub.add_parser("list", help="list the campaigns, their state and contacts")
    add_as_user(listing)
    listing.set_defaults(run=_campaign_list)
    for action, state, what in (("start", "running", "start dialing"), ("pause", "paused", "stop dialing for now"),
                                ("resume", "running", "dial again after a pause"),
                                ("stop", "stopped", "end the campaign for good")):
        move = sub.add_parser(action, help=what)
        move.add_argument("name")
        add_as_user(move)
        move.set_defaults(run=_campaign_state, state=state)


def _register_calllist(commands) -> None:
    parser = commands.add_parser("calllist", help="import call lists into campaigns",
                                 description="Call lists: the contacts a campaign calls (docs/outbound.md).")
    sub = parser.add_subparsers(dest="calllist_command", metavar="ACTION", required=True)
    imp = sub.add_parser(
        "import", help="import a CSV or Excel file of contacts into a campaign",
        description="Import a CSV (UTF-8, GBK or GB18030) or Excel (.xlsx) file into a campaign. Each row is "
                    "matched to a business partner by customer number or phone, else created as a prospect "
                    "in the customer pool. Rows that cannot be called (no readable number, a number twice, "
                    "a number on a do-not-call list) are refused and listed with their line; the others are "
                    "written together, or nothing is.")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--campaign", required=True, metavar="NAME")
    imp.add_argument("--name", help="the list's name (default: the file's name)")
    imp.add_argument("--encoding", choices=("utf-8", "gbk", "gb18030"),
                     help="the CSV's encoding (default: detected, UTF-8 first)")
    imp.add_argument("--sheet", help="the Excel sheet (default: the active one)")
    imp.add_argument("--map", action="append", default=[], metavar="WHAT=COLUMN[,COLUMN]",
                     help="which column holds what: phone=Mobile,Home (in order of preference), name=Name, "
                          "customer=CustomerNo; may be given more than once. What is not mapped is guessed from the column "
                          "names. Other columns are kept as the contact's fields, for scripts.")
    imp.add_argument("--strict", action="store_true", help="import nothing if any row is refused")
    imp.add_argument("--refuse-listed", action="store_true",
                     help="refuse rows whose number is on another active list (default: reported only)")
    imp.add_argument("--check", action="store_true", help="check the file and report, writing nothing")
    imp.add_argument("--refused", type=Path, metavar="FILE",
                     help="write the refused rows (line, reason, the row's cells) to this CSV file")
    add_as_user(imp)
    imp.set_defaults(run=_calllist_import)


def _register_dnc(commands) -> None:
    parser = commands.add_parser("dnc", help="do-not-call lists: add, remove, import, export",
                                 description="The contact center's do-not-call list, or a campaign's "
                                             "(--campaign). A number on either is never dialed.")
    sub = parser.add_subparsers(dest="dnc_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="put a number on a do-not-call list")
    add.add_argument("number")
    add.add_argument("--reason", required=True)
    add.add_argument("--campaign", metavar="NAME", help="the campaign's list (default: the contact center's)")
    add_as_user(add)
    add.set_defaults(run=_dnc_add)
    remove = sub.add_parser("remove", help="take a number off a do-not-call list")
    remove.add_argument("number")
    remove.add_argument("--campaign", metavar="NAME")
    add_as_user(remove)
    remove.set_defaults(run=_dnc_remove)
    imp = sub.add_parser("import", help="add the numbers of a CSV file (columns: number, reason)",
                         description="Add every number of a CSV file with a 'number' column and, if you "
                                     "like, 'reason'; a bad row refuses the whole file.")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--campaign", metavar="NAME")
    imp.add_argument("--reason", default="imported", help="for rows without one (default: imported)")
    add_as_user(imp)
    imp.set_defaults(run=_dnc_import)
    export = sub.add_parser("export", help="write a do-not-call list as CSV")
    export.add_argument("--campaign", metavar="NAME")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    add_as_user(export)
    export.set_defaults(run=_dnc_export)


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(highlight=False, stderr=stderr)


def _read_text(path: Path) -> str:
    from crm.errors import ValidationError
    from crm.outbound.list_files import decode

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}") from None
    return decode(data, path.name, None)[0]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _campaign_import(args) -> int:
    from crm.errors import ValidationError
    from crm.services import campaigns

    _, database = open_database(args)
    for path in args.files:
        try:
            document = path.read_bytes()
        except OSError as exc:
            raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}") from None
        with database.unit_of_work() as session:
            campaign, created = campaigns.save_campaign(session, actor(session, args), document, origin=str(path))
            print(f"{'Created' if created else 'Updated'} the campaign {campaign.name} ({campaign.state}).")
    return 0


def _campaign_export(args) -> int:
    from crm.services import campaigns

    _, database = open_database(args)
    with database.reading() as session:
        text = campaigns.export_campaign(session, actor(session, args), args.name)
    _write(text, args.output)
    return 0


def _campaign_list(args) -> int:
    from rich.table import Table

    from crm.services import campaigns

    _, database = open_database(args)
    with database.reading() as session:
        found = campaigns.list_campaigns(session, actor(session, args))
    table = Table(title="Campaigns")
    for column in ("name", "state", "dialing mode", "lists", "contacts", "to call", "changed"):
        table.add_column(column, no_wrap=column == "name")
    for c in found:
        table.add_row(c.name, c.state, c.dialing_mode, str(c.lists), f"{c.contacts:,}", f"{c.open_contacts:,}",
                      c.updated_at.strftime("%Y-%m-%d %H:%M"))
    _console().print(table if found else "No campaigns yet: cicada campaign import FILE")
    return 0


def _campaign_state(args) -> int:
    from crm.services import campaigns

    _, database = open_database(args)
    with database.unit_of_work() as session:
        campaign = campaigns.set_state(session, actor(session, args), args.name, args.state)
    print(f"The campaign {campaign.name} is {campaign.state}.")
    return 0


def parse_mapping(values: list[str]):
    """--map phone=A,B --map name=N --map customer=C → a ColumnMapping."""
    from crm.errors import ValidationError
    from crm.services.call_lists import ColumnMapping

    found: dict[str, list[str]] = {}
    for value in values:
        what, sep, columns = value.partition("=")
        what = what.strip().lower()
        names = [c.strip() for c in columns.split(",") if c.strip()]
        if not sep or not names or what not in ("phone", "name", "customer"):
            raise ValidationError(f"--map {value!r}: write phone=COLUMN[,COLUMN...], name=COLUMN or customer=COLUMN")
        if what != "phone" and len(names) > 1:
            raise ValidationError(f"--map {value!r}: {what} takes one column")
        found.setdefault(what, []).extend(names)
    if not found:
        return None
    return ColumnMapping(phones=tuple(found.get("phone", ())), name=(found.get("name") or [None])[0],
                         customer_no=(found.get("customer") or [None])[0])


def _calllist_import(args) -> int:
    from crm.services import call_lists

    config, database = open_database(args)
    mapping = parse_mapping(args.map)
    options = {"mapping": mapping, "region": config.default_region, "strict": args.strict,
               "refuse_listed_elsewhere": args.refuse_listed, "dry_run": args.check}
    if args.name:
        options["list_name"] = args.name
    with _progress() as progress, database.unit_of_work() as session:
        result = call_lists.import_file(session, actor(session, args), args.campaign, args.file,
                                        encoding=args.encoding, sheet=args.sheet, progress=progress, **options)
    _report_import(result, args)
    return 0 if result.written or (args.check and not result.refused) else 1


class _progress:
    """A rich progress bar per stage of the import, on standard error."""

    _STAGES = {"checking": "Checking rows", "prospects": "Creating prospects", "writing": "Writing contacts"}

    def __enter__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=_console(stderr=True), transient=False)
        self.bar.start()
        self.tasks: dict[str, int] = {}
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(self._STAGES.get(stage, stage), total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *_exc) -> None:
        self.bar.stop()


def _report_import(result, args) -> None:
    from rich.table import Table

    console = _console()
    mapping = result.mapping
    console.print(f"{args.file.name} ({result.encoding}): phone {', '.join(mapping.phones)}; "
                  f"name {mapping.name or '-'}; customer number {mapping.customer_no or '-'}")
    if result.refused:
        table = Table(title=f"Refused rows ({len(result.refused):,})")
        table.add_column("line", justify="right")
        table.add_column("reason")
        for row in result.refused[:REFUSED_SHOWN]:
            table.add_row(str(row.line), row.reason)
        console.print(table)
        if len(result.refused) > REFUSED_SHOWN:
            console.print(f"... and {len(result.refused) - REFUSED_SHOWN:,} more"
                          + (f", all in {args.refused}" if args.refused else "; --refused FILE writes them all"))
    for d in result.listed_elsewhere[:REFUSED_SHOWN]:
        console.print(f"line {d.line}: {d.number} is also on the list {d.call_list} of the campaign {d.campaign}")
    if args.refused:
        write_refused(args.refused, result)
    if result.written:
        console.print(f"Imported {result.imported:,} of {result.rows:,} rows into {result.campaign} as the list "
                      f"{result.list_name}: {result.matched:,} matched to business partners, "
                      f"{result.created:,} new prospects in the customer pool.")
    elif args.check:
        console.print(f"Checked {result.rows:,} rows: {result.rows - len(result.refused):,} could be imported; "
                      "nothing was written (--check).")
    else:
        why = "rows were refused and --strict was given" if result.refused else "no row could be imported"
        console.print(f"Nothing was imported: {why}.")


def write_refused(path: Path, result) -> None:
    """The refused rows as CSV (UTF-8 with a BOM, which Excel reads as UTF-8): line, reason, the row."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(["line", "reason", *result.header])
        for row in result.refused:
            out.writerow([row.line, row.reason, *row.cells])


def _dnc_add(args) -> int:
    from crm.services import do_not_call

    config, database = open_database(args)
    with database.unit_of_work() as session:
        entry = do_not_call.add(session, actor(session, args), args.number, args.reason, campaign=args.campaign,
                                region=config.default_region)
        number = entry.e164
    print(f"{number} is on {_list_name(args.campaign)}.")
    return 0


def _dnc_remove(args) -> int:
    from crm.services import do_not_call

    config, database = open_database(args)
    with database.unit_of_work() as session:
        do_not_call.remove(session, actor(session, args), args.number, campaign=args.campaign,
                           region=config.default_region)
    print(f"{args.number} is off {_list_name(args.campaign)}.")
    return 0


def _dnc_import(args) -> int:
    from crm.services import do_not_call

    config, database = open_database(args)
    text = _read_text(args.file)
    with database.unit_of_work() as session:
        added = do_not_call.import_csv(session, actor(session, args), text, campaign=args.campaign,
                                       default_reason=args.reason, region=config.default_region)
    print(f"Added {added:,} numbers to {_list_name(args.campaign)}.")
    return 0


def _dnc_export(args) -> int:
    from crm.services import do_not_call

    _, database = open_database(args)
    with database.reading() as session:
        text = do_not_call.export_csv(session, actor(session, args), campaign=args.campaign)
    _write(text, args.output)
    return 0


def _list_name(campaign: str | None) -> str:
    return f"the do-not-call list of {campaign}" if campaign else "the contact center's do-not-call list"
