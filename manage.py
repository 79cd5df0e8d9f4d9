#!/usr/bin/env python
"""Django's command-line utility for the Kedaitong portal."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kedaitong.settings")
    from django.core.management import execute_from_command_line

    from kedaitong.env import EnvError

    try:
        execute_from_command_line(sys.argv)
    except EnvError as exc:
        # One clear line naming the variable, not a traceback.
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
