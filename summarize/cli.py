"""The ``summarize`` command: parses options, calls the library, prints. Nothing else lives here.

Commands:

- ``summarize run PATH... [--out OUT]``: summarize files and folders, write one JSON document per
  article to OUT, print a table. Exit status 0 when every article succeeded, 1 when any failed,
  2 for a usage or configuration error.
- ``summarize schema``: print the JSON schema sent to models.
- ``summarize fixtures author ARTICLE ANSWER...``: record hand-written answers as fixtures.
- ``summarize fixtures rekey PATH...``: carry fixtures over to the current prompt and schema.

Heavy modules (openai, instructor, pydantic, rich) are imported only by the command that needs them,
so ``summarize --help`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import __version__

__all__ = ["main"]

_ARTICLE_SUFFIXES = (".txt", ".md")


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and fixtures")
    g.add_argument("--model", help="model name (default: $SUMMARIZE_MODEL or gpt-4o-mini)")
    g.add_argument("--base-url", help="OpenAI-compatible server URL (default: $OPENAI_BASE_URL)")
    g.add_argument("--fixtures", help="fixtures folder (default: $SUMMARIZE_FIXTURES or ./fixtures)")
    g.add_argument("--mode", choices=["replay", "record", "auto", "live"],
                   help="fixture mode (default: auto with a key or base URL, else replay)")
    g.add_argument("--output-mode", choices=["json_schema", "tools", "json", "md_json"],
                   help="how structured output is requested (default: json_schema)")
    g.add_argument("--max-reasks", type=int, default=2, help="reasks after an invalid answer (default: 2)")
    g.add_argument("--retries", type=int, default=5, help="retries of a transient failure: 429, 5xx, timeout (default: 5)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="summarize", description="Typed, source-grounded structured summaries of news articles.")
    parser.add_argument("--version", action="version", version=f"summarize {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="summarize article files or folders",
                         description="Summarize article files (.txt, .md) or every such file in folders.")
    run.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    run.add_argument("--out", type=Path, default=Path("out"), help="folder for the JSON summaries (default: ./out)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _common(run)

    sub.add_parser("schema", help="print the JSON schema sent to models")

    fx = sub.add_parser("fixtures", help="author or rekey fixtures")
    fxsub = fx.add_subparsers(dest="fixtures_command", required=True, metavar="ACTION")
    author = fxsub.add_parser("author", help="record hand-written answers for one article as fixtures")
    author.add_argument("article", type=Path)
    author.add_argument("answers", nargs="+", type=Path, metavar="ANSWER",
                        help="answer JSON files, in order; all but the last must fail validation (a reask sequence)")
    author.add_argument("--author", required=True, help="who wrote the answers")
    author.add_argument("--note", required=True, help="why and how they were written")
    author.add_argument("--fixtures", default="fixtures")
    rekey = fxsub.add_parser("rekey", help="re-record fixtures under the current prompt and schema")
    rekey.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    rekey.add_argument("--fixtures", default="fixtures")
    return parser


def article_files(paths: list[Path]) -> list[Path]:
    """The article files named by ``paths``: files as given, folders searched recursively, sorted."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _ARTICLE_SUFFIXES))
        else:
            found.append(p)
    return found


def _run(args: argparse.Namespace) -> int:
    from .errors import SummarizeError
    from .pipeline import Summarizer

    summarizer = Summarizer(model=args.model, base_url=args.base_url, fixtures=args.fixtures, mode=args.mode,
                            output_mode=args.output_mode, max_reasks=args.max_reasks, retries=args.retries)
    files = article_files(args.paths)
    if not files:
        print(f"summarize: no article files (.txt, .md) in {', '.join(map(str, args.paths))}", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    with summarizer:
        for path in files:
            try:
                result = summarizer.run(path)
            except SummarizeError as exc:
                rows.append({"article": path.stem, "status": "failed", "error": exc.kind, "message": str(exc)})
                continue
            result.write(args.out)
            s, u = result.summary, result.usage
            rows.append({"article": result.article.id, "status": "replayed" if u.replayed == u.attempts else "done",
                         "quotes": len(s.quotes), "events": len(s.events), "entities": len(s.entities),
                         "attempts": u.attempts, "tokens": u.total_tokens})
    failed = [r for r in rows if r["status"] == "failed"]
    _print_table(rows, args.out, summarizer, quiet=args.quiet)
    return 1 if failed else 0


def _print_table(rows: list[dict[str, Any]], out: Path, summarizer: Any, *, quiet: bool) -> None:
    if not quiet:
        _table(rows, out, summarizer)
    for r in rows:
        if r["status"] == "failed":
            print(f"{r['article']}: {r['error']}: {r['message']}", file=sys.stderr)


def _table(rows: list[dict[str, Any]], out: Path, summarizer: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    columns = ("article", "status", "quotes", "events", "entities", "attempts", "tokens")
    table = Table(title=f"summarize: {summarizer.settings.model}, {summarizer.prompt.id}, mode {summarizer.settings.mode.value}")
    for col in columns:
        table.add_column(col, justify="left" if col in ("article", "status") else "right", no_wrap=col == "article")
    for r in rows:
        table.add_row(*(str(r.get(c, "")) for c in columns), style="red" if r["status"] == "failed" else None)
    console = Console()
    console.print(table)
    ok = sum(r["status"] != "failed" for r in rows)
    console.print(f"{ok} of {len(rows)} articles summarized; summaries in {out}/", highlight=False)


def _fixtures(args: argparse.Namespace) -> int:
    from .authoring import author_fixtures, rekey_fixtures

    if args.fixtures_command == "author":
        answers = [json.loads(p.read_text(encoding="utf-8")) for p in args.answers]
        result = author_fixtures(args.article, answers, fixtures=args.fixtures, author=args.author, note=args.note)
        print(f"{result.article.id}: {result.usage.attempts} exchange(s) written to {args.fixtures}/{result.article.id}/")
        return 0
    report = rekey_fixtures(article_files(args.paths), fixtures=args.fixtures)
    for article, status in report.items():
        print(f"{article}: {status}")
    return 1 if any(s.startswith("failed") for s in report.values()) else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    from .errors import SummarizeError

    try:
        if args.command == "run":
            return _run(args)
        if args.command == "schema":
            from .schema import model_schema

            print(json.dumps(model_schema(), indent=2))
            return 0
        return _fixtures(args)
    except SummarizeError as exc:
        print(f"summarize: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("summarize: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
