"""The one exception type for bad input, shared by every layer of critmass.

The command-line app turns an InputError into a one-line message and exit code 2.
"""


class InputError(ValueError):
    """Input that is outside what a function accepts; the message names the value and what was expected."""
