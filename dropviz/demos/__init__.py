"""The computations behind each page section (dense, conv, recurrent): pure functions of (p, seed, sizes,
device) that return numpy results in small frozen dataclasses. Pages cache them, figures draw them, claims check
them. :mod:`.conv` needs Pillow (through the bundled cat); the others need torch and numpy only."""
