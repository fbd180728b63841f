"""The leaf layer: helpers and texts that every other part of the engine may use.

Nothing here imports anything else of the engine; the layer test (tests/test_layers.py) holds it so.
"""
