"""Answers: reading the retrieved evidence, refusing or answering with checked citations.

- question.py, slots.py: what a question asks for, and the spans of a sentence that fill it;
- evidence.py, reading.py: the refusal rules and the reading of the evidence every answerer shares;
- extractive.py: the Answerer base and the extractive answerer (no LLM); yesno.py its yes/no part;
- llm.py: the answerer over any llama-index LLM, its answer checks and the extractive fallback;
- citations.py: the [n] marker format and the renderers of a cited answer;
- conversation.py: follow-up questions made standalone;
- llamaindex.py: answers and passages as llama-index parts (a query engine and a retriever).
"""
