"""Record and replay: the content key of a request, the fixture store and index, the fixture transport that
sits on the HTTP transport, and explanations of a replay miss.

Imports :mod:`summarize.http` and :mod:`summarize.text`. It works on request and answer bodies, so it knows
nothing of the schema: what a model is asked is decided above, in :mod:`summarize.core`.
"""
