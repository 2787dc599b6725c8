"""Validate request bodies against Discord's official OpenAPI description.

The description lives outside the project (``../shared/discord-api-spec/openapi.json``) and is
never copied in; when it is missing, :func:`load_spec` returns ``None`` and validation is off.

The schemas are JSON Schema 2020-12. Two details need care, and both are relaxed the same way
every time, in :func:`_relax` (the file itself is only read):

- ``oneOf`` is used for unions whose branches overlap: an autocomplete choice ``{"value": 1}``
  is both an integer and a number choice, and ``{"type": "null"}`` sits next to schemas that
  allow ``null`` themselves. Strict ``oneOf`` would reject such valid bodies, so it is checked
  as ``anyOf``: the body must still match at least one documented shape.
- Snowflakes are typed as digit strings, but Discord accepts (and discord.py sends) integers in
  request bodies, e.g. ``allowed_mentions.users`` and ``message_reference.message_id``. An
  integer snowflake is accepted; anything else is not.
"""

from __future__ import annotations

import copy
import json
import re
import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SPEC_PATH = PROJECT_ROOT.parent / "shared" / "discord-api-spec" / "openapi.json"
"""Where the description is expected: next to the project (``../shared``), never inside it."""

_SPEC_URI = "urn:discord-openapi"
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)

_formats = FormatChecker()


@_formats.checks("int32")
def _is_int32(value: object) -> bool:
    """Integers must fit in 32 bits; other types are checked by ``type``."""
    return not isinstance(value, int) or _INT32[0] <= value <= _INT32[1]


@_formats.checks("int64")
def _is_int64(value: object) -> bool:
    """Integers must fit in 64 bits; other types are checked by ``type``."""
    return not isinstance(value, int) or _INT64[0] <= value <= _INT64[1]


@dataclass(frozen=True)
class SpecRoute:
    """One path template of the description, e.g. ``/channels/{channel_id}/messages``."""

    template: str
    pattern: re.Pattern[str]
    literal_segments: int


def _relax(node: Any) -> Any:
    """Return a copy of a schema tree with ``oneOf`` checked as ``anyOf`` (see module doc)."""
    if isinstance(node, list):
        return [_relax(item) for item in node]
    if not isinstance(node, dict):
        return node
    relaxed = {key: _relax(value) for key, value in node.items()}
    if "oneOf" in relaxed:
        relaxed["anyOf"] = relaxed.pop("oneOf")
    return relaxed


def _compile_template(template: str) -> SpecRoute:
    """Turn ``/a/{b}/c`` into a regex matching one path segment per parameter."""
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts if part)
    literal = sum(1 for segment in template.split("/") if segment and "{" not in segment)
    return SpecRoute(template, re.compile(f"^{regex}$"), literal)


class OpenApiSpec:
    """Discord's OpenAPI description, ready to match paths and validate request bodies."""

    def __init__(self, document: dict[str, Any], source: Path | None = None) -> None:
        self.source = source
        self.document = document
        relaxed = _relax(document)
        schemas = relaxed["components"]["schemas"]
        schemas["SnowflakeType"] = {
            "anyOf": [
                copy.deepcopy(document["components"]["schemas"]["SnowflakeType"]),
                {"type": "integer", "minimum": 0},
            ],
        }
        self._relaxed = relaxed
        self._registry: Registry = Registry().with_resource(
            _SPEC_URI, DRAFT202012.create_resource(relaxed)
        )
        self.routes = sorted(
            (_compile_template(template) for template in document["paths"]),
            key=lambda route: -route.literal_segments,
        )
        self._validators: dict[tuple[str, str, int | None], Draft202012Validator | None] = {}

    def match(self, path: str) -> str | None:
        """The path template that describes a concrete path, preferring literal segments."""
        for route in self.routes:
            if route.pattern.match(path):
                return route.template
        return None

    def operation(self, method: str, template: str) -> dict[str, Any] | None:
        """The operation object for a method on a template, if the description has one."""
        item = self.document["paths"].get(template, {})
        return item.get(method.lower())

    def _validator(
        self, method: str, template: str, status: int | None = None
    ) -> Draft202012Validator | None:
        """A cached validator for an operation's JSON request body (or reply), or None."""
        key = (method.lower(), template, status)
        if key not in self._validators:
            operation = self.operation(method, template) or {}
            where = ("requestBody",) if status is None else ("responses", str(status))
            described: Any = operation
            for step in where:
                described = described.get(step, {})
            if "application/json" not in described.get("content", {}):
                self._validators[key] = None
            else:
                steps = ("paths", template, key[0], *where, "content", "application/json", "schema")
                pointer = "/".join(step.replace("~", "~0").replace("/", "~1") for step in steps)
                schema = {"$ref": f"{_SPEC_URI}#/{pointer}"}
                self._validators[key] = Draft202012Validator(
                    schema, registry=self._registry, format_checker=_formats
                )
        return self._validators[key]

    def describes_body(self, method: str, template: str) -> bool:
        """Whether the description has a JSON request body for this operation."""
        return self._validator(method, template) is not None

    def validate(self, method: str, template: str, body: Any) -> list[str]:
        """Messages for every way ``body`` breaks the operation's requestBody schema."""
        return _problems(self._validator(method, template), body)

    def validate_response(self, method: str, template: str, status: int, body: Any) -> list[str]:
        """Messages for every way a reply body breaks the operation's response schema."""
        return _problems(self._validator(method, template, status), body)


def _problems(validator: Draft202012Validator | None, body: Any) -> list[str]:
    """Every error a validator finds in ``body`` (none without a validator), one line each."""
    if validator is None:
        return []
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.path))
    return [_describe(error) for error in errors]


def _describe(error: ValidationError) -> str:
    """One line per error: where in the body, and what is wrong (best sub-error for unions)."""
    best = best_match([error]) or error
    location = "/".join(str(part) for part in best.absolute_path) or "(body)"
    message = best.message.replace(repr(best.instance), reprlib.repr(best.instance))
    return f"{location}: {message}"


def load_spec(path: Path | None = None) -> OpenApiSpec | None:
    """Load the description from ``path`` (default :data:`SPEC_PATH`); None if it is absent."""
    source = path or SPEC_PATH
    if not source.is_file():
        return None
    with source.open(encoding="utf-8") as handle:
        return OpenApiSpec(json.load(handle), source)
