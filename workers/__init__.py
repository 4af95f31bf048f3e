"""Celery workers: where the service (moderation) and the models (classifiers) meet."""
