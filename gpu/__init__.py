"""Practice layer: a pure-JAX BERT-family text classifier, its corpora, and the collective on text.

Builds on numerics/ (sweep store) and theory/ (the bounds drawn next to measured curves).
"""
