"""The secret key kept in the instance folder: created once, whole, even when several processes
start together on a new instance (four gunicorn workers), and an empty file left by a crash is
replaced."""

from __future__ import annotations

import os
import threading

from blog import _instance_secret_key


def test_processes_starting_together_all_get_the_same_whole_key(tmp_path):
    keys: list[str] = []
    barrier = threading.Barrier(16)

    def start():
        barrier.wait()
        keys.append(_instance_secret_key(tmp_path))

    threads = [threading.Thread(target=start) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(keys) == 16 and len(set(keys)) == 1 and len(keys[0]) == 64
    assert (tmp_path / "secret_key").read_text() == keys[0]
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert sorted(os.listdir(tmp_path)) == ["secret_key"]  # no temporary file left behind


def test_an_empty_key_file_left_by_a_crash_is_replaced(tmp_path):
    (tmp_path / "secret_key").write_text("")
    key = _instance_secret_key(tmp_path)
    assert len(key) == 64 and _instance_secret_key(tmp_path) == key
