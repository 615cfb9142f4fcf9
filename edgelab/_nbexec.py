"""Papermill execution that cannot stall on a lost kernel reply (issue 3, "Robustness").

nbclient waits for a cell's ``execute_reply`` with ``shell_channel.get_msg(timeout=None)``,
an asyncio ``zmq`` poll on an edge-triggered descriptor. Now and then the wake-up for a reply
that has already arrived is lost and the poll waits for ever; it happens most with cells that
display ipywidgets (``interact``), and it once stalled our CI in chapter 01's last cell
(jupyter/nbclient#312). A poll with a timeout re-checks the socket when it expires, so this
module makes every unbounded wait a loop of short bounded ones: a lost wake-up then costs at
most :data:`REPOLL_S` seconds instead of the whole run.

Use :func:`execute_notebook` (papermill's signature) or ``engine_name=ENGINE`` after
importing this module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from queue import Empty
from typing import Any

from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger

__all__ = ["ENGINE", "REPOLL_S", "repolling", "execute_notebook"]

#: The papermill engine name registered by this module.
ENGINE = "edgelab"
#: Longest single wait on a kernel channel, in seconds.
REPOLL_S = 1.0

GetMsg = Callable[..., Awaitable[dict[str, Any]]]


def repolling(get_msg: GetMsg, slice_s: float = REPOLL_S) -> GetMsg:
    """Wrap an async ``get_msg(timeout=None)`` so that an unbounded wait polls in slices.

    A bounded call (``timeout`` given) is passed through unchanged, ``Empty`` included.
    """
    if not slice_s > 0:
        raise ValueError(f"slice_s must be > 0 seconds, got {slice_s!r}")

    async def get_msg_repolling(timeout: float | None = None) -> dict[str, Any]:
        if timeout is not None:
            return await get_msg(timeout=timeout)
        while True:
            try:
                return await get_msg(timeout=slice_s)
            except Empty:
                continue

    return get_msg_repolling


class RepollingNotebookClient(PapermillNotebookClient):
    """papermill's client, with the shell and IOPub channels polled in bounded slices."""

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = repolling(channel.get_msg)
        return kc

    # nbclient binds the synchronous twin to the base coroutine at class creation: rebind it.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


class RepollingEngine(NBClientEngine):
    """papermill's default engine with :class:`RepollingNotebookClient`."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                 stdout_file: Any = None, stderr_file: Any = None,
                                 start_timeout: float = 60, execution_timeout: float | None = None,
                                 **kwargs: Any) -> Any:
        """As :meth:`papermill.engines.NBClientEngine.execute_managed_notebook`."""
        kwargs.pop("input_path", None)
        for k in ("timeout", "startup_timeout"):
            kwargs.pop(k, None)
        return RepollingNotebookClient(
            nb_man, timeout=execution_timeout or None, startup_timeout=start_timeout,
            kernel_name=kernel_name, log=logger, log_output=log_output,
            stdout_file=stdout_file, stderr_file=stderr_file, **kwargs,
        ).execute()


papermill_engines.register(ENGINE, RepollingEngine)


def execute_notebook(input_path: str, output_path: str, **kwargs: Any) -> Any:
    """:func:`papermill.execute_notebook` on the :data:`ENGINE` engine."""
    import papermill as pm

    kwargs.setdefault("engine_name", ENGINE)
    return pm.execute_notebook(input_path, output_path, **kwargs)
