"""Configuration file, several workers, per-Host origins, access log."""
import os
import threading
import urllib.request

from edge_harness import Origin, Resp, get


def test_toml_config_routes_purge_and_threads(origin, edge_factory, tmp_path):
    other = Origin()
    try:
        origin.route("/x", Resp(200, [("Cache-Control", "max-age=60"), ("Surrogate-Key", "t")], b"default"))
        other.route("/x", Resp(200, [("Cache-Control", "max-age=60"), ("Surrogate-Key", "t")], b"other"))
        log = tmp_path / "access.log"
        cfg = """
threads = 2
access_log = "%s"
[cache]
memory = "8mb"
[purge]
tokens = ["tok"]
allow_method = true
[[origins]]
host = "other.example"
url = "%s"
""" % (log, other.url)
        e = edge_factory(origin.url, config=cfg)
        # Many connections land on both workers (SO_REUSEPORT).
        for _ in range(20):
            assert get(e, "/x").body == b"default"
            assert get(e, "/x", host="other.example").body == b"other"
        assert 1 <= origin.count("/x") <= 2 and 1 <= other.count("/x") <= 2
        assert e.metric("workers") == 2
        # A purge reaches every worker's shard.
        r = get(e, "/", method="PURGE", headers=[("Authorization", "Bearer tok"), ("Purge-Tag", "t")])
        assert r.status == 200
        assert e.metric("objects") == 0
        before = origin.count("/x")
        get(e, "/x")
        assert origin.count("/x") == before + 1
        lines = open(log).read().splitlines()
        assert any('"GET /x HTTP/1.1" 200 7 HIT' in l for l in lines)
        assert any("PURGE" in l for l in lines)
    finally:
        other.stop()


def test_bad_config_is_reported(origin, edge_factory, tmp_path):
    import subprocess
    from edge_harness import EDGE_BIN
    bad = tmp_path / "bad.toml"
    bad.write_text("[cache\nmemory = 1")
    p = subprocess.run([EDGE_BIN, "--config", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2 and "config" in p.stderr
    bad.write_text('origin = "http://127.0.0.1:1"\n[cache]\nmemory = "lots"\n')
    p = subprocess.run([EDGE_BIN, "--config", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2 and "invalid cache.memory" in p.stderr


def run_with_config(tmp_path, text):
    """Runs strata-edge with a configuration it is expected to refuse at start-up."""
    import subprocess
    from edge_harness import EDGE_BIN, free_port
    cfg = tmp_path / "edge.toml"
    cfg.write_text('origin = "http://127.0.0.1:1"\n' + text)
    return subprocess.run([EDGE_BIN, "--config", str(cfg), "--listen", "127.0.0.1:%d" % free_port(),
                           "--admin", "127.0.0.1:%d" % free_port()],
                          capture_output=True, text=True, timeout=10)


def test_set_cookie_keys_are_validated(tmp_path):
    p = run_with_config(tmp_path, '[cache]\nstore_set_cookie = "yes"\n')
    assert p.returncode == 2 and "cache.store_set_cookie must be true or false" in p.stderr
    p = run_with_config(tmp_path, '[cache]\nrefuse_set_cookie = 1\n')
    assert p.returncode == 2 and "cache.refuse_set_cookie must be true or false" in p.stderr
    p = run_with_config(tmp_path, "[cache]\nstore_set_cookie = true\nrefuse_set_cookie = true\n")
    assert p.returncode == 2
    assert "cache.store_set_cookie" in p.stderr and "cache.refuse_set_cookie" in p.stderr


def test_body_timeout_keys_are_validated(tmp_path):
    for text, key in [("client_body_ms = 0", "timeouts.client_body_ms"),
                      ('client_body_ms = "5s"', "timeouts.client_body_ms"),
                      ("client_body_min_rate = -1", "timeouts.client_body_min_rate"),
                      ('client_body_min_rate = "1kb"', "timeouts.client_body_min_rate"),
                      ("client_body_grace_ms = 1.5", "timeouts.client_body_grace_ms"),
                      ("client_body_grace_ms = -5", "timeouts.client_body_grace_ms")]:
        p = run_with_config(tmp_path, "[timeouts]\n%s\n" % text)
        assert p.returncode == 2 and (key + " must be") in p.stderr, (text, p.stderr)


def test_listen_port_in_use_exits_one(origin, edge):
    # The workers listen on a SO_REUSEPORT group; a second edge on the same port must fail
    # instead of joining the group and answering some of the first one's clients.
    import subprocess
    from edge_harness import EDGE_BIN, free_port
    p = subprocess.run([EDGE_BIN, "--origin", origin.url, "--listen", "127.0.0.1:%d" % edge.port,
                        "--admin", "127.0.0.1:%d" % free_port()],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 1, p.stderr
    assert "Address already in use" in p.stderr
    origin.route("/mine", Resp(200, [("Cache-Control", "max-age=60")], b"first"))
    for _ in range(10):
        assert get(edge, "/mine").body == b"first"
