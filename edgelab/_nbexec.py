"""Notebook execution that does not stall, stays quiet and keeps its kernel off the network.

The pipeline (``edgelab reproduce``) and the chapter tests run notebooks through papermill with
the engine registered here (:data:`ENGINE`). It differs from papermill's default engine in four
ways, each for a measured reason (``python tests/benchmarks/bench_execution.py`` shows them).

**The stall and its root cause.** A chapter whose cell shows an ``ipywidgets.interact`` stalled
in about one run in eight: the kernel idle in its event loop, the client idle in ``select``,
waiting for the cell's ``execute_reply``. The reply *had* arrived: the client's shell socket
reported ``POLLIN`` in ``ZMQ_EVENTS`` while its file descriptor, registered with the asyncio
loop, was not readable. ZeroMQ's descriptor is edge-triggered: any libzmq call on the socket
that processes its pending commands consumes the wake-up, and pyzmq's asyncio layer re-checks
``ZMQ_EVENTS`` only after its *own* operations. ``jupyter_client.Session.send`` sends on a
synchronous shadow of the asyncio socket (``zmq.Socket.shadow(stream.underlying)``), so a send
on the shell channel while a reply is waiting to be noticed swallows that reply's wake-up, and
the ``await`` on it never returns. In a notebook run nothing sends on the shell channel in the
middle of a cell except nbclient's stand-in for the front end's *Output widget*: every output
captured by an Output widget (``interact`` renders into one) is echoed back to the kernel as a
``comm_msg`` on the shell channel. The same echo also arrives at the kernel while it is sending
its own reply, the mirror-image race inside ipykernel 7 (ipython/ipykernel#1554), which leaves
the *kernel* asleep on a request it has already received. So:

1. **No echo** (:class:`BatchOutputWidget`). With no front end there is no one to keep in sync:
   the executed notebook's widget state is kept by nbclient on the client side, and the echo is
   dropped. This removes the trigger of both races.
2. **Re-armed wake-ups.** Any send on the shell channel is followed by a read of ``ZMQ_EVENTS``
   through the asyncio socket, which makes pyzmq schedule the handler of a message already
   waiting (the documented way to drive an edge-triggered ZeroMQ descriptor).
3. **Bounded waits.** Every wait on a kernel channel is a loop of waits of at most
   :data:`REPOLL_S` seconds (an expired bounded poll re-checks the socket), also when a cell
   timeout is set: a wake-up lost by any other path costs at most that long. Each such rescue is
   counted in :data:`STATS`.
4. **Stall detection.** A kernel that went idle after a cell but whose reply never came within
   ``reply_grace_s``, or that never started a cell within ``start_grace_s``, raises
   :class:`KernelStallError` naming the cell: seconds, not the cell timeout. The pipeline
   re-executes such a chapter once, saying so, and reports the cell if it stalls again.

**Quiet, local kernels.** Kernels talk to the client over Unix-domain (IPC) sockets in a private
temporary folder, never TCP: nothing listens on a network port, no "running over TCP without
encryption" warning is printed, and a run inside a network namespace with loopback down works.
The kernel's own stdout and stderr go to ``kernel_log`` (a file) instead of the console.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from queue import Empty
from time import monotonic
from typing import Any, TextIO

import zmq
from nbclient.output_widget import OutputWidget
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger

__all__ = [
    "ENGINE",
    "REPOLL_S",
    "REPLY_GRACE_S",
    "START_GRACE_S",
    "STATS",
    "KernelStallError",
    "CellWatch",
    "BatchOutputWidget",
    "EdgelabNotebookClient",
    "repolling",
    "execute_notebook",
]

#: The papermill engine name registered by this module.
ENGINE = "edgelab"
#: Longest single wait on a kernel channel, in seconds.
REPOLL_S = 1.0
#: After the kernel reports idle for a cell, its reply must arrive within this many seconds.
REPLY_GRACE_S = 10.0
#: After a cell is sent, the kernel must report busy for it within this many seconds.
START_GRACE_S = 60.0

#: Process-wide counters: ``rescued`` (a bounded wait found a message its wake-up had missed),
#: ``stalls`` (:class:`KernelStallError` raised), ``echo_dropped`` (Output-widget echoes not sent).
STATS: collections.Counter[str] = collections.Counter()

GetMsg = Callable[..., Awaitable[dict[str, Any]]]


class KernelStallError(RuntimeError):
    """The kernel stopped answering a cell although it is alive (see the module docstring)."""

    def __init__(self, cell_index: int | None, reason: str) -> None:
        self.cell_index = cell_index
        self.reason = reason
        where = f"cell {cell_index}" if cell_index is not None else "a cell"
        super().__init__(f"kernel stalled in {where}: {reason}")


def repolling(
    get_msg: GetMsg,
    slice_s: float = REPOLL_S,
    on_empty: Callable[[], None] | None = None,
) -> GetMsg:
    """Wrap an async ``get_msg(timeout=None)`` so that every wait is a loop of bounded slices.

    A call with ``timeout`` still raises ``Empty`` once that many seconds have passed; a call
    without one waits for ever, but in slices of at most ``slice_s``. ``on_empty`` runs after
    each empty slice and may raise (stall detection). A slice that ran to its end and still
    returned a message is a rescued wake-up, counted in ``STATS["rescued"]``.
    """
    if not slice_s > 0:
        raise ValueError(f"slice_s must be > 0 seconds, got {slice_s!r}")

    async def get_msg_bounded(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else monotonic() + max(0.0, float(timeout))
        while True:
            wait = slice_s if deadline is None else min(slice_s, max(0.0, deadline - monotonic()))
            t0 = monotonic()
            try:
                msg = await get_msg(timeout=wait)
            except Empty:
                if deadline is not None and monotonic() >= deadline:
                    raise
                if on_empty is not None:
                    on_empty()
                continue
            if wait > 0 and monotonic() - t0 >= wait:
                STATS["rescued"] += 1
            return msg

    return get_msg_bounded


class CellWatch:
    """What the kernel has said about the cell in flight, and whether it can still finish.

    :meth:`sent` when a cell is sent, :meth:`status` for each of its IOPub status messages,
    :meth:`check` after each empty wait: it raises :class:`KernelStallError` when the kernel
    went idle ``reply_grace_s`` ago without a reply, or has not started the cell within
    ``start_grace_s``. Times are ``time.monotonic()`` seconds (``now`` for tests).
    """

    def __init__(self, reply_grace_s: float = REPLY_GRACE_S,
                 start_grace_s: float = START_GRACE_S) -> None:
        if not (reply_grace_s > 0 and start_grace_s > 0):
            raise ValueError(f"reply_grace_s and start_grace_s must be > 0 seconds, got "
                             f"{reply_grace_s!r} and {start_grace_s!r}")
        self.reply_grace_s = reply_grace_s
        self.start_grace_s = start_grace_s
        self.msg_id: str | None = None
        self.cell_index: int | None = None
        self.sent_at = 0.0
        self.busy_at: float | None = None
        self.idle_at: float | None = None

    def sent(self, msg_id: str, now: float | None = None) -> None:
        """A cell's execute request ``msg_id`` was sent."""
        self.msg_id, self.sent_at = msg_id, monotonic() if now is None else now
        self.busy_at = self.idle_at = None

    def status(self, msg: dict[str, Any], now: float | None = None) -> None:
        """Note an IOPub message if it is a busy/idle status of the cell in flight."""
        if (msg.get("msg_type") != "status"
                or msg.get("parent_header", {}).get("msg_id") != self.msg_id):
            return
        t = monotonic() if now is None else now
        state = msg.get("content", {}).get("execution_state")
        if state == "busy":
            self.busy_at = t
        elif state == "idle":
            self.idle_at = t

    def check(self, now: float | None = None) -> None:
        """Raise :class:`KernelStallError` if the cell in flight can no longer finish."""
        if self.msg_id is None:
            return
        t = monotonic() if now is None else now
        if self.idle_at is not None and t - self.idle_at > self.reply_grace_s:
            STATS["stalls"] += 1
            raise KernelStallError(
                self.cell_index,
                f"the kernel went idle {t - self.idle_at:.0f} s ago but its reply never came")
        if self.busy_at is None and t - self.sent_at > self.start_grace_s:
            STATS["stalls"] += 1
            raise KernelStallError(
                self.cell_index,
                f"the kernel did not start the cell within {t - self.sent_at:.0f} s")


class BatchOutputWidget(OutputWidget):
    """nbclient's Output-widget stand-in, without the echo of its outputs to the kernel.

    The echo is the only message a batch run sends on the shell channel in the middle of a
    cell, and it triggers lost wake-ups on both ends (module docstring). The outputs are still
    recorded in the executed notebook's widget state, as before.
    """

    def sync_state(self) -> None:
        """Keep the state on the client side only (no front end to synchronise)."""
        STATS["echo_dropped"] += 1


class EdgelabNotebookClient(PapermillNotebookClient):
    """papermill's notebook client with the four changes of the module docstring.

    The class attributes switch each change (the stall benchmark measures them one by one).
    """

    echo_output_widgets: bool = False
    rearm_after_send: bool = True
    bounded_waits: bool = True
    ipc_transport: bool = True
    reply_grace_s: float = REPLY_GRACE_S
    start_grace_s: float = START_GRACE_S

    def __init__(self, *args: Any, kernel_log: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.echo_output_widgets:
            self.widget_registry = {"@jupyter-widgets/output": {"OutputModel": BatchOutputWidget}}
        self._kernel_log = kernel_log
        self._ipc_dir: str | None = None
        self.watch = CellWatch(self.reply_grace_s, self.start_grace_s)

    # ------------------------------------------------------------------ kernel and transport
    def create_kernel_manager(self) -> Any:
        """The kernel manager, on IPC sockets in a private folder when ``ipc_transport``."""
        km = super().create_kernel_manager()
        if self.ipc_transport:
            # Unix socket paths are limited to ~107 bytes: keep the folder short.
            self._ipc_dir = tempfile.mkdtemp(prefix="edgelab-k", dir=_short_tmp())
            km.transport = "ipc"
            km.ip = os.path.join(self._ipc_dir, "k")
        return km

    async def async_start_new_kernel(self, **kwargs: Any) -> None:
        """Start the kernel with its stdout and stderr in ``kernel_log`` (if given)."""
        if self._kernel_log is not None:
            kwargs.setdefault("stdout", self._kernel_log)
            kwargs.setdefault("stderr", self._kernel_log)
        await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_start_new_kernel_client(self) -> Any:
        """The kernel client, with bounded waits, re-armed sends and stall detection."""
        kc = await super().async_start_new_kernel_client()
        if self.bounded_waits:
            kc.shell_channel.get_msg = repolling(kc.shell_channel.get_msg,
                                                 on_empty=self.watch.check)
            kc.iopub_channel.get_msg = self._watching(repolling(kc.iopub_channel.get_msg))
        if self.rearm_after_send:
            kc.shell_channel.send = _rearming(kc.shell_channel)
        execute = kc.execute

        def execute_tracked(*args: Any, **kw: Any) -> str:
            msg_id: str = execute(*args, **kw)
            self.watch.sent(msg_id)
            return msg_id

        kc.execute = execute_tracked
        return kc

    # nbclient binds the synchronous twin to the base coroutine at class creation: rebind it.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def _async_poll_kernel_alive(self) -> None:
        """nbclient's once-a-second liveness check, ending quietly once the client is gone.

        nbclient cancels this task on its own exit paths only; after a
        :class:`KernelStallError` the client is cleaned up while the task still runs, and
        nbclient's version then fails an assertion that asyncio prints at exit.
        """
        from nbclient.exceptions import DeadKernelError

        while True:
            await asyncio.sleep(1)
            if self.kc is None:
                return
            try:
                await self._async_check_alive()
            except DeadKernelError:
                if self.task_poll_for_reply is not None:
                    self.task_poll_for_reply.cancel()
                return

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kw: Any) -> Any:
        """As nbclient's, remembering which cell runs (for :class:`KernelStallError`)."""
        self.watch.cell_index = cell_index
        return await super().async_execute_cell(cell, cell_index, *args, **kw)

    execute_cell = run_sync(async_execute_cell)

    def cleanup_ipc(self) -> None:
        """Remove the private IPC folder (the kernel manager removes the sockets themselves)."""
        if self._ipc_dir is not None:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None

    def _watching(self, get_msg: GetMsg) -> GetMsg:
        """Pass every IOPub message past :attr:`watch` (busy and idle of the cell in flight)."""

        async def get_msg_watched(timeout: float | None = None) -> dict[str, Any]:
            msg = await get_msg(timeout=timeout)
            self.watch.status(msg)
            return msg

        return get_msg_watched


def _rearming(channel: Any) -> Callable[[dict[str, Any]], None]:
    """``channel.send`` followed by a ``ZMQ_EVENTS`` read through the asyncio socket."""
    send = channel.send

    def send_rearmed(msg: dict[str, Any]) -> None:
        send(msg)
        with contextlib.suppress(zmq.ZMQError):
            channel.socket.get(zmq.EVENTS)  # pyzmq schedules a waiting message's handler

    return send_rearmed


def _short_tmp() -> str | None:
    """A temporary folder whose path leaves room for Unix socket names."""
    tmp = tempfile.gettempdir()
    return tmp if len(tmp) < 60 else ("/tmp" if os.path.isdir("/tmp") else None)


class EdgelabEngine(NBClientEngine):
    """papermill's default engine with :class:`EdgelabNotebookClient`."""

    client_class: type[EdgelabNotebookClient] = EdgelabNotebookClient

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                 stdout_file: Any = None, stderr_file: Any = None,
                                 start_timeout: float = 60, execution_timeout: float | None = None,
                                 kernel_log: str | os.PathLike[str] | None = None,
                                 **kwargs: Any) -> Any:
        """As :meth:`papermill.engines.NBClientEngine.execute_managed_notebook`.

        ``kernel_log`` is a file that receives the kernel process's stdout and stderr.
        """
        kwargs.pop("input_path", None)
        for k in ("timeout", "startup_timeout"):
            kwargs.pop(k, None)
        with contextlib.ExitStack() as stack:
            log = (stack.enter_context(open(kernel_log, "w", encoding="utf-8"))  # noqa: SIM115
                   if kernel_log is not None else None)
            client = cls.client_class(
                nb_man, timeout=execution_timeout or None, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, kernel_log=log, **kwargs,
            )
            stack.callback(client.cleanup_ipc)
            return client.execute()


papermill_engines.register(ENGINE, EdgelabEngine)




def execute_notebook(input_path: str, output_path: str, **kwargs: Any) -> Any:
    """:func:`papermill.execute_notebook` on the :data:`ENGINE` engine.

    Extra keyword ``kernel_log``: a file for the kernel process's stdout and stderr.
    """
    import papermill as pm

    kwargs.setdefault("engine_name", ENGINE)
    return pm.execute_notebook(input_path, output_path, **kwargs)
