"""Measure what the embedded llama.cpp engine does with a model: speed per seed, output modes, limits.

    python tools/probe_engine.py MODEL.gguf speed   [--max-tokens 64] [--threads N]   # every seed, json_schema
    python tools/probe_engine.py MODEL.gguf modes   [--seed 002]   # json_schema, json, tools (3 tool_choices), none
    python tools/probe_engine.py MODEL.gguf runaway [--seed 000] [--context 2048]   # no max_tokens: how it ends

One JSON line per request: finish reason, tokens, llama.cpp's own timings (prompt and generation tokens per
second), and the start of the answer. The prompt is the one the library renders (``load_prompt()``) and the
request fields are the adapter's, so what is measured is what ``summarize run`` would send. The prompt cache is
off, so every request processes its whole prompt. One engine at a time; keep ``--max-tokens`` small on a shared
machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import openai
from summarize.adapter import request_fields

from summarize import load_article, load_prompt
from summarize.http.local import LocalEngine

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


def _seed(prefix: str) -> Path:
    return next(p for p in SEEDS if p.name.startswith(prefix))


def _ask(engine: LocalEngine, client: openai.OpenAI, seed: Path, label: str, fields: dict[str, Any],
         max_tokens: int | None) -> None:
    body: dict[str, Any] = {**fields, "messages": load_prompt().messages(load_article(seed)),
                            "temperature": 0, "cache_prompt": False}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    started = time.perf_counter()
    try:
        raw = client.chat.completions.with_raw_response.create(model=engine.model_name, messages=[], extra_body=body)
    except openai.APIStatusError as exc:
        print(json.dumps({"seed": seed.name[:3], "mode": label, "http": exc.status_code,
                          "body": exc.response.text[:400]}), flush=True)
        return
    data = json.loads(raw.http_response.text)
    choice, timings = data["choices"][0], data.get("timings", {})
    message = choice["message"]
    print(json.dumps({
        "seed": seed.name[:3], "mode": label, "seconds": round(time.perf_counter() - started, 1),
        "finish": choice["finish_reason"], "prompt_tokens": data["usage"]["prompt_tokens"],
        "completion_tokens": data["usage"]["completion_tokens"],
        "prompt_tps": round(timings.get("prompt_per_second", 0), 1),
        "gen_tps": round(timings.get("predicted_per_second", 0), 1),
        "content": (message.get("content") or "")[:160], "tail": (message.get("content") or "")[-240:],
        "tool_calls": message.get("tool_calls"),
    }, ensure_ascii=False), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("probe", choices=["speed", "modes", "runaway"])
    parser.add_argument("--seed", default=None, help="the seed's number prefix, e.g. 002")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--context", type=int, default=8192)
    args = parser.parse_args()
    with LocalEngine(args.model, threads=args.threads, context=args.context) as engine:
        print(json.dumps(engine.describe()), flush=True)
        client = openai.OpenAI(base_url=engine.base_url, api_key="local", max_retries=0, timeout=3600)
        if args.probe == "speed":
            for seed in [_seed(args.seed)] if args.seed else SEEDS:
                _ask(engine, client, seed, "json_schema", request_fields("json_schema"), args.max_tokens)
        elif args.probe == "modes":
            seed = _seed(args.seed or "002")
            tools = request_fields("tools")
            for label, fields in (("json_schema", request_fields("json_schema")), ("json", request_fields("json")),
                                  ("tools/choice=function", tools),
                                  ("tools/choice=required", {**tools, "tool_choice": "required"}),
                                  ("tools/choice=auto", {**tools, "tool_choice": "auto"}),
                                  ("md_json", request_fields("md_json"))):
                _ask(engine, client, seed, label, fields, args.max_tokens)
        else:
            _ask(engine, client, _seed(args.seed or "000"), "json_schema, no max_tokens",
                 request_fields("json_schema"), None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
