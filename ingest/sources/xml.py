"""XML parsing that is safe on untrusted exports: no entities, no network, clear errors."""

from __future__ import annotations

from typing import Any


def parse_xml(raw: bytes, name: str) -> Any:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=False, load_dtd=False
    )
    try:
        return etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line = f" at line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise ValueError(f"malformed XML{line}: {exc.msg if hasattr(exc, 'msg') else exc}") from exc


def text_of(el: Any, path: str, ns: dict[str, str]) -> str:
    found = el.find(path, ns)
    return (found.text or "").strip() if found is not None and found.text else ""
