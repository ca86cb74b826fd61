"""Environment parsing and the refusal to run production with development values."""

import os

from django.core.exceptions import ImproperlyConfigured

DEV_SECRET_KEY = "dev-insecure-my-prescriptions-change-me"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


SECRET_KEY_MIN_LENGTH = 40
SECRET_KEY_MIN_DISTINCT = 5  # as Django's own deploy check (security.W009)
# Prefixes of keys that were generated for development: ours, and `startproject`'s.
DEV_SECRET_KEY_PREFIXES = ("dev-", "django-insecure-")


def unsafe_production_reasons(*, debug: bool, secret_key: str, test_idp: bool) -> list[str]:
    """Why this configuration must not run with DEBUG off, in words for the operator."""
    if debug:
        return []
    reasons = []
    if secret_key == DEV_SECRET_KEY or secret_key.startswith(DEV_SECRET_KEY_PREFIXES):
        reasons.append("SECRET_KEY is a development value")
    elif len(secret_key) < SECRET_KEY_MIN_LENGTH or len(set(secret_key)) < SECRET_KEY_MIN_DISTINCT:
        reasons.append(
            f"SECRET_KEY is too short or too simple (at least {SECRET_KEY_MIN_LENGTH} random characters)"
        )
    if test_idp:
        reasons.append("TEST_IDP is on: the test IdP lets anyone log in as anyone")
    return reasons


def refuse_unsafe_production(*, debug: bool, secret_key: str, test_idp: bool) -> None:
    reasons = unsafe_production_reasons(debug=debug, secret_key=secret_key, test_idp=test_idp)
    if reasons:
        raise ImproperlyConfigured(
            "Refusing to start with DEBUG off: " + "; ".join(reasons) + ". Set DEBUG=1 for development."
        )
