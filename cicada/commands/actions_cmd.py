"""`cicada actions`: the Action Box's actions, and which tabs and actions
each level of the organization sees (docs/action_box.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from cicada.commands import actor, add_as_user, open_database


def register(commands) -> None:
    parser = commands.add_parser(
        "actions", help="the Action Box: installed actions and their layout by profile",
        description="The Action Box's follow-up actions, and its layout (tabs, actions, links, email "
                    "templates) as an IC profile setting of the contact center, a site, a team or an "
                    "agent, inherited downward (docs/action_box.md).")
    sub = parser.add_subparsers(dest="actions_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="the installed actions, and the layout a user sees",
                             description="List the installed actions (built-in and plugins) and, with "
                                         "--user, the tabs that user's desktop shows.")
    listing.add_argument("--user", metavar="NAME", help="show the layout this user sees")
    listing.set_defaults(run=_list)

    export = sub.add_parser("export", help="write a level's layout as YAML",
                            description="Write the layout one level sets itself (--level or --user), "
                                        "or with --effective what a user sees after inheritance (a file "
                                        "that imports again as it is).")
    _level_arguments(export)
    export.add_argument("--effective", action="store_true",
                        help="with --user: the layout after inheritance, defaults included")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    export.set_defaults(run=_export)

    imp = sub.add_parser("import", help="set a level's layout from a YAML file",
                         description="Set the layout of one level from a YAML file with `tabs`, "
                                     "`links`, `email_templates`, `reply_templates` and `hidden`; it is "
                                     "merged over the levels above entry by entry (docs/action_box.md). "
                                     "Every action id must be installed; the file is refused as a whole "
                                     "otherwise.")
    imp.add_argument("file", type=Path)
    _level_arguments(imp)
    add_as_user(imp)
    imp.set_defaults(run=_import)

    reset = sub.add_parser("reset", help="remove a level's layout, so that it inherits again")
    _level_arguments(reset)
    add_as_user(reset)
    reset.set_defaults(run=_reset)


def _level_arguments(parser) -> None:
    level = parser.add_mutually_exclusive_group(required=True)
    level.add_argument("--level", metavar="CODE", help="an org unit: contact center, site or team")
    level.add_argument("--user", metavar="NAME", help="one agent")


def _list(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from action_box.layout import effective, tabs
    from action_box.registry import all_actions
    from crm.services.profiles import profile_for_user

    console = Console(highlight=False)
    layout = effective(None)
    if args.user:
        _, database = open_database(args)
        with database.reading() as session:
            profile = profile_for_user(session, args.user)
        layout = effective(profile.action_box)
    table = Table(title="Installed actions")
    for column in ("id", "label", "default tab", "needs"):
        table.add_column(column, no_wrap=column == "id")
    for action in all_actions(layout).values():
        table.add_row(action.id, action.label, action.tab, ", ".join(sorted(action.needs)))
    console.print(table)
    if args.user:
        console.print(f"\nThe Action Box of {args.user}:")
        for tab in tabs(layout, profile.language):
            console.print(f"  {tab.label}: {', '.join(a.id for a in tab.actions)}")
    return 0


def _export(args) -> int:
    import yaml

    from action_box.layout import effective
    from crm.services.profiles import profile_for_user, profile_settings

    _, database = open_database(args)
    with database.reading() as session:
        if args.effective:
            if not args.user:
                print("cicada: error: --effective needs --user", file=sys.stderr)
                return 2
            layout = effective(profile_for_user(session, args.user).action_box)
        else:
            own = profile_settings(session, org_unit=args.level, username=args.user)
            layout = own.get("action_box")
    if layout is None:
        print(f"# {args.level or args.user} sets no layout of its own: it inherits "
              "(export --user NAME --effective shows what an agent sees)")
        return 0
    text = yaml.safe_dump(layout, allow_unicode=True, sort_keys=False, width=100)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _import(args) -> int:
    import yaml

    from action_box.layout import check_layout
    from crm.errors import ValidationError
    from crm.services.profiles import set_profile_setting

    try:
        data = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(f"{args.file}: cannot be read as YAML: {exc}") from None
    layout = check_layout(data)
    _, database = open_database(args)
    with database.unit_of_work() as session:
        set_profile_setting(session, actor(session, args), "action_box", layout,
                            org_unit=args.level, username=args.user)
    tabs = ", ".join(t["id"] for t in layout.get("tabs", [])) or "the default tabs"
    print(f"the Action Box of {args.level or args.user} now shows {tabs}")
    return 0


def _reset(args) -> int:
    from crm.services.profiles import set_profile_setting

    _, database = open_database(args)
    with database.unit_of_work() as session:
        set_profile_setting(session, actor(session, args), "action_box", None,
                            org_unit=args.level, username=args.user)
    print(f"{args.level or args.user} inherits its Action Box layout again")
    return 0
