"""Client/server mode: the Chroma server down at start and mid-session, then back."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import SAMPLE, run_cli
from tests.store.test_chroma_server import ChromaServer
from tests.web_fixtures import assert_serving, start_server, stop


def test_health_and_chat_follow_the_chroma_server(tmp_path: Path, cli_env: dict[str, str]) -> None:
    chroma = ChromaServer(tmp_path / "chroma")
    env = {
        **cli_env,
        "COMPANION_DATA_DIR": str(tmp_path / "records"),
        "COMPANION_CHROMA_URL": chroma.url,
    }

    # Down at start: the app still starts and says what is wrong.
    proc, url = start_server(env)
    try:
        health = httpx.get(f"{url}/api/health", timeout=30)
        assert health.status_code == 503 and "Chroma server" in health.json()["error"]
        ask = httpx.post(f"{url}/api/ask", json={"question": "Who directed Her?"}, timeout=30)
        assert ask.status_code == 503 and "unavailable" in ask.json()["error"]

        chroma.start()
        out = run_cli("ingest", str(SAMPLE), "--json", env=env)
        assert out.returncode == 0, out.stderr
        assert_serving(url)

        # Down mid-session.
        chroma.stop()
        assert httpx.get(f"{url}/api/health", timeout=30).status_code == 503
        down = httpx.post(
            f"{url}/api/ask", json={"question": "Who voices Samantha in Her?"}, timeout=30
        )
        assert down.status_code == 503 and "Traceback" not in down.text
        assert proc.poll() is None

        # Back: recovers without a restart of the app.
        chroma.start()
        assert_serving(url)
    finally:
        stop(proc)
        chroma.stop()
