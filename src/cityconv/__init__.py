"""cityconv: reproducible analysis behind the City Conversation book.

The package holds every piece of logic the notebooks use, so that notebooks stay thin
(narrative, a parameters cell, calls into this package, figures) and the logic is unit tested.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cityconv")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
