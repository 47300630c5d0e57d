"""`cicada scripts`: check, import, activate, export, try out and report on
call scripts (docs/scripts.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from cicada.commands import actor, add_as_user, open_database


def register(commands) -> None:
    parser = commands.add_parser(
        "scripts", help="call scripts: validate, import, activate, export, run, report",
        description="Prompt and interactive call scripts, written in YAML (docs/scripts.md). A script "
                    "is imported as a new version; agents get the version that is activated.")
    sub = parser.add_subparsers(dest="scripts_command", metavar="ACTION", required=True)

    validate = sub.add_parser("validate", help="check script files without storing them",
                              description="Check script files: the format, every reference between "
                                          "nodes, unreachable nodes, loops with no way out, questions "
                                          "whose answers lead nowhere, templates and conditions. Exits "
                                          "with 1 if any file has errors.")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.set_defaults(run=_validate)

    imp = sub.add_parser("import", help="store script files as new versions",
                         description="Store each file as the next version of its script (by its "
                                     "`name`). A file with errors is refused and nothing of it stored.")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--activate", action="store_true", help="also make the new versions the active ones")
    add_as_user(imp)
    imp.set_defaults(run=_import)

    listing = sub.add_parser("list", help="list the scripts and their versions")
    add_as_user(listing)
    listing.set_defaults(run=_list)

    activate = sub.add_parser("activate", help="make a version the one agents get",
                              description="Make a version (default: the latest) the one agents get. "
                                          "It is validated again first. Runs already under way keep "
                                          "the version they started with.")
    activate.add_argument("name")
    activate.add_argument("--version", type=int)
    add_as_user(activate)
    activate.set_defaults(run=_activate)

    deactivate = sub.add_parser("deactivate", help="stop offering a script to agents")
    deactivate.add_argument("name")
    add_as_user(deactivate)
    deactivate.set_defaults(run=_deactivate)

    export = sub.add_parser("export", help="write a version out as YAML")
    export.add_argument("name")
    export.add_argument("--version", type=int, help="default: the active version, else the latest")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    add_as_user(export)
    export.set_defaults(run=_export)

    run = sub.add_parser("run", help="walk a script in the terminal with a real partner's data",
                         description="A dry run: walk a script file (or a stored script, by name) "
                                     "question by question with the data of a real partner, as an "
                                     "agent would in the desktop. Nothing is recorded. Answer with "
                                     "the number or value of a choice, y/n, a number or a date "
                                     "(YYYY-MM-DD); Enter goes on from a text; 'b' goes back; 'q' quits.")
    run.add_argument("script", metavar="FILE|NAME")
    run.add_argument("--partner", metavar="CUSTOMER_NO", help="the customer the call is with")
    run.add_argument("--contact-person", metavar="CUSTOMER_NO")
    run.add_argument("--queue", help="call.queue: the queue the call came through")
    run.add_argument("--dnis", help="call.dnis: the number the customer dialled")
    run.add_argument("--ani", help="call.ani: the customer's number")
    run.add_argument("--campaign", help="campaign.name")
    run.add_argument("--waited", type=float, metavar="SECONDS", help="call.waited_seconds: how long the "
                     "customer waited in the queue (default 0)")
    run.add_argument("--call-id", help="call.call_id")
    run.add_argument("--direction", choices=("inbound", "outbound"), default="inbound", help="call.direction")
    run.add_argument("--channel", default="phone", help="call.channel (default phone)")
    run.add_argument("--agent", metavar="NAME", help="the agent's name as the script says it")
    add_as_user(run)
    run.set_defaults(run=_run)

    report = sub.add_parser("report", help="runs, where they ended and the answers, per version",
                            description="For each version of a script (or of every script): how many "
                                        "runs, how many finished, their outcomes, the node where runs "
                                        "ended or stopped, and how each question was answered.")
    report.add_argument("name", nargs="?", help="default: every script")
    report.add_argument("--version", type=int)
    report.add_argument("--csv", type=Path, metavar="FILE", help="also write the figures to a CSV file")
    add_as_user(report)
    report.set_defaults(run=_report)


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _read(path: Path) -> bytes:
    from scripting.document import ScriptFormatError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise ScriptFormatError(f"{path}: {exc.strerror or exc}") from None


def _print_problems(console, origin: str, report) -> None:
    for problem in report.errors:
        console.print(f"[red]error[/red] {origin}: {problem}", markup=True, soft_wrap=True)
    for problem in report.warnings:
        console.print(f"[yellow]warning[/yellow] {origin}: {problem}", soft_wrap=True)


def _validate(args) -> int:
    from scripting.document import ScriptFormatError
    from scripting.library import check

    console = _console()
    failed = 0
    for path in args.files:
        try:
            script, report = check(_read(path), origin=str(path))
        except ScriptFormatError as exc:
            console.print(f"[red]error[/red] {exc}", soft_wrap=True)
            failed += 1
            continue
        _print_problems(console, str(path), report)
        if report.ok:
            size = f"{len(script.nodes)} nodes" if script.kind == "interactive" else "a prompt"
            console.print(f"[green]ok[/green] {path}: {script.name} ({script.kind}, {size})", soft_wrap=True)
        else:
            failed += 1
    return 1 if failed else 0


def _import(args) -> int:
    from scripting import library
    from scripting.document import ScriptFormatError

    console = _console()
    _, database = open_database(args)
    with database.reading() as session:
        who = actor(session, args)
    failed = 0
    for path in args.files:
        try:
            stored, report = library.import_script(database, who, _read(path), origin=str(path))
        except ScriptFormatError as exc:
            console.print(f"[red]error[/red] {exc}", soft_wrap=True)
            failed += 1
            continue
        except library.ScriptInvalid as exc:
            _print_problems(console, str(path), exc.report)
            console.print(f"[red]not imported[/red] {path}")
            failed += 1
            continue
        _print_problems(console, str(path), report)
        line = f"imported {path} as {stored.name} version {stored.version}"
        if args.activate:
            library.activate(database, who, stored.name, stored.version)
            line += ", active"
        console.print(line, soft_wrap=True)
    return 1 if failed else 0


def _list(args) -> int:
    from rich.table import Table

    from crm.services import scripts as store

    _, database = open_database(args)
    with database.reading() as session:
        infos = store.list_scripts(session, actor(session, args))
    table = Table(title="Call scripts")
    table.add_column("name", no_wrap=True)
    for column in ("kind", "title", "language", "versions", "active", "last imported"):
        table.add_column(column)
    for info in infos:
        table.add_row(info.name, info.kind, info.title, info.language, str(info.versions),
                      str(info.active_version) if info.active_version else "-",
                      info.updated_at.strftime("%Y-%m-%d %H:%M"))
    _console().print(table if infos else "No scripts yet: cicada scripts import FILE")
    return 0


def _activate(args) -> int:
    from scripting import library

    _, database = open_database(args)
    with database.reading() as session:
        who = actor(session, args)
    try:
        stored = library.activate(database, who, args.name, args.version)
    except library.ScriptInvalid as exc:
        _print_problems(_console(), args.name, exc.report)
        print(f"cicada: error: {args.name} was not activated", file=sys.stderr)
        return 1
    print(f"{stored.name} version {stored.version} is active")
    return 0


def _deactivate(args) -> int:
    from crm.services import scripts as store

    _, database = open_database(args)
    with database.unit_of_work() as session:
        store.deactivate(session, actor(session, args), args.name)
    print(f"{args.name} is no longer offered to agents")
    return 0


def _export(args) -> int:
    from scripting import library

    _, database = open_database(args)
    with database.reading() as session:
        who = actor(session, args)
    text = library.export(database, who, args.name, args.version)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _run(args) -> int:
    from cicada.commands.script_dry_run import dry_run

    return dry_run(args)


def _report(args) -> int:
    from rich.table import Table

    from crm.services import scripts as store
    from scripting.report import report_rows, write_csv

    _, database = open_database(args)
    with database.reading() as session:
        who = actor(session, args)
        names = [args.name] if args.name else [s.name for s in store.list_scripts(session, who)]
        reports = [r for name in names for r in store.report(session, who, name, args.version)]
    console = _console()
    for each in reports:
        table = Table(title=f"{each.script} version {each.version}: {each.runs} runs, {each.finished} finished")
        for column in ("figure", "node", "text", "value", "runs"):
            table.add_column(column)
        for _script, _version, kind, node, text, value, count in report_rows([each])[2:]:
            table.add_row(kind, node, text[:60], str(value), str(count))
        console.print(table)
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as out:
            write_csv(reports, out)
        console.print(f"wrote {args.csv}")
    return 0
