"""The loopback mirror server: wget file naming, Host routing, content types, no escape."""

import http.client

import pytest

from crawlers.replay.server import MirrorServer


@pytest.fixture
def mirror(tmp_path):
    (tmp_path / "www.example.org" / "news").mkdir(parents=True)
    (tmp_path / "www.example.org" / "news" / "index.html").write_text("<html>index</html>")
    (tmp_path / "www.example.org" / "news" / "story").write_text("<html>story</html>")
    (tmp_path / "www.example.org" / "list?page=2").write_text("<html>page 2</html>")
    (tmp_path / "api.example.org").mkdir()
    (tmp_path / "api.example.org" / "search?q=a%3Ab").write_text('{"results": []}')
    (tmp_path / "secret.txt").write_text("outside")
    server = MirrorServer(tmp_path).start()
    yield server
    server.stop()


def get(server, host, path):
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type"), response.read().decode()


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        ("www.example.org", "/news/", (200, "text/html", "<html>index</html>")),
        ("www.example.org", "/news/story", (200, "text/html", "<html>story</html>")),
        ("www.example.org.", "/list?page=2", (200, "text/html", "<html>page 2</html>")),
        ("api.example.org", "/search?q=a%3Ab", (200, "application/json", '{"results": []}')),
    ],
)
def test_files_answer_by_host_and_wget_name(mirror, host, path, expected):
    assert get(mirror, host, path) == expected


@pytest.mark.parametrize("path", ["/news/missing", "/../secret.txt", "/%2e%2e/secret.txt"])
def test_missing_and_outside_files_are_404(mirror, path):
    assert get(mirror, "www.example.org", path)[0] == 404
