"""runtime.py: the process's settings in one place. Nothing happens at import; paths follow the
environment when they are read."""

import subprocess
import sys

import pytest

import runtime


def test_importing_the_app_layers_leaves_torch_threads_alone():
    code = (
        "import torch; torch.set_num_threads(2); import ui.resources, models.ner, runtime; "
        "before = torch.get_num_threads(); runtime.configure_threads(); print(before, torch.get_num_threads())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["2", "1"]


def test_folders_follow_the_environment_when_read(tmp_path, monkeypatch):
    monkeypatch.delenv(runtime.WEIGHTS_ENV, raising=False)
    monkeypatch.delenv(runtime.CACHE_ENV, raising=False)
    assert runtime.weights_dir() == runtime.PROJECT_ROOT / "weights"
    assert runtime.cache_dir() == runtime.PROJECT_ROOT / ".cache"
    monkeypatch.setenv(runtime.WEIGHTS_ENV, str(tmp_path / "w"))
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path / "c"))
    assert runtime.weights_dir() == tmp_path / "w"
    assert runtime.cache_dir() == tmp_path / "c"


def test_data_dir_comes_from_the_flag_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(runtime.DATA_ENV, str(tmp_path / "env"))
    assert runtime.data_dir() == tmp_path / "env"
    assert runtime.data_dir(tmp_path) == tmp_path
    monkeypatch.delenv(runtime.DATA_ENV)
    assert runtime.data_dir() == runtime.PROJECT_ROOT.parent / "shared" / "data"


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_slot_count_is_refused_with_its_name(monkeypatch, value):
    monkeypatch.setenv(runtime.SLOTS_ENV, value)
    with pytest.raises(ValueError, match=runtime.SLOTS_ENV):
        runtime.live_slots()


def test_slots_come_from_the_environment_else_the_cores(monkeypatch):
    monkeypatch.setenv(runtime.SLOTS_ENV, "3")
    assert runtime.live_slots() == 3
    monkeypatch.delenv(runtime.SLOTS_ENV)
    cores = len(runtime.os.sched_getaffinity(0))
    assert runtime.live_slots() == max(1, cores - 1)


def test_the_class_wait_comes_from_the_environment_and_0_turns_shares_off(monkeypatch):
    monkeypatch.delenv(runtime.CLASS_WAIT_ENV, raising=False)
    assert runtime.class_wait_s() == runtime.CLASS_WAIT_S
    monkeypatch.setenv(runtime.CLASS_WAIT_ENV, "45.5")
    assert runtime.class_wait_s() == 45.5
    monkeypatch.setenv(runtime.CLASS_WAIT_ENV, "0")
    assert runtime.class_wait_s() is None
    for bad in ("soon", "-3", "inf", "nan"):
        monkeypatch.setenv(runtime.CLASS_WAIT_ENV, bad)
        with pytest.raises(ValueError, match=runtime.CLASS_WAIT_ENV):
            runtime.class_wait_s()


def test_handing_memory_back_is_safe_to_repeat():
    for _ in range(3):
        runtime.release_freed_memory()
