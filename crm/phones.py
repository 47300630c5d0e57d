"""Phone numbers as people type them and as networks send them.

Every number is kept as typed. When phonenumbers can read it (with the
configured default region for national forms such as ``010-6552 9988``), its
E.164 form is kept too; when it cannot, the number is flagged, never refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

_SIP_URI = re.compile(r"^\s*<?(?:sips?|tel):([^@;>]+)", re.IGNORECASE)
_NON_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class NormalizedPhone:
    raw: str
    e164: str | None
    digits: str

    @property
    def is_valid(self) -> bool:
        return self.e164 is not None

    @property
    def national_digits(self) -> str | None:
        """The national significant number, e.g. 13800138000 for +8613800138000."""
        if not self.e164:
            return None
        number = phonenumbers.parse(self.e164)
        return str(phonenumbers.national_significant_number(number))


def strip_uri(text: str) -> str:
    """`sip:+8613800138000@pbx;user=phone` → `+8613800138000`."""
    match = _SIP_URI.match(text)
    return match.group(1) if match else text


def normalize_phone(raw: str, region: str = "CN") -> NormalizedPhone:
    text = strip_uri(raw or "").strip()
    digits = _NON_DIGITS.sub("", text)
    return NormalizedPhone(raw=raw, e164=_to_e164(text, digits, region), digits=digits)


def _to_e164(text: str, digits: str, region: str) -> str | None:
    if not digits:
        return None
    candidates = [text]
    if not text.lstrip().startswith("+"):
        # Networks often send international numbers without the plus.
        candidates.append("+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return None


def display_phone(e164: str | None, raw: str, region: str = "CN") -> str:
    """National format for numbers of the home region, international otherwise."""
    if not e164:
        return raw
    number = phonenumbers.parse(e164)
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
