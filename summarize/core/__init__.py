"""The core flow for one article: settings and defaults, articles, prompts, the schema, the adapter that reads
answers, reasks, the client that sends requests through the fixture transport, errors translated at the
boundary, usage, the output document, and the per-article pipeline (:class:`~summarize.core.pipeline.ArticleSummarizer`).

Imports :mod:`summarize.replay`, :mod:`summarize.http` and :mod:`summarize.text`; everything else builds on it.
"""
