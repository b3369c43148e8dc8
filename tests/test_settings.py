"""Production mode: `check --deploy` is clean, unsafe defaults are refused, logs are JSON;
Celery is configured to survive a killed worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "k9#Vd2!pQ7zR4mX8wL1tY6uB3nC5eH0jF-sA_gK+oI@rE%yW^vN"
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": SECRET,
    "BASE_DOMAIN": "crm.example.com",
    "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    "POSTMARK_SERVER_TOKEN": "server-token",
    "ANYMAIL_WEBHOOK_SECRET": "hooks:a-long-random-webhook-password",
}
# Variables of the test run that a production process would not have (the browser tests set
# DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which check --deploy rightly flags).
_OURS = {
    *PRODUCTION,
    "ALLOWED_HOSTS",
    "LOG_FORMAT",
    "TESTING",
    "SITE_PORT",
    "SITE_SCHEME",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _env(**changes: str | None) -> dict[str, str]:
    """The test process's environment in production mode; a None value removes a variable."""
    env = {k: v for k, v in os.environ.items() if k not in _OURS}
    # Production has no default for these: use the test run's own servers.
    env |= {"DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL}
    env |= PRODUCTION | changes  # type: ignore[operator]
    return {k: v for k, v in env.items() if v is not None}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode():
    result = _manage(_env(), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_compose_mail_setup_passes_the_deploy_check_too():
    smtp = _env(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="mailpit",
        EMAIL_PORT="1025",
    )
    result = _manage(smtp, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set to a random value of at least 50"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be set to a random value of at least 50"),
        (
            {"SECRET_KEY": "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"},
            "SECRET_KEY must be set",
        ),
        ({"EMAIL_BACKEND": None}, "Set EMAIL_BACKEND"),
        ({"ANYMAIL_WEBHOOK_SECRET": None}, "Set ANYMAIL_WEBHOOK_SECRET"),
        ({"DATABASE_URL": None}, "Set DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL must point at PostgreSQL"),
        ({"REDIS_URL": None}, "Set REDIS_URL"),
        ({"DEBUG": "perhaps"}, "DEBUG must be a boolean"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must not be empty"),
        ({"SIGNIN_FAILURE_LIMIT": "five"}, "SIGNIN_FAILURE_LIMIT must be an integer"),
    ],
)
def test_unsafe_or_broken_production_settings_are_refused(change, message):
    result = _manage(_env(**change), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_logs_are_json_lines_with_schema_and_request_id():
    result = _manage(
        _env(),
        "shell",
        "-c",
        "import logging; logging.getLogger('talentcrm.probe').warning('hello %s', 'world')",
    )
    assert result.returncode == 0, result.stderr
    line = next(ln for ln in result.stderr.splitlines() if "talentcrm.probe" in ln)
    record = json.loads(line)
    assert record["message"] == "hello world"
    assert record["levelname"] == "WARNING"
    assert record["schema"] == "public"
    assert record["request_id"] == "-"


def test_celery_is_configured_to_survive_a_killed_worker():
    from config.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    # Redis redelivers unacknowledged tasks after the visibility timeout: it must exceed the
    # longest countdown we schedule (delayed rejection emails: 24 h).
    assert app.conf.broker_transport_options["visibility_timeout"] > 24 * 3600


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend", "MAILGUN_API_KEY": "key"},
            "Set MAILGUN_WEBHOOK_SIGNING_KEY: EMAIL_BACKEND uses mailgun.",
        ),
        (
            {
                "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
                "MAILGUN_API_KEY": "key",
                "MAILGUN_WEBHOOK_SIGNING_KEY": "  ",
            },
            "Set MAILGUN_WEBHOOK_SIGNING_KEY",
        ),
        (
            {
                "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
                "MAILGUN_WEBHOOK_SIGNING_KEY": "signing-key",
            },
            "Set MAILGUN_API_KEY",
        ),
        ({"POSTMARK_SERVER_TOKEN": ""}, "Set POSTMARK_SERVER_TOKEN: EMAIL_BACKEND uses postmark."),
        ({"EMAIL_BACKEND": "anymail.backends.sendgrid.EmailBackend"}, "Set SENDGRID_API_KEY"),
        (
            {"EMAIL_BACKEND": "anymail.backends.mandrill.EmailBackend"},
            "anymail.backends.mandrill.EmailBackend is not supported in production",
        ),
        ({"ANYMAIL_WEBHOOK_SECRET": "no-colon"}, "ANYMAIL_WEBHOOK_SECRET must be user:password"),
        (
            {"ANYMAIL_WEBHOOK_SECRET": "dev-webhook-user:dev-webhook-password"},
            "ANYMAIL_WEBHOOK_SECRET must be user:password with a random password",
        ),
        ({"MAX_REQUEST_BYTES": "1000"}, "MAX_REQUEST_BYTES must be at least MAX_UPLOAD_BYTES"),
    ],
)
def test_every_chosen_esps_keys_are_required_in_production(change, message):
    result = _manage(_env(**change), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_a_complete_mailgun_setup_starts_and_passes_the_deploy_check():
    mailgun = _env(
        EMAIL_BACKEND="anymail.backends.mailgun.EmailBackend",
        MAILGUN_API_KEY="key-0123456789",
        MAILGUN_WEBHOOK_SIGNING_KEY="signing-0123456789",
    )
    result = _manage(mailgun, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
