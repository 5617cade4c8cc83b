"""Fill msgstr entries of the zh_Hans_CN catalog from a JSON dict {msgid: msgstr}.

Usage: python tools/po_fill.py translations.json   (only empty entries are filled;
pass --force to overwrite). `make i18n` extracts and merges new msgids first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "planner/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def main() -> None:
    force = "--force" in sys.argv
    src = [a for a in sys.argv[1:] if not a.startswith("--")][0]
    table = json.loads(Path(src).read_text(encoding="utf-8"))
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    filled = 0
    for msg in catalog:
        if msg.id and msg.id in table and (force or not msg.string):
            msg.string = table[msg.id]
            msg.flags.discard("fuzzy")
            filled += 1
    missing = [m.id for m in catalog if m.id and not m.string]
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    print(f"filled {filled}; still untranslated: {len(missing)}")
    for m in missing:
        print("  ", json.dumps(m, ensure_ascii=False))


if __name__ == "__main__":
    main()
