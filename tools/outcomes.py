"""Print a folder run's outcomes per article as a Markdown table: the figures issue 12 asks for each seed.

    python tools/outcomes.py OUT          # OUT: the folder `summarize run` wrote (ledger.jsonl, documents)

Columns: outcome (complete / partial / failed with its kind), attempts, repairs, items kept (key points,
events, quotes, entities) and dropped, prompt and completion tokens, seconds. Read from the ledger's last line
per article and, for repairs and drops, from the article's document through the library's one reader.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from summarize import read_document
from summarize.text.idpath import id_path


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    last: dict[str, dict] = {}
    for line in (out / "ledger.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            last[entry["article"]] = entry
    print("| article | outcome | attempts | repairs | kept (kp/ev/q/ent) | dropped | tokens in / out | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for article, e in sorted(last.items()):
        repairs = dropped = "-"
        kept = "-"
        outcome = e["status"] if e["status"] != "failed" else f"failed ({e.get('error')})"
        path = out / id_path(article, ".json")
        if e["status"] in ("done", "partial") and path.exists():
            doc = read_document(path)
            s = doc.summary
            kept = "/".join(str(len(s.get(k) or [])) for k in ("key_points", "events", "quotes", "entities"))
            repairs, dropped = str(len(doc.repairs or [])), str(len(doc.dropped or []))
            outcome = doc.status or "complete"
        print(f"| {article} | {outcome} | {e.get('attempts')} | {repairs} | {kept} | {dropped} | "
              f"{e.get('prompt_tokens')} / {e.get('completion_tokens')} | {e.get('seconds')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
