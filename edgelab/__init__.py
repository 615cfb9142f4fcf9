"""edgelab: the interactive companion and benchmark suite for the surveys on edge intelligence.

Data flows one way (see DESIGN): catalog → profile → cost → technique → record → pipeline.
The backbone survey is Zhou et al., "Edge Intelligence: Paving the Last Mile of Artificial
Intelligence With Edge Computing", Proc. IEEE 2019 (seed 003).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("edgelab")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

__all__ = ["__version__"]
