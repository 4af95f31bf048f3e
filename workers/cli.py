"""The `moderation` command: the service's commands plus those that run workers and models."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from moderation.cli import app, configure_logging
from moderation.config import get_settings

DEFAULT_DATA = Path("../shared/datasets")


@app.command()
def worker(
    concurrency: int = typer.Option(1, help="Worker processes in this pool."),
    beat: bool = typer.Option(False, help="Also run the periodic sweep scheduler here."),
    loglevel: str = typer.Option("INFO"),
) -> None:
    """Run a Celery worker (scale by running more of these)."""
    from workers.celery_app import app as celery

    get_settings().data_dir.mkdir(parents=True, exist_ok=True)  # the beat schedule lives there
    # Workers share nothing but the queue, so the start-up chatter between them is skipped.
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        "-Q",
        "comments",
        "--without-mingle",
        "--without-gossip",
    ]
    if beat:
        argv.append("--beat")
    celery.worker_main(argv)


@app.command("beat")
def beat_command(loglevel: str = typer.Option("INFO")) -> None:
    """Run only the scheduler of periodic tasks (one per deployment)."""
    from workers.celery_app import app as celery

    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", f"--loglevel={loglevel}"])


@app.command()
def up(
    host: str = typer.Option(None, help="Address of the API (default MODERATION_HOST)."),
    port: int = typer.Option(None, help="Port of the API (default MODERATION_PORT)."),
) -> None:
    """Start everything: migrations, Redis (embedded unless set), one worker and the API."""
    from workers.stack import run_stack

    settings = get_settings()
    configure_logging()
    sys.exit(
        run_stack(
            settings,
            host or settings.host,
            port if port is not None else settings.port,
        )
    )


@app.command()
def train(
    data: Path = typer.Option(DEFAULT_DATA, help="Folder of the labelled datasets."),
    out: Path = typer.Option(None, help="Model folder to write (default: the packaged model)."),
) -> None:
    """Train the spam and toxicity models and write model.skops + manifest.json."""
    from classifiers import DEFAULT_MODEL_DIR
    from classifiers import train as train_models

    if not data.is_dir():
        raise typer.BadParameter(f"{data} is not a folder", param_hint="--data")
    target = out or DEFAULT_MODEL_DIR
    manifest = train_models(data, target, progress=lambda line: typer.echo(line, err=True))
    typer.echo(f"model {manifest['model_version']} written to {target}")


@app.command()
def score(
    jsonl: Path = typer.Option(
        ..., "--jsonl", help="JSON lines: body, optional author, email, url."
    ),
    out: Path = typer.Option(None, help="Write results here instead of standard output."),
    batch: int = typer.Option(500, help="Comments scored together."),
) -> None:
    """Score comments and show the decision the policy would take. No Redis or database."""
    from workers.offline import score_jsonl

    settings = get_settings()
    with jsonl.open(encoding="utf-8") as source:
        if out is None:
            score_jsonl(settings, source, sys.stdout, batch)
        else:
            with out.open("w", encoding="utf-8") as sink:
                score_jsonl(settings, source, sink, batch)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

__all__ = ["app", "main"]
