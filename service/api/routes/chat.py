"""POST /v1/chat/completions: OpenAI-compatible, plain and streaming. The last user message is
the question, earlier turns the history; citations travel in an extra `citations` field and as
a short "Sources" list at the end of the text, so plain chat clients show them too."""

import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, model_validator

from service.answer.models import Answer, Citation
from service.answer.service import AnswerService, Retrieval
from service.api.deps import AnswererDep, MetricsDep, SettingsDep
from service.api.limits import run_blocking
from service.api.observability import record_answer
from service.api.problems import COMMON_RESPONSES, problem_for, problem_responses
from service.api.routes.ask import QUESTION_MAX_CHARS, AskFilters
from service.api.routes.models import MODEL_ID, check_model
from service.api.shutdown import STOPPED, Stopping, StoppingDep
from service.api.sse import EVENT_STREAM, STREAM_HEADERS, event, event_schema, pieces
from service.api.types import StrictModel
from service.ingest.chunk import count_tokens
from service.metrics import Metrics

router = APIRouter(prefix="/v1/chat", tags=["chat"], responses=COMMON_RESPONSES)

TURN_MAX_CHARS = 20_000


class TextPart(StrictModel):
    type: Literal["text"]
    text: str = Field(max_length=QUESTION_MAX_CHARS)


TurnText = Annotated[str, Field(max_length=TURN_MAX_CHARS)]
TurnParts = Annotated[list[TextPart], Field(max_length=10)]


class InstructionMessage(StrictModel):
    role: Literal["system", "developer"]
    content: TurnText | TurnParts


class UserMessage(StrictModel):
    """The question: at most QUESTION_MAX_CHARS, as text or one text part."""

    role: Literal["user"]
    content: (
        Annotated[str, Field(max_length=QUESTION_MAX_CHARS)]
        | Annotated[list[TextPart], Field(max_length=1)]
    )


class AssistantMessage(StrictModel):
    role: Literal["assistant"]
    content: TurnText | TurnParts | None = None


Message = Annotated[
    InstructionMessage | UserMessage | AssistantMessage, Field(discriminator="role")
]


def text_of(message: InstructionMessage | UserMessage | AssistantMessage) -> str:
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    return "\n".join(part.text for part in message.content)


class StreamOptions(StrictModel):
    include_usage: bool = False


class ChatCompletionRequest(StrictModel):
    model: str = Field(examples=[MODEL_ID])
    messages: list[Message] = Field(
        min_length=1,
        max_length=100,
        json_schema_extra={"contains": {"properties": {"role": {"const": "user"}}}},
    )
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="Only one choice is made.")
    top_k: int | None = Field(
        None,
        ge=1,
        le=50,
        description="newsqa: passages to retrieve (default: 6, or 16 with an LLM).",
    )
    filters: AskFilters | None = Field(None, description="newsqa: as in /v1/ask.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "model": MODEL_ID,
                    "messages": [{"role": "user", "content": "What did Witkoff say about Putin?"}],
                }
            ]
        }
    }

    @model_validator(mode="after")
    def _has_question(self) -> "ChatCompletionRequest":
        if not any(message.role == "user" for message in self.messages):
            raise ValueError("messages need at least one user message: the question")
        return self

    def question_and_history(self) -> tuple[str, list[tuple[str, str]]]:
        last = max(i for i, message in enumerate(self.messages) if message.role == "user")
        history: list[tuple[str, str]] = [
            (message.role, text_of(message))
            for message in self.messages[:last]
            if message.role in ("user", "assistant")
        ]
        return text_of(self.messages[last]), history


class ResponseMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ResponseMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[Citation] = Field(description="newsqa: what the [n] markers refer to.")
    abstained: bool
    mode: str


def with_sources(answer: Answer) -> str:
    if not answer.citations:
        return answer.answer
    lines = [f"[{c.n}] {c.label}" for c in answer.citations]
    return answer.answer + "\n\nSources:\n" + "\n".join(lines)


@router.post(
    "/completions",
    response_model=ChatCompletion,
    summary="OpenAI-compatible chat completion over the articles",
    description="Streaming sends `chat.completion.chunk` objects and `[DONE]`; the final chunk "
    "carries `citations`.",
    responses={
        200: {"content": {EVENT_STREAM: {"schema": event_schema()}}},
        **problem_responses(404),
    },
)
async def chat_completions(
    body: ChatCompletionRequest,
    answerer: AnswererDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    stopping: StoppingDep,
) -> Any:
    check_model(body.model)
    question, history = body.question_and_history()
    timeout = settings.request_timeout_seconds
    filters = body.filters.to_filters() if body.filters else None
    retrieval = await run_blocking(
        timeout, answerer.retrieve, question, top_k=body.top_k, history=history, filters=filters
    )
    prompt_tokens = sum(count_tokens(text_of(message)) for message in body.messages)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        chunks = completion_chunks(
            answerer, retrieval, timeout, metrics, stopping, completion_id, prompt_tokens,
            include_usage,
        )  # fmt: skip
        return StreamingResponse(chunks, media_type=EVENT_STREAM, headers=STREAM_HEADERS)
    answer = record_answer(metrics, await run_blocking(timeout, answerer.complete, retrieval))
    content = with_sources(answer)
    return ChatCompletion(
        id=completion_id,
        created=int(time.time()),
        model=MODEL_ID,
        choices=[Choice(message=ResponseMessage(content=content))],
        usage=usage(prompt_tokens, content),
        citations=answer.citations,
        abstained=answer.abstained,
        mode=answer.mode,
    )


def usage(prompt_tokens: int, content: str) -> Usage:
    completion_tokens = count_tokens(content)
    return Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


async def completion_chunks(
    answerer: AnswerService,
    retrieval: Retrieval,
    timeout: float,
    metrics: Metrics,
    stopping: Stopping,
    completion_id: str,
    prompt_tokens: int,
    include_usage: bool,
) -> AsyncIterator[str]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choices = [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                "model": MODEL_ID, "choices": choices, **extra}  # fmt: skip
        return event(body)

    yield chunk({"role": "assistant", "content": ""})
    try:
        answer = await stopping.within_grace(run_blocking(timeout, answerer.complete, retrieval))
    except Exception as exc:  # OpenAI clients raise on a streamed `error` object
        yield error_event(problem_for(exc))
        return
    if answer is None:  # the server is stopping: end with a final event, not a cut
        yield error_event(STOPPED)
        return
    record_answer(metrics, answer)
    content = with_sources(answer)
    for piece in pieces(content):
        yield chunk({"content": piece})
    citations = [c.model_dump() for c in answer.citations]
    yield chunk({}, "stop", citations=citations, abstained=answer.abstained, mode=answer.mode)
    if include_usage:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                "model": MODEL_ID, "choices": [],
                "usage": usage(prompt_tokens, content).model_dump()}  # fmt: skip
        yield event(body)
    yield event("[DONE]")


def error_event(problem: dict[str, Any]) -> str:
    """A problem as OpenAI streams an error: clients raise on it."""
    error = {"message": problem["detail"], "type": problem["title"], "code": problem["status"]}
    return event({"error": error})
