"""Fill msgstr entries of the zh_Hans_CN catalog from JSON dicts {msgid: msgstr}.

Usage: python tools/po_fill.py [file.json ...]   (default: every tools/zh/*.json; only
empty entries are filled unless --force). `make i18n` extracts, merges and fills.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "planner/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def main() -> None:
    force = "--force" in sys.argv
    srcs = [Path(a) for a in sys.argv[1:] if not a.startswith("--")]
    if not srcs:
        srcs = sorted((Path(__file__).resolve().parent / "zh").glob("*.json"))
    table: dict[str, str] = {}
    for src in srcs:
        table.update(json.loads(src.read_text(encoding="utf-8")))
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    filled = 0
    for msg in catalog:
        if isinstance(msg.id, tuple):  # ngettext: keyed by the singular; zh has one form
            key = msg.id[0]
            if key in table and (force or not any(msg.string)):
                msg.string = tuple([table[key]] * catalog.num_plurals)
                msg.flags.discard("fuzzy")
                filled += 1
            continue
        if msg.id and msg.id in table and (force or not msg.string):
            msg.string = table[msg.id]
            msg.flags.discard("fuzzy")
            filled += 1
    missing = [m.id for m in catalog if m.id and not (
        any(m.string) if isinstance(m.string, tuple) else m.string)]
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    print(f"filled {filled}; still untranslated: {len(missing)}")
    for m in missing:
        print("  ", json.dumps(m, ensure_ascii=False))


if __name__ == "__main__":
    main()
