"""Names customers give (an email's display name, the web chat's name field)
split into family and given name for the new-customer form."""

import pytest

from crm.person_names import split_person_name


@pytest.mark.parametrize(("name", "expected"), [
    ("王芳", ("王", "芳")),
    ("张伟国", ("张", "伟国")),
    ("欧阳娜娜", ("欧阳", "娜娜")),  # a compound family name
    ("司马光", ("司马", "光")),
    ("歐陽修", ("歐陽", "修")),  # traditional characters
    ("欧阳", ("欧", "阳")),  # two characters: family name and given name, even if it reads as a compound
    ("王 芳", ("王", "芳")),
    ("李", ("李", "")),
    ("Anna Berg", ("Berg", "Anna")),
    ("Mary Ann Smith", ("Smith", "Mary Ann")),
    ("Berg, Anna", ("Berg", "Anna")),
    ('"Jean-Luc Picard"', ("Picard", "Jean-Luc")),
    ("  Cher ", ("Cher", "")),
    ("anna.berg@example.de", ("", "")),
    ("", ("", "")),
    ("---", ("", "")),
])
def test_split_person_name(name, expected):
    assert split_person_name(name) == expected
