"""What a reader sees of many output documents: the timeline, who said what, their Markdown, and the HTML
report (its templates and static files live here too).

Reads output documents and ledgers written by :mod:`summarize.runs`, through :mod:`summarize.core`'s one
reader; it does not import the runs.
"""
