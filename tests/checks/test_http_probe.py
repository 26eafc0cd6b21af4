"""HttpProbe against a real HTTP server on a loopback port."""

from __future__ import annotations

import socket

import anyio
import anyio.abc
import pytest

from ecsdeploy import DeploySettings, Status, Target
from ecsdeploy.checks import HttpProbe
from ecsdeploy.checks._http import _scrubbed
from ecsdeploy.exceptions import InputError
from ecsdeploy.testing import deployment, observation
from tests.checks.http_server import Endpoint

pytestmark = pytest.mark.anyio

TICK = observation(deployment(rollout="COMPLETED"))


async def test_expected_status_n_times_in_a_row_is_healthy(endpoint: Endpoint) -> None:
    """Two answers of 200 are progressing, the third makes the probe healthy."""
    probe = await HttpProbe(endpoint.url, times=3).bind()
    verdicts = [await probe.evaluate(TICK) for _ in range(3)]
    assert [v.status for v in verdicts] == [Status.PROGRESSING] * 2 + [Status.HEALTHY]
    assert "answered 200 3/3 times in a row" in verdicts[-1].reason
    assert endpoint.requests == 3


async def test_a_wrong_status_resets_the_successes(endpoint: Endpoint) -> None:
    """200, 503, 200 is one success in a row, not two."""
    probe = await HttpProbe(endpoint.url, times=2, failures=5).bind()
    await probe.evaluate(TICK)
    endpoint.status = 503
    await probe.evaluate(TICK)
    endpoint.status = 200
    verdict = await probe.evaluate(TICK)
    assert verdict.status is Status.PROGRESSING
    assert "1/2 times" in verdict.reason


async def test_failures_in_a_row_fail_with_status_and_body_excerpt(endpoint: Endpoint) -> None:
    """The verdict shows the last status and the start of the body."""
    endpoint.status, endpoint.body = 500, "upstream   exploded\n" + "x" * 500
    probe = await HttpProbe(endpoint.url, failures=2).bind()
    first, second = [await probe.evaluate(TICK) for _ in range(2)]
    assert first.status is Status.PROGRESSING
    assert second.status is Status.FAILED
    assert "expected 200, got status 500: 'upstream exploded xxx" in second.reason
    assert "2/2 failures in a row" in second.reason
    assert len(second.reason) < 300


async def test_a_timeout_counts_as_a_failure(endpoint: Endpoint) -> None:
    """A request with no answer within the timeout is a failed look."""
    endpoint.hang = True
    probe = await HttpProbe(endpoint.url, timeout=0.05, failures=1).bind()
    verdict = await probe.evaluate(TICK)
    assert verdict.status is Status.FAILED
    assert "no answer within 0.05s" in verdict.reason


async def test_a_refused_connection_counts_as_a_failure() -> None:
    """Nothing listening on the port is a failed look naming the connection error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    probe = await HttpProbe(f"http://127.0.0.1:{port}/", failures=1).bind()
    verdict = await probe.evaluate(TICK)
    assert verdict.status is Status.FAILED
    assert "connection failed" in verdict.reason


async def test_headers_are_sent_with_every_request(endpoint: Endpoint) -> None:
    """A Host header reaches a virtual host through another name."""
    probe = await HttpProbe(endpoint.url, headers={"Host": "api.example.com"}).bind()
    await probe.evaluate(TICK)
    await probe.evaluate(TICK)
    assert endpoint.hosts == ["api.example.com", "api.example.com"]


async def test_an_unexpected_expected_status_is_healthy_only_for_it(endpoint: Endpoint) -> None:
    """`expect=204` is met by 204 and not by 200; redirects are not followed."""
    endpoint.status = 204
    probe = await HttpProbe(endpoint.url, expect=204, times=1).bind()
    assert (await probe.evaluate(TICK)).status is Status.HEALTHY
    endpoint.status = 200
    assert (await probe.evaluate(TICK)).status is Status.PROGRESSING


async def test_credentials_in_the_url_never_reach_the_verdict(endpoint: Endpoint) -> None:
    """user:password@ is dropped from what a verdict shows."""
    endpoint.status = 401
    url = endpoint.url.replace("http://", "http://admin:hunter2@")
    probe = await HttpProbe(url, failures=1).bind()
    verdict = await probe.evaluate(TICK)
    assert "hunter2" not in verdict.reason
    assert "admin" not in verdict.reason
    assert "127.0.0.1" in verdict.reason


def test_the_probes_repr_hides_url_credentials_and_header_values() -> None:
    """repr (a Target's, a result's, a traceback's) shows the URL and header names only."""
    probe = HttpProbe("https://admin:hunter2@web.example.com/health", headers={"X-Api-Key": "s3"})
    shown = repr(Target("prod", "web", settings=DeploySettings(extra_checks=(probe,))))
    assert "hunter2" not in shown
    assert "'s3'" not in shown
    assert "web.example.com/health" in shown
    assert "X-Api-Key" in shown


def test_a_refused_url_is_named_without_its_credentials() -> None:
    """The error for a URL that is not http(s) does not repeat its password."""
    with pytest.raises(InputError) as raised:
        HttpProbe("ftp://admin:hunter2@files.example.com/health")
    assert "hunter2" not in str(raised.value)
    assert "files.example.com/health" in str(raised.value)


async def test_query_values_never_reach_the_verdict(endpoint: Endpoint) -> None:
    """A token or a signed URL's signature in the query shows as ***, keys stay readable."""
    endpoint.status = 403
    url = f"{endpoint.url}?token=tok-s3cr3t&X-Amz-Signature=abcdef0123&flag#frag"
    verdict = await (await HttpProbe(url, failures=1).bind()).evaluate(TICK)
    assert f"{endpoint.url}?token=***&X-Amz-Signature=***&*** expected 200" in verdict.reason
    assert "tok-s3cr3t" not in verdict.reason
    assert "abcdef0123" not in verdict.reason
    assert "frag" not in verdict.reason


async def test_a_connection_error_does_not_quote_the_query() -> None:
    """A refused connection's verdict names the error, never the URL's query values."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    probe = await HttpProbe(f"http://127.0.0.1:{port}/?token=tok-s3cr3t", failures=1).bind()
    verdict = await probe.evaluate(TICK)
    assert "connection failed" in verdict.reason
    assert "tok-s3cr3t" not in verdict.reason


def test_an_error_quoting_the_url_is_scrubbed() -> None:
    """An error message that quotes the URL (aiohttp's InvalidURL, ClientResponseError) shows
    it masked, and a credential or query value quoted on its own as ***."""
    url = "https://bot:pa55word@web.example.com/health?token=tok-s3cr3t"
    text = f"400, message='Bad Request', url='{url}'; token tok-s3cr3t, user bot:pa55word"
    scrubbed = _scrubbed(text, url)
    assert "https://***@web.example.com/health?token=***" in scrubbed
    assert "tok-s3cr3t" not in scrubbed
    assert "pa55word" not in scrubbed


def test_a_refused_url_is_named_without_its_query_values() -> None:
    """The error for a URL that is not http(s), and the probe's repr, hide query values."""
    with pytest.raises(InputError) as raised:
        HttpProbe("ftp://files.example.com/health?token=tok-s3cr3t")
    assert "tok-s3cr3t" not in str(raised.value)
    assert "files.example.com/health?token=***" in str(raised.value)
    probe = HttpProbe("https://web.example.com/health?sig=tok-s3cr3t")
    assert "tok-s3cr3t" not in repr(probe)
    assert "web.example.com/health?sig=***" in repr(probe)


async def test_each_binding_counts_on_its_own(endpoint: Endpoint) -> None:
    """One HttpProbe in a release's settings gives each deployment its own counters."""
    check = HttpProbe(endpoint.url, times=2)
    first, second = await check.bind(), await check.bind()
    await first.evaluate(TICK)
    assert (await first.evaluate(TICK)).status is Status.HEALTHY
    assert (await second.evaluate(TICK)).status is Status.PROGRESSING


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"url": "ftp://example.com/"}, "http:// or https://"),
        ({"url": "example.com/health"}, "http:// or https://"),
        ({"url": "http://x:99999/"}, "not a valid URL: Port out of range"),
        ({"url": "http://[::1/health"}, "not a valid URL: Invalid IPv6 URL"),
        ({"url": "http://x/", "expect": 42}, "100-599"),
        ({"url": "http://x/", "times": 0}, "times must be at least 1"),
        ({"url": "http://x/", "failures": 0}, "failures must be at least 1"),
        ({"url": "http://x/", "timeout": 0}, "timeout must be positive"),
        ({"url": "http://x/", "headers": {"X-Trace": "a\r\nb"}}, "control character"),
        ({"url": "http://x/", "headers": {"Bad Name": "x"}}, "'Bad Name' is not a header name"),
        ({"url": "http://x/", "headers": {"X-Retries": 3}}, "'X-Retries' must be a string"),
        (
            {"url": "http://u:p@x/", "headers": {"authorization": "Bearer t"}},
            "credentials in the URL or an Authorization header",
        ),
    ],
)
def test_bad_arguments_are_input_errors(arguments: dict[str, object], problem: str) -> None:
    """A probe that could never work is refused when it is made."""
    with pytest.raises(InputError, match=problem):
        HttpProbe(**arguments)  # type: ignore[arg-type]


async def test_an_unbound_probe_refuses_to_judge() -> None:
    """Counting in a row needs a binding: evaluating the blueprint is a clear error."""
    with pytest.raises(RuntimeError, match="bind"):
        await HttpProbe("http://127.0.0.1/").evaluate(TICK)


async def test_a_body_quoting_the_url_does_not_leak_its_secrets(endpoint: Endpoint) -> None:
    """A redirect's body that quotes the URL (``Redirecting to https://...?token=...``, as Go,
    Express and Django write it) shows in the verdict without the token or the password."""
    url = f"{endpoint.url}?token=tok-s3cr3t&sig=abc%2Fdef"
    endpoint.status = 301
    endpoint.body = (
        f"Moved. Redirecting to {url.replace('http:', 'https:')} "
        f"(<a href='{url.replace('&', '&amp;')}'>here</a>), sig abc%2Fdef"
    )
    probe = HttpProbe(url.replace("http://", "http://bot:pa55word@"), failures=1)
    verdict = await (await probe.bind()).evaluate(TICK)
    assert verdict.status is Status.FAILED
    assert "got status 301: " in verdict.reason
    assert "Moved. Redirecting to https://127.0.0.1" in verdict.reason
    for secret in ("tok-s3cr3t", "abc%2Fdef", "abc/def", "pa55word"):
        assert secret not in verdict.reason


@pytest.mark.parametrize(
    "url",
    [
        "https:bot:pa55word@web.example.com/health",
        "https:/bot:pa55word@web.example.com/health",
        "//bot:pa55word@web.example.com/health",
        " ftp://bot:pa55word@web.example.com/health",
    ],
)
def test_a_mistyped_url_is_refused_without_its_credentials(url: str) -> None:
    """A URL refused for a typo (one slash, no scheme, a leading space) hides its password."""
    with pytest.raises(InputError) as raised:
        HttpProbe(url)
    assert "pa55word" not in str(raised.value)
    assert "web.example.com/health" in str(raised.value)


@pytest.mark.parametrize("space", [" ", "\t", "\n"])
def test_a_url_with_leading_whitespace_hides_its_credentials(space: str) -> None:
    """A URL read with a leading blank (``url = " ${URL}"``) still hides its password in reprs."""
    probe = HttpProbe(f"{space}https://bot:pa55word@web.example.com/health?token=tok-s3cr3t")
    assert "pa55word" not in repr(probe)
    assert "tok-s3cr3t" not in repr(probe)
    assert "web.example.com/health" in repr(probe)


@pytest.mark.parametrize(
    "host",
    ["api..example.com", "a" * 64 + ".example.com", ".example.com", "ex ample.com", "xn--zz"],
)
def test_a_host_name_dns_cannot_look_up_is_refused(host: str) -> None:
    """A host name that no DNS lookup can take (an empty label, a label over 63 characters, a
    blank) is an InputError when the probe is made, not a failed deployment after the change."""
    with pytest.raises(InputError, match=r"host name|not a valid URL") as raised:
        HttpProbe(f"https://{host}/health?token=tok-s3cr3t")
    assert "tok-s3cr3t" not in str(raised.value)


async def test_a_body_quoting_a_header_value_does_not_leak_it(endpoint: Endpoint) -> None:
    """An answer that echoes a header's value (``invalid API key k3y-s3cr3t``) shows it as ***:
    header values are secrets, never part of a verdict."""
    endpoint.status = 401
    endpoint.body = "invalid credentials k3y-s3cr3t (token t0k-s3cr3t)"
    headers = {"X-Api-Key": "k3y-s3cr3t", "Authorization": "Bearer t0k-s3cr3t"}
    verdict = await (await HttpProbe(endpoint.url, headers=headers, failures=1).bind()).evaluate(
        TICK
    )
    assert "got status 401: 'invalid credentials ***" in verdict.reason
    assert "k3y-s3cr3t" not in verdict.reason
    assert "t0k-s3cr3t" not in verdict.reason


async def test_query_values_after_a_semicolon_are_hidden_too(endpoint: Endpoint) -> None:
    """``?v=1;token=...`` (``;`` separating parameters, as some servers take it): the token is
    hidden in the shown URL and where the body quotes it on its own."""
    endpoint.status = 403
    endpoint.body = "token tok-s3cr3t refused"
    verdict = await (
        await HttpProbe(f"{endpoint.url}?v=1;token=tok-s3cr3t", failures=1).bind()
    ).evaluate(TICK)
    assert f"{endpoint.url}?v=*** expected 200, got status 403: 'token *** refused'" in (
        verdict.reason
    )


def test_a_url_yarl_refuses_for_its_credentials_does_not_quote_them() -> None:
    """A password with a character that normalises to a delimiter (a fullwidth number sign):
    urllib's refusal quotes the netloc, so neither the error nor its cause may carry it."""
    password = "pa\uff0355word"
    with pytest.raises(InputError, match="not a valid URL") as raised:
        HttpProbe(f"https://bot:{password}@web.example.com/health?token=tok-s3cr3t")
    error: BaseException | None = raised.value
    while error is not None:
        assert password not in str(error)
        assert "tok-s3cr3t" not in str(error)
        # What a traceback shows: the cause, else the context unless suppressed (from None).
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)


async def test_a_malformed_answer_quotes_the_url_without_its_secrets() -> None:
    """aiohttp's error for an answer that is not HTTP quotes the URL without its user
    information: the query values and the fragment (``#access_token=...``) stay hidden."""
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:

        async def answer(stream: anyio.abc.SocketStream) -> None:
            async with stream:
                await stream.receive()
                await stream.send(b"garbage garbage\r\n\r\n")

        async with anyio.create_task_group() as group:
            group.start_soon(listener.serve, answer)
            port = listener.extra(anyio.abc.SocketAttribute.local_port)
            url = f"http://bot:pa55word@127.0.0.1:{port}/health?token=tok-s3cr3t&pin=12#tok=fr4g-s3cr3t"
            verdict = await (await HttpProbe(url, failures=1).bind()).evaluate(TICK)
            group.cancel_scope.cancel()
    assert "ClientResponseError" in verdict.reason
    assert f"url='http://127.0.0.1:{port}/health?token=***&pin=***'" in verdict.reason
    for secret in ("pa55word", "tok-s3cr3t", "fr4g-s3cr3t"):
        assert secret not in verdict.reason
