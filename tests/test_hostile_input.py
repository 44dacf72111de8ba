"""Hostile input: fuzzed files for every loader, a 50 MB file, document ids that try to escape.
Each bad input gets a clear error; nothing crashes, memory stays bounded, stored data survives."""

import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.errors import InputError
from service.ingest.chunk import TokenChunker
from service.ingest.loaders import SUPPORTED_SUFFIXES, load_bytes
from service.ingest.pipeline import Ingestor
from tests.conftest import ARTICLES, BIN, assert_problem, newsqa_server, process_env


def hostile_contents(seed: int) -> dict[str, bytes]:
    rng = random.Random(seed)
    words = " ".join(
        rng.choice(["talks", "Kyiv", "oil", "said", "on", "the"]) for _ in range(40_000)
    )
    return {
        "random-bytes": rng.randbytes(4096),
        "random-bytes-no-nul": bytes(b or 1 for b in rng.randbytes(4096)),
        "random-unicode": "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(3000)).encode(
            "utf-8", "surrogatepass"
        ),
        "control-characters": bytes(rng.randrange(1, 32) for _ in range(2000)),
        "long-line": words.encode(),
        "one-long-word": b"x" * 200_000,
        "nested-json": b"[" * 100_000 + b"]" * 100_000,
        "nested-object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "deep-text-field": b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "truncated-json": b'{"id": "x", "text": "start of a stor',
        "html-soup": b"<div>" * 20_000 + b"Talks in Kyiv went on." + b"</p>" * 5000,
    }


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_every_loader_meets_fuzzed_files_with_a_document_or_a_clear_error(
    suffix: str, minilm: object
) -> None:
    ingestor = Ingestor(None, minilm, TokenChunker())  # type: ignore[arg-type]  # no store needed
    for name, content in hostile_contents(seed=len(suffix)).items():
        try:
            raws = load_bytes(content, f"{name}{suffix}", 10_000_000)
            for raw in raws:
                ingestor.chunker.chunk(ingestor.prepare(raw).text)
        except InputError as exc:
            assert exc.message and "\n" not in exc.message and len(exc.message) < 300, name
        # Anything else (RecursionError, a parser's own exception) fails the test.


def peak_rss_ingest(folder: Path, store: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run `newsqa ingest FOLDER`; also return the peak resident memory of it, in MB."""
    measure = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stdout.write(done.stdout)\nsys.stderr.write(done.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
        "sys.exit(done.returncode)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", measure, str(BIN / "newsqa"), "ingest", str(folder)],
        capture_output=True, text=True, env=process_env(store), timeout=600,
    )  # fmt: skip
    return done, int(done.stdout.strip().splitlines()[-1])


def test_hostile_files_fail_one_by_one_with_bounded_memory(tmp_path: Path) -> None:
    contents = hostile_contents(seed=3)
    sample = next(iter(sorted(ARTICLES.glob("*.txt"))))
    good = {sample.name: sample.read_bytes(), "line.txt": contents["long-line"]}
    folder = tmp_path / "good"
    folder.mkdir()
    for name, content in good.items():
        (folder / name).write_bytes(content)
    baseline, baseline_mb = peak_rss_ingest(folder, tmp_path / "baseline-store")
    assert baseline.returncode == 0, baseline.stderr

    bad = {
        "noise.txt": contents["random-bytes"],
        "noise.html": contents["random-bytes-no-nul"],
        "nested.json": contents["nested-json"],
        "nested.jsonl": contents["nested-object"],
        "cut.json": contents["truncated-json"],
        "bell\x07name.txt": b"A story with a control character in its file name.",
        "huge.md": b"Fifty megabytes of article. " * 1_900_000,  # over the 10 MB default cap
    }
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, content in {**good, **bad}.items():
        (folder / name).write_bytes(content)

    store = tmp_path / "store"
    done, peak_mb = peak_rss_ingest(folder, store)
    assert done.returncode == 1  # some files failed; the run itself finished
    assert done.stdout.startswith(f"added 2, updated 0, unchanged 0, failed {len(bad)}")
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(bad), done.stderr
    assert any("huge.md" in e and "over the 10,000,000-byte limit" in e for e in errors)
    assert any("nested.json" in e and "nested too deeply" in e for e in errors)
    assert any("invalid document id" in e for e in errors)
    # The 50 MB file is refused before it is read: memory is what the good articles cost.
    assert peak_mb < baseline_mb + 64, (peak_mb, baseline_mb)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with newsqa_server(tmp_path_factory.mktemp("hostile"), NEWSQA_RATE_LIMIT_PER_MINUTE="0") as url:
        yield url


BAD_IDS = [
    "../escape",
    "a/b",
    "a\\b",
    "line\nbreak",
    "nul\x00byte",
    "bell\x07",
    "del\x7f",
    ".hidden",
]


@pytest.mark.parametrize("doc_id", BAD_IDS)
def test_document_ids_with_separators_or_control_characters_are_refused(
    server: str, doc_id: str
) -> None:
    posted = httpx.post(f"{server}/v1/documents", json={"id": doc_id, "text": "Rain fell."})
    assert_problem(posted, 422)
    upload = httpx.post(
        f"{server}/v1/documents",
        files={"file": ("story.txt", b"Rain fell in Leeds.", "text/plain")},
        data={"id": doc_id},
    )
    assert_problem(upload, 422)
    assert httpx.get(f"{server}/readyz").json()["documents"] == 5


def test_path_tricks_in_urls_and_upload_names_stay_inside(server: str) -> None:
    for path in [
        "/v1/documents/..%2F..%2Fetc%2Fpasswd",
        "/v1/documents/a%00b",
        "/v1/documents/%07",
    ]:
        response = httpx.get(f"{server}{path}")
        assert response.status_code in (404, 422), (path, response.text)
        assert_problem(response, response.status_code)
    upload = httpx.post(
        f"{server}/v1/documents",
        files={"file": ("../../outside.txt", b"Rain fell in Leeds on Monday.", "text/plain")},
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["documents"][0]["id"] == "outside"
    assert httpx.delete(f"{server}/v1/documents/outside").status_code == 204
