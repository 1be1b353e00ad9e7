"""Verification layer (Z3): machine-checked proof steps, exact instance checks, counterexample search.

Builds on theory/; the results it checks are theory/'s objects.
"""
