"""HttpProbe: an endpoint must answer the expected status several times in a row."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import aiohttp
from yarl import URL

from ecsdeploy._models import Observation, Verdict
from ecsdeploy.checks._bind import CheckContext
from ecsdeploy.exceptions import InputError

__all__ = ["HttpProbe", "ProbeAnswer", "probe_once"]

#: Bytes of the body read for the verdict's excerpt; the rest is not downloaded.
BODY_BYTES = 4096
#: Characters of the body shown in a verdict.
EXCERPT_CHARS = 120

#: An HTTP header name (RFC 9110's token).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Characters aiohttp refuses in a header value (on every request: header injection).
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ProbeAnswer:
    """What one request got: a status and the start of the body, or the error instead."""

    status: int | None
    body: str = ""
    error: str | None = None

    def describe(self) -> str:
        if self.status is None:
            return str(self.error)
        excerpt = re.sub(r"\s+", " ", self.body).strip()
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS] + "…"
        return f"status {self.status}" + (f": {excerpt!r}" if excerpt else "")


async def probe_once(
    url: str,
    *,
    headers: Mapping[str, str],
    timeout: float,  # noqa: ASYNC109 - the per-request limit, handed to aiohttp
    method: str = "GET",
) -> ProbeAnswer:
    """One request; a timeout or a connection error is an answer too (with no status)."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.request(method, url, headers=dict(headers), allow_redirects=False) as reply,
        ):
            body = await reply.content.read(BODY_BYTES)
            # A redirect's body often quotes the URL it was asked for, token and all
            # ("Redirecting to https://...?token=..."), an error page the key it was sent
            # ("invalid API key ..."): the excerpt shows them masked.
            text = _scrubbed(body.decode("utf-8", errors="replace"), url, _values(headers))
            return ProbeAnswer(reply.status, text)
    except TimeoutError:
        return ProbeAnswer(None, error=f"no answer within {timeout:g}s")
    except (aiohttp.ClientError, OSError) as exc:
        # Some of aiohttp's errors quote the URL (InvalidURL, ClientResponseError...).
        error = _scrubbed(f"connection failed: {type(exc).__name__}: {exc}", url)
        return ProbeAnswer(None, error=error)


#: The user information of a URL (``user:password@``), found without parsing the URL: also
#: after leading blanks yarl ignores, and in a mistyped URL refused for it (``https:u:p@host``,
#: ``//u:p@host``).
_USER_INFO = re.compile(r"^([\x00-\x20]*(?:[A-Za-z][A-Za-z0-9+.-]*:)?[/\\]*)[^/\\?#]*@")
#: Credentials and query values shorter than this are not searched for on their own in error
#: texts (``?v=1``): too common to be secrets, and replacing them would garble the message (the
#: whole URL is masked whatever their length).
_SCRUB_MIN_CHARS = 4


def _user_info(url: str) -> list[str]:
    """The user information (``user:password``) of `url` as written, found without parsing
    it, and each of its two parts."""
    match = _USER_INFO.match(url)
    if match is None:
        return []
    written = match.group(0)[len(match.group(1)) : -1]
    return [written, *written.split(":", 1)]


#: What separates query parameters: ``&``, and ``;`` where a server takes that too.
_PARAMETERS = re.compile(r"[&;]")


def _masked(url: str) -> str:
    """`url` as logs, verdicts, errors and reprs may show it: credentials (``user:password@``,
    a token as user) become ``***@``, every query value ``***`` (tokens, signatures of signed
    URLs), the fragment is dropped. Works on text that does not parse as a URL, too."""
    url = _USER_INFO.sub(r"\1***@", url).partition("#")[0]
    base, question, query = url.partition("?")
    if not question:
        return base
    masked = [
        f"{part.partition('=')[0]}=***" if "=" in part else ("***" if part else "")
        for part in query.split("&")
    ]
    return f"{base}?{'&'.join(masked)}"


def _values(headers: Mapping[str, str]) -> list[str]:
    """The header values, and the credential of each (``Bearer <token>``'s last word)."""
    return [part for value in headers.values() for part in (value, *value.rsplit(None, 1)[-1:])]


def _scrubbed(text: str, url: str, secrets: Sequence[str] = ()) -> str:
    """`text` (an exception's message, an answer's body) with `url` shown `_masked`, and any
    credential or query value of it, or any of `secrets`, that appears on its own replaced by
    ``***``."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        text = text.replace(url, _masked(url))
        for secret in sorted({s for s in secrets if len(s) >= _SCRUB_MIN_CHARS}, key=len)[::-1]:
            text = text.replace(secret, "***")
        return text
    # aiohttp quotes the URL it sent: without the user information (sent as an Authorization
    # header instead), the fragment kept or not.
    bare = parsed.with_user(None)
    variants = {url, str(parsed), str(bare), str(parsed.with_fragment(None))}
    variants.add(str(bare.with_fragment(None)))
    whole = sorted(variants, key=len, reverse=True)
    parts = [*secrets, parsed.user, parsed.password, parsed.raw_user, parsed.raw_password]
    parts += [parsed.fragment, parsed.raw_fragment]
    for key, value in parsed.query.items():
        parts.append(value or key)  # a bare ``?token`` is the secret itself
    written_query = url.partition("#")[0].partition("?")[2]
    for raw in {*_PARAMETERS.split(parsed.raw_query_string), *_PARAMETERS.split(written_query)}:
        key, _, value = raw.partition("=")
        parts.append(value or key)  # as written, percent-encoding and all
    parts += [parsed.raw_query_string, parsed.query_string]
    for secret in whole:
        text = text.replace(secret, _masked(secret))
    for secret in sorted({p for p in parts if p and len(p) >= _SCRUB_MIN_CHARS}, key=len)[::-1]:
        text = text.replace(secret, "***")
    return text


@dataclass(frozen=True, slots=True, repr=False)
class HttpProbe:
    """`url` must answer `expect` on `times` consecutive looks (one request per poll tick).

    - `headers`: sent with every request (e.g. ``{"Host": "api.example.com"}`` to reach a
      virtual host through the load balancer's DNS name). Never logged.
    - A timeout (`timeout` seconds), a connection error or another status is a failed look;
      `failures` failed looks in a row fail the deployment, with the last status and the start of
      the body in the verdict. A good look resets the failures, a bad one the successes.
    - Secrets in the URL (``user:password@``, query values such as ``?token=...`` or a signed
      URL's signature) never reach a verdict, a log line, an error or a repr: they show as
      ``***``.
    - Redirects are not followed: `expect=301` checks one.
    """

    url: str
    expect: int = 200
    times: int = 3
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    timeout: float = 5.0
    failures: int = 3
    name: str = "http"

    def __post_init__(self) -> None:
        try:
            parsed = URL(self.url)
            host = parsed.host  # decoding a broken punycode name (``xn--zz``) raises
        except (ValueError, TypeError) as exc:  # a port out of range, a broken IPv6 host...
            # Some of these quote the URL's netloc, credentials and all (NFKC normalization):
            # the message is scrubbed, and the original left out of the chain.
            problem = _scrubbed(str(exc), self.url, _user_info(self.url))
            raise InputError(f"HttpProbe's URL is not a valid URL: {problem}") from None
        if parsed.scheme not in ("http", "https") or not host:
            raise InputError(
                f"HttpProbe needs an http:// or https:// URL, not {_masked(self.url)!r}"
            )
        if not _can_look_up(parsed.raw_host or ""):
            raise InputError(f"HttpProbe's URL has a host name DNS cannot look up: {host!r}")
        if isinstance(self.expect, bool) or not 100 <= self.expect <= 599:
            raise InputError(f"HttpProbe's expected status must be 100-599, not {self.expect}")
        for label, value in (("times", self.times), ("failures", self.failures)):
            if isinstance(value, bool) or value < 1:
                raise InputError(f"HttpProbe's {label} must be at least 1, not {value}")
        if self.timeout <= 0:
            raise InputError(f"HttpProbe's timeout must be positive, not {self.timeout}")
        _check_headers(self.headers, url_has_credentials=bool(parsed.user or parsed.password))
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))

    def __repr__(self) -> str:
        # Credentials stay out of every repr (a Target's, a result's, a traceback's).
        headers = dict.fromkeys(self.headers, "***")
        return (
            f"HttpProbe(url={_masked(self.url)!r}, expect={self.expect!r}, "
            f"times={self.times!r}, headers={headers!r}, timeout={self.timeout!r}, "
            f"failures={self.failures!r}, name={self.name!r})"
        )

    @property
    def shown_url(self) -> str:
        """The URL without credentials, query values or fragment, for verdicts and logs."""
        return _masked(str(URL(self.url).with_user(None)))

    async def bind(self, context: CheckContext | None = None) -> ConsecutiveProbe:
        """A probe with counters of its own for one deployment (it needs nothing of `context`)."""
        return ConsecutiveProbe(self)

    async def evaluate(self, observation: Observation) -> Verdict:
        raise RuntimeError(
            "an HttpProbe judges a deployment once bound to it: the Deployer binds it in "
            "PREFLIGHT (or call `await probe.bind()`)"
        )


def _can_look_up(raw_host: str) -> bool:
    """Whether the resolver takes `raw_host`: an empty label (``api..example.com``), a label
    over 63 characters or a blank would fail every request, after the deployment changed the
    service, instead of now."""
    if any(char.isspace() or not char.isprintable() for char in raw_host):
        return False
    try:
        raw_host.encode("idna")
    except UnicodeError:
        return False
    return True


def _check_headers(headers: Mapping[str, str], *, url_has_credentials: bool) -> None:
    """Refuse now the headers aiohttp would refuse on every request (after the deployment
    changed the service). Values are secrets: never part of a message."""
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise InputError(f"HttpProbe's header {name!r} is not a header name")
        if not isinstance(value, str):
            raise InputError(f"HttpProbe's header {name!r} must be a string")
        if _HEADER_VALUE_FORBIDDEN.search(value):
            raise InputError(
                f"HttpProbe's header {name!r} has a control character (a line break?) in its value"
            )
        if url_has_credentials and name.lower() == "authorization":
            raise InputError(
                "HttpProbe takes credentials in the URL or an Authorization header, not both"
            )


class ConsecutiveProbe:
    """An `HttpProbe` bound to one deployment: it counts looks in a row."""

    def __init__(self, probe: HttpProbe) -> None:
        self.probe = probe
        self.name = probe.name
        self.successes = 0
        self.failures = 0

    async def evaluate(self, observation: Observation) -> Verdict:
        probe = self.probe
        answer = await probe_once(probe.url, headers=probe.headers, timeout=probe.timeout)
        where = probe.shown_url
        if answer.status == probe.expect:
            self.successes += 1
            self.failures = 0
            said = f"{where} answered {answer.status} {self.successes}/{probe.times} times in a row"
            if self.successes >= probe.times:
                return Verdict.healthy(said)
            return Verdict.progressing(said)
        self.successes = 0
        self.failures += 1
        said = (
            f"{where} expected {probe.expect}, got {answer.describe()} "
            f"({self.failures}/{probe.failures} failures in a row)"
        )
        if self.failures >= probe.failures:
            return Verdict.failed(said)
        return Verdict.progressing(said)
