"""A queue-driven fake chat model for the LLM boundary: tests enqueue what the model answers."""

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class QueueChatModel(BaseChatModel):
    """Answers with the enqueued replies in order; an enqueued exception is raised instead.
    Every prompt it was given is kept in `prompts`. Running dry is a test failure."""

    replies: list[str | BaseException] = Field(default_factory=list)
    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    def enqueue(self, *replies: str | BaseException) -> "QueueChatModel":
        self.replies.extend(replies)
        return self

    @property
    def _llm_type(self) -> str:
        return "queue-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append(list(messages))
        if not self.replies:
            raise AssertionError("the fake model was called more often than replies were enqueued")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])
