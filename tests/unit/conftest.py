"""tests/unit is model-free: no test here may import sentence-transformers or torch.

Each test is checked on its own (a forbidden module that appears while it runs fails it, even
in a run that also holds model tests), and a run of model-free folders only is checked as a
whole when it ends (which catches an import at collection time, too).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FORBIDDEN = ("torch", "sentence_transformers", "transformers")
MODEL_FREE = tuple(Path(__file__).resolve().parent.parent / d for d in ("unit", "contracts"))


def loaded_models() -> set[str]:
    return {name for name in FORBIDDEN if name in sys.modules}


@pytest.fixture(autouse=True)
def _no_model_imported() -> Iterator[None]:
    before = loaded_models()
    yield
    new = loaded_models() - before
    assert not new, f"a unit test imported {sorted(new)}: keep tests/unit model-free"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    items = getattr(session, "items", [])
    paths = [Path(str(item.path)).resolve() for item in items]
    if not paths or not all(any(p.is_relative_to(d) for d in MODEL_FREE) for p in paths):
        return  # other folders load models on purpose
    found = loaded_models()
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"FAILED: {sorted(found)} imported during a model-free run "
                "(tests/unit, tests/contracts)",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
