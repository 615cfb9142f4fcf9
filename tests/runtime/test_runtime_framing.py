"""The wire format (seed 003 §V-C.2): round trips, and a decoder that rejects every malformed
header with a FrameError and never reads past its cap (hypothesis property and fuzz tests)."""

from __future__ import annotations

import socket
import struct
import time

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.errors import EdgelabError
from edgelab.runtime.framing import (
    DTYPES,
    MAGIC,
    FrameError,
    decode_header,
    decode_payload,
    encode_header,
    encode_message,
    header_size,
    message_wire_bytes,
    read_message,
    recv_exact,
)

FIXED = header_size(0)


def _pair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    return a, b


@pytest.mark.parametrize("dtype", list(DTYPES.values()))
def test_every_dtype_round_trips_bit_exactly(dtype):
    t = (torch.arange(24, dtype=torch.float64) - 7.5).reshape(2, 3, 4).to(dtype)
    a, b = _pair()
    try:
        a.sendall(encode_message([t, t[0]]))
        out = read_message(b, 5.0)
    finally:
        a.close()
        b.close()
    assert [o.dtype for o in out] == [dtype, dtype]
    assert torch.equal(out[0], t) and torch.equal(out[1], t[0])


def test_wire_bytes_are_payload_plus_headers():
    ts = [torch.zeros(3, 5), torch.zeros(7, dtype=torch.uint8)]
    payload, headers = message_wire_bytes(ts)
    assert payload == 3 * 5 * 4 + 7
    assert len(encode_message(ts)) == payload + headers == payload + 2 * FIXED + 4 * 3


def test_a_scalar_and_an_empty_tensor_round_trip():
    a, b = _pair()
    try:
        a.sendall(encode_message([torch.tensor(3.5), torch.zeros(0, 4)]))
        s, e = read_message(b, 5.0)
    finally:
        a.close()
        b.close()
    assert float(s) == 3.5 and s.shape == () and e.shape == (0, 4)


def test_oversized_frame_is_refused_before_its_payload_is_read():
    head = encode_header(torch.float32, (1024, 1024), 4 * 1024 * 1024)
    with pytest.raises(FrameError, match="over the cap"):
        decode_header(head[:FIXED], head[FIXED:], max_frame_bytes=1024)


def test_size_that_does_not_match_the_shape_is_refused():
    head = encode_header(torch.float32, (2, 2), 15)
    with pytest.raises(FrameError, match="must be 16 bytes"):
        decode_header(head[:FIXED], head[FIXED:])


@pytest.mark.parametrize("field,value,match", [
    (0, b"XX", "magic"), (1, 9, "version"), (2, 0x80, "flags"), (3, 99, "dtype code"),
    (4, 12, "rank")])
def test_each_bad_field_is_named(field, value, match):
    parts = list(struct.unpack("!2sBBBBQ", encode_header(torch.float32, (), 4)[:FIXED]))
    parts[field] = value
    with pytest.raises(FrameError, match=match):
        decode_header(struct.pack("!2sBBBBQ", *parts))


def test_frame_error_is_bad_input():
    assert issubclass(FrameError, EdgelabError) and issubclass(FrameError, ValueError)


def test_a_peer_that_closes_mid_frame_raises_not_hangs():
    a, b = _pair()
    data = encode_message([torch.zeros(1000)])
    a.sendall(data[: len(data) // 2])
    a.close()
    t0 = time.monotonic()
    with pytest.raises(FrameError, match="closed the connection"):
        read_message(b, 30.0)
    b.close()
    assert time.monotonic() - t0 < 30.0


def test_a_silent_peer_times_out():
    a, b = _pair()
    try:
        a.sendall(encode_message([torch.zeros(10)])[:5])
        with pytest.raises(FrameError, match="timed out"):
            read_message(b, 0.2)
    finally:
        a.close()
        b.close()


def test_recv_exact_respects_a_past_deadline():
    a, b = _pair()
    try:
        with pytest.raises(FrameError, match="timed out with 0 of 4"):
            recv_exact(b, 4, time.monotonic() - 1)
    finally:
        a.close()
        b.close()


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=FIXED, max_size=FIXED), st.binary(max_size=40))
def test_fuzz_any_header_bytes_give_a_header_or_a_frame_error(fixed, dims):
    """Random bytes never crash the decoder: a valid header (whose size matches its shape and
    stays under the cap) or a FrameError, nothing else."""
    cap = 1 << 20
    try:
        h = decode_header(fixed, dims, max_frame_bytes=cap)
    except FrameError:
        return
    assert fixed[:2] == MAGIC
    assert h.nbytes <= cap
    if h.dtype is not None:
        n = 1
        for d in h.shape:
            n *= d
        assert n * h.dtype.itemsize == h.nbytes


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=0, max_size=4), st.sampled_from(list(DTYPES)),
       st.data())
def test_property_encode_then_decode_is_identity(shape, code, data):
    dtype = DTYPES[code]
    n = 1
    for d in shape:
        n *= d
    raw = data.draw(st.binary(min_size=n * dtype.itemsize, max_size=n * dtype.itemsize))
    head = encode_header(dtype, tuple(shape), len(raw))
    h = decode_header(head[:FIXED], head[FIXED:])
    t = decode_payload(h, raw)
    assert t.shape == tuple(shape) and t.dtype == dtype
    back = encode_message([t]) if n else head + raw
    assert back == head + raw


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_a_stream_of_garbage_ends_in_a_frame_error(blob):
    """Whatever arrives, read_message returns tensors or raises FrameError within its timeout."""
    a, b = _pair()
    try:
        a.sendall(blob)
        a.shutdown(socket.SHUT_WR)
        try:
            out = read_message(b, 2.0, max_frame_bytes=4096)
        except FrameError:
            return
        assert all(isinstance(t, torch.Tensor) for t in out)
    finally:
        a.close()
        b.close()
