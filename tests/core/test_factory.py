"""The application factory and its configuration."""

from __future__ import annotations

import pytest

from engage import create_app
from engage.config import Config, ConfigError, TestConfig


def test_testing_config_is_used(app):
    assert app.testing
    assert app.config["ENV_NAME"] == "testing"


def test_factory_without_config_reads_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ENGAGE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.delenv("ENGAGE_SECRET_KEY", raising=False)
    monkeypatch.delenv("ENGAGE_ENV", raising=False)
    app = create_app()
    assert not app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.sqlite3")
    # Development: a secret key is generated once and kept in the instance folder.
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == app.config["SECRET_KEY"]
    again = create_app()
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("ENGAGE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ENGAGE_ENV", raising=False)
    config = Config(tmp_path)
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'engage.sqlite3'}"
    assert config.RATELIMIT_STORAGE_URI == "memory://"


def test_production_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.delenv("ENGAGE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        Config(tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_production_with_secret_key_uses_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("ENGAGE_REDIS_URL", "redis://127.0.0.1:6379/0")
    config = Config(tmp_path)
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
    assert config.SESSION_COOKIE_HTTPONLY and config.SESSION_COOKIE_SAMESITE == "Lax"
    assert config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/0"


def test_postgres_urls_use_psycopg3(tmp_path):
    config = TestConfig(tmp_path, "postgresql://postgres@127.0.0.1/x")
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://postgres@127.0.0.1/x"


def test_extensions_and_features_are_attached(app):
    for name in ("sqlalchemy", "migrate", "babel", "csrf", "limiter", "login_manager"):
        assert name in app.extensions or hasattr(app, name), name
    assert {"accounts", "cities", "admin", "processes", "api"} <= set(app.blueprints)
    assert {"create-admin", "send-mail", "demo-data", "db"} <= set(app.cli.commands)


def test_paths_are_the_projects_top_level_folders(app):
    from engage.config import PROJECT_ROOT

    assert app.template_folder == str(PROJECT_ROOT / "templates")
    assert app.static_folder == str(PROJECT_ROOT / "static")
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(PROJECT_ROOT / "translations")
    assert app.extensions["migrate"].directory == str(PROJECT_ROOT / "migrations")


def test_each_app_has_its_own_settings(tmp_path):
    first = create_app(TestConfig(tmp_path / "a", f"sqlite:///{tmp_path / 'a.sqlite3'}"))
    second = create_app(TestConfig(tmp_path / "b", f"sqlite:///{tmp_path / 'b.sqlite3'}"))
    assert first is not second
    assert first.config["SQLALCHEMY_DATABASE_URI"] != second.config["SQLALCHEMY_DATABASE_URI"]
    assert first.instance_path != second.instance_path
