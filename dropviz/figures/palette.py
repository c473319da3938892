"""The one palette (Okabe-Ito, colour-blind safe). Plain constants with no plotting imports, so the registry
(:mod:`dropviz.methods`) can give every method its colour without loading Plotly."""

BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILION = "#D55E00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
YELLOW = "#F0E442"
GREY = "#B0B0B0"
LIGHT = "#E6E6E6"
INK = "#222222"
BLACK = "#000000"

NO_DROPOUT = GREY  # the baseline model without dropout, wherever it is drawn beside methods
