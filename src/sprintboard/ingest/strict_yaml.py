"""Reading YAML strictly: what plain loading lets through silently is refused with a one-line reason.

* a key written twice in one mapping (PyYAML would keep the last value without a word, so ``points: 3`` then
  ``points: 8`` would load 8);
* aliases that repeat more than :data:`MAX_ALIAS_VALUES` values in all (an alias bomb: nine nested levels of ten
  aliases are 10**9 strings, composed in an instant because they are shared, but expanded by whatever reads them),
  and an alias to the collection that holds it;
* dates and date-times stay text, for the reader to convert and name the field at fault.
"""

from __future__ import annotations

from typing import Any

import yaml

# Anchors and aliases are for sharing a few values (a baseline, a label list); a document whose aliases repeat more
# values than this in all is an alias bomb, whatever its size on disk.
MAX_ALIAS_VALUES = 100_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _DatesAsText(yaml.SafeLoader):
    """PyYAML's safe loader, but dates and date-times stay text: its own conversion raises a bare ``ValueError`` on
    a date that does not exist (``2026-02-30``); the reader converts them and names the field at fault."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class YamlRefused(ValueError):
    """A YAML text :func:`load_yaml` does not turn into data; ``str()`` is the one-line reason, without the path."""


def load_yaml(text: str) -> Any:
    """A YAML document as plain data, dates as text (see :class:`_DatesAsText`).

    Raises :class:`YamlRefused` for text that is not valid YAML (``is not valid YAML at line 9: found character
    '\\t' that cannot start any token``), is nested too deeply to read, writes a key twice in one mapping, or holds
    aliases that repeat more than :data:`MAX_ALIAS_VALUES` values; the document is checked before it is built.
    """
    loader = _DatesAsText(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = " ".join(str(getattr(exc, "problem", None) or "").split())
        raise YamlRefused(f"is not valid YAML{where}" + (f": {problem}" if problem else "")) from None
    except RecursionError:
        raise YamlRefused("is not valid YAML: it is nested too deeply to read") from None
    finally:
        loader.dispose()


def _check_nodes(root: yaml.Node) -> None:
    """Refuse a key written twice in one mapping, an alias to a collection that holds it, and aliases repeating
    more than :data:`MAX_ALIAS_VALUES` values (the document written out without aliases would hold that many more).

    An alias is the very node its anchor marks, so the walk meets that node once per alias; each distinct node is
    checked once and its expanded size (itself and every value under it, aliases counted in full) computed once.
    """
    sizes: dict[int, int] = {}
    ancestors: set[int] = set()
    # (node, its place, its children once they are on the stack to be sized first)
    stack: list[tuple[yaml.Node, str, list | None]] = [(root, "", None)]
    while stack:
        node, where, children = stack.pop()
        key = id(node)
        if children is not None:
            ancestors.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child, _ in children)
            continue
        if key in sizes:
            continue
        if key in ancestors:
            raise YamlRefused(f"{where or 'the top level'}: an alias refers to the collection it is in "
                              f"(line {node.start_mark.line + 1})")
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        if isinstance(node, yaml.MappingNode):
            _check_keys_unique(node, where)
        children = _children(node, where)
        ancestors.add(key)
        stack.append((node, where, children))
        stack.extend((child, place, None) for child, place in reversed(children))
    repeated = sizes[id(root)] - len(sizes)
    if repeated > MAX_ALIAS_VALUES:
        raise YamlRefused(f"has aliases that repeat {repeated:,} values, more than the {MAX_ALIAS_VALUES:,} a file "
                          "may repeat (an alias bomb)")


def _children(node: yaml.Node, where: str) -> list[tuple[yaml.Node, str]]:
    """The nodes directly under ``node`` with their places (``items[0]``, ``items[0].labels``); a mapping's keys
    are children too."""
    if isinstance(node, yaml.SequenceNode):
        return [(child, f"{where}[{index}]") for index, child in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        children = []
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            children += [(key, where), (value, f"{where}.{name}" if where else name)]
        return children
    return []


def _check_keys_unique(node: yaml.MappingNode, where: str) -> None:
    """Keys are the same when their text and resolved tag are (``points`` and ``"points"`` are; ``1`` and ``"1"``
    are not)."""
    first_line: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
            continue  # merge keys ("<<") may repeat: each merges its own mapping
        line = key.start_mark.line + 1
        identity = (key.tag, key.value)
        if identity in first_line:
            lines = f"line {line}" if first_line[identity] == line else f"lines {first_line[identity]} and {line}"
            raise YamlRefused(f"{where or 'the top level'}: key {key.value!r} appears twice ({lines})")
        first_line[identity] = line
