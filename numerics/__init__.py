"""Simulation layer (JAX): exact and finite-sample success on discrete instances, learners, sweeps.

Builds on theory/ and compares every simulated quantity with the bound theory/ gives for it.
"""
