"""The admin route ``companion ingest`` hands its job to: this machine and this run's token
only; anything else gets the 404 of an address that does not exist. The ASGI app is called
directly, as different clients."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from companion.settings import Settings
from companion.web.engine import Engine

TOKEN = "s3cret-token-of-this-run"
BLOG = "https://blog.example"


@pytest.fixture(scope="module")
def app_for(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from companion.web.server import create_app

    tmp = tmp_path_factory.mktemp("admin")
    settings = Settings(_env_file=None, data_dir=tmp / "data", allowed_origins=BLOG)  # type: ignore[call-arg]
    app = create_app(settings, Engine(settings), admin_token=TOKEN)

    def client(host: str) -> TestClient:
        return TestClient(app, client=(host, 50000))

    return client


def job(tmp_path: Path) -> dict[str, object]:
    (tmp_path / "empty").mkdir(exist_ok=True)
    return {"paths": [str(tmp_path / "empty")], "dry_run": True}


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def not_found(client: TestClient) -> tuple[int, object]:
    r = client.post("/admin/nothing-here", json={})
    return r.status_code, r.json()


def test_loopback_with_the_token_runs_the_job(app_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = app_for("127.0.0.1").post("/admin/ingest", json=job(tmp_path), headers=bearer())
    assert r.status_code == 200
    events = [json.loads(line) for line in r.text.splitlines() if line]
    assert events[-1]["event"] == "report"
    assert events[-1]["exit"] == 1  # the folder is empty: an error line, as a direct ingest
    assert events[-1]["report"]["errors"][0]["source"].endswith("empty")


@pytest.mark.parametrize(
    ("host", "headers"),
    [
        ("203.0.113.7", bearer()),  # another machine, even with the token
        ("127.0.0.1", {}),  # no token
        ("127.0.0.1", bearer("guess")),  # a wrong token
        ("127.0.0.1", {"Authorization": TOKEN}),  # not as a bearer
        ("127.0.0.1", {**bearer(), "X-Forwarded-For": "198.51.100.4"}),  # through a proxy
        ("127.0.0.1", {**bearer(), "Forwarded": "for=198.51.100.4"}),
        ("127.0.0.1", {**bearer(), "Origin": BLOG}),  # a web page, even an allowed one
    ],
)
def test_everything_else_gets_the_404_of_a_missing_address(
    app_for, tmp_path: Path, host: str, headers: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    client = app_for(host)
    r = client.post("/admin/ingest", json=job(tmp_path), headers=headers)
    assert (r.status_code, r.json()) == not_found(client) == (404, {"detail": "Not Found"})


def test_a_stranger_site_is_refused_before_anything(app_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = app_for("127.0.0.1").post(
        "/admin/ingest", json=job(tmp_path), headers={**bearer(), "Origin": "https://evil.example"}
    )
    assert r.status_code == 403


def test_relative_paths_are_refused(app_for) -> None:  # type: ignore[no-untyped-def]
    r = app_for("127.0.0.1").post("/admin/ingest", json={"paths": ["posts"]}, headers=bearer())
    assert r.status_code == 400 and "absolute" in r.json()["error"]


def test_not_advertised(app_for) -> None:  # type: ignore[no-untyped-def]
    schema = app_for("127.0.0.1").get("/api/openapi.json").json()
    assert not [p for p in schema["paths"] if "admin" in p]


def test_off_without_a_token(tmp_path: Path) -> None:
    from companion.web.server import create_app

    settings = Settings(_env_file=None, data_dir=tmp_path / "d")  # type: ignore[call-arg]
    client = TestClient(create_app(settings, Engine(settings)), client=("127.0.0.1", 5))
    r = client.post("/admin/ingest", json=job(tmp_path), headers={"Authorization": "Bearer "})
    assert r.status_code == 404
