"""The app's model colours, one place: Okabe-Ito hues, distinct for colour-blind readers and on a projector."""

MODEL_COLOURS = {"cnn": "#0072B2", "rnn": "#D55E00"}  # blue for the CNN, vermilion for the RNN, on every page
PRETRAINED_COLOUR = "#009E73"  # bluish green: the app's pretrained CNN, beside the live models
