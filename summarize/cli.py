"""The ``summarize`` command: parses options, calls the library, prints. Nothing else lives here.

Commands:

- ``summarize run PATH... [--out OUT]``: summarize files and folders concurrently, write one JSON
  document per article and a ledger to OUT, show progress, print a table. Exit status 0 when every
  article succeeded, 1 when any failed, 2 for a usage or configuration error, 130 when interrupted.
- ``summarize schema``: print the JSON schema sent to models.
- ``summarize fixtures author ARTICLE ANSWER...``: record hand-written answers as fixtures.
- ``summarize fixtures rekey PATH...``: carry fixtures over to the current prompt and schema.
- ``summarize eval --pred OUT --gold GOLD [--json] [--overlap 0.5]``: score summaries against gold.
- ``summarize timeline OUT [--json FILE] [--markdown FILE]``: merge a folder of summaries into one
  timeline and a who-said-what index; Markdown on standard output unless a file is named.
- ``summarize report OUT --html DIR``: write a static HTML report of the summaries folder OUT.

Heavy modules (openai, instructor, pydantic, rich) are imported only by the command that needs them,
so ``summarize --help`` starts fast.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__

TYPE_CHECKING = False  # neither typing, json nor pathlib is imported before a command needs it
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

__all__ = ["main"]

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
    g.add_argument("--retries", type=int, default=5, help="retries of a transient failure: 5xx, timeout (default: 5)")
    g.add_argument("--rate-limit-wait", type=float, default=600.0, metavar="SECONDS",
                   help="how long a request rate limited by the server (429) keeps waiting and retrying, from its "
                        "first 429, before its article fails as rate_limited; 429s use up no retries (default: 600)")
    g.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one answer (default: 120)")
    g.add_argument("--max-tokens", type=int, help="output budget per answer; a truncated answer is retried once with twice "
                                                  "this (default: the server's)")
    g.add_argument("--context-window", type=int,
                   help="tokens the model accepts in all; longer articles are refused unsent (default: known for "
                        "OpenAI models, unchecked for others)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="summarize", description="Typed, source-grounded structured summaries of news articles.")
    parser.add_argument("--version", action="version", version=f"summarize {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="summarize article files or folders",
                         description="Summarize article files (.txt, .md; .json/.jsonl records) or every such "
                                     "file in folders, concurrently, with a ledger and resume.")
    run.add_argument("paths", nargs="+", metavar="PATH")
    run.add_argument("--out", default="out", help="folder for the JSON summaries and ledger (default: ./out)")
    run.add_argument("--glob", help="only files matching this pattern, e.g. '**/*.txt' (default: all article files)")
    run.add_argument("--concurrency", type=int, default=8, help="articles in flight at once (default: 8)")
    run.add_argument("--workers", type=int, default=1,
                     help="processes sharing the concurrency, for runs bound by this machine's CPU (default: 1)")
    run.add_argument("--rpm", type=float, help="at most this many requests per minute")
    run.add_argument("--tpm", type=float, help="at most this many tokens per minute")
    run.add_argument("--no-resume", action="store_true", help="redo articles the ledger says are done")
    run.add_argument("--prices", help='JSON price table {"model": [usd_per_1M_in, usd_per_1M_out]}')
    run.add_argument("--quiet", action="store_true", help="no progress bar or table; errors only")
    _common(run)

    sub.add_parser("schema", help="print the JSON schema sent to models")

    fx = sub.add_parser("fixtures", help="author or rekey fixtures")
    fxsub = fx.add_subparsers(dest="fixtures_command", required=True, metavar="ACTION")
    author = fxsub.add_parser("author", help="record hand-written answers for one article as fixtures")
    author.add_argument("article")
    author.add_argument("answers", nargs="+", metavar="ANSWER",
                        help="answer JSON files, in order; all but the last must fail validation (a reask sequence)")
    author.add_argument("--author", required=True, help="who wrote the answers")
    author.add_argument("--note", required=True, help="why and how they were written")
    author.add_argument("--fixtures", default="fixtures")
    rekey = fxsub.add_parser("rekey", help="re-record fixtures under the current prompt and schema")
    rekey.add_argument("paths", nargs="+", metavar="PATH")
    rekey.add_argument("--fixtures", default="fixtures")

    ev = sub.add_parser("eval", help="score summaries against gold annotations",
                        description="Score the documents `summarize run` wrote against gold annotations: "
                                    "summarize-gold/1 JSON files or brat .ann/.txt pairs.")
    ev.add_argument("--pred", required=True, metavar="OUT", help="the folder `summarize run` wrote (OUT/<id>.json)")
    ev.add_argument("--gold", required=True, metavar="GOLD", help="a gold folder or file (<id>.json or <id>.ann + <id>.txt)")
    ev.add_argument("--json", action="store_true", help="print the report as JSON on stdout instead of tables")
    ev.add_argument("--overlap", type=float, default=0.5,
                    help="least intersection-over-union of characters for an overlap match (default: 0.5)")
    tl = sub.add_parser("timeline", help="merge a folder of summaries into one timeline and who said what",
                        description="Merge the events of a folder of summaries (written by `summarize run`) into "
                                    "one chronological timeline, the same event reported by several articles "
                                    "becoming one entry, and group their quotes by speaker. Prints Markdown "
                                    "unless --json or --markdown is given.")
    tl.add_argument("out", metavar="OUT", help="the folder of summaries (the --out of `summarize run`)")
    tl.add_argument("--json", metavar="FILE", help="write the timeline as JSON (format summarize-timeline/1)")
    tl.add_argument("--markdown", metavar="FILE", help="write the timeline as Markdown")
    report = sub.add_parser("report", help="write a static HTML report of a summaries folder",
                            description="Write a self-contained static site (index, timeline, who said what, one "
                                        "page per article with its quotes and evidence highlighted) from the "
                                        "summaries and ledger in OUT. Open DIR/index.html in a browser.")
    report.add_argument("out", metavar="OUT", help="the folder that `summarize run --out` wrote")
    report.add_argument("--html", required=True, metavar="DIR", help="folder for the site (created if needed)")
    return parser


def _prices(path: Path | None) -> dict[str, tuple[float, float]] | None:
    if path is None:
        return None
    import json

    from .errors import ConfigurationError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(model): (float(p[0]), float(p[1])) for model, p in data.items()}
    except (OSError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ConfigurationError(f"--prices {path}: expected JSON like {{\"gpt-4o-mini\": [0.15, 0.60]}} "
                                 f"(USD per million input and output tokens): {exc}") from exc


def _paths(args: argparse.Namespace, *names: str) -> None:
    """Turn the string options ``names`` into Paths, once a command runs (pathlib stays out of start-up)."""
    from pathlib import Path

    for name in names:
        value = getattr(args, name, None)
        if isinstance(value, list):
            setattr(args, name, [Path(v) for v in value])
        elif value is not None:
            setattr(args, name, Path(value))


def _run(args: argparse.Namespace) -> int:
    from .pipeline import Summarizer
    from .progress import RichProgress

    _paths(args, "paths", "out", "prices")

    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        print(f"summarize: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    summarizer = Summarizer(model=args.model, base_url=args.base_url, fixtures=args.fixtures, mode=args.mode,
                            output_mode=args.output_mode, max_reasks=args.max_reasks, retries=args.retries,
                            rate_limit_wait=args.rate_limit_wait,
                            timeout=args.timeout, max_tokens=args.max_tokens, context_window=args.context_window,
                            rpm=args.rpm, tpm=args.tpm)
    progress = RichProgress(enabled=not args.quiet)
    try:
        report = summarizer.summarize_folder(args.paths, args.out, glob=args.glob, concurrency=args.concurrency,
                                             resume=not args.no_resume, prices=_prices(args.prices), progress=progress,
                                             workers=args.workers)
    except KeyboardInterrupt:
        done = progress.report.finished if progress.report else 0
        print(f"summarize: interrupted after {done} article(s); finished work is saved in {args.out}/. "
              "Run the same command again to resume.", file=sys.stderr)
        return 130
    if report.total == 0:
        print(f"summarize: no articles (.txt, .md, .json, .jsonl) in {', '.join(map(str, args.paths))}", file=sys.stderr)
        return 2
    if not args.quiet:
        _table(report, summarizer)
    for f in report.failures[:50]:
        print(f"{f['article']}: {f['error']}: {f['message']}", file=sys.stderr)
    if report.failed > 50:
        print(f"... and {report.failed - 50} more failures: see {args.out}/ledger.jsonl", file=sys.stderr)
    return 0 if report.ok else 1


def _table(report: Any, summarizer: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    s = summarizer.settings
    if report.total <= 50:
        columns = ("article", "status", "quotes", "events", "entities", "attempts", "tokens")
        table = Table(title=f"summarize: {s.model}, {summarizer.prompt.id}, mode {s.mode.value}")
        for col in columns:
            table.add_column(col, justify="left" if col in ("article", "status") else "right", no_wrap=col == "article")
        for r in sorted(report.rows, key=lambda row: row["article"]):
            status = "replayed" if r["status"] == "done" and r.get("replayed") == r.get("attempts") else r["status"]
            tokens = (r.get("prompt_tokens") or 0) + (r.get("completion_tokens") or 0)
            cells = [r["article"], status, r.get("quotes", ""), r.get("events", ""), r.get("entities", ""),
                     r.get("attempts", ""), tokens or ""]
            table.add_row(*map(str, cells), style="red" if r["status"] == "failed" else None)
        console.print(table)
    rate = report.finished / report.seconds if report.seconds else 0.0
    cost = f"${report.cost_usd:.4f}" if report.cost_usd is not None else "unknown (model not in the price table)"
    console.print(
        f"{report.done + report.skipped} of {report.total} articles summarized "
        f"({report.replayed} replayed, {report.skipped} skipped as already done, {report.failed} failed) "
        f"in {report.seconds:.1f} s, {rate:.1f}/s; {report.requests} requests sent; "
        f"live tokens {report.live_prompt_tokens} in / {report.live_completion_tokens} out, est. cost {cost}. "
        f"Summaries and ledger.jsonl in {report.out}/",
        highlight=False,
    )


def _fixtures(args: argparse.Namespace) -> int:
    import json

    from .authoring import author_fixtures, rekey_fixtures

    _paths(args, "paths", "article", "answers")

    if args.fixtures_command == "author":
        answers = [json.loads(p.read_text(encoding="utf-8")) for p in args.answers]
        result = author_fixtures(args.article, answers, fixtures=args.fixtures, author=args.author, note=args.note)
        print(f"{result.article.id}: {result.usage.attempts} exchange(s) written to {args.fixtures}/{result.article.id}/")
        return 0
    from .articles import Article, iter_articles

    articles = [a for a in iter_articles(args.paths) if isinstance(a, Article)]
    report = rekey_fixtures(articles, fixtures=args.fixtures)
    for article, status in report.items():
        print(f"{article}: {status}")
    return 1 if any(s.startswith("failed") for s in report.values()) else 0


def _eval(args: argparse.Namespace) -> int:
    import json

    from .evalreport import print_report
    from .evaluate import evaluate

    report = evaluate(args.pred, args.gold, overlap=args.overlap)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_report(report)
    return 0

def _timeline(args: argparse.Namespace) -> int:
    from .files import write_json_atomic, write_text_atomic
    from .timeline import SkippedFile, build_timeline, load_documents, timeline_markdown

    _paths(args, "out", "json", "markdown")
    skipped: list[SkippedFile] = []

    def report(skip: SkippedFile) -> None:
        skipped.append(skip)
        print(f"summarize: {'cannot read' if skip.corrupt else 'skipped'} {skip.path}: {skip.reason}", file=sys.stderr)

    timeline = build_timeline(load_documents(args.out, on_skip=report))
    if not timeline["articles"]:
        print(f"summarize: no summaries in {args.out}; write them with `summarize run ARTICLES --out {args.out}`",
              file=sys.stderr)
        return 2
    if args.json is None and args.markdown is None:
        sys.stdout.write(timeline_markdown(timeline))
    else:
        if args.json is not None:
            write_json_atomic(args.json, timeline)
        if args.markdown is not None:
            write_text_atomic(args.markdown, timeline_markdown(timeline))
        entries = [*timeline["events"], *timeline["undated"]]
        merged = sum(1 for e in entries if len(e["sources"]) > 1)
        written = " and ".join(str(p) for p in (args.json, args.markdown) if p is not None)
        print(f"{len(timeline['articles'])} articles: {len(timeline['events'])} dated and {len(timeline['undated'])} "
              f"undated events ({merged} reported by several articles), {len(timeline['speakers'])} speakers; "
              f"written to {written}")
    return 1 if any(s.corrupt for s in skipped) else 0

def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    _paths(args, "out", "html")
    index = write_report(args.out, args.html)
    print(f"Report written: {index}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    from .errors import SummarizeError

    try:
        if args.command == "run":
            return _run(args)
        if args.command == "timeline":
            return _timeline(args)
        if args.command == "schema":
            import json

            from .schema import model_schema

            print(json.dumps(model_schema(), indent=2))
            return 0
        if args.command == "eval":
            return _eval(args)
        if args.command == "report":
            return _report(args)
        return _fixtures(args)
    except SummarizeError as exc:
        print(f"summarize: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("summarize: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
