"""Pure text tools: grounding (``locate``), normal forms, quotation marks, names, partial dates, HTML to text,
trailing boilerplate, token estimates, article ids as paths, atomic file writes.

The lowest wing: it imports nothing else of this package except :mod:`summarize.errors`. It changes when the
rules for reading text change, never because of a model, a server or a file format above it.
"""
