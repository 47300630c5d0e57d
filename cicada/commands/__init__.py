"""Subcommands of `cicada`; each module has `register(subparsers)`."""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal

from cicada.config import Config, ensure_sqlite_directory, load_config


def load(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if args.db_url:
        config = dataclasses.replace(config, database_url=args.db_url)
    return config


def open_database(args: argparse.Namespace, *, check: bool = True):
    from crm.db import Database

    config = load(args)
    ensure_sqlite_directory(config.database_url)
    return config, Database.open(config.database_url, check=check)


def add_as_user(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="as_user", metavar="USER",
                        help="apply the permissions of this user (default: the system administrator)")


def actor(session, args: argparse.Namespace):
    from crm.permissions import Actor
    from crm.services.users import actor_for

    return actor_for(session, args.as_user) if args.as_user else Actor.system()


def to_json(value) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, indent=2)


def _default(value):
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
