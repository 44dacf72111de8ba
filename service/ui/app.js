// newsqa chat page. No framework, no build step. Article and model text is only ever inserted
// with textContent / text nodes, never as HTML, so nothing in an article can run.
"use strict";

const state = {
  history: [],
  key: sessionStorage.getItem("newsqa-key") || "",
  documents: new Map(), // doc id -> fetched document with text
  busy: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "testid") node.dataset.testid = value;
    else if (name === "className") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// -- talking to the API ----------------------------------------------------------------------

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch {
    setConnection(false);
    throw new ApiError(0, "Cannot reach the newsqa server — is it running?");
  }
  setConnection(true);
  if (!response.ok) throw await problem(response);
  return response;
}

async function problem(response) {
  let detail = response.statusText;
  try {
    detail = (await response.json()).detail || detail;
  } catch {
    // not problem+json: keep the status text
  }
  const status = response.status;
  if (status === 401) {
    $("key-form").hidden = false;
    return new ApiError(status, "This server needs an API key: enter it at the top of the page.");
  }
  if (status === 429) {
    const wait = response.headers.get("Retry-After") || "a few";
    return new ApiError(status, `Too many requests: try again in ${wait} seconds.`);
  }
  if (status === 504) return new ApiError(status, `Timed out: ${detail}`);
  if (status === 503) return new ApiError(status, `The article store is unavailable: ${detail}`);
  return new ApiError(status, `${status}: ${detail}`);
}

function postJson(path, body, extraHeaders = {}) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...extraHeaders },
    body: JSON.stringify(body),
  });
}

async function* serverEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length) yield { name, data: JSON.parse(data.join("\n")) };
    }
  }
}

// -- status ----------------------------------------------------------------------------------

function setConnection(online) {
  $("connection").textContent = online ? "" : "offline";
  $("connection").className = online ? "" : "bad";
}

async function refreshStatus() {
  try {
    const ready = await (await api("/readyz")).json();
    $("generator").textContent = `answers by: ${ready.generator}`;
    $("doc-count").textContent = `${ready.documents} articles`;
  } catch (error) {
    $("generator").textContent = error.message;
  }
}

// -- cited text, sources and the source viewer -----------------------------------------------

function citedText(text, citations) {
  const byNumber = new Map(citations.map((c) => [c.n, c]));
  const container = el("p", { className: "text" });
  for (const part of text.split(/(\[\d+\])/)) {
    const number = /^\[(\d+)\]$/.exec(part);
    const citation = number && byNumber.get(Number(number[1]));
    if (!citation) {
      container.append(document.createTextNode(part));
      continue;
    }
    container.append(
      el("button", {
        type: "button",
        className: "marker",
        testid: "citation",
        "aria-label": `Citation ${citation.n}: ${citation.label}`,
        text: `[${citation.n}]`,
        onclick: () => openSource(citation),
      }),
    );
  }
  return container;
}

function sourcesList(citations) {
  const list = el("ol", { className: "sources", "aria-label": "Sources" });
  for (const citation of citations) {
    list.append(
      el(
        "li",
        {},
        el("button", {
          type: "button",
          className: "source-link",
          text: `[${citation.n}] ${citation.label}`,
          onclick: () => openSource(citation),
        }),
        el("span", { className: "meta", text: ` ${citation.doc_id}` }),
      ),
    );
  }
  return list;
}

async function fetchDocument(docId) {
  if (!state.documents.has(docId)) {
    const response = await api(`/v1/documents/${encodeURIComponent(docId)}`);
    state.documents.set(docId, await response.json());
  }
  return state.documents.get(docId);
}

async function openSource(citation) {
  const passage = $("source-passage");
  const meta = $("source-meta");
  try {
    const doc = await fetchDocument(citation.doc_id);
    let { start, end } = citation;
    let note = "";
    if (doc.text.slice(start, end) !== citation.quote) {
      // The article was re-ingested with other text since this answer was made.
      start = doc.text.indexOf(citation.quote);
      end = start + citation.quote.length;
      note = " — the article changed since this answer";
    }
    const parts = [doc.label, doc.published_at, doc.id].filter(Boolean);
    meta.textContent = parts.join(" · ") + note;
    if (start < 0) {
      passage.replaceChildren(el("p", { text: "The quoted passage is no longer in this article." }));
      return;
    }
    const mark = el("mark", { text: doc.text.slice(start, end) });
    passage.replaceChildren(
      el("div", { className: "article" }, doc.text.slice(0, start), mark, doc.text.slice(end)),
    );
    $("close-source").hidden = false;
    document.body.classList.add("reading");
    // Scroll the article, not the page, to the quote; a narrow window shows the panel first.
    passage.scrollTop = Math.max(0, mark.offsetTop - passage.clientHeight / 3);
    if (window.matchMedia("(max-width: 900px)").matches) $("source-title").scrollIntoView();
    passage.focus({ preventScroll: true });
  } catch (error) {
    meta.textContent = "";
    passage.replaceChildren(el("p", { className: "error", text: error.message }));
  }
}

function closeSource() {
  document.body.classList.remove("reading");
  $("close-source").hidden = true;
}

// -- chat ------------------------------------------------------------------------------------

function addMessage(kind, ...children) {
  const item = el("li", { className: `message ${kind}` }, ...children);
  $("messages").append(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

function showResult(bubble, result, text) {
  const timing = result.timings_ms && result.timings_ms.total;
  const info = `${result.mode}${timing !== undefined ? ` · ${Math.round(timing)} ms` : ""}`;
  if (result.abstained || !result.citations.length) {
    bubble.classList.add("declined");
    bubble.dataset.state = "declined";
    bubble.replaceChildren(
      el("p", { className: "label", text: "Declined — the articles do not say" }),
      el("p", { className: "text", text }),
      el("p", { className: "meta", text: info }),
    );
    return;
  }
  bubble.dataset.state = "done";
  bubble.replaceChildren(
    citedText(text, result.citations),
    sourcesList(result.citations),
    el("p", { className: "meta", text: info }),
  );
}

function showError(bubble, error) {
  bubble.classList.add("failed");
  bubble.dataset.state = "error";
  bubble.setAttribute("role", "alert");
  bubble.replaceChildren(el("p", { className: "error", text: error.message }));
}

async function ask(question) {
  addMessage("user", el("p", { text: question }));
  const streamed = el("p", { className: "text streaming" });
  const bubble = addMessage("answer", streamed);
  bubble.dataset.testid = "answer";
  bubble.dataset.state = "streaming";
  try {
    const body = { question, history: state.history.slice(-20), stream: true };
    const response = await postJson("/v1/ask", body, { Accept: "text/event-stream" });
    let final = null;
    for await (const event of serverEvents(response)) {
      if (event.name === "delta") streamed.textContent += event.data.text;
      else if (event.name === "answer") final = event.data;
      else if (event.name === "error") throw new ApiError(event.data.status, event.data.detail);
    }
    if (!final) throw new ApiError(0, "The answer stream ended early.");
    showResult(bubble, final, final.answer);
    state.history.push({ role: "user", content: question });
    state.history.push({ role: "assistant", content: final.answer });
  } catch (error) {
    showError(bubble, error);
  }
}

async function summarize(request, heading) {
  addMessage("user", el("p", { text: heading }));
  const bubble = addMessage("answer summary", el("p", { className: "text", text: "Summarizing…" }));
  bubble.dataset.testid = "summary";
  try {
    const summary = await (await postJson("/v1/summarize", request)).json();
    showResult(bubble, summary, summary.summary);
  } catch (error) {
    showError(bubble, error);
  }
}

// -- library ---------------------------------------------------------------------------------

async function refreshLibrary() {
  const list = $("documents");
  try {
    const page = await (await api("/v1/documents?limit=500")).json();
    state.documents.clear();
    list.replaceChildren(
      ...page.documents.map((doc) =>
        el(
          "li",
          { className: "document", "data-doc-id": doc.id },
          el("span", { className: "title", text: doc.label }),
          el("span", {
            className: "meta",
            text: [doc.published_at, doc.id].filter(Boolean).join(" · "),
          }),
          el(
            "span",
            { className: "actions" },
            el("button", {
              type: "button",
              text: "Summary",
              "aria-label": `Summarize ${doc.label}`,
              onclick: () => summarize({ doc_id: doc.id }, `Summary of ${doc.label}`),
            }),
            el("button", {
              type: "button",
              text: "Delete",
              "aria-label": `Delete ${doc.label}`,
              onclick: () => removeDocument(doc.id),
            }),
          ),
        ),
      ),
    );
    if (!page.documents.length) list.append(el("li", { className: "hint", text: "No articles yet." }));
  } catch (error) {
    list.replaceChildren(el("li", { className: "error", text: error.message }));
  }
  refreshStatus();
}

async function removeDocument(docId) {
  try {
    await api(`/v1/documents/${encodeURIComponent(docId)}`, { method: "DELETE" });
    addMessage("notice", el("p", { text: `Deleted ${docId}.` }));
  } catch (error) {
    addMessage("notice failed", el("p", { className: "error", text: error.message }));
  }
  refreshLibrary();
}

async function addDocuments(request, what) {
  try {
    const result = await (await api("/v1/documents", { method: "POST", ...request })).json();
    const ids = result.documents.map((d) => `${d.id} (${d.status})`).join(", ");
    addMessage("notice", el("p", { text: `${what}: ${ids}.` }));
  } catch (error) {
    addMessage("notice failed", el("p", { className: "error", text: error.message }));
  }
  refreshLibrary();
}

// -- wiring ----------------------------------------------------------------------------------

function wire() {
  const input = $("question");
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("ask-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || state.busy) return;
    state.busy = true;
    $("send").disabled = true;
    input.value = "";
    try {
      await ask(question);
    } finally {
      state.busy = false;
      $("send").disabled = false;
      input.focus();
    }
  });
  $("new-chat").addEventListener("click", () => {
    state.history = [];
    $("messages").replaceChildren();
    input.focus();
  });
  $("close-source").addEventListener("click", closeSource);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeSource();
  });
  $("topic-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const topic = $("topic-input").value.trim();
    if (topic) summarize({ topic }, `Summary of the topic “${topic}”`);
  });
  $("upload-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const file = $("upload-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    addDocuments({ body: form }, `Uploaded ${file.name}`).then(() => $("upload-form").reset());
  });
  $("paste-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { text: $("paste-text").value };
    const title = $("paste-title").value.trim();
    if (title) body.title = title;
    const request = { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    addDocuments(request, "Added").then(() => $("paste-form").reset());
  });
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.key = $("api-key").value.trim();
    sessionStorage.setItem("newsqa-key", state.key);
    $("key-form").hidden = true;
    refreshLibrary();
  });
  window.addEventListener("online", refreshStatus);
  window.addEventListener("offline", () => setConnection(false));
  refreshLibrary();
  input.focus();
}

wire();
