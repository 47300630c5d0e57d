"""Search keys: the words under which a partner can be found.

A partner is indexed under short normalized tokens in `search_token`, and
found by token prefix (an index range scan on both databases):

* Latin words, lower-cased and without accents: ``smith``, ``john``, plus the
  name run together both ways (``johnsmith``, ``smithjohn``) so a full-name
  query is one precise lookup;
* Chinese runs and every suffix of them (``张伟``, ``伟``), so any part of a
  Chinese name is a prefix of some token; person names also in pinyin
  (``zhang``, ``wei``, ``zhangwei``), so an agent can type them on a Latin
  keyboard, and homophones still match;
* the city, email addresses (whole, local part, domain), phone digits (the
  national number, its E.164 digits, and its last 4 to 8 digits so a fragment
  such as ``8000`` or ``00138000`` is found) and the customer number.

Typos are handled by `search_term_variant`: every name word is stored with its
one-letter deletions, so a word with one wrong, missing, extra or swapped
letter meets its variants there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from crm.phones import NormalizedPhone

MAX_TOKEN = 80
MIN_FUZZY_LENGTH = 4

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")


def fold(text: str) -> str:
    """Compatibility-normalize, lower-case and drop accents (Zoë → zoe, ＡＢＣ → abc)."""
    text = unicodedata.normalize("NFKD", text or "").casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", text)


def words(text: str) -> list[str]:
    """Latin/digit words and Chinese runs of `text`, folded."""
    return _WORD.findall(fold(text))


def is_cjk(word: str) -> bool:
    return bool(_CJK_RUN.match(word))


def lazy_pinyin(text) -> list[str]:
    """pypinyin's reading, its tables (~0.5 s and tens of MB) loaded at the first use:
    a desktop only folds and tells scripts apart here, the services index and search."""
    from pypinyin import lazy_pinyin as reading

    return reading(text)


def load_readings() -> None:
    """Load the pinyin tables now: a service calls this at start-up, so that its first
    search or new customer does not wait for them."""
    lazy_pinyin("中")


def pinyin(word: str) -> str:
    return "".join(lazy_pinyin(word))


def _clip(token: str) -> str:
    return token[:MAX_TOKEN]


def name_tokens(kind: str, first_name: str | None, last_name: str | None,
                org_name: str | None) -> set[str]:
    from crm.models import PartnerKind  # here: is_cjk and the folding serve clients without the database's library

    if kind == PartnerKind.PERSON:
        parts = [p for p in (last_name, first_name) if p]
    else:
        parts = [org_name or ""]
    part_words = [words(p) for p in parts]
    tokens: set[str] = set()
    latin = [w for ws in part_words for w in ws if not is_cjk(w)]
    tokens.update(latin)
    if len(latin) > 1:
        tokens.add("".join(latin))
        tokens.add("".join(reversed(latin)))
    # Chinese names are written without spaces: index the whole run (surname
    # first) and its suffixes, so any part of it is a prefix of a token.
    cjk = "".join(w for ws in part_words for w in ws if is_cjk(w))
    tokens.update(cjk[i:] for i in range(len(cjk)))
    if cjk and kind == PartnerKind.PERSON:
        readings = ["".join(lazy_pinyin(w for w in ws if is_cjk(w))) for ws in part_words]
        readings = [r for r in readings if r]
        tokens.update(readings)
        tokens.update(lazy_pinyin(cjk))
        tokens.add("".join(readings))
        tokens.add("".join(reversed(readings)))
    elif cjk:
        tokens.add(pinyin(cjk))
    return {_clip(t) for t in tokens if t}


def city_tokens(city: str | None) -> set[str]:
    city_words = words(city or "")
    result = set(city_words)
    result.update(pinyin(w) for w in city_words if is_cjk(w))
    if len(city_words) > 1:  # "San Francisco" is also found as sanfrancisco
        result.add("".join(city_words))
    return {_clip(t) for t in result}


def email_tokens(address: str) -> set[str]:
    address = fold(address).strip()
    local, _, domain = address.partition("@")
    return {_clip(t) for t in (address, local, domain) if t}


def phone_tokens(phone: NormalizedPhone) -> set[str]:
    tokens = set()
    national = phone.national_digits or phone.digits
    if phone.e164:
        tokens.add(phone.e164.lstrip("+"))
    if national:
        tokens.add(national)
        tokens.update(national[-n:] for n in range(4, 9) if len(national) > n)
    return tokens


def partner_tokens(*, kind: str, first_name: str | None, last_name: str | None,
                   org_name: str | None, partner_no: str, cities: Iterable[str | None] = (),
                   emails: Iterable[str] = (), phones: Iterable[NormalizedPhone] = ()
                   ) -> set[tuple[str, str]]:
    """All (token, field) pairs a partner is found under."""
    from crm.models import SearchField

    pairs = {(t, SearchField.NAME.value) for t in name_tokens(kind, first_name, last_name, org_name)}
    pairs.add((fold(partner_no), SearchField.NUMBER.value))
    for city in cities:
        pairs.update((t, SearchField.CITY.value) for t in city_tokens(city))
    for email in emails:
        pairs.update((t, SearchField.EMAIL.value) for t in email_tokens(email))
    for phone in phones:
        pairs.update((t, SearchField.PHONE.value) for t in phone_tokens(phone))
    return pairs


def fuzzy_terms(tokens: Iterable[str]) -> set[str]:
    """The Latin name words worth finding again despite a typo."""
    return {t for t in tokens if len(t) >= MIN_FUZZY_LENGTH and t.isalpha() and t.isascii()}


def deletions(term: str) -> set[str]:
    """`term` and every string one deleted letter away from it."""
    return {term} | {term[:i] + term[i + 1:] for i in range(len(term))}


def prefix_upper_bound(prefix: str) -> str:
    """The least string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
