"""`cicada config`: where the configuration is and what it says."""

from __future__ import annotations

from cicada.commands import load
from cicada.config import EXAMPLE_CONFIG, default_config_path


def register(commands) -> None:
    parser = commands.add_parser("config", help="show or create the configuration file",
                                 description="Show the configuration in force, or write an example file.")
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print the settings in force and where they come from")
    show.set_defaults(run=_show)
    init = sub.add_parser("init", help="write an example configuration file if there is none")
    init.set_defaults(run=_init)


def _show(args) -> int:
    config = load(args)
    print(f"file:            {config.path or '(none; embedded defaults)'}")
    print(f"database:        {_redact(config.database_url)}")
    print(f"default region:  {config.default_region}")
    for name, value in sorted(config.services.items()):
        print(f"service {name}: {value}")
    return 0


def _init(args) -> int:
    path = default_config_path() if not args.config else __import__("pathlib").Path(args.config)
    if path.exists():
        print(f"{path} exists; left as it is.")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _redact(url: str) -> str:
    """Never print a database password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
