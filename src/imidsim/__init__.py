"""imidsim: a mechanistic simulator of IMiDs and CELMoDs in B-cell neoplasms."""

__version__ = "0.1.0"
