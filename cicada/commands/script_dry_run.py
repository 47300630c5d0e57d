"""`cicada scripts run`: walk a script in the terminal with a real
partner's data, as an agent would in the desktop; nothing is recorded."""

from __future__ import annotations

from pathlib import Path

from cicada.commands import actor, open_database

BACK, QUIT = {"b", "back", "<"}, {"q", "quit", "exit"}


def dry_run(args) -> int:
    from crm.services import scripts as store
    from crm.services.partners import get_partner_by_number
    from scripting.context import contact_person_values, list_options, partner_values
    from scripting.document import QuestionNode, ScriptFormatError, from_builtins
    from scripting.library import check
    from scripting.templates import make_context

    console = _console()
    config, database = open_database(args)
    path = Path(args.script)
    with database.reading() as session:
        who = actor(session, args)
        if path.suffix in (".yaml", ".yml") or path.exists():
            try:
                script, report = check(path.read_bytes(), origin=str(path))
            except OSError as exc:
                console.print(f"[red]error[/red] {path}: {exc.strerror or exc}")
                return 1
            except ScriptFormatError as exc:
                console.print(f"[red]error[/red] {exc}", soft_wrap=True)
                return 1
            for problem in report.problems:
                console.print(f"[red]{problem.severity}[/red] {path}: {problem}", soft_wrap=True)
            if not report.ok:
                console.print("[red]The script has errors; fix them before trying it.[/red]")
                return 1
            version = 0
        else:
            stored = store.get_version(session, who, args.script)
            script, version = from_builtins(stored.document, origin=args.script), stored.version
        partner = person = None
        if args.partner:
            partner_id = get_partner_by_number(session, who, args.partner).id
            partner = partner_values(session, who, partner_id)
        if args.contact_person:
            person_id = get_partner_by_number(session, who, args.contact_person).id
            person = contact_person_values(session, who, person_id,
                                           organization_id=partner_id if args.partner else None)
        lists = list_options(session, {n.crm_list for n in script.nodes if isinstance(n, QuestionNode)})
        agent_name = args.agent or (who.username if who.user_id else "Agent")
    context = make_context(
        partner=partner, contact_person=person, agent={"name": agent_name, "username": who.username},
        call=_call(args),
        campaign={"name": args.campaign} if args.campaign else None)
    title = script.title or script.name
    console.rule(f"{title} — {script.name}" + (f" version {version}" if version else " (file)"))
    if partner:
        console.print(f"with {partner['name']} ({partner['partner_no']})")
    if script.kind == "prompt":
        return _prompt(console, script, context)
    return _walk(console, script, version, context, lists)


def _call(args) -> dict:
    """call.* as the desktop gives it, from the options (a value not given is missing)."""
    waited = getattr(args, "waited", None)
    if waited is not None and (waited < 0 or waited != waited):
        raise SystemExit("--waited is a number of seconds, 0 or more")
    return {"call_id": getattr(args, "call_id", None), "ani": args.ani, "dnis": args.dnis, "queue": args.queue,
            "waited_seconds": round(waited) if waited is not None else None,
            "direction": getattr(args, "direction", None) or "inbound",
            "channel": getattr(args, "channel", None) or "phone"}


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _prompt(console, script, context) -> int:
    from scripting.templates import evaluate, render

    if script.when:
        holds, warnings = evaluate(script.when, context)
        _warnings(console, warnings)
        if not holds:
            console.print(f"The prompt is not shown for this contact (when: {script.when}).")
            return 0
    shown = render(script.text or "", context)
    console.print(shown.text, markup=False)
    _warnings(console, shown.warnings)
    return 0


def _walk(console, script, version, context, lists) -> int:
    from scripting.runner import RunError, ScriptRun

    try:
        run = ScriptRun(script, version, context, list_options=lists)
    except RunError as exc:
        console.print(f"[red]The script cannot start: {exc}[/red]", soft_wrap=True)
        return 1
    while True:
        step = run.step()
        console.print()
        console.print(f"[bold]{step.position}. {step.node}[/bold]")
        console.print(step.text, markup=False, soft_wrap=True)
        _warnings(console, step.warnings)
        if step.kind == "end":
            break
        if step.kind == "question":
            _show_question(console, step)
        reply = _ask(console, step)
        if reply is None:
            console.print(f"\nInput ended; the run stops at {step.node}.")
            _summary(console, run)
            return 1
        if reply.strip().lower() in QUIT:
            console.print(f"Stopped at {step.node}.")
            _summary(console, run)
            return 1
        if reply.strip().lower() in BACK:
            try:
                run.back()
            except RunError as exc:
                console.print(f"[yellow]{exc}[/yellow]")
            continue
        try:
            run.next(_value(step, reply) if step.kind == "question" else None)
        except RunError as exc:
            console.print(f"[red]{exc}[/red]")
    _warnings(console, tuple(run.warnings))
    console.print(f"\n[green]Outcome: {run.outcome}[/green]")
    _summary(console, run)
    return 0


def _show_question(console, step) -> None:
    kind = step.answer_type
    if step.options:
        for i, option in enumerate(step.options, 1):
            console.print(f"  {i}) {option.shown}", markup=False)
    hint = {
        "single_choice": "the number of one choice", "crm_list": "the number of one choice",
        "multiple_choice": "numbers of the choices, separated by commas", "yes_no": "1 or y, 2 or n",
        "number": "a number" + (f" from {step.minimum:g}" if step.minimum is not None else "")
        + (f" to {step.maximum:g}" if step.maximum is not None else ""),
        "date": "a date, YYYY-MM-DD", "free_text": "text",
    }[kind]
    optional = "" if step.required else ", or Enter to skip"
    given = f"; Enter keeps {step.answer!r}" if step.answer not in (None, "", []) else ""
    console.print(f"  ({hint}{optional}{given}; b: back, q: quit)")


def _ask(console, step) -> str | None:
    try:
        reply = input("> " if step.kind == "question" else "(Enter) ")
    except EOFError:
        return None
    if not reply.strip() and step.kind == "question" and step.answer not in (None, "", []):
        return _as_reply(step)
    return reply


def _as_reply(step) -> str:
    """The suggested answer, typed back as the agent would."""
    values = step.answer if isinstance(step.answer, list) else [step.answer]
    if step.options:
        numbers = [str(i) for i, o in enumerate(step.options, 1) if o.value in values]
        return ",".join(numbers)
    return str(step.answer)


def _value(step, reply: str):
    text = reply.strip()
    if step.options and step.answer_type in ("single_choice", "crm_list", "multiple_choice", "yes_no"):
        picked = []
        for part in (text.split(",") if step.answer_type == "multiple_choice" else [text]):
            part = part.strip()
            if part.isdigit() and 1 <= int(part) <= len(step.options):
                picked.append(step.options[int(part) - 1].value)
            elif part:
                picked.append(part)
        return picked if step.answer_type == "multiple_choice" else (picked[0] if picked else "")
    return text


def _warnings(console, warnings) -> None:
    for warning in warnings:
        console.print(f"  [yellow]warning:[/yellow] {warning}", soft_wrap=True)


def _summary(console, run) -> None:
    from rich.table import Table

    recorded = run.recorded()
    if not recorded:
        return
    table = Table(title="Answers that would be recorded")
    table.add_column("question")
    table.add_column("answer")
    for answer in recorded:
        value = ", ".join(answer.value) if isinstance(answer.value, list) else answer.value
        table.add_row(answer.node, "(skipped)" if value is None else str(value))
    console.print(table)
