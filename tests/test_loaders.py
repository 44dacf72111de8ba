import json
from pathlib import Path

import pytest

from service.errors import InputError
from service.ingest.loaders import expand_paths, load_file

PAGE = """<!doctype html><html><head><title>Example Daily | Talks resume in Berlin</title>
<meta property="article:published_time" content="2025-08-18T10:00:00Z">
<script>window.tracker = "TRACKER-SCRIPT";</script></head>
<body><nav><a href="/">Home</a> <a href="/world">World NAVLINK</a></nav>
<aside class="advert">ADVERT buy cheap watches</aside>
<article><h1>Talks resume in Berlin</h1>
<p>European and Ukrainian officials resumed talks in Berlin on Monday, according to two diplomats
familiar with the meetings.</p>
<p>The officials said a draft of the security guarantees would be ready within ten days, and that
the United States would join the next round.</p>
<script>document.write("INLINE-SCRIPT")</script></article>
<footer>Copyright 2025 Example Daily FOOTER</footer></body></html>"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_html_main_text_is_extracted_without_scripts_navigation_or_ads(tmp_path: Path) -> None:
    [doc] = load_file(write(tmp_path, "berlin-talks.html", PAGE), 10**7)
    assert doc.id == "berlin-talks"
    assert "resumed talks in Berlin on Monday" in doc.text
    for junk in ("TRACKER-SCRIPT", "INLINE-SCRIPT", "NAVLINK", "ADVERT", "FOOTER"):
        assert junk not in doc.text
    assert doc.title == "Talks resume in Berlin"
    assert doc.published_at == "2025-08-18"


def test_json_object_list_and_jsonl_records(tmp_path: Path) -> None:
    record = {"id": "a1", "title": "T", "text": "Body text.", "published_at": "2025-08-19",
              "source": "Wire", "url": "https://example.test/a1"}  # fmt: skip
    [single] = load_file(write(tmp_path, "one.json", json.dumps(record)), 10**7)
    assert (single.id, single.title, single.published_at, single.source, single.url) == (
        "a1", "T", "2025-08-19", "Wire", "https://example.test/a1")  # fmt: skip
    many = load_file(
        write(tmp_path, "many.json", json.dumps([{"text": "x."}, {"text": "y."}])), 10**7
    )
    assert [d.id for d in many] == ["many-0", "many-1"]
    lines = "\n".join(json.dumps({"id": f"n{i}", "text": f"Line {i}."}) for i in range(3))
    assert [d.id for d in load_file(write(tmp_path, "feed.jsonl", lines + "\n\n"), 10**7)] == [
        "n0", "n1", "n2"]  # fmt: skip


def test_markdown_file_is_marked_for_markdown_cleaning(tmp_path: Path) -> None:
    [doc] = load_file(write(tmp_path, "note.md", "# Title\n\nSome *text*."), 10**7)
    assert doc.is_markdown and doc.id == "note"


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary file"),
        ("latin.txt", "Caf\xe9 ol\xe9".encode("latin-1"), "not UTF-8"),
        ("empty.txt", b"  \n\t\n", "empty file"),
        ("broken.json", b'{"text": "unterminated', "invalid JSON"),
        ("broken.jsonl", b'{"text": "ok"}\n{not json}\n', "invalid JSON on line 2"),
        ("notext.json", b'{"id": "x", "title": "no body"}', "'text' must be a non-empty string"),
        ("baddate.json", b'{"text": "t.", "published_at": "yesterday"}', "not an ISO 8601 date"),
        ("badid.json", b'{"id": "../etc/passwd", "text": "t."}', "invalid document id"),
        ("ctrl.json", b'{"id": "a\\u0007b", "text": "t."}', "invalid document id"),
        ("scalar.json", b"42", "object or a list"),
        ("page.html", b"<html><body><script>x()</script></body></html>", "no article text"),
        ("sheet.csv", b"a,b\n1,2\n", "unsupported file type"),
    ],
)
def test_bad_files_get_a_clear_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        load_file(write(tmp_path, name, content), 10**7)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="over the 100-byte limit"):
        load_file(write(tmp_path, "big.txt", "x" * 101), 100)


def test_expand_paths_walks_folders_and_reports_missing(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "B.")
    write(tmp_path, "a.md", "A.")
    write(tmp_path, "skip.csv", "c")
    (tmp_path / "empty").mkdir()
    files, errors = expand_paths([tmp_path, tmp_path / "missing.txt", tmp_path / "empty"])
    assert [f.name for f in files] == ["a.md", "b.txt"]
    assert [(p.name, m) for p, m in errors] == [
        ("missing.txt", "no such file or folder"),
        ("empty", "folder holds no .txt, .md, .html, .json or .jsonl files"),
    ]
