"""Storage: SQLAlchemy models, repositories (all SQL lives here), sessions and migrations."""
