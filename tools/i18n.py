"""Translation upkeep: extract messages, update catalogs, fill translations.

    python tools/i18n.py update              # extract to messages.pot, merge into every catalog
    python tools/i18n.py fill LANG FILE.json # set msgstr for msgids from a {"msgid": "msgstr"} map
    python tools/i18n.py missing [LANG]      # list messages without a translation

A lock file keeps concurrent runs from overwriting each other's work.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "bot" / "locales"
TEMPLATE = LOCALES / "messages.pot"


@contextmanager
def locked() -> Iterator[None]:
    with open(LOCALES / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def catalogs() -> list[Path]:
    return sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))


def update() -> None:
    with locked():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                "extract",
                "-F",
                "babel.cfg",
                "-k",
                "_",
                "-k",
                "gettext",
                "-k",
                "ngettext:1,2",
                "--no-location",
                "--sort-output",
                "-o",
                str(TEMPLATE),
                "bot",
            ],
            check=True,
            cwd=ROOT,
        )
        for po in catalogs():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "babel.messages.frontend",
                    "update",
                    "-i",
                    str(TEMPLATE),
                    "-o",
                    str(po),
                    "-l",
                    po.parent.parent.name,
                    "--no-fuzzy-matching",
                    "--ignore-obsolete",
                ],
                check=True,
                cwd=ROOT,
            )


def fill(language: str, mapping_file: Path) -> None:
    mapping = json.loads(mapping_file.read_text(encoding="utf-8"))
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    with locked():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        unknown = []
        for msgid, msgstr in mapping.items():
            key = msgid if isinstance(msgstr, str) else (msgid, msgstr.get("plural", ""))
            message = catalog.get(msgid)
            if message is None:
                unknown.append(msgid)
                continue
            message.string = msgstr if isinstance(msgstr, str) else tuple(msgstr["forms"])
            message.flags.discard("fuzzy")
            del key
        with path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, width=0)
    for msgid in unknown:
        print(f"not in the {language} catalog (run update first?): {msgid!r}", file=sys.stderr)


def missing(language: str | None) -> int:
    count = 0
    for po in catalogs():
        code = po.parent.parent.name
        if language and code != language:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=code)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings) or message.fuzzy:
                count += 1
                print(f"{code}: {json.dumps(message.id, ensure_ascii=False)}")
    return count


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        update()
    elif command == "fill" and len(sys.argv) == 4:
        fill(sys.argv[2], Path(sys.argv[3]))
    elif command == "missing":
        sys.exit(1 if missing(sys.argv[2] if len(sys.argv) > 2 else None) else 0)
    else:
        print(__doc__)
        sys.exit(2)
