"""The one Settings object of the service; the only reader of the process environment."""

from __future__ import annotations

import ipaddress
import json
import os
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from moderation.domain.appeals import AppealLinks
from moderation.domain.emails import parse_smtp_url
from moderation.domain.policy import Thresholds
from moderation.domain.privacy import ErasureTexts
from moderation.domain.rates import Rate
from moderation.domain.redis_urls import RedisAddress, parse_redis_url
from moderation.domain.statements import DEFAULT_REDRESS

# The policy's defaults are policy.Thresholds' (where each one's reason is written): one
# place, so a default chosen anew there reaches every deployment that does not set its own.
_POLICY = Thresholds()

# prometheus_client's own variable for its multiprocess mode (moderation/metrics.py), read by
# the library once, when first imported; `metrics_dir` reads it for us.
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# A TCP port a process of ours listens on.
Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    """Everything an operator can set, as `MODERATION_<NAME>` variables or in `.env`.

    The defaults run on a laptop with no set-up: a SQLite file and an embedded Redis.
    Production sets `MODERATION_DATABASE_URL` (PostgreSQL) and `MODERATION_REDIS_URL`.
    """

    # Each field's docstring is its description (the settings table of docs/operations.md).
    model_config = SettingsConfigDict(
        env_prefix="MODERATION_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        use_attribute_docstrings=True,
    )

    database_url: str = "sqlite:///./moderation.db"
    """SQLAlchemy URL of the database: a SQLite file, or PostgreSQL
    (`postgresql+psycopg://user:pass@host/db`) in production."""
    # None means "embedded": `moderation up` starts a private Redis and sets this for its children.
    redis_url: str | None = None
    """Redis URL (`redis://host:6379/0`), or its Sentinels
    (`sentinel://host1:26379;sentinel://host2:26379/0`, docs/scaling.md); unset, `moderation up`
    starts a private Redis and sets it for its children."""
    redis_sentinel_master: str = Field(default="mymaster", min_length=1)
    """Name of the master the Sentinels watch, when MODERATION_REDIS_URL is a `sentinel://` URL."""
    redis_sentinel_password: SecretStr | None = None
    """Password of the Sentinels themselves (their `requirepass`), if they have one; the
    master's password goes in the URL (`sentinel://:password@host:26379`)."""
    data_dir: Path = Path(".moderation")
    """Folder for local state: the embedded Redis's socket, the beat schedule, and the model
    registry unless MODERATION_MODELS_DIR is set."""
    host: str = "127.0.0.1"
    """Address `moderation api` and `moderation up` bind."""
    port: int = Field(default=8000, ge=0, le=65535)
    """Port `moderation api` and `moderation up` listen on."""

    # Policy v0 thresholds: a comment at or above `*_reject` is decided without a human,
    # at or above `*_hold` it waits for a moderator.
    spam_reject_threshold: float = Field(default=_POLICY.spam_reject, ge=0, le=1)
    """Spam score at or above which a comment is marked spam without a human."""
    toxicity_reject_threshold: float = Field(default=_POLICY.toxicity_reject, ge=0, le=1)
    """Toxicity score at or above which a comment is rejected without a human."""
    spam_hold_threshold: float = Field(default=_POLICY.spam_hold, ge=0, le=1)
    """Spam score at or above which a comment waits for a moderator."""
    toxicity_hold_threshold: float = Field(default=_POLICY.toxicity_hold, ge=0, le=1)
    """Toxicity score at or above which a comment waits for a moderator."""
    hold_links: int = Field(default=_POLICY.hold_links, ge=1)
    """A comment with this many links or more waits for a moderator."""
    # Repeated text inside one comment (the share of its words that belong to a phrase it
    # repeats), judged only from `repetition_min_words` words on: spam at or above
    # `repetition_spam_threshold`, held at or above `repetition_hold_threshold`.
    repetition_min_words: int = Field(default=_POLICY.repetition_min_words, ge=1)
    """Repeated text inside a comment is judged only from this many words on."""
    repetition_hold_threshold: float = Field(default=_POLICY.repetition_hold, ge=0, le=1)
    """Share of a comment's words in a phrase it repeats at or above which it is held."""
    repetition_spam_threshold: float = Field(default=_POLICY.repetition_spam, ge=0, le=1)
    """Share of a comment's words in a phrase it repeats at or above which it is spam."""
    # The same text submitted again and again, by anyone under any article: the copy that
    # makes `flood_hold_copies` within `flood_window_seconds` is held, from `flood_spam_copies`
    # on it is spam. Texts under `flood_min_words` words are left to the other rules.
    flood_window_seconds: float = Field(default=_POLICY.flood_window_seconds, gt=0)
    """Window in which copies of the same text (any author, any article) are counted."""
    flood_hold_copies: int = Field(default=_POLICY.flood_hold_copies, ge=2)
    """The copy that makes this many within the window is held."""
    flood_spam_copies: int = Field(default=_POLICY.flood_spam_copies, ge=2)
    """From this many copies within the window on, a copy is spam."""
    flood_min_words: int = Field(default=_POLICY.flood_min_words, ge=1)
    """Texts shorter than this many words are left to the other rules by the flood rule."""
    # Toxicity attributes that hold a comment for review on their own (see policy.Thresholds).
    threat_hold_threshold: float = Field(default=_POLICY.threat_hold, ge=0, le=1)
    """Threat score at or above which a comment is held on its own."""
    identity_attack_hold_threshold: float = Field(default=_POLICY.identity_attack_hold, ge=0, le=1)
    """Identity-attack score at or above which a comment is held on its own."""
    # ... and remove it together with a sentence that aims harm at someone (policy.Thresholds).
    threat_reject_threshold: float = Field(default=_POLICY.threat_reject, ge=0, le=1)
    """Threat score at or above which a comment that aims harm at someone is rejected."""
    identity_attack_reject_threshold: float = Field(
        default=_POLICY.identity_attack_reject, ge=0, le=1
    )
    """Identity-attack score at or above which a comment that aims harm at someone is rejected."""
    # Swearing that attacks nobody: allow, hold or reject (a site may choose its own).
    profanity: Literal["allow", "hold", "reject"] = _POLICY.profanity  # type: ignore[assignment]
    """Swearing that attacks nobody: `allow`, `hold` or `reject` (a site may choose its own)."""
    # Authors (by email): hold a new author's comments until this many were approved (0: no
    # pre-moderation); hold an author when at least `author_history_hold_share` of their last
    # `author_history_window` decided comments were removed (judged from `author_history_min`).
    premoderate_until_approved: int = Field(default=_POLICY.premoderate_until, ge=0)
    """Hold a new author's comments until this many were approved (0: no pre-moderation)."""
    # How often a worker re-reads bans, trust, word lists and site policies (kept in memory
    # between batches), and the API its sites, origins and keys.
    rules_refresh_seconds: float = Field(default=5.0, ge=0)
    """How often a worker re-reads bans, trust, word lists and site policies."""
    sites_refresh_seconds: float = Field(default=5.0, ge=0)
    """How often the API re-reads its sites, origins and keys."""
    author_history_window: int = Field(default=_POLICY.history_window, ge=1)
    """How many of an author's last decided comments the history rule looks at."""
    author_history_min: int = Field(default=_POLICY.history_min, ge=1)
    """The history rule judges an author only from this many decided comments on."""
    author_history_hold_share: float = Field(default=_POLICY.history_hold_share, ge=0, le=1)
    """Hold an author whose share of removed comments in the window reaches this."""

    # The sweep re-sends comments still `queued` this long after they were last sent, which
    # is what makes "accepted is never lost" hold when Redis or a worker was down.
    requeue_after_seconds: float = Field(default=60.0, gt=0)
    """The sweep re-sends comments still queued this long after they were last sent."""
    sweep_interval_seconds: float = Field(default=60.0, gt=0)
    """How often beat runs the sweep."""

    # The API groups comment ids into one task per batch: workers score a batch together and
    # write it in bulk, which is what makes 1,000 comments/s reachable.
    dispatch_max_batch: int = Field(default=200, ge=1)
    """At most this many comment ids in one task sent by the API."""
    dispatch_window_ms: float = Field(default=10.0, ge=0)
    """The API waits at most this long to fill a batch before sending it."""

    worker_stale_seconds: float = Field(default=15.0, ge=1)
    """A worker is live while its last heartbeat is younger (it beats every third of this);
    /readyz fails while no worker serving the comments queue is live."""
    beat_lock_seconds: float = Field(default=30.0, ge=3)
    """How long the beat lock lasts unrenewed (renewed every third of it): the longest a standby
    beat waits after the holder's death before it sends."""

    # Celery reliability knobs.
    task_soft_time_limit: float = 60.0
    """Seconds after which a task is asked to stop (Celery's soft time limit)."""
    task_time_limit: float = 90.0
    """Seconds after which a task's process is killed (Celery's hard time limit)."""
    task_max_retries: int = 5
    """How many times a task is retried when the database or Redis fails."""
    visibility_timeout_seconds: int = 600
    """Seconds after which Redis gives an unacknowledged message to another worker."""

    # A model directory (model.skops + manifest.json) used as it is, bypassing the registry of
    # versions below; None means the registry's active version.
    model_dir: Path | None = None
    """A model folder used as it is, bypassing the registry; unset, the registry's active version.
    """
    # The registry of trained model versions and the ACTIVE pointer; None is `<data_dir>/models`.
    # Until a version is promoted there, the model shipped in the package is the active one.
    models_dir: Path | None = None
    """The registry of model versions and its ACTIVE pointer; unset,
    `<MODERATION_DATA_DIR>/models`."""
    # How often a worker re-reads ACTIVE, so a promotion or rollback needs no restart.
    model_check_seconds: float = Field(default=60.0, gt=0)
    """How often a worker re-reads ACTIVE, so a promotion or rollback needs no restart."""

    # The moderators' workspace. Session cookies are Secure: browsers send them over HTTPS only
    # (and to localhost). Set false only to try the workspace over plain HTTP on another host.
    secure_cookies: bool = True
    """Workspace session cookies only over HTTPS (and localhost); false only to try it over plain
    HTTP."""
    session_hours: float = Field(default=12.0, gt=0)
    """How long a workspace sign-in lasts."""
    # Failed sign-ins, counted per address (never per account for everyone, which would let
    # anyone lock a moderator out): an address that keeps failing on one account waits longer
    # each time, from the `login_backoff_after`th failure on `login_backoff_base_seconds`, then
    # twice that, and so on up to the window; the account's owner, from their own address,
    # signs in at once. Across accounts an address is refused after `login_failures_per_address`
    # failures within the window.
    login_backoff_after: int = Field(default=3, ge=1)
    """Failed sign-ins from one address on one account before it has to wait."""
    login_backoff_base_seconds: float = Field(default=5.0, gt=0)
    """The first wait after those failures; it doubles with each further failure."""
    login_failures_per_address: int = Field(default=20, ge=1)
    """Failed sign-ins from one address across accounts, within the window, before it is refused."""
    login_window_seconds: float = Field(default=900.0, gt=0)
    """The window in which failed sign-ins are counted."""

    # Rate limits, kept in Redis and shared by every API process (moderation/http/ratelimits.py),
    # in the `limits` notation ("10/minute;100/hour": each must hold), checked at start-up. A
    # site's policy may override the first three (`rate_per_address`, ...). An address is an
    # IPv4 address or an IPv6 /64. When Redis is away the limits are not applied (fail open):
    # nothing a reader sends is refused for the limiter's sake.
    rate_limits_enabled: bool = True
    """Apply the rate limits (kept in Redis; not applied while Redis is away)."""
    # Comments from one address. A reader writes a few a minute at most, but NAT and carrier-
    # grade NAT put offices, campuses and mobile networks behind one address: the burst is
    # generous, and the hourly cap is what stops a script (it got 2,000 through in 7 s).
    rate_per_address: Rate = "10/minute;100/hour"
    """Comments from one address (`limits` notation, each rate must hold)."""
    # Comments to one site from every address together: a backstop against a flood spread over
    # many addresses. A busy site peaks at tens a second; this allows 100/s averaged over a
    # minute, far above that and far below what the workers decide (~1,000/s).
    rate_per_site: Rate = "6000/minute"
    """Comments to one site from every address together."""
    # Calls with one site's key to the Akismet- or Perspective-compatible API (each counted on
    # its own): a site's backend calls them once or twice per comment, so the same headroom.
    rate_per_key: Rate = "6000/minute"
    """Calls with one site's key to the Akismet- or Perspective-compatible API."""
    # Failed authentications from one address: a wrong site key (submissions, Akismet,
    # Perspective) or a wrong or revoked moderation API token. Past this every further try is
    # refused with 429 before the key is looked at. A client with a stale key sees 401s first.
    rate_auth_failures_per_address: Rate = "10/minute;100/hour"
    """Failed authentications (wrong site key or API token) from one address."""
    # Sign-in attempts from one address, right or wrong, refused before the password is hashed
    # (argon2: 64 MiB and tens of milliseconds a try); a newsroom signs in a few times a day.
    rate_sign_ins_per_address: Rate = "10/minute;100/hour"
    """Workspace sign-in attempts from one address, right or wrong."""
    # Notices of illegal content from one address: a person sends a few in a sitting; the
    # form takes no sign-in, so the cap is what keeps a script from filling the queue.
    rate_notices_per_address: Rate = "5/minute;30/hour"
    """Notices of illegal content from one address."""
    # Appeals against removals from one address: an author appeals a comment or two.
    rate_appeals_per_address: Rate = "5/minute;20/hour"
    """Appeals against removals from one address."""

    # Proxies whose X-Forwarded-For (and X-Forwarded-Proto) is believed: addresses or networks,
    # comma-separated or a JSON list. Empty (the default): nobody's, and a request's address is
    # that of whoever connected. Behind nginx on the same host, 127.0.0.1; behind a load
    # balancer, its addresses. Applied by the app itself, under any ASGI server.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses or networks,
    comma-separated or a JSON list."""

    # Readers' reports: a published comment with this many open reports (from different
    # addresses) is hidden until a moderator decides; an address may send this many reports
    # per window.
    reports_to_hide: int = Field(default=3, ge=1)
    """Open reports from different addresses that hide a published comment until a moderator
    decides."""
    reports_per_address: int = Field(default=10, ge=1)
    """Reports one address may send per window."""
    report_window_seconds: float = Field(default=3600.0, gt=0)
    """The window in which an address's reports are counted."""

    # The Akismet-compatible comment-check waits this long for a worker's decision; past it,
    # it answers with Akismet's error signal and clients hold the comment for moderation.
    # (The PyPI `akismet` client gives up after 1 s unless PYTHON_AKISMET_TIMEOUT says more.)
    akismet_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    """How long the Akismet-compatible comment-check waits for a worker's decision."""

    # The Perspective-compatible comments:analyze waits this long for a worker's scores, then
    # answers 503 UNAVAILABLE (Coral Talk gives up at 800 ms and lets the comment through).
    # Texts arriving within `analyze_window_ms` share one task, up to `analyze_max_batch`.
    analyze_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    """How long the Perspective-compatible comments:analyze waits for a worker's scores before a
    503."""
    analyze_window_ms: float = Field(default=2.0, ge=0)
    """Texts arriving within this window share one scoring task."""
    analyze_max_batch: int = Field(default=64, ge=1)
    """At most this many texts in one scoring task."""

    # Webhooks: a delivery that does not get a 2xx is tried again after about
    # `webhook_retry_base_seconds`, doubling each time up to `webhook_retry_max_seconds`
    # (jittered), and is kept as failed after `webhook_max_attempts` tries in all.
    webhook_max_attempts: int = Field(default=8, ge=1, le=100)
    """Tries of a webhook delivery in all before it is kept as failed."""
    webhook_retry_base_seconds: float = Field(default=30.0, gt=0)
    """Wait before a delivery's second try; it doubles each time (jittered)."""
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    """The longest wait between two tries of a delivery."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    """How long one delivery attempt waits for the receiver."""

    # Retraining from the moderators' decisions (`moderation trainer` runs it): every day at
    # `retrain_hour` UTC, when at least `retrain_min_labels` labels are new since the active
    # model, from the datasets in `training_data_dir`; promoted only if not worse.
    retrain_enabled: bool = True
    """Let `moderation trainer` retrain from the moderators' decisions."""
    retrain_hour: int = Field(default=3, ge=0, le=23)
    """Hour of the day (UTC) of the daily retraining."""
    retrain_min_labels: int = Field(default=50, ge=1)
    """Retrain only when at least this many labels are new since the active model."""
    training_data_dir: Path = Path("../shared/datasets")
    """Folder of the labelled datasets retraining reads."""

    # An author's erasure (GDPR Art. 17; docs/privacy.md): what becomes of their texts.
    erasure_texts: ErasureTexts = ErasureTexts.REPLACE
    """What erasing an author does with their texts: `replace` (each becomes "[removed at the
    author's request]" and published comments stay, so threads read on) or `delete` (texts
    emptied and published comments taken off the page, except those others replied to, which
    keep the marker so their replies are not orphaned)."""
    # Retention (moderation/services/retention.py; docs/privacy.md says what each table holds and
    # why it is kept that long). Days, counted from when the data stopped being needed. No
    # "forever": storage limitation wants a limit, and a site that must keep longer (a legal
    # hold) sets up to ten years, or stops the daily run with `retention_enabled`.
    retention_enabled: bool = True
    """Let beat clear personal data past its retention period every day (false: a legal hold)."""
    retention_hour: int = Field(default=4, ge=0, le=23)
    """Hour of the day (UTC) of the daily retention run."""
    retention_ip_days: int = Field(default=30, ge=1, le=3650)
    """Days the IP address and user agent of a decided comment, the address of a reader's report
    and a failed sign-in are kept."""
    retention_removed_text_days: int = Field(default=90, ge=1, le=3650)
    """Days the text of a removed comment (spam or rejected) is kept after its last status change;
    the decision, reasons and audit stay. Also a resolved report's note."""
    retention_webhook_days: int = Field(default=30, ge=1, le=3650)
    """Days a webhook delivery (its payload names the author and holds the text) is kept once
    delivered or given up."""
    retention_analysis_days: int = Field(default=90, ge=1, le=3650)
    """Days a text scored through the Perspective-compatible API with `doNotStore` false is
    kept."""
    retention_notice_days: int = Field(default=183, ge=1, le=3650)
    """Days a decided notice keeps its notifier's name, email and explanation (six months by
    default: a notifier may complain about the decision that long, DSA Art. 20); its ground,
    law, outcome and times stay for the transparency counts."""

    # Statements of reasons (DSA Art. 17; docs/statements.md): what a removed comment's author
    # is told about seeking redress, copied into each statement as it is written.
    redress_text: str = Field(default=DEFAULT_REDRESS, min_length=1, max_length=2000)
    """What a statement of reasons tells the author of a removed comment about seeking
    redress (the site's contact for a review, dispute settlement, the courts)."""
    # Appeals (DSA Art. 20; docs/appeals.md): the Act asks for at least six months.
    appeal_window_days: int = Field(default=183, ge=1, le=3650)
    """Days after a removal its author may appeal it (the statement's `appeal` link)."""
    public_url: str | None = Field(default=None, max_length=300)
    """The address readers reach this service at (https://comments.example.org): the start of
    the appeal links in webhook events, which no request names. Unset: those links are paths
    (/appeals/...); the API and the pages use the address they were called at."""
    smtp_url: SecretStr | None = None
    """SMTP server of the notifiers' emails: `smtp://[user:pass@]host[:port]` or `smtps://`."""
    smtp_from: str | None = Field(default=None, max_length=254)
    """From address of those emails; required with MODERATION_SMTP_URL."""

    log_level: str = "INFO"
    """Level of the service's logs: DEBUG, INFO, WARNING or ERROR."""

    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: every log line of the API and the workers is one JSON object "
        "(time, level, logger, message, process, and the request id and figures where a line "
        "has them); `text`: plain lines. Either way one access line per request and one line "
        "per decided batch, and no comment text, email, address or user agent at INFO.",
    )

    # Metrics (moderation/metrics.py says how processes share them; docs/operations.md).
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, the API's /metrics answers only requests carrying "
        "`Authorization: Bearer <token>` (from anywhere). When neither this nor `metrics_port` "
        "is set, /metrics answers only loopback clients that came through no proxy.",
    )
    metrics_port: Port | None = Field(
        default=None,
        description="Serve the API's metrics on this port (at MODERATION_HOST) instead of at "
        "/metrics on the API's own port, which then answers 404: a port a network policy can "
        "keep for Prometheus alone. With `metrics_token` too, the token is still required.",
    )
    worker_metrics_port: Port | None = Field(
        default=None,
        description="`moderation worker` serves the metrics of its pool on this port (at "
        "MODERATION_HOST, no token: keep it for Prometheus), one target per worker. Unset, a "
        "worker's metrics are seen only through a directory shared with the API "
        "(`PROMETHEUS_MULTIPROC_DIR`, which `moderation up` sets up).",
    )
    metrics_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices(METRICS_DIR_VARIABLE, "metrics_dir"),
        description="prometheus_client's multiprocess directory (the variable "
        "PROMETHEUS_MULTIPROC_DIR, read by the library itself at start-up): every process "
        "started with the same one adds its values to what /metrics shows. Empty it before "
        "starting the processes that share it.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        # A typo must fail at start-up: uvicorn would take it as a host name that never matches.
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("public_url is an http(s) address")
        return value.rstrip("/")

    def appeal_links(self, base_url: str | None = None) -> AppealLinks:
        """How statements link to their appeal page: at `base_url` (the request's own address)
        unless the deployment names its public one."""
        return AppealLinks(
            self.public_url or base_url or "", timedelta(days=self.appeal_window_days)
        )

    @model_validator(mode="after")
    def _smtp(self) -> Settings:
        if self.smtp_url is not None:  # refused in words, never echoing it (a password)
            parse_smtp_url(self.smtp_url.get_secret_value())
            if not (self.smtp_from or "").strip():
                raise ValueError("MODERATION_SMTP_FROM is required with MODERATION_SMTP_URL")
        return self

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        # A typo must fail at start-up, in words, not at the first comment.
        if value is not None:
            parse_redis_url(value)
        return value

    @property
    def redis_address(self) -> RedisAddress | None:
        """Where Redis is (None: not configured, `moderation up` embeds one)."""
        if self.redis_url is None:
            return None
        password = self.redis_sentinel_password
        return parse_redis_url(
            self.redis_url,
            self.redis_sentinel_master,
            password.get_secret_value() if password is not None else None,
        )

    @property
    def redis_is_embedded(self) -> bool:
        return self.redis_url is None

    @property
    def models_root(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(
            spam_reject=self.spam_reject_threshold,
            toxicity_reject=self.toxicity_reject_threshold,
            spam_hold=self.spam_hold_threshold,
            toxicity_hold=self.toxicity_hold_threshold,
            hold_links=self.hold_links,
            repetition_min_words=self.repetition_min_words,
            repetition_hold=self.repetition_hold_threshold,
            repetition_spam=self.repetition_spam_threshold,
            flood_window_seconds=self.flood_window_seconds,
            flood_hold_copies=self.flood_hold_copies,
            flood_spam_copies=self.flood_spam_copies,
            flood_min_words=self.flood_min_words,
            threat_hold=self.threat_hold_threshold,
            identity_attack_hold=self.identity_attack_hold_threshold,
            threat_reject=self.threat_reject_threshold,
            identity_attack_reject=self.identity_attack_reject_threshold,
            profanity=self.profanity,
            premoderate_until=self.premoderate_until_approved,
            history_window=self.author_history_window,
            history_min=self.author_history_min,
            history_hold_share=self.author_history_hold_share,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment for a child process (worker, API) with `MODERATION_*` overrides."""
    env = dict(os.environ)
    env.update({f"MODERATION_{key.upper()}": value for key, value in overrides.items()})
    return env
