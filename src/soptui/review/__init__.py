"""Review summaries: one model built from the journal, rendered as text, Markdown, JSON or CSV."""

from soptui.review.build import ReviewRange, build_review, week_range
from soptui.review.model import Review

__all__ = ["Review", "ReviewRange", "build_review", "week_range"]
