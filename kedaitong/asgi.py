"""ASGI entry point."""

import os
import sys

from django.core.asgi import get_asgi_application

from kedaitong.env import EnvError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kedaitong.settings")
try:
    application = get_asgi_application()
except EnvError as exc:
    # One clear line naming the variable, as manage.py prints, not a traceback.
    print(f"Configuration error: {exc}", file=sys.stderr)
    # 4 is gunicorn's "application failed to load": its master stops instead of
    # booting a new worker that fails the same way, forever.
    sys.exit(4)
