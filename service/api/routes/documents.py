"""/v1/documents: ingest (JSON or a file upload), list, read, delete."""

import hashlib
import threading
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile

from service.answer.models import LABEL_DESCRIPTION, TITLE_DESCRIPTION
from service.api.deps import IngestorDep, MetricsDep, SettingsDep, StoreDep
from service.api.limits import run_blocking
from service.api.problems import COMMON_RESPONSES, problem_responses
from service.api.types import IsoDateOrTime, StrictModel
from service.errors import DocumentNotFound, InputError
from service.ingest.loaders import RawDocument, load_bytes
from service.ingest.pipeline import Ingestor
from service.ingest.report import Outcome
from service.metrics import Metrics
from vectorstore.store import DOC_ID_PATTERN, ArticleStore, StoredDocument

router = APIRouter(prefix="/v1/documents", tags=["documents"], responses=COMMON_RESPONSES)

DocId = Annotated[str, PathParam(pattern=DOC_ID_PATTERN.pattern, examples=["000_24ebec4603e8d0ce"])]


class DocumentIn(StrictModel):
    id: str | None = Field(
        None,
        pattern=DOC_ID_PATTERN.pattern,
        description="Defaults to `doc-` and a digest of the text, so re-posting is idempotent.",
    )
    title: str | None = Field(None, max_length=1000)
    text: str = Field(min_length=1, pattern=r"[A-Za-z0-9]", description="The article text.")
    published_at: IsoDateOrTime | None = None
    source: str | None = Field(None, max_length=1000)
    url: str | None = Field(None, max_length=2000)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "council-vote",
                    "title": "Council approves stadium budget",
                    "text": "The city council approved the stadium budget on Monday.",
                    "published_at": "2025-08-19",
                    "source": "Example Times",
                }
            ]
        }
    }

    def to_raw(self) -> RawDocument:
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]
        return RawDocument(
            id=self.id or f"doc-{digest}",
            text=self.text,
            title=(self.title or "").strip() or None,
            published_at=self.published_at.isoformat() if self.published_at else None,
            source=self.source,
            url=self.url,
        )


class IngestedDocument(BaseModel):
    id: str
    label: str = Field(description=LABEL_DESCRIPTION)
    status: Literal["added", "updated", "unchanged"]
    chunks: int = Field(description="Chunks embedded by this request (0 when unchanged).")


class IngestResult(BaseModel):
    documents: list[IngestedDocument]


class DocumentSummary(BaseModel):
    id: str
    title: str | None = Field(None, description=TITLE_DESCRIPTION)
    label: str = Field(description=LABEL_DESCRIPTION)
    published_at: str | None = None
    source: str | None = None
    url: str | None = None
    chunks: int = 0
    ingested_at: str | None = None
    content_hash: str

    @classmethod
    def of(cls, document: StoredDocument) -> "DocumentSummary":
        return cls(
            id=document.id,
            title=document.title,
            # The store labels every document it lists or reads with its text.
            label=document.label or document.id,
            published_at=document.published_at,
            source=document.source,
            url=document.url,
            chunks=document.n_chunks,
            ingested_at=document.ingested_at,
            content_hash=document.content_hash,
        )


class DocumentWithText(DocumentSummary):
    text: str = Field(description="The cleaned text; citations' offsets point into it.")


class DocumentPage(BaseModel):
    documents: list[DocumentSummary]
    total: int
    limit: int
    offset: int


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DocumentIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "A .txt, .md, .html, .json or .jsonl file; "
                            "its name without the extension is the id.",
                        },
                        "id": {"type": "string", "pattern": DOC_ID_PATTERN.pattern},
                    },
                }
            },
        },
    }
}


@router.post(
    "",
    response_model=IngestResult,
    status_code=201,
    summary="Ingest a document (JSON) or a file upload (multipart)",
    description="201 when something was added or changed, 200 when all was unchanged.",
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"description": "Nothing changed", "model": IngestResult},
        **problem_responses(415),
    },
)
async def add_documents(
    request: Request,
    response: Response,
    ingestor: IngestorDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> IngestResult:
    try:
        raws = await _read_documents(request, settings.max_file_bytes)
    except Exception:
        metrics.ingest({Outcome.FAILED: 1})  # a body that is no document, or no readable file
        raise
    lock: threading.Lock = request.app.state.write_lock
    result = await run_blocking(
        settings.request_timeout_seconds, _ingest, ingestor, lock, raws, metrics
    )
    if all(item.status == "unchanged" for item in result.documents):
        response.status_code = 200
    if len(result.documents) == 1:
        response.headers["Location"] = f"/v1/documents/{result.documents[0].id}"
    return result


async def _read_documents(request: Request, max_file_bytes: int) -> list[RawDocument]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=4) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InputError("a multipart upload needs its file in the 'file' field")
            data = await upload.read()
            name = Path(upload.filename or "").name
            given_id = form.get("id")
        if not Path(name).suffix:
            raise InputError("the uploaded file needs a name with an extension such as .txt")
        raws = load_bytes(data, name, max_file_bytes)
        if isinstance(given_id, str) and given_id:
            if len(raws) != 1:
                raise InputError("'id' can only be given for a file holding one document")
            raws = [RawDocument(**{**raws[0].__dict__, "id": given_id})]
        return raws
    if content_type in ("application/json", ""):
        try:
            return [DocumentIn.model_validate_json(await request.body()).to_raw()]
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
            ) from None
    raise HTTPException(415, "send application/json or a multipart/form-data file upload")


def _ingest(
    ingestor: Ingestor, lock: threading.Lock, raws: list[RawDocument], metrics: Metrics
) -> IngestResult:
    # Counted here, in the worker thread: a write that outlives the request's timeout still
    # counts as what it turned out to be.
    try:
        # Clean and check every document first: one bad record in a file writes nothing.
        for raw in raws:
            ingestor.prepare(raw)
        with lock:
            report = ingestor.ingest_raw(raws)
    except Exception:
        metrics.ingest({Outcome.FAILED: len(raws)})  # none of them was stored
        raise
    metrics.ingest(report.counts)
    return IngestResult(
        documents=[
            IngestedDocument(
                id=item.doc_id or "",
                label=item.label or item.doc_id or "",
                status=item.outcome.value,
                chunks=item.chunks,
            )
            for item in report.results
            if item.outcome is not Outcome.FAILED
        ]
    )


@router.get("", response_model=DocumentPage, summary="List documents (without their text)")
async def list_documents(
    store: StoreDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> DocumentPage:
    documents, total = await run_blocking(
        settings.request_timeout_seconds, store.list_documents, limit, offset
    )
    return DocumentPage(
        documents=[DocumentSummary.of(d) for d in documents],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{doc_id}",
    response_model=DocumentWithText,
    summary="A document with its cleaned text",
    responses=problem_responses(404),
)
async def get_document(doc_id: DocId, store: StoreDep, settings: SettingsDep) -> DocumentWithText:
    document = await run_blocking(settings.request_timeout_seconds, store.get_document, doc_id)
    if document is None:
        raise DocumentNotFound(f"no document with id {doc_id!r}")
    return DocumentWithText(**DocumentSummary.of(document).model_dump(), text=document.text)


@router.delete(
    "/{doc_id}",
    status_code=204,
    summary="Delete a document and its chunks",
    responses=problem_responses(404),
)
async def delete_document(
    doc_id: DocId, request: Request, store: StoreDep, settings: SettingsDep
) -> Response:
    lock: threading.Lock = request.app.state.write_lock
    deleted = await run_blocking(settings.request_timeout_seconds, _delete, store, lock, doc_id)
    if not deleted:
        raise DocumentNotFound(f"no document with id {doc_id!r}")
    return Response(status_code=204)


def _delete(store: ArticleStore, lock: threading.Lock, doc_id: str) -> bool:
    with lock:
        return store.delete_document(doc_id)
