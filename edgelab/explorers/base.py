"""The one shape of every explorer: controls, a headless ``compute``, a matplotlib ``figure``.

An explorer is a thin ipywidgets front end over edgelab's functions. Subclasses build their
widgets in ``__init__`` (every control a public attribute, listed in ``controls``; an
``output`` :class:`ipywidgets.Output` for the figure; ``widget``, the box shown in a notebook),
then call :meth:`Explorer.start`. They implement :meth:`compute` (no drawing: tests and
benchmarks call it headless, ``draw=False``) and :meth:`figure` (a matplotlib figure of the
current state). :meth:`update` runs both; :meth:`set` changes several controls at once.
An explorer with a ``summary`` :class:`ipywidgets.HTML` may implement :meth:`describe`, whose
text :meth:`update` puts there after each compute.

**A static figure behind every widget.** Shown in a notebook, an explorer publishes one display
bundle (:meth:`Explorer.mime_bundle`) holding the live widget
(``application/vnd.jupyter.widget-view+json``), a PNG of its initial state (``image/png``) and a
line of text (``text/plain``). A live front end (JupyterLab, Notebook 7, VS Code) renders the
widget; a reader without a kernel or without widget state (an executed notebook on GitHub,
nbconvert HTML, a book built from the notebooks) falls back to the PNG and sees the plot that
the widget would show first, instead of ``VBox(children=...)``.

The chapters' explorers: :mod:`edgelab.explorers.levels` (seed 003 §III-B),
:mod:`edgelab.explorers.paradigms` (seed 001 §II, seed 003 §III-A),
:mod:`edgelab.explorers.primer` (seed 003 §II-D and §V-C.1).
"""

from __future__ import annotations

import base64
import io
from typing import Any

__all__ = ["Explorer", "STATIC_DPI", "figure_png", "render_png", "set_controls"]

#: Resolution of the static PNG published with every explorer (the live output's too).
STATIC_DPI = 80


class Explorer:
    """Base class of the chapters' explorers (see the module docstring)."""

    controls: tuple[Any, ...] = ()
    output: Any = None
    widget: Any = None
    summary: Any = None
    draw_figures: bool = True
    n_updates: int = 0

    def start(self) -> None:
        """Observe every control and compute the first state (call at the end of ``__init__``)."""
        for c in self.controls:
            c.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, _change: dict[str, Any]) -> None:
        self.update()

    def compute(self) -> None:
        """Recompute the explorer's results from its controls (no drawing)."""
        raise NotImplementedError(f"{type(self).__name__} must implement compute()")

    def figure(self) -> Any:
        """A matplotlib figure of the current state."""
        raise NotImplementedError(f"{type(self).__name__} must implement figure()")

    def describe(self) -> str | None:
        """HTML text for :attr:`summary` of the current state; ``None`` leaves it as it is."""
        return None

    def update(self) -> None:
        """Recompute, refresh the summary (see :meth:`describe`), then redraw if drawing is on."""
        self.compute()
        self.n_updates += 1
        text = self.describe()
        if text is not None and self.summary is not None:
            self.summary.value = text
        if self.draw_figures:
            self.draw()

    def draw(self) -> None:
        """Redraw the figure into :attr:`output` as a PNG, whatever the matplotlib backend
        (the PNG is kept for :meth:`static_png`)."""
        data = render_png(self.output, self.figure())
        self._png = (self.n_updates, data) if isinstance(data, bytes) else None

    def set(self, **values: Any) -> Explorer:
        """Set several controls by attribute name with observers paused, then update once."""
        names = ", ".join(self.control_names())
        set_controls(self, values, names)
        return self

    def control_names(self) -> list[str]:
        """The attribute names of the controls, in order."""
        by_id = {id(v): k for k, v in vars(self).items()}
        return [by_id[id(c)] for c in self.controls if id(c) in by_id]

    def static_png(self) -> bytes:
        """PNG bytes of :meth:`figure` in the current state (the static copy of the widget);
        the one :meth:`draw` made last, when it is of the current state."""
        cached = getattr(self, "_png", None)
        if cached is not None and cached[0] == self.n_updates:
            return cached[1]
        return figure_png(self.figure())

    def static_text(self) -> str:
        """The ``text/plain`` line of the display bundle: what the static figure shows."""
        names = ", ".join(self.control_names())
        return (f"{type(self).__name__}: static figure of the initial state (live controls: "
                f"{names}; run the notebook to use them)")

    def mime_bundle(self) -> dict[str, Any]:
        """The display bundle: the live widget's view, a PNG of the current state, a text line.

        Front ends with a widget manager render ``application/vnd.jupyter.widget-view+json``;
        static renderers (nbconvert, GitHub, a book) the ``image/png``. An explorer without a
        widget (``widget = None``) publishes the PNG and the text only.
        """
        bundle: dict[str, Any] = {}
        view = getattr(self.widget, "_repr_mimebundle_", None)
        if view is not None:
            data = view()
            if isinstance(data, tuple):  # (data, metadata)
                data = data[0]
            bundle.update(data or {})
        bundle["image/png"] = base64.b64encode(self.static_png()).decode("ascii")
        bundle["text/plain"] = self.static_text()
        return bundle

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.mime_bundle()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.mime_bundle(), raw=True)


def figure_png(fig: Any, dpi: int = STATIC_DPI) -> bytes:
    """PNG bytes of a matplotlib figure (any backend), closing the figure."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def render_png(output: Any, fig: Any, dpi: int = STATIC_DPI) -> bytes:
    """Show ``fig`` in an ``ipywidgets.Output`` as a PNG (works with any matplotlib backend),
    replacing what was there, and close the figure; returns the PNG. Shared by every explorer."""
    from IPython.display import Image, clear_output, display

    data = figure_png(fig, dpi)
    with output:
        clear_output(wait=True)
        display(Image(data=data, format="png"))
    return data


def set_controls(explorer: Any, values: dict[str, Any], valid: str) -> None:
    """Set several of an explorer's controls with its observers paused, then update once.

    ``explorer`` has ``controls`` (the widgets), ``_on_change`` and ``update()``; ``valid``
    names the controls for the error message.
    """
    unknown = [k for k in values
               if not hasattr(explorer, k) or getattr(explorer, k) not in explorer.controls]
    if unknown:
        raise ValueError(f"unknown controls {unknown}; valid: {valid}")
    for c in explorer.controls:
        c.unobserve(explorer._on_change, names="value")
    try:
        for k, v in values.items():
            getattr(explorer, k).value = v
    finally:
        for c in explorer.controls:
            c.observe(explorer._on_change, names="value")
    explorer.update()
