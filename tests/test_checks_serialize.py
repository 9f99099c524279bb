"""serialize: strict JSON-safe encoding of student outputs and untrusting decoding."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from autograder.student.serialize import (
    MAX_ELEMENTS,
    PayloadError,
    decode,
    decode_case,
    encode,
    encode_case,
)
from autograder.student.spec import Raised


def roundtrip(value):
    payload = json.loads(json.dumps(encode(value), allow_nan=False))  # strict JSON
    return payload, decode(payload)


@pytest.mark.parametrize(
    "value, kind, shape",
    [
        (np.arange(6.0).reshape(2, 3), "ndarray", (2, 3)),
        (np.float64(2.5), "scalar", ()),
        (2.5, "scalar", ()),
        (np.array(3.0), "ndarray", ()),
        ([1.0, 2.0, 3.0], "list", (3,)),
        ((1.0, np.float64(2.0)), "list", (2,)),
        ([[1.0], [2.0]], "list", (2, 1)),
        (torch.tensor([[1.0, 2.0]], dtype=torch.float64), "tensor", (1, 2)),
    ],
)
def test_numeric_values_roundtrip_exactly(value, kind, shape):
    payload, arr = roundtrip(value)
    assert payload["kind"] == kind
    assert arr.shape == shape
    assert arr.dtype == np.float64
    np.testing.assert_array_equal(arr, np.asarray(value.numpy() if kind == "tensor" else value))


def test_float_values_survive_json_bit_for_bit():
    x = np.random.default_rng(1).normal(size=50) * 1e-7
    _, arr = roundtrip(x)
    assert np.array_equal(arr, x)


def test_nan_and_inf_are_strings_in_json_and_come_back():
    payload, arr = roundtrip(np.array([np.nan, np.inf, -np.inf, 1.0]))
    assert payload["data"][:3] == ["nan", "inf", "-inf"]
    assert np.isnan(arr[0]) and arr[1] == np.inf and arr[2] == -np.inf and arr[3] == 1.0


def test_dtypes_are_kept():
    assert roundtrip(np.zeros(2, dtype=np.float32))[1].dtype == np.float32
    assert roundtrip(np.zeros(2, dtype=np.int64))[1].dtype == np.int64
    assert roundtrip(np.array([True, False]))[1].dtype == np.bool_
    assert roundtrip(3)[1].dtype == np.int64
    assert roundtrip(torch.zeros(2, dtype=torch.float32))[1].dtype == np.float32


def test_requires_grad_tensor_is_detached():
    t = torch.ones(3, dtype=torch.float64, requires_grad=True) * 2
    payload, arr = roundtrip(t)
    assert payload["kind"] == "tensor"
    np.testing.assert_array_equal(arr, [2.0, 2.0, 2.0])


class Liar:
    def __eq__(self, other):
        return True

    def __array__(self, *a, **k):
        raise RuntimeError("boom")


def _gen():
    yield 1.0


@pytest.mark.parametrize(
    "value, type_name",
    [
        (None, "NoneType"),
        (Liar(), "Liar"),
        (_gen(), "generator"),
        ({"a": 1.0}, "dict"),
        ("1.0", "str"),
        (lambda: 1.0, "function"),
        (np.array([1 + 2j]), "complex"),
        (np.array(["a"]), "dtype <U1"),
        ([1.0, [2.0]], "ragged"),
        ([1.0, None], "NoneType"),
        (np.array([1.0, None], dtype=object), "object"),
    ],
)
def test_weird_objects_are_unsupported_with_their_type(value, type_name):
    payload = encode(value)
    assert payload["kind"] == "unsupported"
    assert type_name in payload["type"]
    json.dumps(payload)
    # decoded, it stays an "unsupported" marker naming the type (never an array, never a crash)
    assert decode(payload) == {"kind": "unsupported", "type": payload["type"]}


def test_subclass_of_ndarray_loses_its_methods():
    class Evil(np.ndarray):
        def tolist(self):
            raise RuntimeError("never called")

    arr = np.arange(3.0).view(Evil)
    _, out = roundtrip(arr)
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, [0.0, 1.0, 2.0])


def test_too_large_is_unsupported():
    payload = encode(np.zeros(MAX_ELEMENTS + 1))
    assert payload["kind"] == "unsupported" and "too large" in payload["type"]


def test_raised_marker_roundtrip():
    payload = encode(Raised("ValueError", "bad"))
    assert payload == {"kind": "error", "type": "ValueError", "message": "bad"}
    out = decode(payload)
    assert isinstance(out, Raised) and out.type == "ValueError"


GOOD = {"kind": "ndarray", "dtype": "float64", "shape": [2], "data": [1.0, 2.0]}


@pytest.mark.parametrize(
    "patch",
    [
        {"kind": "pickle"},
        {"dtype": "object"},
        {"dtype": "complex128"},
        {"shape": [3]},
        {"shape": [-1]},
        {"shape": [2.0]},
        {"shape": "2"},
        {"shape": [1] * 9},
        {"shape": [10**6, 10**6], "data": []},
        {"data": [1.0, "2.0"]},
        {"data": [1.0, None]},
        {"data": [1.0, [2.0]]},
        {"data": [1.0, True]},
        {"data": "1,2"},
        {"dtype": "int64", "data": [1, 2.5]},
        {"dtype": "bool", "data": [1, 0]},
    ],
)
def test_decode_rejects_malformed_payloads(patch):
    with pytest.raises(PayloadError):
        decode({**GOOD, **patch})


@pytest.mark.parametrize("payload", [None, [], "x", 3, {"kind": "error"}, {"kind": "unsupported"}])
def test_decode_rejects_non_payloads(payload):
    with pytest.raises(PayloadError):
        decode(payload)


def test_case_roundtrip_keeps_python_scalars():
    case = {"x": np.array([1.0, 2.0]), "b": 1.5, "steps": 3}
    back = decode_case(json.loads(json.dumps(encode_case(case))))
    assert type(back["b"]) is float and back["b"] == 1.5
    assert type(back["steps"]) is int and back["steps"] == 3
    np.testing.assert_array_equal(back["x"], case["x"])
    with pytest.raises(TypeError):
        encode_case({"f": print})
