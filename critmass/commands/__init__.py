"""The CLI's commands, one module per layer: each exposes ``register(subparsers)``."""
