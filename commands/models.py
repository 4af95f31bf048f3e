"""`moderation train`, `models`, `score`, `evaluate` and `evaluate-policy`: model versions and
what they decide.

scikit-learn, the models and the workers' scoring are imported inside the commands that use
them: every other command (the API and each worker among them) would otherwise load them for
nothing at start.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from commands.support import FAILED, REFUSED, fail
from moderation.config import get_settings

if TYPE_CHECKING:
    from classifiers import Scorer
    from classifiers.evaluation import Evaluation
    from classifiers.registry import ModelRegistry
    from moderation.config import Settings

DEFAULT_DATA = Path("../shared/datasets")

T = TypeVar("T")

models_app = typer.Typer(
    help="Model versions: list them, promote one, roll back.", no_args_is_help=True
)


def train(
    data: Path = typer.Option(DEFAULT_DATA, help="Folder of the labelled datasets."),
    out: Path = typer.Option(
        None, help="Model folder to write (default: a new, inactive version in the registry)."
    ),
    with_feedback: bool = typer.Option(
        False,
        "--with-feedback",
        help="Also learn from the moderators' decisions in the database; a slice of them is "
        "held back to judge the new version against the active one.",
    ),
    promote: bool = typer.Option(
        False,
        "--promote",
        help="With --with-feedback: make the new version active if it is not worse.",
    ),
) -> None:
    """Train the spam and toxicity models into a new version (never the active one, unless
    --promote and it is not worse)."""
    from classifiers import train as train_models
    from classifiers.registry import ModelRegistry

    if not data.is_dir():
        raise typer.BadParameter(f"{data} is not a folder", param_hint="--data")

    def progress(line: str) -> None:
        typer.echo(line, err=True)

    settings = get_settings()
    if with_feedback and out is None:
        from workers.feedback import retrain

        verdict = retrain(settings, data, promote=promote, progress=progress)
        typer.echo(f"model {verdict.candidate} added to {settings.models_root}")
        for reason in verdict.reasons:
            typer.echo(f"  {reason}")
        if promote and verdict.promote:
            typer.echo(f"promoted: workers switch to {verdict.candidate} within a minute")
        else:
            typer.echo(
                f"not active; promote it with: moderation models promote {verdict.candidate}"
            )
        return
    if promote:
        raise typer.BadParameter(
            "--promote needs --with-feedback and no --out", param_hint="--promote"
        )
    feedback = []
    if with_feedback:
        from workers.feedback import collect

        feedback = collect(settings).training
    if out is not None:
        manifest = train_models(data, out, progress=progress, feedback=feedback)
        typer.echo(f"model {manifest['model_version']} written to {out}")
        return
    registry = ModelRegistry(settings.models_root)
    info = registry.train_into(data, progress=progress)
    typer.echo(f"model {info.version} added to {registry.root} (not active)")
    typer.echo(f"promote it with: moderation models promote {info.version}")


def _registry() -> ModelRegistry:
    from classifiers.registry import ModelRegistry

    settings = get_settings()
    if settings.model_dir is not None:
        # Say so: otherwise a promotion looks like it did nothing.
        typer.echo(
            f"note: MODERATION_MODEL_DIR={settings.model_dir} is set; workers use that folder "
            "and ignore the active version",
            err=True,
        )
    return ModelRegistry(settings.models_root)


@models_app.command("list")
def models_list() -> None:
    """The versions, oldest first, with the active one marked and their out-of-fold metrics."""
    from classifiers.registry import RegistryError

    registry = _registry()
    try:
        versions = registry.versions()
        active = registry.active_version()
        shadow = registry.shadow_version()
    except (RegistryError, OSError, ValueError) as error:
        fail(str(error), FAILED)
    rows = [("", "VERSION", "CREATED", "SPAM AUC", "TOXICITY AUC", "WHERE")]
    for info in versions:
        rows.append(
            (
                "*" if info.active else ("shadow" if info.version == shadow else ""),
                info.version,
                info.created,
                f"{info.metrics['spam_roc_auc']:.4f}" if "spam_roc_auc" in info.metrics else "-",
                f"{info.metrics['toxicity_roc_auc']:.4f}"
                if "toxicity_roc_auc" in info.metrics
                else "-",
                "built-in" if info.builtin else str(info.path),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    # Versions trained with the moderators' feedback carry the verdict on their promotion.
    for info in versions:
        verdict = _promotion_verdict(info.path)
        if verdict is not None:
            typer.echo(f"{info.version}: {verdict}")
    if not any(info.active for info in versions):
        fail(f"ACTIVE names {active!r}, which is not in {registry.root}", FAILED)


def _change_registry(change: Callable[[ModelRegistry], T], *also_refused: type[Exception]) -> T:
    """Run a change on the registry. A change the registry refuses (an unknown version, and
    `also_refused`: a version that does not load, for the changes that load it) exits 2; a
    registry that cannot be read or written is a failure of the installation (1)."""
    from classifiers.registry import RegistryError

    caught: tuple[type[Exception], ...] = (RegistryError, OSError, *also_refused)
    registry = _registry()
    try:
        return change(registry)
    except caught as error:
        fail(str(error), FAILED if isinstance(error, OSError) else REFUSED)


def _promotion_verdict(path: Path) -> str | None:
    from workers.feedback import PROMOTION_FILE

    try:
        found = json.loads((path / PROMOTION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    outcome = "promoted" if found.get("promoted") else "kept as a candidate"
    return f"{outcome}: " + "; ".join(found.get("reasons", []))


@models_app.command("shadow")
def models_shadow(
    version: str = typer.Argument(None, help="A version from `models list`."),
    off: bool = typer.Option(False, "--off", help="Stop the shadow model."),
) -> None:
    """Let VERSION score every comment beside the active model without deciding anything:
    the workspace shows where the two would decide differently. Workers pick it up within
    MODERATION_MODEL_CHECK_SECONDS (and hold both models in memory while it runs)."""
    from classifiers import ModelLoadError

    if (version is None) == (not off):
        raise typer.BadParameter("give a VERSION, or --off")
    _change_registry(lambda registry: registry.set_shadow(None if off else version), ModelLoadError)
    typer.echo("shadow model: none" if off else f"shadow model: {version}")


@models_app.command("promote")
def models_promote(
    version: str = typer.Argument(..., help="A version from `models list`."),
) -> None:
    """Make VERSION the active model; workers switch to it within MODERATION_MODEL_CHECK_SECONDS."""
    from classifiers import ModelLoadError

    previous, info = _change_registry(
        lambda registry: (registry.active_version(), registry.promote(version)), ModelLoadError
    )
    seconds = get_settings().model_check_seconds
    typer.echo(f"active model: {info.version} (was {previous})")
    typer.echo(f"workers switch within {seconds:g} s; undo with: moderation models rollback")


@models_app.command("rollback")
def models_rollback() -> None:
    """Make the previously active version active again."""
    previous, info = _change_registry(
        lambda registry: (registry.active_version(), registry.rollback())
    )
    typer.echo(f"active model: {info.version} (was {previous})")


def score(
    jsonl: Path = typer.Option(
        ..., "--jsonl", help="JSON lines: body, optional author, email, url."
    ),
    out: Path = typer.Option(None, help="Write results here instead of standard output."),
    batch: int = typer.Option(500, help="Comments scored together."),
) -> None:
    """Score comments and show the decision the policy would take. No Redis or database."""
    from workers.offline import score_jsonl
    from workers.scoring import ScoringFailed

    settings = get_settings()
    _served_model(settings)  # a wrong model folder is said before any line is read
    try:
        with jsonl.open(encoding="utf-8") as source:
            if out is None:
                score_jsonl(settings, source, sys.stdout, batch)
            else:
                with out.open("w", encoding="utf-8") as sink:
                    score_jsonl(settings, source, sink, batch)
    except ScoringFailed as failure:
        fail(failure.reason, FAILED)


def _served_model(settings: Settings) -> Scorer:
    """The model a worker would load now (MODERATION_MODEL_DIR, else the registry's active
    version), or exit 1 with one line saying why it does not load."""
    from classifiers import ModelLoadError
    from workers.scoring import get_scorer

    try:
        return get_scorer(settings)
    except ModelLoadError as error:
        fail(f"model unavailable: {error}", FAILED)


@models_app.command("check")
def models_check() -> None:
    """Load the model the workers would use now (MODERATION_MODEL_DIR, else the active version)
    and name it, or say in one line why it does not load (exit code 1)."""
    settings = get_settings()
    scorer = _served_model(settings)
    where = settings.model_dir or settings.models_root
    typer.echo(f"model {scorer.version} loads (from {where})")


def evaluate(
    data: Path = typer.Option(DEFAULT_DATA, help="Folder of the labelled datasets."),
    out: Path = typer.Option(Path("evaluation"), help="Folder for report.md and its plots."),
    sources: str | None = typer.Option(
        None, help="Comma-separated sources to hold out (default: all of them)."
    ),
    baselines: bool = typer.Option(
        True, help="Also score bogofilter, alt-profanity-check and TF-IDF + logistic regression."
    ),
    hold: float = typer.Option(0.5, help="Hold-for-review threshold."),
    reject: float = typer.Option(0.9, help="Reject threshold."),
    jobs: int = typer.Option(
        min(2, os.cpu_count() or 1), help="Rounds trained at once (one process each)."
    ),
) -> None:
    """Train without each source in turn, score it, and write a report with baselines."""
    from classifiers import DEFAULT_MODEL_DIR
    from classifiers.evaluation import Thresholds
    from classifiers.evaluation import evaluate as run_evaluation
    from classifiers.persistence import ModelLoadError, read_manifest
    from workers.policy_evaluation import HeldOutDecisions

    if not data.is_dir():
        raise typer.BadParameter(f"{data} is not a folder", param_hint="--data")
    _served_model(get_settings())  # its sections come last: fail before minutes of training
    if importlib.util.find_spec("matplotlib") is None:  # checked before minutes of training
        fail("the report needs matplotlib: pip install 'comment-moderation[eval]'", FAILED)
    chosen = _held_out_sources(sources)
    try:  # the committed model's cross-validated figures, shown for contrast
        in_distribution = read_manifest(DEFAULT_MODEL_DIR)["metrics"]
    except ModelLoadError:
        in_distribution = {}
    evaluation = run_evaluation(
        data,
        sources=chosen,
        thresholds=Thresholds(hold=hold, reject=reject),
        baselines=None if baselines else [],
        in_distribution=in_distribution,
        jobs=jobs,
        progress=lambda line: typer.echo(line, err=True),
        policy=HeldOutDecisions(get_settings()),
    )
    for name, why in evaluation.baselines.items():
        if why:
            typer.echo(f"baseline {name} skipped: {why}", err=True)
    _write_report(evaluation, data, out)


def _held_out_sources(sources: str | None) -> list[str] | None:
    """The sources `--sources` names (None: every one), or a usage error naming the unknown."""
    from classifiers.evaluation import HELD_OUT_SOURCES

    chosen = None if sources is None else [s.strip() for s in sources.split(",") if s.strip()]
    unknown = sorted(set(chosen or ()) - set(HELD_OUT_SOURCES))
    if unknown:
        raise typer.BadParameter(
            f"unknown {', '.join(unknown)}; choose from {', '.join(HELD_OUT_SOURCES)}",
            param_hint="--sources",
        )
    return chosen


def _write_report(evaluation: Evaluation, data: Path, out: Path) -> None:
    """The report of a held-out evaluation, with the served model's sections after it; the
    operating points and the held-out policy table are printed too."""
    from classifiers.report import evaluation_report, operating_points_markdown
    from workers.policy_evaluation import held_out_policy_markdown

    limits = get_settings().thresholds
    current = {
        "spam": (limits.spam_hold, limits.spam_reject),
        "toxicity": (limits.toxicity_hold, limits.toxicity_reject),
        "threat": (limits.threat_hold, limits.threat_reject),
        "identity_attack": (limits.identity_attack_hold, limits.identity_attack_reject),
    }
    report = evaluation_report(evaluation, out, current)
    typer.echo(operating_points_markdown(evaluation, current))
    held_out_spans = [s.extras["span_f1"] for s in evaluation.splits if "span_f1" in s.extras]
    if held_out_spans:
        report.add_section(
            "Explanation spans on TOXICSPANS, held out",
            "Models trained without TOXICSPANS explain its comments: character-level F1 between "
            "the toxicity explanation's spans and the spans most raters marked (SemEval-2021 "
            "Task 5 scoring). This is the figure to trust.\n\n" + held_out_spans[0]["table"],
        )
    decided = held_out_policy_markdown(evaluation)
    if decided:
        typer.echo(decided)
        report.add_section("Policy decisions on held-out sources", decided)
    _add_served_model_sections(report, data, lambda line: typer.echo(line, err=True))
    path = report.write()
    typer.echo(f"report written to {path} ({evaluation.seconds:.0f} s)")


def evaluate_policy_command(
    sets: list[Path] = typer.Option(
        [],
        "--set",
        help="A labelled JSON-lines set; repeat for more (default: the news comments, then the "
        "frozen set of issue 13).",
    ),
) -> None:
    """Print the policy's decisions on the labelled news comments, as markdown, with the active
    model: the policy tables of `moderation evaluate` without its held-out training."""
    from workers.policy_evaluation import EvaluationSetError, policy_sections

    for path in sets:
        if not path.is_file():
            raise typer.BadParameter(f"{path} is not a file", param_hint="--set")
    try:
        typer.echo(policy_sections(get_settings(), sets), nl=False)
    except EvaluationSetError as error:
        fail(str(error))


def _add_served_model_sections(report: Any, data: Path, progress: Callable[[str], None]) -> None:
    """The figures of the model a worker would serve now: explanation spans against TOXICSPANS,
    identity-term bias, and the full policy on both labelled sets of news comments."""
    from classifiers.bias import bias_report
    from classifiers.evaluation import span_f1
    from workers.policy_evaluation import DECISION_SETS, evaluate_policy
    from workers.scoring import get_scorer

    settings = get_settings()
    scorer = get_scorer(settings)
    progress(f"explanation spans, bias and policy with the served model {scorer.version}")

    def add(markdown: str) -> None:
        heading, _, body = markdown.strip().partition("\n")
        report.add_section(heading.removeprefix("## ").strip(), body)

    spans = span_f1(scorer, data)
    report.add_section(
        "Explanation spans on TOXICSPANS",
        f"Model `{scorer.version}`: character-level F1 between the toxicity explanation's spans "
        "and the spans most raters marked (SemEval-2021 Task 5 scoring). The served model was "
        "trained on these comments, so this figure is optimistic.\n\n" + spans["table"],
    )
    add(bias_report(scorer).markdown())
    for decision_set in DECISION_SETS:
        add(evaluate_policy(settings, decision_set.path).markdown())
