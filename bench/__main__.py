"""Run every benchmark and print one line per figure with its target: python -m bench [--quick]."""

from __future__ import annotations

import argparse
import importlib
import time

BENCHES = ["concurrency", "realistic", "ratelimit", "replay", "adapter", "startup", "memory", "locate", "faults", "report",
           "transport"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"some of: {', '.join(BENCHES)} (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(BENCHES))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    started = time.perf_counter()
    missed = 0
    for name in args.names or BENCHES:
        module = importlib.import_module(f".{name}", __package__)
        for figure in module.main(quick=args.quick):
            print(figure.line(), flush=True)
            missed += not figure.met
    print(f"{time.perf_counter() - started:.0f} s in all; {missed} figure(s) missed their target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
