"""The configuration file and its defaults."""

import pytest

from cicada.config import ConfigError, load_config


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("CICADA_CONFIG", raising=False)
    monkeypatch.delenv("CICADA_DB_URL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def test_no_file_means_sqlite_in_the_user_data_directory(tmp_path):
    config = load_config()
    assert config.path is None
    assert config.database_url == f"sqlite:///{tmp_path / 'data' / 'cicada' / 'cicada.db'}"
    assert config.default_region == "CN"


def test_file_from_env_and_db_url_override(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text('[database]\nurl = "postgresql+psycopg://db/x"\n[phone]\ndefault_region = "gb"\n')
    monkeypatch.setenv("CICADA_CONFIG", str(path))
    config = load_config()
    assert (config.path, config.database_url, config.default_region) == (path, "postgresql+psycopg://db/x", "GB")
    monkeypatch.setenv("CICADA_DB_URL", "sqlite:///other.db")
    assert load_config().database_url == "sqlite:///other.db"


@pytest.mark.parametrize("content, message", [
    ("[database\n", "not valid TOML"),
    ('[phone]\ndefault_region = "XX"\n', "not a region code"),
    ('database = "x"\n', r"\[database\] must be a table"),
])
def test_bad_file_says_what_and_where(tmp_path, content, message):
    path = tmp_path / "c.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path)
    assert str(path) in str(err.value)


def test_named_file_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
