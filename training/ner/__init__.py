"""What training/train_ner.py needs: its data (data.py), the tagger it builds (model.py) and its loop (loop.py)."""
