"""Aids for tests, ours and users': the loopback OpenAI-compatible server and fault plans.

Imports :mod:`summarize.core` and below, never the pipeline's runs: a test helper must not drag the whole
library into a test that only needs a server.
"""
