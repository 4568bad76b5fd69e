"""cityconv: reproducible analysis behind the City Conversation book.

The package holds every piece of logic the notebooks use, so that notebooks stay thin
(narrative, a parameters cell, calls into this package, figures) and the logic is unit tested.
"""

import sys
from importlib.metadata import PackageNotFoundError, version

# jsonschema (imported by nbformat, hence by every command and papermill run) imports the optional
# `rfc3987_syntax` at import time, which compiles 39 Lark grammars: 2-7 s on this machine, on every
# `cityconv` command (python-jsonschema/jsonschema#1428). It only checks the "iri" and
# "iri-reference" string formats, which no schema we validate (notebooks, our data schemas) uses.
# Marking it absent in our own processes makes jsonschema skip those two checkers; the package stays
# installed for jupyter-events, which runs in JupyterLab's process, not ours.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

try:
    __version__ = version("cityconv")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
