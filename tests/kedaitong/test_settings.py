"""Settings come from the environment; bad values stop start-up with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from kedaitong.env import DEVELOPMENT_SECRET_KEY, EnvError, env_bool, env_database, env_int

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "x9Qz" * 15


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DJANGO_ENV",
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        )
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_reads_booleans_strictly():
    assert env_bool("DEBUG", False, environ={"DEBUG": "yes"}) is True
    assert env_bool("DEBUG", True, environ={"DEBUG": "0"}) is False
    assert env_bool("DEBUG", True, environ={}) is True
    with pytest.raises(EnvError, match="DEBUG"):
        env_bool("DEBUG", False, environ={"DEBUG": "maybe"})


def test_it_reads_integers_strictly():
    assert env_int("UPLOAD_MAX_MB", 20, environ={"UPLOAD_MAX_MB": "5"}) == 5
    with pytest.raises(EnvError, match="UPLOAD_MAX_MB"):
        env_int("UPLOAD_MAX_MB", 20, environ={"UPLOAD_MAX_MB": "lots"})


def test_it_parses_postgres_and_sqlite_urls():
    pg = env_database(
        "DATABASE_URL", "", environ={"DATABASE_URL": "postgres://u:p@db.internal:5432/kdt"}
    )
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["HOST"], pg["PORT"], pg["NAME"], pg["USER"]) == ("db.internal", 5432, "kdt", "u")
    lite = env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3", environ={})
    assert lite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in lite["OPTIONS"]["init_command"]
    assert lite["OPTIONS"]["timeout"] == 20
    # Connections are kept between requests for a minute, checked before each reuse (docs/decisions.md).
    assert (lite["CONN_MAX_AGE"], lite["CONN_HEALTH_CHECKS"]) == (60, True)
    assert (pg["CONN_MAX_AGE"], pg["CONN_HEALTH_CHECKS"]) == (60, True)


def test_it_keeps_connections_as_long_as_asked_and_refuses_a_negative_age():
    url = {"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}
    assert (
        env_database("DATABASE_URL", "", environ=url | {"DATABASE_CONN_MAX_AGE": "0"})[
            "CONN_MAX_AGE"
        ]
        == 0
    )
    assert (
        env_database("DATABASE_URL", "", environ=url | {"DATABASE_CONN_MAX_AGE": "300"})[
            "CONN_MAX_AGE"
        ]
        == 300
    )
    with pytest.raises(EnvError, match="DATABASE_CONN_MAX_AGE"):
        env_database("DATABASE_URL", "", environ=url | {"DATABASE_CONN_MAX_AGE": "-1"})
    with pytest.raises(EnvError, match="DATABASE_CONN_MAX_AGE"):
        env_database("DATABASE_URL", "", environ=url | {"DATABASE_CONN_MAX_AGE": "a minute"})


@pytest.mark.parametrize("url", ["not a url", "mysql://u:p@h/db", "postgres//missing-colon"])
def test_it_refuses_a_database_url_it_cannot_use(url):
    with pytest.raises(EnvError, match="DATABASE_URL"):
        env_database("DATABASE_URL", "", environ={"DATABASE_URL": url})


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "kdt.example.org"}, "SECRET_KEY"),
        ({"DJANGO_ENV": "production", "SECRET_KEY": STRONG_KEY}, "ALLOWED_HOSTS"),
        ({"DJANGO_ENV": "staging"}, "DJANGO_ENV"),
        # Issue 17 (4): the committed development key and short keys never reach production.
        (
            {
                "DJANGO_ENV": "production",
                "ALLOWED_HOSTS": "kdt.example.org",
                "SECRET_KEY": DEVELOPMENT_SECRET_KEY,
            },
            "SECRET_KEY",
        ),
        (
            {
                "DJANGO_ENV": "production",
                "ALLOWED_HOSTS": "kdt.example.org",
                "SECRET_KEY": "x" * 49,
            },
            "SECRET_KEY",
        ),
        (
            {
                "DJANGO_ENV": "production",
                "ALLOWED_HOSTS": "kdt.example.org",
                "SECRET_KEY": "ab" * 40,
            },
            "SECRET_KEY",
        ),
        ({"TRUSTED_PROXY_COUNT": "0"}, "TRUSTED_PROXY_COUNT"),
        ({"TRUSTED_PROXY_COUNT": "one"}, "TRUSTED_PROXY_COUNT"),
        ({"TASKS_BACKEND": "celery"}, "TASKS_BACKEND"),
        ({"ADMINS": "ops@example.gov.cn,nobody"}, "ADMINS"),
    ],
)
def test_a_bad_environment_stops_start_up_with_one_line_naming_the_variable(env, variable):
    result = run_manage("check", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="kdt.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_the_deploy_check_flags_the_committed_development_key(tmp_path):
    """Issue 17 (4): `check --deploy --fail-level WARNING` fails on the development key wherever it is found."""
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    assert result.returncode == 1
    assert "kedaitong.E010" in result.stderr and "development key" in result.stderr
    strong = run_manage(
        "check",
        "--deploy",
        SECRET_KEY=STRONG_KEY,
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    assert "kedaitong.E010" not in strong.stdout + strong.stderr


def test_it_hashes_passwords_with_argon2_and_speaks_chinese_first():
    from kedaitong import settings as project_settings

    assert (
        project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.AUTH_USER_MODEL == "kedaitong.User"


def test_openpyxl_parses_with_defusedxml():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "EMAIL_"))
        and k
        not in (
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "ALLOWED_HOSTS",
            "MEDIA_ROOT",
            "DEFAULT_FROM_EMAIL",
        )
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("module", ["kedaitong.wsgi", "kedaitong.asgi"])
@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "kdt.example.org"}, "SECRET_KEY"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
    ],
)
def test_a_bad_environment_stops_the_web_server_with_one_line_naming_the_variable(
    module, env, variable
):
    result = run_python(f"import {module}", **env)
    # 4: gunicorn's "application failed to load", so its master stops rather than respawning.
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ")
    assert variable in lines[0]


def test_gunicorn_stops_on_a_bad_environment_instead_of_respawning_workers():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed in this environment")
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ENV", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    result = subprocess.run(
        [str(gunicorn), "--no-control-socket", "-b", "127.0.0.1:0", "kedaitong.wsgi"],
        cwd=ROOT,
        env={**clean, "DEBUG": "maybe"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4
    config_lines = [line for line in result.stderr.splitlines() if "Configuration error" in line]
    assert config_lines == [
        "Configuration error: DEBUG='maybe' is not a boolean; use one of 1/0, true/false, yes/no, on/off"
    ]


SHOW_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'media': str(s.MEDIA_ROOT), 'hosts': s.ALLOWED_HOSTS, 'backend': s.EMAIL_BACKEND, "
    "'host': s.EMAIL_HOST, 'port': s.EMAIL_PORT, 'user': s.EMAIL_HOST_USER, 'password': s.EMAIL_HOST_PASSWORD, "
    "'tls': s.EMAIL_USE_TLS, 'from': s.DEFAULT_FROM_EMAIL, 'server': s.SERVER_EMAIL, 'debug': s.DEBUG}))"
)


def show_settings(**env: str) -> dict:
    import json

    result = run_python(SHOW_SETTINGS, DJANGO_SETTINGS_MODULE="kedaitong.settings", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_environment_mail_goes_to_the_console_and_media_stays_in_the_checkout():
    values = show_settings()
    assert values["backend"] == "django.core.mail.backends.console.EmailBackend"
    assert values["media"] == str(ROOT / "var" / "media")
    assert values["hosts"] == ["127.0.0.1", "localhost", "testserver"]
    assert (values["host"], values["port"], values["tls"]) == ("localhost", 25, False)
    assert values["debug"] is True


def test_it_reads_media_root_mail_and_allowed_hosts_from_the_environment(tmp_path):
    values = show_settings(
        MEDIA_ROOT=str(tmp_path / "uploads"),
        ALLOWED_HOSTS="kdt.example.org, www.kdt.example.org",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="portal",
        EMAIL_HOST_PASSWORD="s3cret",
        EMAIL_USE_TLS="yes",
        DEFAULT_FROM_EMAIL="kdt@example.org",
        DEBUG="off",
    )
    assert values["media"] == str(tmp_path / "uploads")
    assert values["hosts"] == ["kdt.example.org", "www.kdt.example.org"]
    assert values["backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["host"], values["port"], values["user"], values["password"]) == (
        "smtp.example.org",
        587,
        "portal",
        "s3cret",
    )
    assert values["tls"] is True
    assert values["from"] == values["server"] == "kdt@example.org"
    assert values["debug"] is False


@pytest.mark.parametrize(
    ("env", "variable"),
    [({"EMAIL_PORT": "smtp"}, "EMAIL_PORT"), ({"EMAIL_USE_TLS": "perhaps"}, "EMAIL_USE_TLS")],
)
def test_a_malformed_mail_setting_stops_start_up(env, variable):
    result = run_manage("check", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr
