"""WSGI entry point (gunicorn kedaitong.wsgi)."""

import os
import sys

from django.core.wsgi import get_wsgi_application

from kedaitong.env import EnvError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kedaitong.settings")
try:
    application = get_wsgi_application()
except EnvError as exc:
    # One clear line naming the variable, as manage.py prints, not a traceback
    # buried in the server's log.
    print(f"Configuration error: {exc}", file=sys.stderr)
    # 4 is gunicorn's "application failed to load": its master stops instead of
    # booting a new worker that fails the same way, forever.
    sys.exit(4)
