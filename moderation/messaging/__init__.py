"""Messages between the service and its workers: the queues, task names and send helpers
(queues.py), the API's batching dispatcher (dispatcher.py), the Perspective-compatible API's
request-reply scoring through Redis (analysis.py) and the decision feed on which workers
announce what they decided (decision_feed.py). `moderation` never imports `workers`:
it sends tasks by name."""
