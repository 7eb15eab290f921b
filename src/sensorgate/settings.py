"""One settings class, read from the environment with the prefix SENSORGATE_.

msgspec converts the environment's strings to typed fields (``strict=False`` turns "8000" into 8000
and "true" into True), so there is no hand-written parsing and no second settings library.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from sensorgate.kit.proxies import parse_networks

ENV_PREFIX = "SENSORGATE_"
Mode = Literal["production", "dev", "demo"]

# Values people paste from examples. A secret equal to one of these, or too short to be random,
# is treated as missing.
PLACEHOLDERS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "placeholder",
        "please-change",
        "xxx",
        "todo",
        "test",
    }
)
MIN_SECRET_LENGTH = 32
SECRET_FIELDS = ("secret_key", "hash_pepper", "master_key")
# What `serve --demo` leaves in the data dir: a data dir holding both is a demo's (is_demo_data_dir).
DEMO_FILES = ("secrets.json", "demo.json")


# Every vendor dialect there is (src/sensorgate/dialects/); SENSORGATE_DIALECTS picks among them.
DIALECTS = ("aranet", "akenza", "ardexa", "ayyeka", "aquanow")


class SettingsError(Exception):
    """The settings cannot run a service; the message says which one and how to fix it."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    mode: Mode = "production"
    data_dir: str = ".sensorgate"
    # None means an SQLite file inside data_dir.
    database_url: str | None = None
    redis_url: str | None = None
    # Starts every key sensorgate writes to Redis; give each installation sharing one Redis its own.
    redis_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,40}$")] = "sensorgate"
    # Signs and derives non-password tokens.
    secret_key: str = ""
    # HMAC key for every stored hash of a secret (session tokens now, API keys later).
    hash_pepper: str = ""
    # 32 bytes, urlsafe base64: encrypts secrets the server must read back (signing keys).
    master_key: str = ""
    # Largest request body the service reads, in bytes; routes may set a larger one.
    max_body_bytes: int = 1_048_576
    session_hours: int = 12
    # When set, /metrics asks for "Authorization: Bearer <token>".
    metrics_token: str | None = None
    # Cookies get the Secure flag unless this is false (plain-HTTP development).
    secure_cookies: bool = True
    access_log: bool = True
    log_level: str = "INFO"
    # How often each process writes its buffered key-usage counts (seconds).
    usage_flush_seconds: Annotated[float, msgspec.Meta(ge=0.1, le=3600)] = 1.0
    # Run the periodic jobs (the purge) inside serve; turn off when cron runs `sensorgate jobs run`.
    scheduler: bool = True
    # OAuth2 access tokens (JWTs): their lifetime, and the `iss` and `aud` they carry and must carry to be
    # accepted. Set the issuer to the service's public URL when integrators check it; changing either one
    # invalidates every token already issued.
    token_lifetime_seconds: Annotated[int, msgspec.Meta(ge=60, le=86_400)] = 3600
    oauth_issuer: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] = "urn:sensorgate"
    oauth_audience: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] = "urn:sensorgate:api"
    # A new token-signing key every this many days; old public keys stay published until their last token expires.
    jwt_rotation_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    # Per-credential rate limits and daily quotas (usage/limits.py); false serves every credential unlimited.
    rate_limits: bool = True
    # Comma-separated addresses or networks of the proxies in front (a load balancer): from them, and only
    # them, the client's address is read from X-Forwarded-For (kit/proxies.py). Empty: the TCP peer is the client.
    trusted_proxies: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    # Failed console logins allowed in any 15 minutes, per email and per client address, before 429.
    login_attempts_per_email: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 5
    login_attempts_per_address: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 50
    # The vendors' API dialects to answer (docs/dialects.md), comma-separated; empty answers none.
    dialects: Annotated[str, msgspec.Meta(max_length=200)] = ",".join(DIALECTS)

    @property
    def dialect_names(self) -> frozenset[str]:
        return frozenset(part.strip().lower() for part in self.dialects.split(",") if part.strip())

    @property
    def sqlalchemy_url(self) -> str:
        return to_sqlalchemy_url(self.database_url or f"sqlite:///{Path(self.data_dir) / 'sensorgate.db'}")

    @property
    def master_key_bytes(self) -> bytes:
        return base64.urlsafe_b64decode(self.master_key)

    @property
    def cookies_secure(self) -> bool:
        """Demo and dev serve plain HTTP on localhost, where a Secure cookie would not come back."""
        return self.secure_cookies and self.mode == "production"

    @property
    def relaxed(self) -> bool:
        """Dev and demo modes may generate their own secrets."""
        return self.mode in ("dev", "demo")


def to_sqlalchemy_url(url: str) -> str:
    """Accept the plain URLs of docs/api.md and name the driver SQLAlchemy should use."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def load_settings(
    environ: dict[str, str] | None = None, *, require_secrets: bool = True, **overrides: object
) -> Settings:
    """Read SENSORGATE_* variables, apply overrides, and make sure the secrets are usable.

    Commands that never touch a secret (db upgrade, users create) pass require_secrets=False. Without
    SENSORGATE_MODE, a data dir made by `serve --demo` is opened in demo mode, with the secrets it keeps.
    """
    env = os.environ if environ is None else environ
    raw: dict[str, object] = {
        name[len(ENV_PREFIX) :].lower(): value
        for name, value in env.items()
        if name.startswith(ENV_PREFIX) and name[len(ENV_PREFIX) :].lower() in Settings.__struct_fields__
    }
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting: {exc}") from None
    unknown = sorted(settings.dialect_names - set(DIALECTS))
    if unknown:
        raise SettingsError(
            f"{ENV_PREFIX}DIALECTS: unknown dialect {', '.join(unknown)}; the dialects are {', '.join(DIALECTS)}"
        )
    try:
        parse_networks(settings.trusted_proxies)
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}TRUSTED_PROXIES: {exc}") from None
    if "mode" not in raw and is_demo_data_dir(settings.data_dir):
        # Made by `serve --demo`: every command run beside it works on it as the demo does, with its secrets.
        settings = msgspec.structs.replace(settings, mode="demo")
    if settings.relaxed:
        settings = _fill_generated_secrets(settings)
    if require_secrets:
        _check_secrets(settings)
    return settings


def is_demo_data_dir(data_dir: str) -> bool:
    """A data dir `serve --demo` made: it holds the secrets the demo generated and the demo owner's login."""
    return all((Path(data_dir) / name).is_file() for name in DEMO_FILES)


def is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or len(value) < MIN_SECRET_LENGTH


# How to make a value for each secret, in a command a shell runs as it is.
GENERATE = {
    "secret_key": "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
    "hash_pepper": "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
    "master_key": "python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'",
}


def _check_secrets(settings: Settings) -> None:
    missing = [name for name in SECRET_FIELDS if is_placeholder(getattr(settings, name))]
    if missing:
        names = [f"{ENV_PREFIX}{name.upper()}" for name in missing]
        one = len(names) == 1
        listed = names[0] if one else f"{', '.join(names[:-1])} and {names[-1]}"
        exports = "\n".join(f'  export {ENV_PREFIX}{name.upper()}="$({GENERATE[name]})"' for name in missing)
        raise SettingsError(
            f"{listed} {'is missing or a placeholder' if one else 'are missing or placeholders'} "
            f"(mode {settings.mode}). Set {'it' if one else 'each'} to a random value of at least "
            f"{MIN_SECRET_LENGTH} characters and keep it (a new value ends sessions or keys made with the old "
            f"one), for example:\n{exports}\n"
            f"To try sensorgate instead: `sensorgate serve --demo`; afterwards every command run in the same folder "
            f"finds its data dir ({Path(settings.data_dir).resolve()}) and works in it. Or set {ENV_PREFIX}MODE=dev."
        )
    try:
        key = settings.master_key_bytes
    except ValueError:
        key = b""
    if len(key) != 32:
        raise SettingsError(
            f"{ENV_PREFIX}MASTER_KEY must be 32 bytes in urlsafe base64 (44 characters). Generate one with: "
            f"{GENERATE['master_key']}"
        )
    if settings.max_body_bytes < 1024:
        raise SettingsError(f"{ENV_PREFIX}MAX_BODY_BYTES must be at least 1024")


def generate_secrets() -> dict[str, str]:
    return {
        "secret_key": secrets.token_urlsafe(32),
        "hash_pepper": secrets.token_urlsafe(32),
        "master_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }


def _fill_generated_secrets(settings: Settings) -> Settings:
    """Use secrets kept in the data dir, creating them on the first run, for any secret left unset.

    Keeping them means sessions and stored hashes survive a restart of the demo.
    """
    missing = [name for name in SECRET_FIELDS if is_placeholder(getattr(settings, name))]
    if not missing:
        return settings
    path = Path(settings.data_dir) / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    if any(name not in stored for name in SECRET_FIELDS):
        stored = {**generate_secrets(), **stored}
        write_private_file(path, json.dumps(stored, indent=2))
    return msgspec.structs.replace(settings, **{name: stored[name] for name in missing})


def write_private_file(path: Path, text: str) -> None:
    """Write a file only its owner can read, because it holds secrets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
