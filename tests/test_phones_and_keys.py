"""Phone normalization and search keys, without a database."""

import pytest

from crm.phones import display_phone, normalize_phone
from crm.search_keys import deletions, fold, name_tokens, phone_tokens, prefix_upper_bound


@pytest.mark.parametrize("typed, region, e164", [
    ("+86 138 0013 8000", "CN", "+8613800138000"),
    ("13800138000", "CN", "+8613800138000"),
    ("010-6552 9988", "CN", "+861065529988"),
    ("+1 (415) 555-0100", "CN", "+14155550100"),
    ("0044 20 7946 0958", "CN", "+442079460958"),
    ("(415) 555-0100", "US", "+14155550100"),
    ("tel:+8613800138000", "CN", "+8613800138000"),
    ("<sip:13800138000@gw.example>", "CN", "+8613800138000"),
    ("ext. 12", "CN", None),
    ("12345", "CN", None),
    ("", "CN", None),
])
def test_normalize(typed, region, e164):
    assert normalize_phone(typed, region).e164 == e164


def test_display_national_at_home_international_abroad():
    assert display_phone("+8613800138000", "", "CN") == "138 0013 8000"
    assert display_phone("+14155550100", "", "CN") == "+1 415-555-0100"
    assert display_phone(None, "ext. 12") == "ext. 12"


def test_keys():
    assert fold("ＺＯË") == "zoe"
    assert {"张秀英", "秀英", "英", "zhang", "xiuying", "zhangxiuying", "xiuyingzhang", "xiu", "ying"} == \
        name_tokens("person", "秀英", "张", None)
    assert {"8000", "13800138000", "8613800138000"} <= phone_tokens(normalize_phone("13800138000"))
    assert deletions("abc") == {"abc", "bc", "ac", "ab"}
    assert prefix_upper_bound("zha") == "zhb"
