import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from models import checkpoint
from models.checkpoint import count_parameters
from models.cnn import DigitCNN, DigitCNNConfig
from models.digits import analyse, classify, conv_step


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return DigitCNN().eval()


def test_shapes_of_every_intermediate(model):
    out = model(torch.rand(2, 1, 28, 28))
    assert out.logits.shape == (2, 10)
    assert out.conv1_pre.shape == (2, 32, 28, 28)
    shapes = {name: tuple(fmap.shape) for name, fmap in out.feature_maps.items()}
    assert shapes == {
        "conv1": (2, 32, 28, 28),
        "conv2": (2, 32, 28, 28),
        "conv3": (2, 64, 14, 14),
        "conv4": (2, 64, 14, 14),
        "conv5": (2, 128, 7, 7),
    }
    torch.testing.assert_close(out.probs.sum(-1), torch.ones(2))
    assert torch.equal(out.feature_maps["conv1"], out.conv1_pre.relu())


def test_small_enough():
    assert count_parameters(DigitCNN()) <= 250_000


def test_deterministic(model):
    x = torch.rand(3, 1, 28, 28)
    with torch.inference_mode():
        torch.testing.assert_close(model(x).logits, model(x).logits, rtol=0, atol=0)
    torch.manual_seed(7)
    a = DigitCNN()
    torch.manual_seed(7)
    b = DigitCNN()
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb)


def test_forward_keeps_no_state_on_the_module(model):
    before = set(vars(model)) | {name for name, _ in model.named_modules()}
    hooks_before = [len(m._forward_hooks) for m in model.modules()]
    model(torch.rand(1, 1, 28, 28))
    assert set(vars(model)) | {name for name, _ in model.named_modules()} == before
    assert [len(m._forward_hooks) for m in model.modules()] == hooks_before


def test_concurrent_callers_get_their_own_results(model):
    """One cached model serves many sessions at once: results must not cross threads."""
    rng = np.random.default_rng(0)
    images = rng.random((8, 28, 28)).astype(np.float32)
    expected = [analyse(model, image) for image in images]
    results = [None] * len(images)

    def work(i):
        for _ in range(5):
            results[i] = analyse(model, images[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(images))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected, strict=True):
        np.testing.assert_allclose(got.probs, want.probs, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got.feature_maps["conv5"], want.feature_maps["conv5"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("row", "col"), [(0, 0), (0, 27), (13, 9), (27, 27), (27, 0)])
def test_conv_step_by_hand_matches_pytorchs_convolution(model, row, col):
    """The page's spelled-out dot product must equal the network's own feature map, borders included."""
    image = np.random.default_rng(row * 28 + col).random((28, 28)).astype(np.float32)
    analysis = analyse(model, image)
    with torch.no_grad():
        reference = F.conv2d(torch.from_numpy(image)[None, None], model.conv1.weight, model.conv1.bias, padding=1)[0]
    for channel in (0, 5, 31):
        step = conv_step(image, analysis.conv1_weight[channel], analysis.conv1_bias[channel], row, col)
        assert step["value"] == pytest.approx(float(reference[channel, row, col]), abs=1e-5)
        assert step["value"] == pytest.approx(float(analysis.conv1_pre[channel, row, col]), abs=1e-5)
        np.testing.assert_allclose(step["product"], step["patch"] * analysis.conv1_weight[channel])


def test_classify_accepts_uint8_and_float(model):
    images = np.random.default_rng(1).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.testing.assert_allclose(classify(model, images), classify(model, images / 255.0), atol=1e-6)
    assert classify(model, np.zeros((0, 28, 28), np.float32)).shape == (0, 10)


def test_checkpoint_round_trip(tmp_path, model):
    checkpoint.save("cnn", model, model.config, {"metrics": {"x": 1}}, tmp_path)
    loaded, manifest = checkpoint.load("cnn", DigitCNN, DigitCNNConfig, tmp_path)
    assert manifest["metrics"] == {"x": 1} and manifest["config"]["conv5_channels"] == 128
    x = torch.rand(2, 1, 28, 28)
    with torch.inference_mode():
        torch.testing.assert_close(loaded(x).logits, model(x).logits)


def test_missing_and_corrupt_weights_say_how_to_rebuild(tmp_path, model):
    with pytest.raises(checkpoint.WeightsError, match="missing.*python -m training.train_cnn"):
        checkpoint.load("cnn", DigitCNN, DigitCNNConfig, tmp_path)
    checkpoint.save("cnn", model, model.config, {}, tmp_path)
    (tmp_path / "cnn.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(checkpoint.WeightsError, match="corrupt.*python -m training.train_cnn"):
        checkpoint.load("cnn", DigitCNN, DigitCNNConfig, tmp_path)
    (tmp_path / "cnn.json").write_text("{ truncated")
    with pytest.raises(checkpoint.WeightsError, match="unreadable"):
        checkpoint.load("cnn", DigitCNN, DigitCNNConfig, tmp_path)
