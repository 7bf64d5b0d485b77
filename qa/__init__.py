"""newsdesk: question answering over news archives, every claim cited.

Importing this package is light: torch, chromadb and gradio load only when first needed.
"""

from qa.assistant import Assistant
from qa.config import Settings
from qa.errors import NewsdeskError
from qa.types import Answer, Article, Citation, IngestReport, Passage

__all__ = [
    "Answer",
    "Article",
    "Assistant",
    "Citation",
    "IngestReport",
    "NewsdeskError",
    "Passage",
    "Settings",
]
__version__ = "0.1.0"
