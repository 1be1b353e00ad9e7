"""critmass: the command-line app on top of theory/, verify/, numerics/ and gpu/.

Holds the CLI and, later, the report; the layers hold the science.
"""

__version__ = "0.1.0"
