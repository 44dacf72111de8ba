"""One Settings object, read from the environment (and `.env`) and validated at start-up."""

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSQA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("vectorstore/data")
    chroma_url: str | None = None
    collection_prefix: str = Field("newsqa", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,40}$")

    llm: Literal["extractive", "openai"] = "extractive"
    # learned: service/answer/scorer_weights.json (more accurate on articles nobody tuned for);
    # lexical: the hand-written scorer tuned on the samples
    answer_scorer: Literal["lexical", "learned"] = "learned"
    llm_model: str = "gpt-4o-mini"
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url")
    )
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key")
    )

    llm_max_tokens: int = Field(400, ge=16, le=8192)
    llm_timeout_seconds: float = Field(30.0, gt=0, le=600)
    llm_max_retries: int = Field(1, ge=0, le=5)
    # What the model is shown: sized for hosted models (128k-token windows); the bundled
    # Gemma gets 800 (`make run LLM=local`).
    llm_context_tokens: int = Field(6000, ge=200, le=100_000)
    llm_top_k: int = Field(16, ge=1, le=100)  # passages retrieved for the model to read
    # When none of the model's claims verify: a capable model over-reached, so decline; a
    # small local model rarely quotes right, so give the extractive answer (`make run
    # LLM=local`), marked extractive_fallback.
    llm_unverified: Literal["decline", "extractive"] = "decline"

    embeddings: Literal["local", "local-torch", "openai"] = "local"
    embedding_model: str = "text-embedding-3-small"
    embed_batch_size: int = Field(64, ge=1, le=2048)
    # Where the int8 ONNX build of the local embedder is kept (built on first use).
    model_cache: Path = Field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsqa"
        )
    )

    api_keys: Annotated[list[str], NoDecode] = []
    # Per key (or client); 0 = off; unset: see effective_rate_limit.
    rate_limit_per_minute: int | None = Field(None, ge=0, le=1_000_000)
    # Where the API listens (`newsqa serve` sets it); unknown counts as not loopback.
    bind_host: str | None = None
    # Requests presenting a wrong key, per client address; it cannot be turned off.
    auth_failures_per_minute: int = Field(10, ge=1, le=10_000)
    max_body_bytes: int = Field(12_000_000, ge=1024)
    request_timeout_seconds: float = Field(60.0, gt=0, le=3600)
    # After SIGTERM, in-flight requests get this long; below `docker stop`'s 10 s SIGKILL.
    shutdown_timeout_seconds: int = Field(8, ge=1, le=3600)

    chunk_tokens: int = Field(256, ge=32, le=4096)
    chunk_overlap: int = Field(40, ge=0)
    max_file_bytes: int = Field(10_000_000, ge=1)

    # `newsqa serve`'s log lines: uvicorn's terminal format, or one JSON object a line.
    log_format: Literal["text", "json"] = "text"

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8001")
        return value.rstrip("/")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @model_validator(mode="after")
    def _check_overlap(self) -> "Settings":
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("NEWSQA_CHUNK_OVERLAP must be smaller than NEWSQA_CHUNK_TOKENS")
        return self


DEFAULT_RATE_LIMIT_PER_MINUTE = 120


def effective_rate_limit(setting: int | None, bind_host: str | None, keyed: bool) -> int:
    """Requests a minute per caller, 0 for none. An explicit setting wins; otherwise an open
    API on loopback has no limit (its only callers are the local user and their scripts), and
    one on any other address, or an unknown one, or with keys has the default."""
    if setting is not None:
        return setting
    if not keyed and bind_host is not None and is_loopback(bind_host):
        return 0
    return DEFAULT_RATE_LIMIT_PER_MINUTE


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; any other name may resolve anywhere."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _variable_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, AliasChoices):
        return str(info.validation_alias.choices[0])
    return f"NEWSQA_{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Build Settings; turn a validation failure into a one-line ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = [str(part) for part in first["loc"]]
        message = first["msg"].removeprefix("Value error, ")
        if location:
            name = _variable_name(location[0])
            given = first.get("input")
            shown = f" (got {given!r})" if isinstance(given, str | int) else ""
            raise ConfigError(f"{name}: {message}{shown}") from None
        raise ConfigError(message) from None
