"""The passage index: Chroma, the local keyword index beside it, and the protocol that keeps the
two in step (qa.index.passage_index.PassageIndex owns it)."""
