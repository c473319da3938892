"""DropViz: dropout and its variants, computed live. See README.md."""

__version__ = "0.1.0"
