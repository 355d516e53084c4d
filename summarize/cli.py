"""The ``summarize`` command: parses options, calls the library, prints. Nothing else lives here.

Commands:

- ``summarize run PATH... [--out OUT]``: summarize files and folders concurrently, write one JSON
  document per article and a ledger to OUT, show progress, print a table. Exit status 0 when every
  article succeeded, 1 when any failed (or an answer could not be recorded as a fixture), 2 for a usage
  or configuration error or when another run holds OUT, 3 when OUT could not be written (the run
  stopped; resume once fixed), 130 when interrupted.
  Every command exits 141, silently, when its standard output is closed early (``| head``).
- ``summarize schema``: print the JSON schema sent to models.
- ``summarize fixtures author ARTICLE ANSWER...``: record hand-written answers as fixtures.
- ``summarize fixtures rekey PATH...``: carry fixtures over to the current prompt and schema.
- ``summarize eval --pred OUT --gold GOLD [--json] [--overlap 0.5]``: score summaries against gold.
- ``summarize timeline OUT [--json FILE] [--markdown FILE]``: merge a folder of summaries into one
  timeline and a who-said-what index; Markdown on standard output unless a file is named.
- ``summarize report OUT --html DIR``: write a static HTML report of the summaries folder OUT.

Heavy modules (openai, pydantic, rich) are imported only by the command that needs them,
so ``summarize --help`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from summarize._version import __version__
from summarize.core import bounds, defaults

TYPE_CHECKING = False  # neither typing, json nor pathlib is imported before a command needs it
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import Any

    from summarize.core.bounds import Bound

__all__ = ["main"]

#: The exit status of a command whose standard output was closed early (``summarize schema | head -1``):
#: 128 + SIGPIPE, what a shell reports for a program ended by a closed pipe.
EXIT_BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """argparse without abbreviated options (``--output`` is an error, never ``--output-mode``); its
    sub-command parsers are of this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def _option(bound: Bound) -> Any:
    """An argparse ``type=`` for a numeric option: a value outside ``bound`` is a usage error (exit status 2)
    that says what is expected, before anything runs."""

    def parse(text: str) -> int | float:
        try:
            return bound.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


_COUNT, _TIMES, _POSITIVE = _option(bounds.COUNT), _option(bounds.TIMES), _option(bounds.POSITIVE)
_NON_NEGATIVE = _option(bounds.NON_NEGATIVE)


def _budget(text: str) -> int | str:
    """``--max-tokens``: a whole number of at least 1, ``auto`` or ``none`` (see :mod:`summarize.core.budget`)."""
    if text in ("auto", "none"):
        return text
    try:
        return bounds.COUNT.parse(text)  # type: ignore[return-value]  # COUNT parses whole numbers only
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {bounds.COUNT.describe()}, 'auto' or 'none', not {text!r}") from None


_FIXTURES_HELP = f"fixtures folder (default: $SUMMARIZE_FIXTURES or ./{defaults.FIXTURES})"


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and fixtures")
    g.add_argument("--model", help=f"model name (default: $SUMMARIZE_MODEL or {defaults.MODEL})")
    g.add_argument("--base-url", help="OpenAI-compatible server URL (default: $OPENAI_BASE_URL)")
    g.add_argument("--local", metavar="MODEL.gguf",
                   help="run this GGUF model here, in llama.cpp's server started in-process on a loopback port "
                        "(pip install 'summarize[local]'; python tools/get_model.py fetches a small one); "
                        "the model name defaults to the file's name")
    g.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                   help="ask answers as streams: a looping answer is stopped as it begins and a request given up "
                        "stops the server's work; fixtures are the same (default: on with --local)")
    g.add_argument("--fixtures", help=_FIXTURES_HELP)
    g.add_argument("--mode", choices=["replay", "record", "auto", "live"],
                   help="fixture mode (default: auto with a key or base URL, else replay)")
    g.add_argument("--output-mode", choices=["auto", "json_schema", "tools", "json", "md_json"],
                   help="how structured output is requested; auto asks in json_schema and, when a server rejects "
                        "that, in tools, then json, then md_json, remembered per server for the run; any other "
                        f"value is used as it is (default: {defaults.OUTPUT_MODE})")
    g.add_argument("--max-reasks", type=_TIMES, default=defaults.MAX_REASKS,
                   help=f"reasks after an invalid answer (default: {defaults.MAX_REASKS})")
    g.add_argument("--strict", action="store_true",
                   help="all or nothing: an answer still invalid after the last reask fails its article, instead of "
                        "keeping its valid items in a partial summary (which lists what was dropped)")
    g.add_argument("--retries", type=_TIMES, default=defaults.RETRIES,
                   help=f"retries of a transient failure: 5xx, timeout (default: {defaults.RETRIES})")
    g.add_argument("--rate-limit-wait", type=_NON_NEGATIVE, default=defaults.RATE_LIMIT_WAIT, metavar="SECONDS",
                   help="how long a request rate limited by the server (429) keeps waiting and retrying, from its "
                        "first 429, before its article fails as rate_limited; 429s use up no retries "
                        f"(default: {defaults.RATE_LIMIT_WAIT:g})")
    g.add_argument("--timeout", type=_POSITIVE,
                   help=f"seconds to wait for one answer (default: {defaults.TIMEOUT:g} for OpenAI; for other servers "
                        "scaled to the prompt and the output budget, for a slow CPU engine)")
    g.add_argument("--max-tokens", type=_budget, metavar="N|auto|none",
                   help="output budget per answer; a truncated answer is retried once with twice this. auto: sized to "
                        "the article and the schema; none: the server's own limit (default: auto, except none for OpenAI)")
    g.add_argument("--context-window", type=_COUNT,
                   help="tokens the model accepts in all; longer articles are refused unsent (default: known for "
                        "OpenAI models, unchecked for others)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="summarize", description="Typed, source-grounded structured summaries of news articles.")
    parser.add_argument("--version", action="version", version=f"summarize {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="summarize article files or folders",
                         description="Summarize article files (.txt, .md, .html, .htm; .json/.jsonl records) or every "
                                     "such file in folders, concurrently, with a ledger and resume.")
    run.add_argument("paths", nargs="+", metavar="PATH")
    run.add_argument("--out", default=defaults.OUT,
                     help=f"folder for the JSON summaries and ledger (default: ./{defaults.OUT})")
    run.add_argument("--glob", help="only files matching this pattern, relative to each folder, as Path.glob reads it: "
                                        "'**/*.txt' takes a.txt and x/y/a.txt (default: all article files)")
    run.add_argument("--concurrency", type=_COUNT,
                     help=f"articles in flight at once (default: {defaults.CONCURRENCY}; with --local, the requests "
                          "the engine serves at once)")
    run.add_argument("--workers", type=_COUNT, help="deprecated and ignored (a run is one process); goes in 0.2")
    run.add_argument("--rpm", type=_POSITIVE, help="at most this many requests per minute")
    run.add_argument("--tpm", type=_POSITIVE, help="at most this many tokens per minute")
    run.add_argument("--no-resume", action="store_true", help="redo articles the ledger says are done")
    run.add_argument("--wait", action="store_true",
                     help="if another run is writing to OUT, wait for it to finish instead of exiting")
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
    author.add_argument("--fixtures", help=_FIXTURES_HELP)
    rekey = fxsub.add_parser("rekey", help="re-record fixtures under the current prompt and schema")
    rekey.add_argument("paths", nargs="+", metavar="PATH")
    rekey.add_argument("--fixtures", help=_FIXTURES_HELP)

    ev = sub.add_parser("eval", help="score summaries against gold annotations",
                        description="Score the documents `summarize run` wrote against gold annotations: "
                                    "summarize-gold/1 JSON files or brat .ann/.txt pairs.")
    ev.add_argument("--pred", required=True, metavar="OUT", help="the folder `summarize run` wrote (OUT/<id>.json)")
    ev.add_argument("--gold", required=True, metavar="GOLD", help="a gold folder or file (<id>.json or <id>.ann + <id>.txt)")
    ev.add_argument("--json", action="store_true", help="print the report as JSON on stdout instead of tables")
    ev.add_argument("--overlap", type=_option(bounds.SHARE), default=defaults.OVERLAP,
                    help=f"least intersection-over-union of characters for an overlap match (default: {defaults.OVERLAP})")
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

    from summarize.errors import ConfigurationError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        prices = {str(model): (float(p[0]), float(p[1])) for model, p in data.items()}
        if wrong := [model for model, pair in prices.items() if not all(map(bounds.NON_NEGATIVE.accepts, pair))]:
            raise ValueError(f"the prices of {', '.join(wrong)} must be finite numbers of at least 0")
        return prices
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
    from summarize._runprint import run_problems, run_table
    from summarize.errors import OutputError
    from summarize.runs.folder import WORKERS_IGNORED
    from summarize.runs.progress import RichProgress
    from summarize.summarizer import Summarizer

    _paths(args, "paths", "out", "prices")

    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        print(f"summarize: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.local is not None and args.base_url is not None:
        print("summarize: give either --local (a model file to run here) or --base-url (a server), not both",
              file=sys.stderr)
        return 2
    summarizer = Summarizer(model=args.model, base_url=args.base_url, local=args.local, fixtures=args.fixtures, mode=args.mode,
                            output_mode=args.output_mode, max_reasks=args.max_reasks, retries=args.retries,
                            rate_limit_wait=args.rate_limit_wait,
                            timeout=args.timeout, max_tokens=args.max_tokens, context_window=args.context_window,
                            rpm=args.rpm, tpm=args.tpm, strict=args.strict, stream=args.stream)
    if args.workers is not None:
        print(f"summarize: warning: --{WORKERS_IGNORED}", file=sys.stderr)
    progress = RichProgress(enabled=not args.quiet)
    try:
        with _article_warnings(quiet=args.quiet):
            report = summarizer.summarize_folder(args.paths, args.out, glob=args.glob, concurrency=args.concurrency,
                                                 resume=not args.no_resume, prices=_prices(args.prices),
                                                 progress=progress, wait=args.wait)
    except OutputError as exc:
        done = progress.report.finished if progress.report else 0
        print(f"summarize: {exc}", file=sys.stderr)
        if done:
            print(f"summarize: stopped after {done} article(s); finished work is saved in {args.out}/.", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        done = progress.report.finished if progress.report else 0
        print(f"summarize: interrupted after {done} article(s); finished work is saved in {args.out}/. "
              "Run the same command again to resume.", file=sys.stderr)
        return 130
    if report.skipped_folders:
        shown = "; ".join(f"{folder} ({why})" for folder, why in report.skipped_folders[:10])
        more = f"; and {len(report.skipped_folders) - 10} more" if len(report.skipped_folders) > 10 else ""
        print(f"summarize: skipped {len(report.skipped_folders)} folder(s) that hold no articles: {shown}{more}",
              file=sys.stderr)
    if report.total == 0:
        print(f"summarize: no articles (.txt, .md, .html, .htm, .json, .jsonl) in {', '.join(map(str, args.paths))}",
              file=sys.stderr)
        return 2
    if not args.quiet:
        run_table(report, summarizer)
    run_problems(report, args.out)
    return 0 if report.ok else 1


@contextlib.contextmanager
def _article_warnings(*, quiet: bool) -> Iterator[None]:
    """Show what the loader notes about an article (an unreadable date), and a server's output mode found by
    ``auto``, as one plain line on standard error while a run lasts; nothing with --quiet (the notes and the
    mode are in the documents and the ledger either way)."""
    import warnings

    from summarize.core.articles import ArticleWarning
    from summarize.core.negotiate import OutputModeWarning

    shown = (ArticleWarning, OutputModeWarning)
    with warnings.catch_warnings():
        if quiet:
            for category in shown:
                warnings.simplefilter("ignore", category)
        else:
            show = warnings.showwarning

            def one_line(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
                if issubclass(category, shown):
                    print(f"summarize: warning: {message}", file=sys.stderr)
                else:
                    show(message, category, *args, **kwargs)

            warnings.showwarning = one_line
        yield


def _fixtures(args: argparse.Namespace) -> int:
    from summarize.replay.fixtures import INDEX_NAME
    from summarize.runs.authoring import author_fixtures, load_answers, rekey_fixtures

    _paths(args, "paths", "article", "answers")
    args.fixtures = defaults.fixtures_folder(args.fixtures)  # as every command reads it: $SUMMARIZE_FIXTURES too

    if args.fixtures_command == "author":
        answers = load_answers(args.answers)
        result = author_fixtures(args.article, answers, fixtures=args.fixtures, author=args.author, note=args.note)
        print(f"{result.article.id}: {result.usage.attempts} exchange(s) written to {args.fixtures} "
              f"(listed under this id in {args.fixtures}/{INDEX_NAME})")
        return 0
    from summarize.core.articles import Article, iter_articles

    articles = [a for a in iter_articles(args.paths) if isinstance(a, Article)]
    report = rekey_fixtures(articles, fixtures=args.fixtures)
    for article, status in report.items():
        print(f"{article}: {status}")
    return 1 if any(s.startswith("failed") for s in report.values()) else 0


def _eval(args: argparse.Namespace) -> int:
    import json

    from summarize._stdio import pipe_console
    from summarize.evaluation.evalreport import print_report
    from summarize.evaluation.evaluate import evaluate

    report = evaluate(args.pred, args.gold, overlap=args.overlap)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_report(report, console=pipe_console())
    return 0

def _timeline(args: argparse.Namespace) -> int:
    from summarize.text.files import write_json_atomic, write_text_atomic
    from summarize.views.timeline import SkippedFile, build_timeline, load_documents, timeline_markdown

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
    from summarize.views.report import write_report

    _paths(args, "out", "html")
    site = write_report(args.out, args.html)
    print(f"Report written: {site.index}")
    if site.removed:
        print(f"Removed {len(site.removed)} file(s) an earlier report wrote and this one no longer does: "
              f"{_listed(site.removed, args.html)}")
    if site.kept:
        print(f"Kept {len(site.kept)} file(s) an earlier report wrote and this one no longer does, as they changed "
              f"since: {_listed(site.kept, args.html)}")
    return 0


def _listed(paths: tuple[Path, ...], root: Path, shown: int = 10) -> str:
    names = [p.relative_to(root).as_posix() for p in paths[:shown]]
    return ", ".join(names) + (f" and {len(paths) - shown} more" if len(paths) > shown else "")


def _interruptible() -> None:
    """Make Ctrl-C (SIGINT) interrupt the command even when this process was started with it ignored.

    A command started in the background by a non-interactive shell (``cmd &`` in a script, CI) inherits
    SIGINT as ignored; Python then installs no handler, and a run sent SIGINT would carry on paying for
    every article and exit 0. Restored here, before any work starts, an interrupt always stops cleanly
    with status 130. A handler someone else installed is left alone.
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # here, not at exit: a closed pipe must be met while it can be handled
    except BrokenPipeError:
        from summarize._stdio import silence_closed_streams

        if not silence_closed_streams():
            raise
        return EXIT_BROKEN_PIPE


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    from summarize.errors import SummarizeError

    _interruptible()

    try:
        if args.command == "run":
            return _run(args)
        if args.command == "timeline":
            return _timeline(args)
        if args.command == "schema":
            import json

            from summarize.core.schema import model_schema

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
