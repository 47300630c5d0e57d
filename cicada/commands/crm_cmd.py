"""`cicada crm`: identify, search and look up partners from the command line."""

from __future__ import annotations

from cicada.commands import actor, add_as_user, open_database, to_json


def register(commands) -> None:
    parser = commands.add_parser("crm", help="identify, search, show and add business partners",
                                 description="Work with business partners as an administrator or a script would.")
    sub = parser.add_subparsers(dest="crm_command", metavar="ACTION", required=True)

    identify = sub.add_parser(
        "identify", help="who is this caller or sender?",
        description="Identify business partners by phone number (any format), email address "
                    "or customer number, with their contact persons.")
    key = identify.add_mutually_exclusive_group(required=True)
    key.add_argument("--phone", metavar="P", help="phone number as typed or sent by the network")
    key.add_argument("--email", metavar="E", help="email address (case does not matter)")
    key.add_argument("--number", metavar="N", help="customer number")
    identify.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_as_user(identify)
    identify.set_defaults(run=_identify)

    search = sub.add_parser(
        "search", help="find partners by name, company, city, phone or email fragment",
        description="Search partners; partial words, one typo and pinyin are tolerated.")
    search.add_argument("text", nargs="+", help="what to look for")
    search.add_argument("--page", type=int, default=1, help="page number (default: 1)")
    search.add_argument("--page-size", type=int, default=20, help="rows per page (default: 20)")
    search.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_as_user(search)
    search.set_defaults(run=_search)

    add = sub.add_parser(
        "add", help="create a customer, after the duplicate check",
        description="Create a person or organization. Likely duplicates (same name, phone or "
                    "email) are listed and nothing is saved, unless --confirm-duplicates.")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--org", metavar="NAME", help="an organization with this name")
    who.add_argument("--last", metavar="NAME", help="a person with this last name (surname)")
    add.add_argument("--first", metavar="NAME", help="the person's first (given) name")
    add.add_argument("--phone", action="append", default=[], help="phone number (repeatable)")
    add.add_argument("--email", action="append", default=[], help="email address (repeatable)")
    add.add_argument("--country", help="address country, ISO code (CN, US, GB, ...)")
    add.add_argument("--city")
    add.add_argument("--street")
    add.add_argument("--number", metavar="N", help="customer number (default: the next free one)")
    add.add_argument("--role", default="customer",
                     choices=["customer", "prospect", "contact_person", "competitor"])
    add.add_argument("--pool", action="store_true", help="put the customer in the pool, owned by nobody")
    add.add_argument("--confirm-duplicates", action="store_true",
                     help="save even though similar partners exist")
    add.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_as_user(add)
    add.set_defaults(run=_add)

    show = sub.add_parser(
        "show", help="the 360° view of one partner",
        description="Master data, contact persons, relationships, open transactions, installed "
                    "base and the latest interactions of one partner.")
    show.add_argument("number", help="customer number")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_as_user(show)
    show.set_defaults(run=_show)


def _identify(args) -> int:
    from crm.services import identify

    config, database = open_database(args)
    with database.reading() as session:
        who = actor(session, args)
        if args.phone is not None:
            found = identify.identify_by_phone(session, who, args.phone, config.default_region)
        elif args.email is not None:
            found = identify.identify_by_email(session, who, args.email)
        else:
            found = identify.identify_by_number(session, who, args.number)
    if args.json:
        print(to_json(found))
        return 0 if found else 1
    _print_identified(found)
    return 0 if found else 1


def _print_identified(found) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not found:
        console.print("No partner found.")
        return
    table = Table(title=f"{len(found)} partner(s)")
    for column in ("customer no", "name", "kind", "matched by", "contact persons / organizations"):
        table.add_column(column)
    for item in found:
        related = [f"{c.name} ({c.function})" if c.function else c.name
                   for c in item.contact_persons + item.organizations]
        table.add_row(item.partner.partner_no, item.partner.name, item.partner.kind,
                      item.matched_by, ", ".join(related))
    console.print(table)


def _search(args) -> int:
    from crm.services.search import search_partners

    config, database = open_database(args)
    with database.reading() as session:
        page = search_partners(session, actor(session, args), " ".join(args.text),
                               page=args.page, page_size=args.page_size,
                               region=config.default_region)
    if args.json:
        print(to_json({"page": page.page, "page_size": page.page_size, "total": page.total,
                       "has_more": page.has_more, "notes": page.notes, "items": page.items}))
        return 0
    _print_hits(page)
    return 0


def _print_hits(page) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    total = f"{page.total}" if page.total is not None else "many"
    table = Table(title=f"page {page.page}, {total} match(es)")
    for column in ("customer no", "name", "city", "phone", "email", "owner", "matched"):
        table.add_column(column)
    for hit in page.items:
        table.add_row(hit.partner_no, hit.name, hit.city or "", hit.phone or "", hit.email or "",
                      hit.owner or "(pool)", ", ".join(hit.matched_fields))
    console.print(table)
    for note in page.notes:
        console.print(note)
    if page.has_more:
        console.print(f"More on page {page.page + 1} (--page {page.page + 1}).")


def _show(args) -> int:
    from crm.services.partner_view import partner_view
    from crm.services.partners import get_partner_by_number

    _, database = open_database(args)
    with database.reading() as session:
        who = actor(session, args)
        view = partner_view(session, who, get_partner_by_number(session, who, args.number).id)
        data = _view_data(view)
    if args.json:
        print(to_json(data))
    else:
        _print_view(data)
    return 0


def _view_data(view) -> dict:
    p = view.partner
    return {
        "partner_no": p.partner_no, "name": p.name, "kind": p.kind, "roles": p.role_names,
        "segment": p.segment, "value_class": p.value_class, "owner": view.owner,
        "phones": [ph.raw for ph in p.phones], "emails": [e.address for e in p.emails],
        "addresses": [a.one_line() for a in p.addresses],
        "attributes": {a.key: a.value for a in p.attributes},
        "contact_persons": [f"{c.name} ({c.function})" if c.function else c.name
                            for c in view.contact_persons],
        "organizations": [o.name for o in view.organizations],
        "relationships": [f"{r.kind} {r.direction} {r.other.name}" for r in view.relationships],
        "open_transactions": [f"{t.number} {t.kind} {t.status}: {t.subject}"
                              for t in view.open_transactions],
        "installed_base": [f"{i.product.name} SN {i.serial_no} warranty {i.warranty_end}"
                           for i in view.installed_base],
        "latest_interactions": [f"{i.started_at:%Y-%m-%d %H:%M} {i.channel} {i.direction} "
                                f"{i.outcome_code or ''} {i.subject or ''}".rstrip()
                                for i in view.latest_interactions],
    }


def _print_view(data: dict) -> None:
    from rich.console import Console

    console = Console()
    console.print(f"[bold]{data['name']}[/bold]  {data['partner_no']}  {data['kind']}  "
                  f"{', '.join(data['roles'])}")
    console.print(f"owner: {data['owner'] or '(pool)'}  segment: {data['segment'] or '-'}  "
                  f"value class: {data['value_class'] or '-'}")
    for key in ("phones", "emails", "addresses", "contact_persons", "organizations", "relationships",
                "open_transactions", "installed_base", "latest_interactions"):
        if data[key]:
            console.print(f"[bold]{key.replace('_', ' ')}[/bold]")
            for line in data[key]:
                console.print(f"  {line}", markup=False)


def _add(args) -> int:
    from crm.errors import PossibleDuplicates
    from crm.services.partners import AddressDraft, PartnerDraft, create_partner

    address = []
    if args.country or args.city or args.street:
        address = [AddressDraft(country=args.country or "", city=args.city, street=args.street)]
    draft = PartnerDraft(
        kind="organization" if args.org else "person", org_name=args.org, last_name=args.last,
        first_name=args.first, phones=args.phone, emails=args.email, addresses=address,
        partner_no=args.number, roles=[args.role], to_pool=args.pool)
    config, database = open_database(args)
    try:
        with database.unit_of_work() as session:
            partner = create_partner(session, actor(session, args), draft, region=config.default_region,
                                     confirm_duplicates=args.confirm_duplicates)
            created = {"partner_id": partner.id, "partner_no": partner.partner_no, "name": partner.name}
    except PossibleDuplicates as duplicates:
        _print_duplicates(duplicates.candidates, duplicates.hidden, args.json)
        return 3
    print(to_json(created) if args.json else f"created {created['partner_no']} {created['name']}")
    return 0


def _print_duplicates(candidates, hidden: int, as_json: bool) -> None:
    """The possible duplicates the user may read, and how many others he may not."""
    from rich.console import Console
    from rich.table import Table

    if as_json:
        print(to_json({"saved": False, "possible_duplicates": candidates, "hidden_duplicates": hidden}))
        return
    console = Console()
    if candidates:
        table = Table(title="Possible duplicates")
        for column in ("customer no", "name", "why"):
            table.add_column(column)
        for c in candidates:
            table.add_row(c.partner_no, c.name, ", ".join(c.reasons))
        console.print(table)
    if hidden:
        console.print(f"{hidden} {'more ' if candidates else ''}existing partner(s) that you may not see look "
                      "like this one; ask a supervisor whether it is one of them.", markup=False)
    console.print("Nothing was saved. If this is a new customer all the same, "
                  "run again with --confirm-duplicates.")
