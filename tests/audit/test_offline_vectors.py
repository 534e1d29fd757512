"""The offline verifier (qualify-verify) against the public RFC 6962 vectors and RFC 8785
(A3, A6). Loaded from its file, as an inspector runs it: it imports no Django."""

import importlib.util
import math
import random

import pytest
import rfc8785

from qualify.audit import keys
from tests.audit.test_merkle import CONSISTENCY_FILES, INCLUSION_FILES, _load, _vector_id

_SPEC = importlib.util.spec_from_file_location(
    "offline_verifier", keys.__file__.replace("keys.py", "qualify_verify.py")
)
offline = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(offline)


@pytest.mark.requirement("A6")
@pytest.mark.parametrize("path", INCLUSION_FILES, ids=_vector_id)
def test_offline_inclusion_matches_the_vector(path):
    v = _load(path)
    accepted = v["treeSize"] > 0 and offline.verify_inclusion(
        v["leafIdx"], v["treeSize"], v["leafHash"], v["proof"], v["root"]
    )
    assert accepted is not v["wantErr"]


@pytest.mark.requirement("A6")
@pytest.mark.parametrize("path", CONSISTENCY_FILES, ids=_vector_id)
def test_offline_consistency_matches_the_vector(path):
    v = _load(path)
    try:
        accepted = offline.verify_consistency(
            v["size1"], v["size2"], v["root1"], v["root2"], v["proof"]
        )
    except (IndexError, TypeError):
        accepted = False
    assert accepted is not v["wantErr"]


@pytest.mark.requirement("A6")
def test_inlined_canonicaliser_agrees_with_rfc8785():
    rng = random.Random(8785)
    values = [0.1, 1e21, 1e-7, 123456789012.5, -0.0, 5e-324, 1.7976931348623157e308, 2**53 - 1]
    values += [rng.uniform(-1e30, 1e30) for _ in range(300)]
    values += [rng.random() * 10 ** rng.randint(-30, 30) for _ in range(300)]
    document = {
        "numbers": values,
        "text": 'é\u2028\x01"\\ \U0001f600',
        "\U0001f600": 1,
        "\ue000": 2,
        "nested": [None, True, False, {"b": [], "a": {}}],
    }
    assert offline.jcs(document) == rfc8785.dumps(document).decode()
    assert all(not math.isnan(v) for v in values)
