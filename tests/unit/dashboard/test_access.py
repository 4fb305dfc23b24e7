"""Access rules: loopback by default, the token, read-only mode, secrets kept from pages."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from vlmhyperbench.core import ConfigError
from vlmhyperbench.core.secrets import mask_secret_text, mask_secrets
from vlmhyperbench.dashboard.access import (
    TOKEN_COOKIE,
    check_bind,
    install_access,
    is_loopback,
    redact_text,
    require_writable,
)


def _app(token: str | None = None, read_only: bool = False, host: str = "127.0.0.1") -> TestClient:
    app = FastAPI()
    install_access(app, SimpleNamespace(token=token, read_only=read_only, host=host))

    @app.get("/page")
    def page() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/act", dependencies=[Depends(require_writable)])
    def act() -> dict[str, str]:
        return {"done": "yes"}

    return TestClient(app, base_url="http://127.0.0.1:8765")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "localhost", "::1", "[::1]"])
def test_loopback_hosts_need_nothing(host: str) -> None:
    assert is_loopback(host)
    check_bind(host, None, False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_another_host_needs_a_token_or_read_only(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ConfigError) as caught:
        check_bind(host, None, False)
    assert f"--host {host}" in caught.value.render() and "--token" in caught.value.render()
    assert "VLMHB_DASHBOARD_TOKEN" in caught.value.render() and "--read-only" in caught.value.render()
    check_bind(host, "s3cret", False)
    check_bind(host, None, True)


def test_without_a_token_every_page_is_open() -> None:
    assert _app().get("/page").json() == {"ok": "yes"}


def test_the_token_is_needed_as_a_bearer_header_or_the_login_cookie() -> None:
    client = _app(token="s3cret")
    assert client.get("/page").status_code == 401
    assert client.get("/page", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/page", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    page = client.get("/page", headers={"Accept": "text/html"})
    assert page.status_code == 401 and 'action="/login"' in page.text and "s3cret" not in page.text
    refused = client.get("/login", params={"token": "nope"}, follow_redirects=False)
    assert refused.status_code == 401 and TOKEN_COOKIE not in refused.headers.get("set-cookie", "")
    login = client.get("/login", params={"token": "s3cret", "next": "/page"}, follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/page"
    cookie = login.headers["set-cookie"]
    assert (
        cookie.startswith(f"{TOKEN_COOKIE}=s3cret") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    )
    assert client.get("/page").status_code == 200  # the client keeps the cookie


def test_login_never_redirects_off_site() -> None:
    client = _app(token="t0ken")
    response = client.get(
        "/login", params={"token": "t0ken", "next": "//evil.example/x"}, follow_redirects=False
    )
    assert response.headers["location"] == "/"


def test_read_only_refuses_actions_with_403_and_a_message() -> None:
    client = _app(read_only=True)
    response = client.post("/act")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert client.get("/page").status_code == 200
    assert _app().post("/act").status_code == 200


def test_secret_values_are_masked_in_config_text_and_options() -> None:
    text = (
        "runs:\n"
        "  - model:\n"
        "      options: {base_url: 'http://x', api_key: 'sk-live-1'}\n"
        "      api_key: sk-live-2  # mine\n"
        "      api_key_env: OPENAI_API_KEY\n"
        '{"hf_token": "hf_abc", "model": "m"}\n'
    )
    masked = mask_secret_text(text)
    for secret in ("sk-live-1", "sk-live-2", "hf_abc"):
        assert secret not in masked
    assert "api_key_env: OPENAI_API_KEY" in masked and "http://x" in masked
    assert len(masked.splitlines()) == len(text.splitlines()), "line numbers still match"
    assert mask_secrets({"a": [{"password": "p"}], "token": None}) == {
        "a": [{"password": "***"}],
        "token": None,
    }


def test_values_of_secret_environment_variables_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-123")
    monkeypatch.setenv("HOME_DIR_NAME", "visible-value")
    text = redact_text("sending with sk-from-env-123 from visible-value")
    assert "sk-from-env-123" not in text and "visible-value" in text


def test_actions_from_another_sites_page_are_refused() -> None:
    client = _app()
    assert client.post("/act", headers={"Origin": "http://127.0.0.1:8765"}).status_code == 200
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/act", headers=headers)
        assert response.status_code == 403 and "cross-site" in response.json()["detail"], headers
    rebound = client.post("/act", headers={"Host": "evil.example:8765", "Origin": "http://evil.example:8765"})
    assert rebound.status_code == 403 and "evil.example" in rebound.json()["detail"]
    assert client.get("/page", headers={"Origin": "https://evil.example"}).status_code == 200


def test_a_dashboard_on_another_address_accepts_its_own_host_name() -> None:
    client = _app(token="t", host="0.0.0.0")
    response = client.post(
        "/act",
        headers={"Host": "bench.lan:8765", "Origin": "http://bench.lan:8765", "Authorization": "Bearer t"},
    )
    assert response.status_code == 200
