"""``python -m dropviz.i18n {update,compile,check} [domain ...]``: see :mod:`dropviz.i18n.catalogs`."""

import sys

from dropviz.i18n import catalogs


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "check"
    domains = tuple(argv[1:]) or catalogs.DOMAINS  # e.g. `update dense`: only that family's catalogs
    if cmd in ("extract", "update"):
        catalogs.update(domains)
    elif cmd == "compile":
        catalogs.compile_all(domains)
    elif cmd == "check":
        found = catalogs.problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)")
        return 1 if found else 0
    else:
        print("usage: python -m dropviz.i18n {update,compile,check} [domain ...]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
