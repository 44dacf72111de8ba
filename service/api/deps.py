"""Collaborators for the routes, built once in the app's lifespan."""

from typing import Annotated

from fastapi import Depends, Request

from service.answer.service import AnswerService
from service.services import Services
from vectorstore.store import ArticleStore


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_store(services: ServicesDep) -> ArticleStore:
    return services.store


def get_answerer(services: ServicesDep) -> AnswerService:
    return services.answerer


StoreDep = Annotated[ArticleStore, Depends(get_store)]
AnswererDep = Annotated[AnswerService, Depends(get_answerer)]
