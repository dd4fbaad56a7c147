"""What training/train_cnn.py and training/train_rnn.py share."""
