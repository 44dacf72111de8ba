"""Prompt templates kept as files in prompts/, filled with strict variables: a placeholder left
unfilled, or a value for no placeholder, is an error rather than a silently odd prompt."""

import json
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


@dataclass(frozen=True)
class Example:
    """One worked example, shown to the model as a user turn and the reply it should give: small
    base models follow a pattern far better than an instruction."""

    passages: list[str]
    variables: dict[str, str]
    reply: dict[str, object]


def load_examples(name: str, directory: Path = PROMPTS_DIR) -> list[Example]:
    """prompts/NAME.jsonl: one {"passages": [str], "variables": {str: str}, "reply": {}} a line."""
    path = directory / f"{name}.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"examples {name!r} not found at {path}: {exc.strerror}") from None
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            example = Example(list(data["passages"]), dict(data["variables"]), dict(data["reply"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"examples {name!r} line {number}: {exc}") from None
        examples.append(example)
    return examples
