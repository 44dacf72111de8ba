"""Request-model building blocks: strict types, so the server accepts what the schema says
and nothing else (no "5" for 5, no 0 for a date), with ISO dates still read from JSON strings."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO 8601 date such as 2025-08-19") from None
    return value


def _iso_date_or_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO 8601 date or date-time") from None
        return parsed.date() if len(value) == 10 else parsed
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateOrTime = Annotated[date | datetime, BeforeValidator(_iso_date_or_time)]
