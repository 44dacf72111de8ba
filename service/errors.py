"""Domain errors. Each carries a message fit to show a user; the CLI and the API translate them."""


class NewsqaError(Exception):
    """Base of every error newsqa reports to a user."""

    title = "newsqa error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(NewsqaError):
    """A setting has an invalid value."""

    title = "Invalid configuration"


class InputError(NewsqaError):
    """A document or file cannot be ingested (missing, binary, empty, malformed)."""

    title = "Invalid input"


class DocumentNotFound(NewsqaError):
    """No document has the requested id."""

    title = "Document not found"


class StoreLockedError(NewsqaError):
    """Another process holds the embedded store for writing."""

    title = "Store in use"


class StoreUnavailable(NewsqaError):
    """The vector store cannot be reached or opened."""

    title = "Store unavailable"


class LLMUnavailable(NewsqaError):
    """The LLM did not answer in time, or failed."""

    title = "LLM unavailable"


class PayloadTooLarge(InputError):
    """A request body or an uploaded file is larger than the configured cap."""

    title = "Payload too large"


class OperationTimeout(NewsqaError):
    """A store or LLM call did not finish within the configured time."""

    title = "Timed out"


class ModelNotFound(NewsqaError):
    """An OpenAI-style request named a model this server does not offer."""

    title = "Model not found"
