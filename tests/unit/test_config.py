"""Settings from the environment, and refusal to start unsafely in production."""

from __future__ import annotations

import pytest

from portal.config import ConfigError, Settings
from portal.crypto import new_key


def test_defaults_use_sqlite_and_local_media() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.media_url.startswith("file://")
    assert not settings.is_production


def test_environment_is_read() -> None:
    settings = Settings.from_env(
        {
            "PORTAL_DATABASE_URL": "postgresql+psycopg://db/portal",
            "PORTAL_MEDIA_URL": "s3://bucket/media",
            "PORTAL_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "PORTAL_BASE_URL": "https://recognise.example/",
            "PORTAL_PER_PAGE": "50",
        }
    )
    assert settings.database_url == "postgresql+psycopg://db/portal"
    assert settings.media_url == "s3://bucket/media"
    assert settings.s3_endpoint_url == "http://127.0.0.1:9000"
    assert settings.base_url == "https://recognise.example"
    assert settings.per_page == 50


@pytest.mark.parametrize("secret", [None, "short"])
def test_production_refuses_a_missing_or_weak_secret(secret: str | None) -> None:
    env = {"PORTAL_ENV": "production"}
    if secret:
        env["PORTAL_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        Settings.from_env(env)


TIP_KEY = new_key()


def test_production_with_a_secret_sets_secure_cookies() -> None:
    settings = Settings.from_env(
        {
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": "k" * 40,
            "PORTAL_TIP_ENCRYPTION_KEY": TIP_KEY,
        }
    )
    config = settings.flask_config()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SECRET_KEY"] == "k" * 40


def test_production_refuses_to_keep_tips_without_an_encryption_key() -> None:
    with pytest.raises(ConfigError, match="PORTAL_TIP_ENCRYPTION_KEY must be set"):
        Settings.from_env({"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "k" * 40})


def test_tip_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            "PORTAL_TIP_ENCRYPTION_KEY": f"{TIP_KEY},{new_key()}",
            "PORTAL_TIP_RATE_LIMIT": "5 per minute;20 per hour",
            "PORTAL_TIP_MIN_SECONDS": "5",
            "PORTAL_PROXY_HOPS": "1",
        }
    )
    assert settings.tip_rate_limit == "5 per minute;20 per hour"
    assert (settings.tip_min_seconds, settings.proxy_hops) == (5, 1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORTAL_PER_PAGE", "lots"),
        ("PORTAL_PER_PAGE", "0"),
        ("PORTAL_ENV", "x"),
        ("PORTAL_TIP_ENCRYPTION_KEY", "too-short"),
        ("PORTAL_TIP_ENCRYPTION_KEY", "not base64 !!"),
        ("PORTAL_TIP_RATE_LIMIT", "lots"),
        ("PORTAL_TIP_MIN_SECONDS", "-1"),
        ("PORTAL_PROXY_HOPS", "x"),
    ],
)
def test_bad_values_are_refused_with_a_message(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
