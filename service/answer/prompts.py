"""Prompt templates kept as files in prompts/, filled with strict variables: a placeholder left
unfilled, or a value for no placeholder, is an error rather than a silently odd prompt."""

import re
from dataclasses import dataclass
from pathlib import Path

from service.errors import ConfigError

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    text: str

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(_PLACEHOLDER.findall(self.text))

    def render(self, **values: object) -> str:
        missing = self.variables - set(values)
        unknown = set(values) - self.variables
        if missing or unknown:
            raise ConfigError(
                f"prompt {self.name!r}: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), self.text)


def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> PromptTemplate:
    path = directory / f"{name}.md"
    try:
        return PromptTemplate(name, path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"prompt {name!r} not found at {path}: {exc.strerror}") from None
