"""Delta Augment from Python: one file, standard library only, Python 3.9+.

    from delta_augment import augment
    result = augment("photos/", url="http://127.0.0.1:8080", variants=4, seed=7, out="photos-augmented")
    print(result.job.status, len(result.files))

``augment`` finds the images of a folder (sub-folders are class labels), uploads them straight to storage
through signed URLs (several at a time, retried, resumable after an interrupt through a small state file
in ``out``), or sends a labelled dataset (COCO / YOLO / VOC label files beside the images, or a ``.zip``) as
one streamed multipart upload; then it follows the job to its end and extracts the archive into ``out``.
Progress goes to ``on_progress(ProgressEvent)`` and, when ``tqdm`` is installed, to a bar.

``Client`` holds the same calls one by one (jobs, presets, preview, download), and ``verify_webhook``
checks the signature of a webhook delivery (``Delta-Timestamp`` and ``Delta-Signature`` headers).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import mimetypes
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from typing import Literal, TypedDict

__all__ = [
    "augment",
    "AugmentResult",
    "Client",
    "DeltaError",
    "Job",
    "JobFailed",
    "JobProgress",
    "Preset",
    "Preview",
    "PreviewVariant",
    "ProgressEvent",
    "Unreachable",
    "WebhookAttempt",
    "WebhookInfo",
    "verify_webhook",
    "sign_webhook",
]

__version__ = "0.1.0"

DEFAULT_URL = os.environ.get("DELTA_URL", "http://127.0.0.1:8080")
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".avif", ".gif"})
LABEL_EXTENSIONS = frozenset({".json", ".txt", ".xml", ".yaml", ".yml"})
STATE_FILE = ".delta-augment-state.json"
TERMINAL = frozenset({"completed", "failed"})
CHUNK = 256 * 1024


# --------------------------------------------------------------------------------------------- errors


class DeltaError(Exception):
    """The service refused a request: ``status`` (HTTP), ``code`` and ``field`` from its error document."""

    def __init__(self, status: int, code: str, message: str, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field
        self.message = message


class Unreachable(DeltaError):
    """The service could not be reached (connection refused, DNS, timeout)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "UNREACHABLE", message)


class JobFailed(DeltaError):
    """The job ended ``failed``; ``job`` holds its final state."""

    def __init__(self, job: "Job") -> None:
        super().__init__(0, "JOB_FAILED", "job {} failed: {}".format(job.id, job.failure or "every source failed"))
        self.job = job


# ---------------------------------------------------------------------------------------------- types


class Operation(TypedDict):
    op: str
    params: Dict[str, Any]


class SourceView(TypedDict, total=False):
    sourceId: str
    name: str
    label: str
    status: str
    bytes: int
    width: int
    height: int


class SignedUpload(TypedDict, total=False):
    sourceId: str
    name: str
    url: str
    expiresInSeconds: int


@dataclass(frozen=True)
class JobProgress:
    done: int
    total: int


@dataclass(frozen=True)
class WebhookAttempt:
    attempt: int
    at: str
    ok: bool
    status: Optional[int] = None
    error: Optional[str] = None


@dataclass(frozen=True)
class WebhookInfo:
    """A job's webhook: its URL, delivery status (waiting, pending, delivered, failed) and attempts.
    ``secret`` is only known from the answer that created the job."""

    url: str
    status: str
    attempts: Tuple[WebhookAttempt, ...] = ()
    secret: Optional[str] = None

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> "WebhookInfo":
        return WebhookInfo(
            url=str(data.get("url", "")),
            status=str(data.get("status", "")),
            attempts=tuple(
                WebhookAttempt(
                    attempt=int(a.get("attempt", 0)),
                    at=str(a.get("at", "")),
                    ok=bool(a.get("ok")),
                    status=a.get("status"),
                    error=a.get("error"),
                )
                for a in data.get("attempts", [])
            ),
            secret=data.get("secret"),
        )


@dataclass(frozen=True)
class Job:
    """A job as ``GET /api/jobs/{id}`` answers it; ``raw`` keeps the whole document."""

    id: str
    status: str
    progress: JobProgress
    tags: Tuple[str, ...]
    created_at: str
    sources: Tuple[SourceView, ...] = ()
    failure: Optional[str] = None
    archive_bytes: Optional[int] = None
    webhook: Optional[WebhookInfo] = None
    uploads: Tuple[SignedUpload, ...] = ()
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> "Job":
        progress = data.get("progress") or {}
        archive = data.get("archive") or {}
        webhook = data.get("webhook")
        return Job(
            id=str(data.get("id", "")),
            status=str(data.get("status", "")),
            progress=JobProgress(int(progress.get("done", 0)), int(progress.get("total", 0))),
            tags=tuple(data.get("tags") or ()),
            created_at=str(data.get("createdAt", "")),
            sources=tuple(data.get("sources") or ()),
            failure=data.get("failure"),
            archive_bytes=archive.get("bytes"),
            webhook=WebhookInfo.from_json(webhook) if isinstance(webhook, dict) else None,
            uploads=tuple(data.get("uploads") or ()),
            raw=dict(data),
        )

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class PreviewVariant:
    index: int
    width: int
    height: int
    content_type: str
    data: bytes = field(repr=False)
    operations: Tuple[Operation, ...] = ()


@dataclass(frozen=True)
class Preview:
    pipeline: str
    seed: Optional[int]
    variants: Tuple[PreviewVariant, ...]


Phase = Literal["upload", "variants", "download", "done"]


@dataclass(frozen=True)
class ProgressEvent:
    """``phase`` upload (bytes), variants (variants written), download (bytes) or done; ``done`` of ``total``."""

    phase: Phase
    done: int
    total: int
    job_id: Optional[str] = None


@dataclass(frozen=True)
class AugmentResult:
    job: Job
    out: Path
    files: Tuple[str, ...]


ProgressCallback = Callable[[ProgressEvent], None]
PathLike = Union[str, "os.PathLike[str]"]


# ------------------------------------------------------------------------------------------- webhooks


def sign_webhook(secret: str, timestamp: int, body: Union[str, bytes]) -> str:
    """``v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`` keyed with the job's webhook secret."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + raw, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def verify_webhook(
    secret: str,
    timestamp: str,
    signature: str,
    body: Union[str, bytes],
    now: Optional[float] = None,
    tolerance_seconds: int = 300,
) -> bool:
    """True when ``signature`` (the ``Delta-Signature`` header) signs the raw ``body`` with ``secret`` at
    ``timestamp`` (the ``Delta-Timestamp`` header), and that timestamp is within ``tolerance_seconds`` of now."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign_webhook(secret, stamp, body), signature or "")


# --------------------------------------------------------------------------------------------- HTTP


class _CountingReader(io.RawIOBase):
    """Reads a sequence of byte strings and files as one stream, reporting each chunk's size."""

    def __init__(self, parts: Sequence[Union[bytes, Path]], on_bytes: Optional[Callable[[int], None]]) -> None:
        self._parts = list(parts)
        self._on_bytes = on_bytes
        self._current: Optional[IO[bytes]] = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else size
        while True:
            if self._current is None:
                if not self._parts:
                    return b""
                part = self._parts.pop(0)
                self._current = io.BytesIO(part) if isinstance(part, bytes) else open(part, "rb")
            chunk = self._current.read(want)
            if chunk:
                if self._on_bytes:
                    self._on_bytes(len(chunk))
                return chunk
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
        super().close()


def _length(parts: Sequence[Union[bytes, Path]]) -> int:
    return sum(len(p) if isinstance(p, bytes) else p.stat().st_size for p in parts)


class Client:
    """The HTTP API, call by call. ``url`` defaults to ``$DELTA_URL`` (else http://127.0.0.1:8080), ``key`` to
    ``$DELTA_API_KEY``. Requests that fail on the network or with 429/5xx are retried ``attempts`` times with
    exponential back-off."""

    def __init__(
        self,
        url: Optional[str] = None,
        key: Optional[str] = None,
        timeout: float = 60.0,
        attempts: int = 5,
        backoff: float = 0.5,
    ) -> None:
        self.url = (url or DEFAULT_URL).rstrip("/")
        self.key = key if key is not None else (os.environ.get("DELTA_API_KEY") or None)
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff

    # -- plumbing

    def _headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        headers = {"user-agent": "delta-augment-python/" + __version__, "accept": "application/json"}
        if self.key:
            headers["authorization"] = "Bearer " + self.key
        headers.update(extra or {})
        return headers

    def _send(
        self,
        method: str,
        url: str,
        body: Union[None, bytes, Sequence[Union[bytes, Path]]] = None,
        headers: Optional[Mapping[str, str]] = None,
        on_bytes: Optional[Callable[[int], None]] = None,
        auth: bool = True,
    ) -> Tuple[int, Dict[str, str], bytes]:
        """One request with retries; answers (status, headers, body) for any HTTP status."""
        parts: Optional[List[Union[bytes, Path]]] = None
        if isinstance(body, bytes):
            parts = [body]
        elif body is not None:
            parts = list(body)
        last: Optional[BaseException] = None
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            sent = [0]

            def count(n: int) -> None:
                sent[0] += n
                if on_bytes:
                    on_bytes(n)

            data: Any = None
            all_headers = self._headers(headers) if auth else dict(headers or {})
            if parts is not None:
                data = _CountingReader(parts, count)
                all_headers["content-length"] = str(_length(parts))
            request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.status, dict(response.headers.items()), response.read()
            except urllib.error.HTTPError as error:
                payload = error.read()
                if error.code in (429, 500, 502, 503, 504) and attempt + 1 < self.attempts:
                    last = error
                    if on_bytes and sent[0]:
                        on_bytes(-sent[0])
                    continue
                return error.code, dict(error.headers.items()), payload
            except (urllib.error.URLError, OSError) as error:
                last = error
                if on_bytes and sent[0]:
                    on_bytes(-sent[0])
            finally:
                if isinstance(data, _CountingReader):
                    data.close()
        reason = getattr(last, "reason", last)
        raise Unreachable("{} {}: {}".format(method, url, reason))

    @staticmethod
    def _raise_for(status: int, payload: bytes) -> None:
        if status < 400:
            return
        try:
            error = json.loads(payload.decode("utf-8")).get("error") or {}
        except ValueError:
            error = {}
        raise DeltaError(
            status,
            str(error.get("code") or "HTTP_{}".format(status)),
            str(error.get("message") or payload[:200].decode("utf-8", "replace")),
            error.get("field"),
        )

    def _json(self, method: str, path: str, body: Optional[Any] = None, query: Optional[Mapping[str, Any]] = None) -> Any:
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {} if body is None else {"content-type": "application/json"}
        status, _, payload = self._send(method, url, data, headers)
        self._raise_for(status, payload)
        return json.loads(payload.decode("utf-8")) if payload else {}

    def _multipart(
        self,
        path: str,
        fields: Mapping[str, str],
        files: Sequence[Tuple[str, Path]],
        on_bytes: Optional[Callable[[int], None]] = None,
    ) -> Any:
        """POSTs a multipart form whose file parts are streamed from disk (never read into memory)."""
        boundary = "----delta-augment-" + uuid.uuid4().hex
        parts: List[Union[bytes, Path]] = []
        for name, value in fields.items():
            parts.append(
                '--{}\r\ncontent-disposition: form-data; name="{}"\r\n\r\n{}\r\n'.format(boundary, name, value).encode()
            )
        for name, file in files:
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            safe = file.name.replace('"', "_").replace("\r", "_").replace("\n", "_")
            parts.append(
                '--{}\r\ncontent-disposition: form-data; name="{}"; filename="{}"\r\ncontent-type: {}\r\n\r\n'.format(
                    boundary, name, safe, kind
                ).encode()
            )
            parts.append(file)
            parts.append(b"\r\n")
        parts.append("--{}--\r\n".format(boundary).encode())
        headers = {"content-type": "multipart/form-data; boundary=" + boundary}
        status, _, payload = self._send("POST", self.url + path, parts, headers, on_bytes)
        self._raise_for(status, payload)
        return json.loads(payload.decode("utf-8"))

    # -- the API

    def health(self) -> bool:
        status, _, _ = self._send("GET", self.url + "/healthz")
        return status == 200

    def presets(self) -> List[Preset]:
        """The named pipelines (``GET /api/presets``), the default one first."""
        answer = self._json("GET", "/api/presets")
        default = answer.get("default")
        named = answer.get("presets") or {}
        names = sorted(named, key=lambda n: (n != default, n))
        return [Preset(name=n, description=str(named[n].get("description", "")), raw=named[n]) for n in names]

    def job(self, job_id: str) -> Job:
        return Job.from_json(self._json("GET", "/api/jobs/" + urllib.parse.quote(job_id, safe="")))

    def jobs(self, tag: Optional[str] = None, status: Optional[str] = None, limit: Optional[int] = None) -> List[Job]:
        answer = self._json("GET", "/api/jobs", query={"tag": tag, "status": status, "limit": limit})
        return [Job.from_json(j) for j in answer.get("items", [])]

    def events(self, job_id: str) -> List[Dict[str, Any]]:
        """All the job's events in ``seq`` order (read page by page)."""
        events: List[Dict[str, Any]] = []
        while True:
            path = "/api/jobs/{}/events".format(urllib.parse.quote(job_id, safe=""))
            page = self._json("GET", path, query={"after": events[-1]["seq"] if events else 0, "limit": 500})
            events.extend(page)
            if len(page) < 500:
                return events

    def delete_job(self, job_id: str) -> None:
        status, _, payload = self._send("DELETE", self.url + "/api/jobs/" + urllib.parse.quote(job_id, safe=""))
        self._raise_for(status, payload)

    def create_job(
        self,
        files: Sequence[Mapping[str, Any]],
        variants: Optional[int] = None,
        preset: Optional[str] = None,
        pipeline: Optional[Mapping[str, Any]] = None,
        seed: Optional[int] = None,
        tags: Optional[Sequence[str]] = None,
        webhook_url: Optional[str] = None,
    ) -> Job:
        """A job whose files you PUT to the signed URLs of ``job.uploads`` (``files``: ``{name, bytes, label?}``)."""
        body: Dict[str, Any] = {"files": [dict(f) for f in files]}
        body.update(_options(variants, preset, pipeline, seed, tags, webhook_url))
        return Job.from_json(self._json("POST", "/api/jobs", body))

    def signed_uploads(self, job_id: str) -> Tuple[List[str], List[SignedUpload]]:
        """Fresh signed URLs for the sources not stored yet, and the ids of those stored: how uploads resume."""
        answer = self._json("POST", "/api/jobs/{}/uploads".format(urllib.parse.quote(job_id, safe="")))
        return list(answer.get("uploaded", [])), list(answer.get("uploads", []))

    def put_file(self, upload: SignedUpload, path: PathLike, on_bytes: Optional[Callable[[int], None]] = None) -> int:
        """PUTs one file to its signed URL, streamed from disk; answers the status (409: it was stored already)."""
        file = Path(path)
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        status, _, payload = self._send("PUT", upload["url"], [file], {"content-type": kind}, on_bytes, auth=False)
        if status < 300 or status == 409 or status == 403:
            return status
        self._raise_for(status, payload)
        return status

    def create_dataset_job(
        self,
        dataset: PathLike,
        variants: Optional[int] = None,
        preset: Optional[str] = None,
        pipeline: Optional[Mapping[str, Any]] = None,
        seed: Optional[int] = None,
        tags: Optional[Sequence[str]] = None,
        webhook_url: Optional[str] = None,
        format: Optional[str] = None,
        export: Optional[str] = None,
        split: Optional[str] = None,
        on_bytes: Optional[Callable[[int], None]] = None,
    ) -> Job:
        """A job from one dataset ``.zip`` (COCO, YOLO, VOC or class folders), sent as a streamed multipart form."""
        fields = {k: _field(v) for k, v in _options(variants, preset, pipeline, seed, tags, webhook_url).items()}
        for name, value in (("format", format), ("export", export), ("split", split)):
            if value is not None:
                fields[name] = value
        return Job.from_json(self._multipart("/api/jobs", fields, [("file", Path(dataset))], on_bytes))

    def create_job_from_images(
        self,
        images: Sequence[PathLike],
        variants: Optional[int] = None,
        preset: Optional[str] = None,
        pipeline: Optional[Mapping[str, Any]] = None,
        seed: Optional[int] = None,
        tags: Optional[Sequence[str]] = None,
        webhook_url: Optional[str] = None,
    ) -> Job:
        """A job from a few images sent through the gateway in one multipart request."""
        fields = {k: _field(v) for k, v in _options(variants, preset, pipeline, seed, tags, webhook_url).items()}
        return Job.from_json(self._multipart("/api/jobs", fields, [("file", Path(p)) for p in images]))

    def wait(
        self,
        job_id: str,
        on_job: Optional[Callable[[Job], None]] = None,
        poll: float = 0.5,
        timeout: Optional[float] = None,
    ) -> Job:
        """Polls the job until it completes or fails; ``on_job`` sees each reading. Raises ``TimeoutError``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if on_job:
                on_job(job)
            if job.finished:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("job {} is still {} after {} s".format(job_id, job.status, timeout))
            time.sleep(poll)

    def download(
        self,
        job_id: str,
        target: PathLike,
        on_bytes: Optional[Callable[[int], None]] = None,
    ) -> int:
        """Streams the job's zip to ``target`` (through a ``.part`` file); answers its size in bytes."""
        target = Path(target)
        url = "{}/api/jobs/{}/archive".format(self.url, urllib.parse.quote(job_id, safe=""))
        request = urllib.request.Request(url, headers=self._headers({"accept": "application/zip"}))
        part = target.with_name(target.name + ".part")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response, open(part, "wb") as sink:
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    sink.write(chunk)
                    if on_bytes:
                        on_bytes(len(chunk))
        except urllib.error.HTTPError as error:
            self._raise_for(error.code, error.read())
        except (urllib.error.URLError, OSError) as error:
            raise Unreachable("GET {}: {}".format(url, getattr(error, "reason", error))) from error
        os.replace(part, target)
        return target.stat().st_size

    def preview(
        self,
        image: PathLike,
        count: int = 4,
        size: int = 512,
        preset: Optional[str] = None,
        pipeline: Optional[Mapping[str, Any]] = None,
        seed: Optional[int] = None,
    ) -> Preview:
        """A few variants of one image, rendered now (nothing is stored): what a job would make of it."""
        fields = {"count": str(count), "size": str(size)}
        fields.update({k: _field(v) for k, v in _options(None, preset, pipeline, seed, None, None).items()})
        answer = self._multipart("/api/preview", fields, [("file", Path(image))])
        variants = []
        for v in answer.get("variants", []):
            header, _, encoded = str(v.get("image", "")).partition(",")
            variants.append(
                PreviewVariant(
                    index=int(v.get("index", 0)),
                    width=int(v.get("width", 0)),
                    height=int(v.get("height", 0)),
                    content_type=str(v.get("contentType", header[5:].split(";")[0])),
                    data=base64.b64decode(encoded),
                    operations=tuple(v.get("operations", [])),
                )
            )
        pipe = answer.get("pipeline") or {}
        return Preview(pipeline=str(pipe.get("name", "")), seed=pipe.get("seed"), variants=tuple(variants))


def _options(
    variants: Optional[int],
    preset: Optional[str],
    pipeline: Optional[Mapping[str, Any]],
    seed: Optional[int],
    tags: Optional[Sequence[str]],
    webhook_url: Optional[str],
) -> Dict[str, Any]:
    options: Dict[str, Any] = {}
    if variants is not None:
        options["variants"] = variants
    if preset is not None:
        options["preset"] = preset
    if pipeline is not None:
        options["pipeline"] = dict(pipeline)
    if seed is not None:
        options["seed"] = seed
    if tags:
        options["tags"] = list(tags)
    if webhook_url is not None:
        options["webhookUrl"] = webhook_url
    return options


def _field(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return ",".join(value) if isinstance(value, list) else json.dumps(value)
    return str(value)


# -------------------------------------------------------------------------------------------- augment


@dataclass(frozen=True)
class _Input:
    kind: str  # "folder" or "zip"
    root: Path
    images: Tuple[Path, ...]
    labels: Tuple[Path, ...]

    @property
    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.images + self.labels)


def _scan(path: Path) -> _Input:
    if not path.exists():
        raise DeltaError(0, "BAD_INPUT", "{} does not exist".format(path))
    if path.is_file():
        if path.suffix.lower() != ".zip":
            raise DeltaError(0, "BAD_INPUT", "{} is neither a folder nor a .zip".format(path))
        return _Input("zip", path.parent, (path,), ())
    images: List[Path] = []
    labels: List[Path] = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            ext = os.path.splitext(name)[1].lower()
            if ext in IMAGE_EXTENSIONS:
                images.append(Path(dirpath) / name)
            elif ext in LABEL_EXTENSIONS:
                labels.append(Path(dirpath) / name)
    if not images:
        raise DeltaError(0, "BAD_INPUT", "no images ({}) under {}".format(", ".join(sorted(IMAGE_EXTENSIONS)), path))
    return _Input("folder", path, tuple(images), tuple(labels))


def _fingerprint(source: _Input, options: Mapping[str, Any], url: str) -> str:
    digest = hashlib.sha256(json.dumps({"url": url, "options": options, "kind": source.kind}, sort_keys=True).encode())
    for file in source.images + source.labels:
        info = file.stat()
        digest.update("\n{}\t{}\t{}".format(file.relative_to(source.root).as_posix(), info.st_size, info.st_mtime_ns).encode())
    return digest.hexdigest()


class _Bars:
    """Calls the callback and, when tqdm is installed (and ``bar`` is on), shows one bar per phase."""

    def __init__(self, on_progress: Optional[ProgressCallback], bar: bool) -> None:
        self.on_progress = on_progress
        self.tqdm: Any = None
        if bar:
            try:
                from tqdm import tqdm  # type: ignore[import-not-found]

                self.tqdm = tqdm
            except ImportError:
                self.tqdm = None
        self.current: Any = None
        self.phase: Optional[str] = None
        self.done = 0
        self.total = 0
        self.job_id: Optional[str] = None
        self.last_emit = 0.0
        self.last_phase: Optional[str] = None

    def start(self, phase: Phase, total: int) -> None:
        self.close()
        self.phase, self.done, self.total = phase, 0, total
        if self.tqdm is not None:
            unit = "B" if phase in ("upload", "download") else "variant"
            self.current = self.tqdm(total=total, desc=phase, unit=unit, unit_scale=unit == "B", leave=True)
        self.emit()

    def add(self, delta: int) -> None:
        self.set(self.done + delta, self.total)

    def set(self, done: int, total: int) -> None:
        if self.current is not None:
            if total != self.total:
                self.current.total = total
            self.current.update(done - self.done)
        self.done, self.total = done, total
        self.emit()

    def emit(self) -> None:
        """Calls back at most every 0.2 s within a phase, and always at its start and end."""
        now = time.monotonic()
        edge = self.done == 0 or self.done >= self.total or self.phase != self.last_phase
        if self.on_progress and self.phase and (edge or now - self.last_emit >= 0.2):
            self.last_emit, self.last_phase = now, self.phase
            self.on_progress(ProgressEvent(self.phase, self.done, self.total, self.job_id))  # type: ignore[arg-type]

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


class _Locked:
    """Serialises byte counts reported from upload threads."""

    def __init__(self, bars: _Bars) -> None:
        import threading

        self.lock = threading.Lock()
        self.bars = bars

    def __call__(self, delta: int) -> None:
        with self.lock:
            self.bars.add(delta)


def _zip_folder(source: _Input, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for file in source.images + source.labels:
            archive.write(file, file.relative_to(source.root).as_posix())


def _extract(archive: Path, out: Path) -> List[str]:
    files: List[str] = []
    root = out.resolve()
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            if member.is_dir():
                continue
            target = (out / member.filename).resolve()
            if root not in target.parents:
                raise DeltaError(0, "BAD_ARCHIVE", "archive entry {} leaves {}".format(member.filename, out))
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
            files.append(member.filename)
    return files


def augment(
    input: PathLike,
    url: Optional[str] = None,
    key: Optional[str] = None,
    out: Optional[PathLike] = None,
    variants: Optional[int] = None,
    preset: Optional[str] = None,
    pipeline: Optional[Mapping[str, Any]] = None,
    seed: Optional[int] = None,
    tags: Optional[Sequence[str]] = None,
    webhook_url: Optional[str] = None,
    format: Optional[str] = None,
    export: Optional[str] = None,
    split: Optional[str] = None,
    on_progress: Optional[ProgressCallback] = None,
    progress_bar: bool = True,
    concurrency: int = 4,
    keep_zip: bool = False,
    poll: float = 0.5,
    client: Optional[Client] = None,
) -> AugmentResult:
    """A folder of images (or a dataset ``.zip``) to an extracted, augmented dataset in ``out``.

    Plain images are PUT straight to storage through signed URLs, ``concurrency`` at a time; label files
    beside them, a ``.zip``, or any of ``format``/``export``/``split`` make it a labelled dataset, sent as one
    streamed multipart upload. An interrupted run leaves ``out/.delta-augment-state.json``: calling
    ``augment`` again with the same input and options carries on with the same job and uploads only what is
    missing. Raises ``DeltaError`` (refused input), ``JobFailed`` and ``Unreachable``.
    """
    api = client or Client(url, key)
    source = _scan(Path(input))
    dataset = source.kind == "zip" or bool(source.labels) or any(v is not None for v in (format, export, split))
    options = _options(variants, preset, pipeline, seed, tags, webhook_url)
    for name, value in (("format", format), ("export", export), ("split", split)):
        if value is not None:
            options[name] = value
    name = Path(input).resolve().name
    out_dir = Path(out) if out is not None else Path.cwd() / ((name[:-4] if name.lower().endswith(".zip") else name) + "-augmented")
    out_dir.mkdir(parents=True, exist_ok=True)
    state_file = out_dir / STATE_FILE
    fingerprint = _fingerprint(source, options, api.url)
    bars = _Bars(on_progress, progress_bar)
    try:
        state: Optional[Dict[str, Any]] = None
        if state_file.exists():
            try:
                state = json.loads(state_file.read_text("utf-8"))
            except ValueError:
                state = None
        job: Optional[Job] = None
        if state and state.get("fingerprint") == fingerprint:
            try:
                job = api.job(str(state["jobId"]))
            except DeltaError as error:
                if error.status != 404:
                    raise
        if job is not None and state is not None:
            bars.job_id = job.id
            if not dataset and job.status in ("created", "processing"):
                by_path = {p.relative_to(source.root).as_posix(): p for p in source.images}
                files = {sid: by_path[rel] for sid, rel in state["sources"].items() if rel in by_path}
                _upload(api, job.id, files, None, bars, concurrency, source.total_bytes)
        elif dataset:
            if source.kind == "zip":
                archive, temp = source.images[0], None
            else:
                temp = out_dir / ".delta-augment-upload.zip"
                _zip_folder(source, temp)
                archive = temp
            bars.start("upload", archive.stat().st_size)
            try:
                job = api.create_dataset_job(
                    archive,
                    variants=variants,
                    preset=preset,
                    pipeline=pipeline,
                    seed=seed,
                    tags=tags,
                    webhook_url=webhook_url,
                    format=format,
                    export=export,
                    split=split,
                    on_bytes=bars.add,
                )
            finally:
                if temp is not None:
                    temp.unlink()
            bars.job_id = job.id
            _write_state(state_file, {"version": 1, "url": api.url, "fingerprint": fingerprint, "jobId": job.id, "sources": {}})
        else:
            declared = []
            for image in source.images:
                rel = image.relative_to(source.root)
                entry: Dict[str, Any] = {"name": image.name, "bytes": image.stat().st_size}
                if len(rel.parts) > 1:
                    entry["label"] = rel.parts[-2]
                declared.append(entry)
            job = api.create_job(declared, variants, preset, pipeline, seed, tags, webhook_url)
            bars.job_id = job.id
            files = {}
            sources = {}
            for upload, image in zip(job.uploads, source.images):
                files[upload["sourceId"]] = image
                sources[upload["sourceId"]] = image.relative_to(source.root).as_posix()
            _write_state(state_file, {"version": 1, "url": api.url, "fingerprint": fingerprint, "jobId": job.id, "sources": sources})
            _upload(api, job.id, files, list(job.uploads), bars, concurrency, source.total_bytes)

        first = [True]

        def on_job(reading: Job) -> None:
            if first[0]:
                bars.start("variants", reading.progress.total)
                first[0] = False
            bars.set(reading.progress.done, reading.progress.total)

        final = api.wait(job.id, on_job=on_job, poll=poll)
        if final.status == "failed":
            state_file.unlink()
            raise JobFailed(final)
        zip_path = out_dir / "{}.zip".format(final.id)
        bars.start("download", final.archive_bytes or 0)
        api.download(final.id, zip_path, on_bytes=bars.add)
        files_out = _extract(zip_path, out_dir)
        if not keep_zip:
            zip_path.unlink()
        state_file.unlink()
        bars.start("done", len(files_out))
        bars.set(len(files_out), len(files_out))
        return AugmentResult(job=final, out=out_dir, files=tuple(files_out))
    finally:
        bars.close()


def _write_state(path: Path, state: Mapping[str, Any]) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(state, indent=2) + "\n", "utf-8")
    os.replace(temp, path)


def _upload(
    api: Client,
    job_id: str,
    files: Mapping[str, Path],
    uploads: Optional[List[SignedUpload]],
    bars: _Bars,
    concurrency: int,
    total_bytes: int,
) -> None:
    """PUTs each file to its signed URL, ``concurrency`` at a time; without ``uploads`` (a resumed run) asks
    which sources are still missing and skips the others. An expired URL (403) is signed again."""
    bars.start("upload", total_bytes)
    count = _Locked(bars)
    pending = dict(files)
    if uploads is None:
        stored, uploads = api.signed_uploads(job_id)
        for source_id in stored:
            if source_id in pending:
                count(pending.pop(source_id).stat().st_size)
    urls = {u["sourceId"]: u for u in uploads}

    def one(source_id: str) -> None:
        path = pending[source_id]
        for _ in range(3):
            upload = urls.get(source_id)
            if upload is None:
                stored, fresh = api.signed_uploads(job_id)
                if source_id in stored:
                    count(path.stat().st_size)
                    return
                urls.update({u["sourceId"]: u for u in fresh})
                continue
            status = api.put_file(upload, path, on_bytes=count)
            if status != 403:
                return
            urls.pop(source_id, None)
        raise DeltaError(403, "FORBIDDEN", "{}: the signed upload URL was refused three times".format(path))

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for future in [pool.submit(one, sid) for sid in pending]:
            future.result()


if __name__ == "__main__":  # python3 delta_augment.py <folder|zip> [variants]
    if len(sys.argv) < 2:
        sys.exit("usage: python3 delta_augment.py <folder|zip> [variants]")

    def show(event: ProgressEvent) -> None:
        sys.stderr.write("\r{:<9} {}/{}".format(event.phase, event.done, event.total))

    done = augment(sys.argv[1], variants=int(sys.argv[2]) if len(sys.argv) > 2 else None, on_progress=show, progress_bar=True)
    sys.stderr.write("\n")
    print("{} files in {}".format(len(done.files), done.out))
