"""requirepass / AUTH / HELLO AUTH, and what an unauthenticated client may do."""

import pytest

from kv_resp import Conn, RespError

E = RespError
NOAUTH = E("NOAUTH Authentication required.")
WRONGPASS = E("WRONGPASS invalid username-password pair or user is disabled.")


@pytest.fixture
def secured(start_server):
    return start_server(["--requirepass", "s3cret"], password="s3cret")


def test_noauth_before_auth(secured):
    c = Conn(secured.port)
    for cmd in (("PING",), ("GET", "k"), ("SET", "k", "v"), ("DBSIZE",), ("KEYS", "*"),
                ("CONFIG", "GET", "requirepass"), ("FLUSHALL",)):
        assert c.call(*cmd) == NOAUTH, cmd
    # Redis looks the command up before checking authentication.
    assert c.call("NOSUCHCMD") == E("ERR unknown command 'NOSUCHCMD', with args beginning with: ")
    assert c.call("AUTH", "wrong") == WRONGPASS
    assert c.call("AUTH", "default", "wrong") == WRONGPASS
    assert c.call("AUTH", "nosuchuser", "s3cret") == WRONGPASS
    assert c.call("AUTH", "a", "b", "c") == E("ERR syntax error")
    assert c.call("GET", "k") == NOAUTH
    assert c.call("AUTH", "s3cret") == "OK"
    assert c.call("SET", "k", "v") == "OK"
    assert c.call("GET", "k") == b"v"
    c.close()
    with Conn(secured.port) as c2:
        assert c2.call("AUTH", "default", "s3cret") == "OK"
        assert c2.call("GET", "k") == b"v"


def test_auth_no_password_configured(server):
    with server.conn() as c:
        assert c.call("AUTH", "x") == E(
            "ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?")


def test_hello_auth(secured):
    c = Conn(secured.port)
    assert c.call("HELLO", "3") == E(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time")
    assert c.call("HELLO", "3", "AUTH", "default", "bad") == WRONGPASS
    r = c.call("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "authed")
    assert isinstance(r, dict) and r[b"proto"] == 3
    assert c.call_raw("GET", "nokey") == b"_\r\n"
    assert c.call("CLIENT", "GETNAME") == b"authed"
    c.close()


def test_quit_and_reset_allowed_before_auth(secured):
    c = Conn(secured.port)
    assert c.call("RESET") == "RESET"
    assert c.call("QUIT") == "OK"
    assert c.is_closed()


def test_reset_deauthenticates(secured):
    c = Conn(secured.port)
    assert c.call("AUTH", "s3cret") == "OK"
    assert c.call("PING") == "PONG"
    assert c.call("RESET") == "RESET"
    assert c.call("PING") == NOAUTH
    c.close()


def test_requirepass_runtime_change(secured):
    admin = secured.conn()  # authenticated
    assert admin.call("CONFIG", "SET", "requirepass", "newpass") == "OK"
    assert admin.call("PING") == "PONG"  # existing connections stay authenticated
    with Conn(secured.port) as c:
        assert c.call("AUTH", "s3cret") == WRONGPASS
        assert c.call("AUTH", "newpass") == "OK"
    assert admin.call("CONFIG", "SET", "requirepass", "") == "OK"
    with Conn(secured.port) as c:
        assert c.call("PING") == "PONG"
    admin.close()


def test_auth_wrong_password_many_times_server_ok(secured):
    c = Conn(secured.port)
    for i in range(200):
        assert c.call("AUTH", "guess%d" % i) == WRONGPASS
    assert c.call("AUTH", "s3cret") == "OK"
    c.close()
