"""The server process (seed 003 §V-C.2): 127.0.0.1 only, a frame cap, bounded reads, and a bad
client (malformed, oversized, dead or silent mid-frame) costs only its own connection. One
server process for the module; every socket wait has a timeout and pytest-timeout is the
watchdog."""

from __future__ import annotations

import socket
import struct

import pytest
import torch

from edgelab.errors import ParameterError
from edgelab.inference.partition.execution import split_model
from edgelab.models import build
from edgelab.runtime.framing import FrameError, encode_header, encode_message, read_message
from edgelab.runtime.server import (
    LOCALHOST,
    check_port_free,
    open_connection,
    start_server,
    to_model_input,
)

pytestmark = pytest.mark.timeout(240)
MODEL = "digits_cnn"
CAP = 1 << 20


@pytest.fixture(scope="module")
def server():
    h = start_server(MODEL, read_timeout_s=1.5, idle_timeout_s=120.0, max_frame_bytes=CAP)
    yield h
    h.stop()


def _request(k: int, tensors: list[torch.Tensor]) -> bytes:
    ctrl = torch.tensor([k, 1000.0, 0.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    return encode_message([ctrl, *tensors])


def _image() -> torch.Tensor:
    return torch.randint(0, 256, (1, 1, 8, 8), generator=torch.Generator().manual_seed(3),
                         dtype=torch.uint8)


def _good_round_trip(server, k: int = 3) -> torch.Tensor:
    img = _image()
    sent = (img,) if k == 0 else split_model(build(MODEL), k).head(to_model_input(img))
    with open_connection(server) as s:
        s.sendall(_request(k, list(sent)))
        return read_message(s, 30.0)[0]


def test_binds_loopback_only(server):
    assert server.host == LOCALHOST == "127.0.0.1"
    with open_connection(server) as s:
        assert s.getpeername()[0] == "127.0.0.1"
        assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.mark.parametrize("k", [0, 3])
def test_split_result_equals_the_whole_model(server, k):
    whole = build(MODEL)(to_model_input(_image()))
    assert torch.allclose(_good_round_trip(server, k), whole, atol=1e-5)


def test_malformed_frame_is_rejected_and_others_are_still_served(server):
    with open_connection(server) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(FrameError, match="peer reported: frame magic must be"):
            read_message(s, 30.0)
    assert _good_round_trip(server).shape == (1, 10)


def test_oversized_frame_is_rejected_with_the_cap_named(server):
    with open_connection(server) as s:
        s.sendall(encode_header(torch.float32, (1024, 1024), 4 * 1024 * 1024))
        with pytest.raises(FrameError, match=f"over the cap of {CAP} bytes"):
            read_message(s, 30.0)
    assert _good_round_trip(server).shape == (1, 10)


def test_a_bad_control_vector_is_rejected(server):
    with open_connection(server) as s:
        s.sendall(encode_message([torch.zeros(3)]))
        with pytest.raises(FrameError, match="control vector"):
            read_message(s, 30.0)
    with open_connection(server) as s:
        s.sendall(_request(999, [torch.zeros(1)]))
        with pytest.raises(FrameError, match="split must be an integer"):
            read_message(s, 30.0)


def test_a_client_dying_mid_frame_does_not_hang_the_server(server):
    data = _request(0, [_image()])
    dead = open_connection(server)
    dead.sendall(data[: len(data) // 2])
    dead.close()
    silent = open_connection(server)  # sends half a frame and then nothing, but stays open
    silent.sendall(data[: len(data) // 2])
    assert _good_round_trip(server).shape == (1, 10)  # served while the silent one waits
    with pytest.raises(FrameError, match="timed out"):
        read_message(silent, 30.0)  # the server's read timeout (1.5 s) answers it
    silent.close()
    assert _good_round_trip(server).shape == (1, 10)


def test_port_in_use_is_bad_input(server):
    with pytest.raises(ParameterError, match=f"port must be free on 127.0.0.1: {server.port} "
                                             "is in use"):
        check_port_free(LOCALHOST, server.port)


def test_struct_layout_is_the_documented_one():
    h = encode_header(torch.uint8, (2, 3), 6)
    assert struct.unpack("!2sBBBBQ", h[:14]) == (b"EL", 1, 0, 5, 2, 6)
    assert struct.unpack("!2I", h[14:]) == (2, 3)
