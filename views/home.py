import streamlit as st

from models.preprocess import MNIST_SIZE
from ui import resources

st.title("CNN vs RNN, live")
cnn_manifest = resources.measured_json("cnn.json") or {}
kernel = cnn_manifest.get("config", {}).get("kernel_size")
window = f"fixed {kernel}×{kernel} window" if kernel else "small fixed window"
st.markdown(
    f"""
See how two kinds of neural network work, on real models trained on real data.

- A **convolutional network (CNN)** slides small filters over an image. Each filter looks at a
  {window} at a time and lights up where its pattern appears; layer by layer, simple
  edges become strokes, and strokes become digits.
- A **recurrent network (RNN)** reads a sequence one step at a time and carries a memory of what
  it has read so far: the right tool for text, where a word's meaning depends on its neighbours.
"""
)

st.subheader("Pages")
st.page_link("views/digits.py", label="Draw a digit → CNN", icon="✏️")
st.caption(
    f"Draw a digit and watch it become an MNIST-style {MNIST_SIZE}×{MNIST_SIZE} image; see the CNN's filters, every "
    "layer's feature maps, one convolution step spelled out, and how training shaped the filters."
)
st.page_link("views/pen.py", label="Draw in time → RNN", icon="🖊️")
st.caption(
    "Draw a digit and watch a recurrent network read your pen's path point by point, guessing as you go, beside "
    "the CNN that sees only the picture. Shuffle the points: the picture, and the CNN's answer, stay the same."
)
st.page_link("views/text.py", label="Type text → RNN", icon="⌨️")
st.caption(
    "Type a sentence and see the names in it labelled by a bidirectional LSTM with a CRF: who is a person, what is "
    "a place. Hover for the tagger's confidence, and ask which words made it choose each label."
)
st.page_link("views/compare.py", label="CNN vs RNN, side by side", icon="⚖️")
st.caption(
    "The same digit through a CNN and a row-by-row RNN, the same sentence through a convolutional tagger and the "
    "BiLSTM: what each sees, how each decides, and their size, accuracy and speed, all measured."
)
st.page_link("views/train.py", label="Train them yourself", icon="🏋️")
st.caption(
    "Train a small CNN and a row-by-row LSTM from random weights, live and side by side: their curves, the CNN's "
    "filters turning from noise, what each still gets wrong. Then teach the CNN a symbol of your own in seconds."
)
