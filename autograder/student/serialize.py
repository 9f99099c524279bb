"""Student outputs <-> JSON-safe payloads.

encode(value) never raises and never trusts the value's own methods beyond numpy/torch
conversion: anything that is not a number, a numpy array, a torch tensor or a (nested)
list/tuple of numbers becomes {"kind": "unsupported", "type": "<type name>"}.

Payloads::

    {"kind": "ndarray" | "tensor" | "scalar" | "list", "dtype": "float64", "shape": [2, 3],
     "data": [[...], [...]]}          # nested lists; nan/inf as the strings "nan"/"inf"/"-inf"
    {"kind": "unsupported", "type": "generator"}
    {"kind": "error", "type": "ValueError", "message": "..."}   # the function raised

decode(payload) validates everything (kind, dtype, shape, nesting, element types, size cap)
and raises PayloadError with a one-line reason on anything unexpected.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from autograder.student.spec import Raised

MAX_ELEMENTS = 10**6
MAX_NDIM = 8
NUMERIC_KINDS = ("ndarray", "tensor", "scalar", "list")
# dtypes a payload may carry (numpy names); complex and object are never accepted
DTYPES = (
    "float64",
    "float32",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
)


class PayloadError(ValueError):
    """A payload that is not a well-formed encoding (forged, truncated or corrupted)."""


def _unsupported(value: Any, why: str = "") -> dict:
    out = {"kind": "unsupported", "type": _type_name(value)}
    if why:
        out["why"] = why
    return out


def _type_name(value: Any) -> str:
    try:
        t = type(value)
        mod = t.__module__
        name = t.__qualname__
        return name if mod in ("builtins", "__main__") else f"{mod}.{name}"
    except Exception:
        return "object"


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")  # no torch imported -> no tensor can exist
    return torch is not None and isinstance(value, torch.Tensor)


def _array_payload(arr: np.ndarray, kind: str) -> dict:
    if arr.dtype.kind == "c":
        return {"kind": "unsupported", "type": f"complex array ({arr.dtype})"}
    if arr.dtype.name not in DTYPES:
        return {"kind": "unsupported", "type": f"array of dtype {arr.dtype}"}
    if arr.size > MAX_ELEMENTS:
        return {"kind": "unsupported", "type": f"array of {arr.size} elements (too large)"}
    if arr.ndim > MAX_NDIM:
        return {"kind": "unsupported", "type": f"array with {arr.ndim} dimensions"}
    if arr.dtype.kind == "f":
        data = _floats_to_json(arr.astype(np.float64).tolist())
    else:
        data = arr.tolist()
    return {"kind": kind, "dtype": arr.dtype.name, "shape": list(arr.shape), "data": data}


def _floats_to_json(data: Any) -> Any:
    if isinstance(data, list):
        return [_floats_to_json(v) for v in data]
    if math.isfinite(data):
        return data
    return "nan" if math.isnan(data) else ("inf" if data > 0 else "-inf")


def encode(value: Any) -> dict:
    """JSON-safe payload for one output of a student function. Never raises."""
    try:
        return _encode(value)
    except Exception as exc:  # a student object whose conversion misbehaves
        return _unsupported(value, f"could not be converted ({type(exc).__name__})")


def _encode(value: Any) -> dict:
    if isinstance(value, Raised):
        return {"kind": "error", "type": value.type, "message": value.message}
    t = type(value)
    if t is bool or t is int or t is float:
        if t is int and abs(value) > 2**63 - 1:
            return _unsupported(value, "integer too large")
        return _array_payload(np.asarray(value), "scalar")
    if isinstance(value, np.generic):
        return _array_payload(np.asarray(value), "scalar")
    if isinstance(value, np.ndarray):
        # view as a plain ndarray: subclasses (np.matrix, student classes) lose their methods
        return _array_payload(np.asarray(value).view(np.ndarray).copy(), "ndarray")
    if _is_tensor(value):
        tensor = value.detach().cpu()
        if tensor.dtype.is_complex:
            return _unsupported(value, "complex tensor")
        if tensor.numel() > MAX_ELEMENTS:
            return _unsupported(value, "too large")
        arr = np.asarray(tensor.numpy().copy()).view(np.ndarray)
        return _array_payload(arr, "tensor")
    if t is list or t is tuple:
        return _encode_list(value)
    return _unsupported(value)


def _encode_list(value: list | tuple) -> dict:
    """A (nested) list/tuple of plain numbers (or 0-d arrays / 1-element tensors) -> 'list'."""
    flat_count = [0]

    def convert(v: Any, depth: int) -> Any:
        if depth > MAX_NDIM:
            raise ValueError("nested too deeply")
        t = type(v)
        if t is list or t is tuple:
            return [convert(x, depth + 1) for x in v]
        flat_count[0] += 1
        if flat_count[0] > MAX_ELEMENTS:
            raise ValueError("too large")
        if t is bool or t is int or t is float:
            return v
        if isinstance(v, np.generic) and v.dtype.kind in "biuf":
            return v.item()
        if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "biuf":
            return v.item()
        if _is_tensor(v) and v.numel() == 1 and not v.dtype.is_complex:
            return v.detach().cpu().reshape(()).item()
        raise TypeError(_type_name(v))

    try:
        nested = convert(value, 0)
    except TypeError as err:
        return {"kind": "unsupported", "type": f"{_type_name(value)} containing {err}"}
    except ValueError as err:  # too large, too deep
        return {"kind": "unsupported", "type": f"{_type_name(value)} ({err})"}
    try:
        arr = np.array(nested)
    except ValueError:
        return {"kind": "unsupported", "type": f"ragged {_type_name(value)}"}
    if arr.dtype == object:
        return {"kind": "unsupported", "type": f"ragged {_type_name(value)}"}
    return _array_payload(arr, "list")


# ---------------------------------------------------------------------------------------------
# Decoding (never trusts the payload)


def decode(payload: Any) -> np.ndarray | Raised | dict:
    """Validate a payload and return a numpy array (numeric kinds), a Raised marker (error),
    or the payload dict itself (unsupported). Raises PayloadError on anything malformed.
    """
    if not isinstance(payload, dict):
        raise PayloadError(f"payload is a {type(payload).__name__}, not an object")
    kind = payload.get("kind")
    if kind == "error":
        etype, msg = payload.get("type"), payload.get("message")
        if not isinstance(etype, str) or not isinstance(msg, str):
            raise PayloadError("error payload without type/message strings")
        return Raised(etype[:100], msg[:300])
    if kind == "unsupported":
        if not isinstance(payload.get("type"), str):
            raise PayloadError("unsupported payload without a type name")
        return {"kind": "unsupported", "type": payload["type"][:200]}
    if kind not in NUMERIC_KINDS:
        raise PayloadError(f"unknown kind {kind!r}"[:80])
    dtype = payload.get("dtype")
    if dtype not in DTYPES:
        raise PayloadError(f"dtype {dtype!r} not allowed"[:80])
    shape = payload.get("shape")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_NDIM
        or not all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape)
    ):
        raise PayloadError("shape must be a list of at most 8 non-negative ints")
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise PayloadError(f"{size} elements exceed the limit {MAX_ELEMENTS}")
    flat: list[float] = []
    _flatten(payload.get("data"), shape, 0, flat, dtype)
    arr = np.array(flat, dtype=np.float64 if dtype.startswith("float") else dtype)
    return arr.astype(dtype).reshape(shape)


_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _flatten(data: Any, shape: list[int], depth: int, out: list, dtype: str) -> None:
    if depth == len(shape):
        t = type(data)
        if dtype == "bool":
            if t is not bool:
                raise PayloadError("bool array with a non-bool element")
            out.append(data)
        elif dtype.startswith("float"):
            if t is float or t is int:
                out.append(float(data))
            elif t is str and data in _NONFINITE:
                out.append(_NONFINITE[data])
            else:
                raise PayloadError(f"float array with a {t.__name__} element")
        else:
            if t is not int:
                raise PayloadError(f"integer array with a {t.__name__} element")
            out.append(data)
        return
    if type(data) is not list or len(data) != shape[depth]:
        raise PayloadError("data does not match the declared shape")
    for item in data:
        _flatten(item, shape, depth + 1, out, dtype)


def encode_case(case: dict) -> dict:
    """Encode a case's inputs (fixtures): each value must be numeric (checked)."""
    out = {}
    for name, value in case.items():
        payload = encode(value)
        if payload["kind"] not in NUMERIC_KINDS:
            raise TypeError(f"case input {name!r} is not numeric: {payload}")
        out[name] = payload
    return out


def decode_case(payload: dict) -> dict:
    """Inverse of encode_case: scalars come back as python float/int, arrays as ndarrays."""
    case = {}
    for name, value in payload.items():
        arr = decode(value)
        if not isinstance(arr, np.ndarray):
            raise PayloadError(f"case input {name!r} is not numeric")
        if value["kind"] == "scalar":
            case[name] = arr.item()
        else:
            case[name] = arr
    return case
