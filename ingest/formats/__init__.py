"""One module per input format; each turns a Source into Articles or per-record errors."""
