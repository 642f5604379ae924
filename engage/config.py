"""Configuration: `Config` reads the ENGAGE_* environment variables, `TestConfig` is the suite's.

Environments: `development` (default; a secret key is generated and kept in the instance folder),
`production` (refuses to start without ENGAGE_SECRET_KEY; secure cookies) and `testing`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"ENGAGE_{name}")
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """The configuration cannot run the application (e.g. production without a secret key)."""


class Config:
    """Settings read from the environment once, when the application is created."""

    TESTING = False

    def __init__(self, instance_path: str | os.PathLike[str]) -> None:
        self.instance_path = Path(instance_path)
        self.ENV_NAME = _env("ENV", "development")
        production = self.ENV_NAME == "production"

        self.SECRET_KEY = _env("SECRET_KEY") or self._development_secret_key(production)

        default_db = f"sqlite:///{self.instance_path / 'engage.sqlite3'}"
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(_env("DATABASE_URL", default_db))
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = _env("REDIS_URL")

        # Sessions are signed cookies: nothing lives in a worker process.
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = production
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = production
        self.PREFERRED_URL_SCHEME = "https" if production else "http"
        self.SERVER_NAME = _env("SERVER_NAME")
        self.PROXY_HOPS = _env_int("PROXY_HOPS", 0)

        # Request bodies: forms are small; the idea forms raise the limit for their photos.
        self.MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)

        # Public pages kept in each worker's memory for visitors without a session, seconds
        # (0: off); see core/pagecache.py.
        self.PAGE_CACHE_SECONDS = _env_int("PAGE_CACHE_SECONDS", 10)
        self.PAGE_CACHE_BYTES = _env_int("PAGE_CACHE_BYTES", 4 * 1024 * 1024)

        # Freed memory handed back to the system every this many requests (0: never); see
        # core/memory.py.
        self.MALLOC_TRIM_EVERY = _env_int("MALLOC_TRIM_EVERY", 200)

        # Map tiles: OpenStreetMap's by default; the CSP allows images from MAP_TILE_HOSTS.
        self.MAP_TILE_URL = _env("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
        self.MAP_TILE_ATTRIBUTION = _env(
            "MAP_TILE_ATTRIBUTION",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
        )
        self.MAP_TILE_HOSTS = _env(
            "MAP_TILE_HOSTS", "https://tile.openstreetmap.org https://*.tile.openstreetmap.org"
        )
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

        # Languages and time.
        self.LANGUAGES = ("ro", "en")
        self.BABEL_DEFAULT_LOCALE = "ro"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Bucharest"
        self.BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")

        # Rate limits: memory per process by default, Redis (shared) when configured.
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_KEY_PREFIX = _env("RATELIMIT_KEY_PREFIX", "engage")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_LOGIN = _env("RATELIMIT_LOGIN", "10 per minute;60 per hour")
        self.RATELIMIT_SIGNUP = _env("RATELIMIT_SIGNUP", "5 per minute;30 per hour")
        self.RATELIMIT_RESET = _env("RATELIMIT_RESET", "5 per minute;30 per hour")

        # Password hashing (Argon2id). Tests lower the cost.
        self.ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
        self.ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)

        # Tokens sent by e-mail.
        self.VERIFY_TOKEN_MAX_AGE = _env_int("VERIFY_TOKEN_MAX_AGE", 7 * 24 * 3600)
        self.RESET_TOKEN_MAX_AGE = _env_int("RESET_TOKEN_MAX_AGE", 3600)

        # Mail: the outbox is drained by SMTP when MAIL_SERVER is set, else written to files.
        self.MAIL_SERVER = _env("MAIL_SERVER")
        self.MAIL_PORT = _env_int("MAIL_PORT", 587)
        self.MAIL_USERNAME = _env("MAIL_USERNAME")
        self.MAIL_PASSWORD = _env("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
        self.MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
        self.MAIL_SENDER = _env("MAIL_SENDER", "engage <no-reply@engage.localhost>")
        self.MAIL_DIRECTORY = _env("MAIL_DIRECTORY", str(self.instance_path / "mail"))

        # Uploaded files (photos) when stored locally; an object store can replace this.
        self.UPLOAD_DIRECTORY = _env("UPLOAD_DIRECTORY", str(self.instance_path / "uploads"))

        # Background jobs (huey): SQLite file in the instance folder, or Redis.
        self.JOBS_IMMEDIATE = _env_bool("JOBS_IMMEDIATE", False)
        # An XLSX export of more cells than this is written by the job consumer (openpyxl
        # writes ~25,000 cells a second: 250,000 is about 10 s); the file is kept this long.
        self.EXPORT_BACKGROUND_CELLS = _env_int("EXPORT_BACKGROUND_CELLS", 250_000)
        self.EXPORT_FILE_HOURS = _env_int("EXPORT_FILE_HOURS", 24)

    def _development_secret_key(self, production: bool) -> str:
        if production:
            raise ConfigError(
                "ENGAGE_SECRET_KEY must be set in production; refusing to start without it."
            )
        path = self.instance_path / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.instance_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key

    def as_dict(self) -> dict[str, object]:
        return {key: getattr(self, key) for key in dir(self) if key.isupper()}


class TestConfig(Config):
    """The suite's settings: fast hashing, immediate jobs, a throw-away instance folder."""

    TESTING = True
    __test__ = False  # not a pytest test class

    def __init__(self, instance_path: str | os.PathLike[str], database_url: str) -> None:
        super().__init__(instance_path)
        self.ENV_NAME = "testing"
        self.SECRET_KEY = "test-secret-key-not-for-production"
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(database_url)
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 1024
        self.JOBS_IMMEDIATE = True
        self.PAGE_CACHE_SECONDS = 0  # the page-cache tests turn it on
        self.MAIL_SERVER = None
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.SERVER_NAME = None


def normalise_database_url(url: str) -> str:
    """Make `postgresql://` and `postgres://` URLs use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
