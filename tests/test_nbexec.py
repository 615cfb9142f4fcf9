"""The papermill engine that re-polls kernel channels (edgelab._nbexec; nbclient#312)."""

from __future__ import annotations

import asyncio
from queue import Empty

import nbformat
import pytest

from edgelab import _nbexec


class FakeChannel:
    """get_msg that misses ``misses`` bounded polls, then answers; records every timeout."""

    def __init__(self, misses: int) -> None:
        self.misses = misses
        self.calls: list[float | None] = []

    async def get_msg(self, timeout: float | None = None) -> dict:
        self.calls.append(timeout)
        if timeout is None:
            raise AssertionError("an unbounded wait reached the socket")
        if self.misses:
            self.misses -= 1
            raise Empty
        return {"msg_id": "reply"}


def test_unbounded_wait_becomes_bounded_slices() -> None:
    ch = FakeChannel(misses=3)
    get = _nbexec.repolling(ch.get_msg, slice_s=0.25)
    assert asyncio.run(get()) == {"msg_id": "reply"}
    assert ch.calls == [0.25] * 4  # three empty slices, then the reply


def test_bounded_wait_passes_through_and_still_times_out() -> None:
    ch = FakeChannel(misses=1)
    get = _nbexec.repolling(ch.get_msg)
    with pytest.raises(Empty):
        asyncio.run(get(timeout=2.0))
    assert asyncio.run(get(timeout=2.0)) == {"msg_id": "reply"}
    assert ch.calls == [2.0, 2.0]


def test_bad_slice() -> None:
    with pytest.raises(ValueError, match="slice_s"):
        _nbexec.repolling(FakeChannel(0).get_msg, slice_s=0)


def test_engine_runs_a_widget_cell_and_wraps_both_channels(tmp_path, monkeypatch) -> None:
    """A notebook whose last cell is ``interact`` (the cell that once stalled CI) runs."""
    wrapped: list[str] = []
    real = _nbexec.repolling

    def spy(get_msg, slice_s=_nbexec.REPOLL_S):
        wrapped.append(get_msg.__self__.__class__.__name__)
        return real(get_msg, slice_s)

    monkeypatch.setattr(_nbexec, "repolling", spy)
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import ipywidgets as w\n"
            "def f(k=2):\n    print('k =', k * x)\n"
            "w.interact(f, k=(1, 5));"),
    ]
    src, dst = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, str(src))
    _nbexec.execute_notebook(str(src), str(dst), parameters={"x": 3}, kernel_name="python3",
                             progress_bar=False, execution_timeout=120)
    out = nbformat.read(str(dst), as_version=4)
    assert out.metadata.papermill.parameters == {"x": 3}
    assert len(wrapped) == 2  # shell and IOPub
    widget = [o for o in out.cells[-1].outputs if o.output_type == "display_data"]
    assert widget and "application/vnd.jupyter.widget-view+json" in widget[0].data
