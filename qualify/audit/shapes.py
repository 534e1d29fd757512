"""The canonical texts of many created records' states from one encoding of their shape.

A revision's fan-out audits 50,000 assignments created at once: their states share
every member but their id, person and requirement. Each event needs two canonical
JSON texts of its state (the record hash's, and the entry's changes
`{key: [null, value]}`), and encoding them one by one was a fifth of the approval
(issue 18). Here a state's texts are made from a template of its shape: encoded once
with a stand-in for each integer member, then cut around the stand-ins, so a state's
text is the template's pieces joined by its integers' digits, which are their JSON
text. The texts are `canonical_json`'s, byte for byte
(tests/audit/test_state_shapes.py compares them over generated states).
"""

from typing import Any

from qualify.audit.canonical import JCS_INT, canonical_json, jcs_plain

# NUL is written escaped, so a stand-in's text cannot occur in another member's text
# unless that member holds the same escape; then the template is refused (`_cut`).
_STAND_IN = "\x00hole {}\x00"


def created_texts(states: list[dict[str, Any]]) -> list[tuple[str, str]] | None:
    """(canonical JSON of the state, of its changes as created) for each state, or None
    when a state is not of the first one's shape (other keys, a member that is an
    integer there and not here) or a text would not be RFC 8785 already (`jcs_plain`):
    the caller then encodes each state itself.

    The members that are integers in the first state are the holes; states whose other
    members are the very same objects share a template (by identity: 1 == True, yet
    their texts differ; the states hold those objects while this runs)."""
    if not states:
        return []
    first = states[0]
    keys = first.keys()
    holes = sorted(key for key, value in first.items() if type(value) is int)
    fixed = [key for key in first if type(first[key]) is not int]
    width = len(first)
    templates: dict[tuple[int, ...], tuple[str, str] | None] = {}
    out = []
    for state in states:
        if len(state) != width or state.keys() != keys:
            return None
        values = tuple([state[key] for key in holes])
        for value in values:
            if type(value) is not int or not -JCS_INT <= value <= JCS_INT:
                return None
        signature = tuple([id(state[key]) for key in fixed])
        if signature not in templates:
            templates[signature] = _template(state, holes)
        template = templates[signature]
        if template is None:
            return None
        # An int's %d is its decimal digits, its JSON text.
        out.append((template[0] % values, template[1] % values))
    return out


def _template(state: dict[str, Any], holes: list[str]) -> tuple[str, str] | None:
    """The state's two texts as %-formats with a %d per hole, or None (see above)."""
    probe = dict(state)
    for n, key in enumerate(holes):
        probe[key] = _STAND_IN.format(n)
    if not jcs_plain(probe):
        return None
    changes = {key: [None, value] for key, value in probe.items()}
    state_parts = _cut(canonical_json(probe), len(holes))
    change_parts = _cut(canonical_json(changes), len(holes))
    if state_parts is None or change_parts is None:
        return None
    return _format(state_parts), _format(change_parts)


def _cut(text: str, count: int) -> list[str] | None:
    """The text's pieces around the stand-ins 0..count-1. The encoder sorts a flat
    dict's members by key and the holes are in key order, so stand-in n follows piece
    n; anything else (a stand-in's text found twice, or out of order) refuses."""
    parts, start = [], 0
    for n in range(count):
        marker = canonical_json(_STAND_IN.format(n))
        at = text.find(marker, start)
        if at < 0 or text.count(marker) != 1:
            return None
        parts.append(text[start:at])
        start = at + len(marker)
    parts.append(text[start:])
    return parts


def _format(parts: list[str]) -> str:
    return "%d".join(part.replace("%", "%%") for part in parts)
