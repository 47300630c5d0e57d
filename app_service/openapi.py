"""Write the API's OpenAPI document: `python -m app_service.openapi [PATH]`.

docs/api/openapi.json is made by this from the code, and a test checks that
it still matches: change a route, run this, commit both."""

from __future__ import annotations

import json
import sys
from pathlib import Path

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "api" / "openapi.json"


def document() -> dict:
    from app_service.app import AppSettings, create_app

    return create_app(AppSettings("sqlite://")).openapi()


def text() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else DOCUMENT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
