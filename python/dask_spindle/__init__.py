"""Dask clusters on Hadoop YARN with Spindle.

``YarnCluster`` takes dask-yarn's arguments and drives the ``spindle``
binary installed with this package (the CLI's ``--json`` output); it
implements no YARN protocol itself.
"""

from .core import SpindleError, YarnCluster, spindle_binary

__all__ = ["YarnCluster", "SpindleError", "spindle_binary"]
__version__ = "0.1.0"
