"""ui/resources.py does no work at import: the thread count is set by one explicit call, and weight
files are found when they are read."""

import runtime
from ui import resources


def test_weight_files_follow_the_weights_folder_when_read(tmp_path, monkeypatch):
    assert resources.weights_file("cnn_filters.npz") == runtime.weights_dir() / "cnn_filters.npz"
    monkeypatch.setenv("CNNRNN_WEIGHTS", str(tmp_path))
    assert resources.weights_file("cnn_filters.npz") == tmp_path / "cnn_filters.npz"
