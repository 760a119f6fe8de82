"""Hypothesis strategies for what hostile callers put on the Twilio wire."""

from __future__ import annotations

import json

from hypothesis import strategies as st

SPECIAL = [
    "",
    "|&%/",
    "user|identity&string",
    "service|friendly&name",
    "a" * 256,
    "a" * 257,
    "é" * 300,
    "\x00",
    "nul\x00inside",
    "../../etc/passwd",
    "%2e%2e%2f",
    "CH" + "0" * 32,
    "IM" + "f" * 32,
    "MB" + "1" * 31,
    "😀" * 128,
    "\u202e\u200b\ufeff",
    " ",
    "null",
]

# Every code point a wire can carry (lone surrogates cannot be UTF-8 encoded: see
# test_python_only_text.py for those).
any_char = st.characters(exclude_categories=["Cs"])

hostile_text = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=30),
    st.text(alphabet=any_char, max_size=30),
    st.text(min_size=250, max_size=270),
)

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)

hostile_json = st.one_of(
    hostile_text,
    json_value.map(json.dumps),
    # Deep nesting up to what Python's JSON parser takes (deeper: test_deep_json_is_a_400).
    st.integers(1, 900).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 900).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.integers(1, 40).map(lambda kb: json.dumps({"big": "x" * (kb * 1024)})),
    st.sampled_from(["[", "{", '{"a":}', "'single'", "NaN", "1e99999", '"\\ud800"', "{}", "[]"]),
)

sid_like = st.one_of(
    hostile_text,
    st.tuples(
        st.sampled_from(["CH", "IM", "MB", "ME", "US", "RL", "IS", "XX", "ch"]),
        st.text("0123456789abcdefABCDEFG", min_size=0, max_size=34),
    ).map("".join),
)

page_query = st.fixed_dictionaries(
    {},
    optional={
        "PageToken": st.lists(hostile_text, min_size=1, max_size=2),
        "Page": st.lists(st.one_of(hostile_text, st.integers().map(str)), min_size=1, max_size=1),
        "PageSize": st.lists(
            st.one_of(hostile_text, st.integers().map(str)), min_size=1, max_size=1
        ),
        "Order": st.lists(hostile_text | st.sampled_from(["asc", "desc"]), min_size=1, max_size=1),
    },
)
