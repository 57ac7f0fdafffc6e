"""spinefx: care of spinal compression fractures, from first back pain to secondary prevention.

One core, three shells: the pure clinical rules in :mod:`spinefx.clinical`, the specialist
directory in :mod:`spinefx.directory`, and the CLI (:mod:`spinefx.cli`) and web app
(:mod:`spinefx.web`) over them.
"""

from spinefx.errors import DataError, DirectoryNotLoaded, InputError, SpinefxError

__version__ = "0.1.0"

__all__ = ["DataError", "DirectoryNotLoaded", "InputError", "SpinefxError", "__version__"]
