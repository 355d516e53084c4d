"""Work over many articles: folder runs (concurrency, resume, the ledger, the locked output folder, progress)
and authoring or rekeying fixtures by running the pipeline against a scripted server.

Imports :mod:`summarize.core` and the wings below it; not the views, the evaluation or the testing aids.
"""
