"""``python -m payproof.i18n update|compile|check``: maintain the message catalogs.

update   extract the messages from the code and merge them into each payproof.po
compile  write each payproof.mo from its payproof.po (commit both)
check    exit 1 when a message is missing or untranslated, or a .mo is stale
"""

from __future__ import annotations

import sys

from payproof.i18n import catalogs


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "update":
        for path in catalogs.update():
            print(f"updated {path}")
        return 0
    if command == "compile":
        for path in catalogs.compile_all():
            print(f"compiled {path}")
        return 0
    if command == "check":
        found = list(catalogs.problems())
        for line in found:
            print(line)
        print("catalogs OK" if not found else f"{len(found)} problem(s)")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
