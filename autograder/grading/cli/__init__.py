"""``backprop-grade``, the instructor's tool: ``app`` (commands), ``collect``, ``demo``."""
