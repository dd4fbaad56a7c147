"""ui/resources.py does no work at import: the thread count is set by one explicit call, and weight
files are found when they are read."""

import subprocess
import sys

from models import checkpoint
from ui import resources


def test_importing_the_resources_leaves_torch_threads_alone():
    code = (
        "import torch; torch.set_num_threads(2); import ui.resources as r; before = torch.get_num_threads(); "
        "r.configure_runtime(); print(before, torch.get_num_threads())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["2", str(resources.SERVER_THREADS)]


def test_weight_files_follow_the_weights_folder_when_read(tmp_path, monkeypatch):
    assert resources.weights_file("cnn_filters.npz") == checkpoint.WEIGHTS_DIR / "cnn_filters.npz"
    monkeypatch.setattr(checkpoint, "WEIGHTS_DIR", tmp_path)
    assert resources.weights_file("cnn_filters.npz") == tmp_path / "cnn_filters.npz"
