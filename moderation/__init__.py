"""The comment moderation service: HTTP API, pages, domain rules and storage."""

__version__ = "0.1.0"
