"""One authority per request: the cache key, the [[origins]] route and the Host sent upstream
all come from the same place (RFC 9112 §3.2.2: an absolute-form target's authority wins over
the Host field)."""
import pytest

from edge_harness import Client, Origin, Resp, connect, get, read_response


def named(name):
    """A name-based origin: the body says which server answered and the Host it saw."""
    def handler(req):
        body = "%s origin, Host: %s, target: %s" % (name, req.header("Host"), req.target)
        return Resp(200, [("Cache-Control", "max-age=60")], body.encode())
    return handler


@pytest.fixture
def hosts(edge_factory):
    """An edge with a default origin and two name-based [[origins]] (victim and attacker)."""
    origins = {name: Origin() for name in ("default", "victim", "attacker")}
    for name, o in origins.items():
        o.route("/home", named(name))
        o.route("/form", named(name))

    def start(threads=1):
        cfg = ('threads = %d\n'
               '[[origins]]\nhost = "victim.example"\nurl = "%s"\n'
               '[[origins]]\nhost = "attacker.example"\nurl = "%s"\n'
               % (threads, origins["victim"].url, origins["attacker"].url))
        return edge_factory(origins["default"].url, config=cfg)

    yield origins, start
    for o in origins.values():
        o.stop()


@pytest.mark.parametrize("threads", [1, 2])
def test_absolute_form_target_cannot_poison_another_host(hosts, threads):
    origins, start = hosts
    e = start(threads)
    # The attacker names the victim in the target and itself in Host.
    c = Client(e.port)
    poison = c.request("GET", "http://victim.example/home", host="attacker.example")
    c.close()
    # A later visitor of the victim gets the victim's content, fetched with the victim's Host.
    r = get(e, "/home", host="victim.example")
    assert r.status == 200
    assert r.body == b"victim origin, Host: victim.example, target: /home"
    assert origins["attacker"].count() == 0
    assert [q.header("Host") for q in origins["victim"].seen("/home")] == ["victim.example"]
    # The absolute-form request itself was answered for its target's authority.
    assert poison.body == b"victim origin, Host: victim.example, target: /home"
    assert r.header("X-Cache") == "HIT"
    # The attacker's own name still reaches the attacker's origin under its own key.
    r = get(e, "/home", host="attacker.example")
    assert r.body == b"attacker origin, Host: attacker.example, target: /home"
    assert origins["default"].count() == 0


def test_absolute_form_pass_is_routed_by_its_authority(hosts):
    origins, start = hosts
    e = start()
    c = Client(e.port)
    r = c.request("POST", "http://Victim.Example:80/form?x=1", body=b"abc", host="attacker.example")
    c.close()
    assert r.status == 200
    assert r.body == b"victim origin, Host: victim.example, target: /form?x=1"
    assert origins["attacker"].count() == 0 and origins["default"].count() == 0
    # https targets name an authority too; a query right after it keeps the root path.
    c = Client(e.port)
    r = c.request("GET", "https://victim.example?q=2", host="attacker.example")
    c.close()
    assert r.status == 404  # no route for "/?q=2" on the victim's origin, but it was asked
    assert origins["victim"].count() == 2 and origins["attacker"].count() == 0
    assert origins["victim"].requests[-1].target == "/?q=2"


@pytest.mark.parametrize("target", ["ftp://victim.example/home", "http:///home", "http://:80/home",
                                    "http://user@victim.example/home", "victim.example/home",
                                    "http//victim.example/home", "http://victim.example:x/home"])
def test_unusable_targets_are_rejected(hosts, target):
    origins, start = hosts
    e = start()
    c = Client(e.port)
    r = c.request("GET", target, host="victim.example")
    assert r.status == 400, target
    assert c.closed()
    assert sum(o.count() for o in origins.values()) == 0


@pytest.mark.parametrize("host", ["victim.example:99999", "victim.example:8o", "{victim}.example",
                                  "[::1"])
def test_invalid_host_is_rejected(hosts, host):
    origins, start = hosts
    e = start()
    c = Client(e.port)
    r = c.request("GET", "/home", host=host)
    assert r.status == 400, host
    assert c.closed()
    assert sum(o.count() for o in origins.values()) == 0


def test_origin_form_without_host_behaves_as_before(hosts):
    origins, start = hosts
    e = start()
    for attempt in range(2):
        s = connect(e.port)
        s.sendall(b"GET /home HTTP/1.0\r\n\r\n")
        r = read_response(s)
        s.close()
        assert r.status == 200
        assert r.body == b"default origin, Host: None, target: /home"
        assert r.header("X-Cache") == ("HIT" if attempt else "MISS")
    assert origins["default"].count() == 1
