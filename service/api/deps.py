"""Collaborators for the routes, built once in the app's lifespan."""

from typing import Annotated

from fastapi import Depends, Request

from service.answer.service import AnswerService
from service.config import Settings
from service.ingest.pipeline import Ingestor
from service.metrics import Metrics
from service.services import Services
from service.summary.service import SummaryService
from vectorstore.store import ArticleStore


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


def get_store(services: ServicesDep) -> ArticleStore:
    return services.store


def get_answerer(services: ServicesDep) -> AnswerService:
    return services.answerer


def get_summarizer(services: ServicesDep) -> SummaryService:
    return services.summarizer


def get_ingestor(services: ServicesDep) -> Ingestor:
    return services.ingestor


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[ArticleStore, Depends(get_store)]
AnswererDep = Annotated[AnswerService, Depends(get_answerer)]
SummarizerDep = Annotated[SummaryService, Depends(get_summarizer)]
IngestorDep = Annotated[Ingestor, Depends(get_ingestor)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
