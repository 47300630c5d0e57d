"""`cicada`: the one command-line program, with a subcommand per task."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from cicada import __version__
from cicada.config import ConfigError

log = logging.getLogger("cicada")


def build_parser() -> argparse.ArgumentParser:
    from cicada.commands import (
        actions_cmd,
        app_cmd,
        config_cmd, console_cmd, crm_cmd, db_cmd, demo_cmd, desktop_cmd, gateway_cmd, keys_cmd, mailq_cmd, outbound_cmd,
        report_cmd,
        scripts_cmd, telephony_cmd, users_cmd,
    )

    parser = argparse.ArgumentParser(
        prog="cicada",
        description="Cicada contact center: CRM, CTI gateway, email/chat queue and the agent desktop.",
    )
    parser.add_argument("--version", action="version", version=f"cicada {__version__}")
    parser.add_argument("--config", metavar="PATH",
                        help="configuration file (default: $CICADA_CONFIG, else cicada.toml "
                             "in the user configuration directory)")
    parser.add_argument("--db-url", metavar="URL",
                        help="database URL, overriding the configuration and $CICADA_DB_URL")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (demo_cmd, db_cmd, crm_cmd, users_cmd, app_cmd, gateway_cmd, telephony_cmd, mailq_cmd,
                   desktop_cmd, console_cmd, report_cmd, scripts_cmd, actions_cmd, outbound_cmd, config_cmd, keys_cmd):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from crm.errors import CrmError

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args) or 0
    except (CrmError, ConfigError) as exc:
        print(f"cicada: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cicada: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
