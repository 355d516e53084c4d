"""Judging summaries against gold annotations: gold formats (project JSON, brat standoff), scoring, and the
evaluation report.

Imports :mod:`summarize.core` and :mod:`summarize.text`.
"""
