"""YAML loading that remembers the line of every value, for `file:line` errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.content.problems import Problem, display_path

Location = tuple[Any, ...]


class _LineLoader(yaml.SafeLoader):
    pass


def load_with_lines(path: Path) -> tuple[Any, dict[Location, int]]:
    """Parse a YAML file; return the data and a map from key path to 1-based line."""
    text = path.read_text(encoding="utf-8")
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[Location, int] = {}
        _walk(node, (), lines)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return data, lines


def _walk(node: yaml.Node, location: Location, lines: dict[Location, int]) -> None:
    lines[location] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*location, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*location, key), lines)
            lines[(*location, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*location, index), lines)


def line_of(lines: dict[Location, int], location: Location) -> int:
    """The line of the deepest known part of a location."""
    for end in range(len(location), -1, -1):
        if location[:end] in lines:
            return lines[location[:end]]
    return 1


def validate(
    model: type[BaseModel],
    path: Path,
    data: Any,
    lines: dict[Location, int],
    base: Location = (),
    context: dict[str, Any] | None = None,
) -> tuple[BaseModel | None, list[Problem]]:
    """Validate data against a pydantic model; map every error to its file line."""
    try:
        return model.model_validate(data, context=context), []
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = (*base, *item["loc"])
            where = ".".join(str(part) for part in item["loc"]) or "file"
            message = item["msg"].removeprefix("Value error, ")
            problems.append(Problem(display_path(path), line_of(lines, location), f"{where}: {message}"))
        return None, problems


def read(path: Path) -> tuple[Any, dict[Location, int], list[Problem]]:
    try:
        data, lines = load_with_lines(path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return None, {}, [Problem(display_path(path), line, f"not valid YAML: {getattr(error, 'problem', error)}")]
    except UnicodeDecodeError:
        return None, {}, [Problem(display_path(path), 1, "not UTF-8 text")]
    return data, lines, []
