"""The chat page in a real headless Chromium (Debian's) driven by Playwright, against a real
`newsqa serve`. Screenshots go to test-output/ui/."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ROOT, newsqa_server

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "test-output" / "ui"
QUESTION = "What did Witkoff say about Putin?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with newsqa_server(tmp_path_factory.mktemp("ui")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"],
        )  # fmt: skip
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    opened.goto(server)
    expect(opened.get_by_test_id("documents").locator("li").first).to_be_visible()
    yield opened
    SHOTS.mkdir(parents=True, exist_ok=True)
    opened.screenshot(path=str(SHOTS / f"{request.node.name}.png"))
    context.close()
    assert errors == [], errors


def ask(page: Page, question: str) -> None:
    box = page.get_by_test_id("question-input")
    box.fill(question)
    box.press("Enter")


def test_ask_streams_a_cited_answer_and_a_marker_opens_the_marked_quote(
    page: Page, server: str
) -> None:
    expected = httpx.post(f"{server}/v1/ask", json={"question": QUESTION}, timeout=60).json()
    # Count how often the streaming text grows: one update per `delta` event, not one lump.
    page.evaluate(
        """() => {
            window.streamUpdates = 0;
            new MutationObserver((records) => {
                for (const record of records) {
                    if (record.target.classList?.contains("streaming")) window.streamUpdates++;
                }
            }).observe(document.getElementById("messages"), {childList: true, subtree: true});
        }"""
    )
    ask(page, QUESTION)
    answer = page.get_by_test_id("answer").last
    expect(answer).to_have_attribute("data-state", "done", timeout=60_000)
    markers = answer.get_by_test_id("citation")
    expect(markers).to_have_count(len(expected["citations"]))
    assert answer.locator("p.text").inner_text() == expected["answer"]
    assert page.evaluate("window.streamUpdates") >= len(expected["answer"].split()) // 2
    expect(answer.locator(".sources li")).to_have_count(len(expected["citations"]))
    # Sources and library name each article by its label: a headline-less one by its first
    # words, not by its id.
    for n, citation in enumerate(expected["citations"]):
        line = answer.locator(".sources li").nth(n).locator(".source-link")
        expect(line).to_have_text(f"[{citation['n']}] {citation['label']}")
    headline_less = httpx.get(f"{server}/v1/documents/002_ffeabc11d1486852").json()
    assert headline_less["title"] is None
    library = page.get_by_test_id("documents")
    expect(library.locator("li[data-doc-id='002_ffeabc11d1486852'] .title")).to_have_text(
        headline_less["label"]
    )

    second = expected["citations"][-1]
    markers.last.click()
    mark = page.get_by_test_id("source-passage").locator("mark")
    expect(mark).to_have_text(second["quote"])
    expect(mark).to_be_in_viewport()
    # The whole article is shown, the quote at its offsets.
    document = httpx.get(f"{server}/v1/documents/{second['doc_id']}").json()
    assert page.get_by_test_id("source-passage").inner_text() == document["text"]


def test_a_declined_question_is_shown_as_declined_not_as_an_error(page: Page) -> None:
    ask(page, "What did Witkoff say about China?")
    answer = page.get_by_test_id("answer").last
    expect(answer).to_have_attribute("data-state", "declined", timeout=60_000)
    expect(answer).to_contain_text("Declined")
    expect(answer.get_by_test_id("citation")).to_have_count(0)
    expect(answer).not_to_have_attribute("role", "alert")


def test_follow_ups_use_the_conversation_and_new_chat_forgets_it(page: Page) -> None:
    ask(page, QUESTION)
    expect(page.get_by_test_id("answer").last).to_have_attribute("data-state", "done")
    ask(page, "And what did he say about NATO?")
    follow_up = page.get_by_test_id("answer").last
    expect(follow_up).to_have_attribute("data-state", "done", timeout=60_000)
    expect(follow_up.locator("p.text")).to_contain_text("NATO")
    page.get_by_test_id("new-chat").click()
    expect(page.get_by_test_id("answer")).to_have_count(0)


def test_upload_ask_about_it_then_delete(page: Page, tmp_path: Path) -> None:
    article = tmp_path / "harbour-ferry.txt"
    article.write_text(
        "Harbour ferry returns after strike\n\nThe Kestrel harbour ferry resumed service on "
        "Monday after a nine-day strike, carrying 2,300 passengers on its first day back.\n",
        encoding="utf-8",
    )
    page.get_by_text("Add an article").click()
    page.get_by_test_id("upload-input").set_input_files(str(article))
    page.get_by_role("button", name="Upload", exact=True).click()
    listed = page.get_by_test_id("documents").locator("li[data-doc-id='harbour-ferry']")
    expect(listed).to_contain_text("Harbour ferry returns after strike")

    ask(page, "How many passengers did the Kestrel harbour ferry carry?")
    answer = page.get_by_test_id("answer").last
    expect(answer).to_have_attribute("data-state", "done", timeout=60_000)
    expect(answer.locator("p.text")).to_contain_text("2,300")
    answer.get_by_test_id("citation").first.click()
    expect(page.get_by_test_id("source-passage").locator("mark")).to_contain_text("2,300")

    listed.get_by_role("button", name="Delete").click()
    expect(listed).to_have_count(0)
    ask(page, "How many passengers did the Kestrel harbour ferry carry?")
    expect(page.get_by_test_id("answer").last).to_have_attribute(
        "data-state", "declined", timeout=60_000
    )


def test_hostile_article_text_runs_nothing(page: Page, server: str) -> None:
    hostile = (
        "Council vote on the harbour budget. <script>window.pwned = 'script'</script> "
        "The council approved the harbour budget of 40 million on Tuesday. "
        "<img src=x onerror=\"window.pwned = 'img'\"> Councillors said the vote was close."
    )
    title = "<b onmouseover=alert(1)>Harbour</b> budget"
    body = {"id": "hostile", "text": hostile, "title": title}
    created = httpx.post(f"{server}/v1/documents", json=body, timeout=60)
    assert created.status_code == 201
    page.reload()
    listed = page.get_by_test_id("documents").locator("li[data-doc-id='hostile']")
    expect(listed).to_contain_text(title)
    listed.get_by_role("button", name="Summarize").click()
    summary = page.get_by_test_id("summary").last
    expect(summary).to_have_attribute("data-state", "done", timeout=60_000)
    summary.get_by_test_id("citation").first.click()
    passage = page.get_by_test_id("source-passage")
    expect(passage).to_contain_text("<script>window.pwned = 'script'</script>")
    expect(passage).to_contain_text("<img src=x onerror=\"window.pwned = 'img'\">")
    assert page.evaluate("window.pwned") is None
    assert page.locator("img, script:not([src])").count() == 0
    response = httpx.get(server)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert httpx.delete(f"{server}/v1/documents/hostile").status_code == 204


def test_article_and_topic_summaries_cite_their_sources(page: Page) -> None:
    first = page.get_by_test_id("documents").locator("li").first
    first.get_by_role("button", name="Summarize").click()
    summary = page.get_by_test_id("summary").last
    expect(summary).to_have_attribute("data-state", "done", timeout=60_000)
    assert summary.get_by_test_id("citation").count() >= 1
    page.get_by_test_id("topic-input").fill("US troops in Ukraine")
    page.get_by_test_id("topic-input").press("Enter")
    topic = page.get_by_test_id("summary").last
    expect(topic).to_have_attribute("data-state", "done", timeout=60_000)
    expect(topic).to_contain_text("Sources disagree")
    assert topic.locator(".sources li").count() >= 3


def test_offline_is_shown_plainly(page: Page) -> None:
    page.context.set_offline(True)
    ask(page, QUESTION)
    answer = page.get_by_test_id("answer").last
    expect(answer).to_have_attribute("data-state", "error")
    expect(answer).to_have_attribute("role", "alert")
    expect(answer).to_contain_text("Cannot reach the newsqa server")
    page.context.set_offline(False)


def test_narrow_window_keyboard_only(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(server)
    expect(page.get_by_test_id("question-input")).to_be_focused()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    answer = page.get_by_test_id("answer").last
    expect(answer).to_have_attribute("data-state", "done", timeout=60_000)
    answer.get_by_test_id("citation").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("source-passage").locator("mark")).to_be_in_viewport()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px wide"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "narrow.png"), full_page=True)
    context.close()


def test_rate_limit_and_key_prompt(browser: Browser, tmp_path: Path) -> None:
    with newsqa_server(tmp_path, ingest=False, NEWSQA_API_KEYS="sk-ui",
                       NEWSQA_RATE_LIMIT_PER_MINUTE="3") as url:  # fmt: skip
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_test_id("documents")).to_contain_text("needs an API key")
        page.get_by_label("API key").fill("sk-ui")
        page.get_by_role("button", name="Use key").click()
        expect(page.get_by_test_id("documents")).to_contain_text("No articles yet")
        # The page load took one request of the three a minute; two questions take the rest.
        for asked in range(1, 4):
            ask(page, QUESTION)
            expect(page.get_by_test_id("answer")).to_have_count(asked)
            answer = page.get_by_test_id("answer").last
            expect(answer).not_to_have_attribute("data-state", "streaming", timeout=60_000)
        expect(answer).to_have_attribute("data-state", "error")
        expect(answer).to_contain_text("Too many requests: try again in")
        context.close()
