"""What training/train_speller.py and `python -m training.evaluate speller` need: the dictionary, typos,
the edit model (channel), sounds, the two language models (charlm, context), the corpus and sentence sets,
the ranker and the evaluation."""
