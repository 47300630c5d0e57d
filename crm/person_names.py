"""A person's name as a customer writes it (an email's display name, the name
given in the web chat) split into family and given name for a new customer."""

from __future__ import annotations

import re

from crm.search_keys import is_cjk

# The compound (two-character) Chinese family names still in common use.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 令狐 夏侯 长孙 宇文 司徒 独孤 端木 南宫 西门 轩辕 申屠 "
    "歐陽 諸葛 東方 長孫 司徒 慕容 令狐 夏侯 尉遲 軒轅".split()
)
_QUOTES = "\"'“”‘’「」"


def split_person_name(name: str) -> tuple[str, str]:
    """(family name, given name): 王芳 → (王, 芳), 欧阳修 → (欧阳, 修),
    "Anna Berg" → (Berg, Anna), "Berg, Anna" → (Berg, Anna). ("", "") for what
    is no name (empty, an address)."""
    name = " ".join((name or "").strip(_QUOTES + " ").split())
    if not name or "@" in name or not re.search(r"\w", name):
        return "", ""
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip(), given.strip()
    compact = name.replace(" ", "")
    if is_cjk(compact):  # written family name first, often without a space
        if len(compact) == 1:
            return compact, ""
        cut = 2 if len(compact) >= 3 and compact[:2] in COMPOUND_SURNAMES else 1
        return compact[:cut], compact[cut:]
    *given, family = name.split(" ")
    return family, " ".join(given)
