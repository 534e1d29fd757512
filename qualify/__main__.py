"""The `qualify` command: Django's management commands under one name."""

import os
import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["version"]):
        # P61: the release, not Django's version (which `manage.py --version` prints).
        from qualify import __version__

        print(f"qualify {__version__}")
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualify.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["qualify", *sys.argv[1:]])


if __name__ == "__main__":
    main()
