"""A small JSON-over-HTTP client for an OpenSearch cluster: keep-alive connections, the
next node when one is down, and one sentence for each failure people meet.

Plain http.client rather than opensearch-py: Footnote needs a dozen endpoints, and the
failures must come out as FootnoteErrors in Footnote's words; opensearch-py would add its
own transport, retries and exceptions to translate, for no gain here.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from footnote.config import OpenSearchSettings
from footnote.errors import IndexCorrupt, IndexError_, SearchUnavailable

# Failures of a node that another node may not share: try the next one.
_NODE_DOWN = (ConnectionError, socket.timeout, TimeoutError, http.client.HTTPException, OSError)
# Answers of a cluster that cannot serve now, as when a node has just left: its shards'
# copies take over within moments, so the request is tried again once after a pause.
_BUSY_STATUS = (502, 503, 504)
_SHARDS_LOST = ("search_phase_execution_exception", "no_shard_available_action_exception")
RETRY_AFTER = 0.5  # seconds


class ClusterAuthError(IndexError_):
    """The cluster refused the credentials."""


class Client:
    """Requests to the cluster's nodes, the first that answers serving each one."""

    def __init__(self, settings: OpenSearchSettings) -> None:
        self.settings = settings
        self.urls = settings.urls
        self._local = threading.local()
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if settings.username is not None:
            pair = f"{settings.username}:{settings.password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        self._tls = self._tls_context(settings)
        self._preferred = 0  # the node that answered last: tried first next time

    @staticmethod
    def _tls_context(settings: OpenSearchSettings) -> ssl.SSLContext:
        context = ssl.create_default_context(
            cafile=str(settings.ca_certs) if settings.ca_certs else None
        )
        if not settings.verify_certs:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connection(self, url: str) -> http.client.HTTPConnection:
        """This thread's open connection to a node."""
        connections = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        connection = connections.get(url)
        if connection is None:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            if parts.scheme == "https":
                connection = http.client.HTTPSConnection(
                    parts.hostname or "", port, timeout=self.settings.timeout, context=self._tls
                )
            else:
                connection = http.client.HTTPConnection(
                    parts.hostname or "", port, timeout=self.settings.timeout
                )
            connections[url] = connection
        return connection

    def _drop(self, url: str) -> None:
        connections = getattr(self._local, "connections", {})
        connection = connections.pop(url, None)
        if connection is not None:
            connection.close()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        ndjson: list[str] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """The JSON answer to one request, from the first node that gives one; ``ndjson``
        sends lines of JSON (encoded with ``line``) as _bulk and _msearch take them.

        Raises SearchUnavailable when no node answers, ClusterAuthError when the cluster
        refuses the credentials, IndexCorrupt when the index is missing (unless
        ``missing_ok``: None then), IndexError_ for any other refusal.
        """
        if ndjson is not None:
            data = "".join(line + "\n" for line in ndjson).encode()
            headers = {**self._headers, "Content-Type": "application/x-ndjson"}
        else:
            data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
            headers = self._headers
        last: BaseException | None = None
        for attempt in range(2):
            if attempt:
                time.sleep(RETRY_AFTER)
            order = self.urls[self._preferred :] + self.urls[: self._preferred]
            for url in order:
                prefix = urlsplit(url).path.rstrip("/")
                try:
                    connection = self._connection(url)
                    connection.request(method, prefix + path, body=data, headers=headers)
                    response = connection.getresponse()
                    status, raw = response.status, response.read()
                except _NODE_DOWN as exc:
                    self._drop(url)
                    last = exc
                    continue
                if status in _BUSY_STATUS or (status == 500 and _shards_lost(raw)):
                    last = OSError(f"HTTP {status}: part of the index did not answer")
                    continue
                self._preferred = self.urls.index(url)
                return self._answer(status, raw, path, missing_ok)
        raise SearchUnavailable(
            f"Footnote cannot reach the search cluster at {', '.join(self.urls)} "
            f"({_why(last)}); check that OpenSearch is running and --opensearch-url is right."
        )

    def _answer(self, status: int, raw: bytes, path: str, missing_ok: bool) -> Any:
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {"error": {"reason": raw[:200].decode("utf-8", "replace")}}
        if status < 300:
            return answer
        if status in (401, 403):
            raise ClusterAuthError(
                f"The search cluster refused Footnote's credentials (HTTP {status}); check "
                "--opensearch-user and --opensearch-password (FOOTNOTE_OPENSEARCH_USER, "
                "FOOTNOTE_OPENSEARCH_PASSWORD)."
            )
        error = answer.get("error") if isinstance(answer, dict) else None
        kind = error.get("type", "") if isinstance(error, dict) else ""
        if status == 404 and (kind == "index_not_found_exception" or missing_ok):
            if missing_ok:
                return None
            raise IndexCorrupt(
                f"The search cluster has no index {self.settings.index!r} yet; build it with "
                "`footnote index --backend opensearch`."
            )
        reason = error.get("reason", "") if isinstance(error, dict) else str(error or "")
        raise IndexError_(
            f"The search cluster refused a request to {path.split('?')[0]} "
            f"(HTTP {status}: {reason or kind or 'no reason given'})."
        )

    def close(self) -> None:
        """Close this thread's connections."""
        for url in list(getattr(self._local, "connections", {})):
            self._drop(url)


def line(value: Any) -> str:
    """One line of a _bulk or _msearch body."""
    return json.dumps(value, ensure_ascii=False)


def _shards_lost(raw: bytes) -> bool:
    """Whether an error answer says shards did not answer (their node left), not that the
    request was wrong."""
    try:
        error = json.loads(raw).get("error", {})
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and error.get("type") in _SHARDS_LOST


def _why(exc: BaseException | None) -> str:
    """A few words on why a node did not answer."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    return str(exc) or type(exc).__name__ if exc else "no node answered"
