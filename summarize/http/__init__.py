"""The HTTP layer under the openai client: transports (httpx and aiohttp), proxies and TLS, rate budgets and
retry waits, and keeping credentials out of everything written (redaction).

Imports :mod:`summarize.text` only. It changes with servers and networks, not with the schema.
"""
