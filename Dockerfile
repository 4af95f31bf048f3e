# One image for every role (api, worker, webhooks, trainer, beat, migrate); docker-compose.yml
# and deploy/kubernetes/ pick the command, always the `moderation` console script.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY moderation ./moderation
COPY workers ./workers
COPY classifiers ./classifiers
COPY commands ./commands
RUN pip install -c constraints.txt . && useradd --system --uid 10001 moderation
USER moderation
EXPOSE 8000
CMD ["moderation", "api", "--host", "0.0.0.0", "--port", "8000"]
