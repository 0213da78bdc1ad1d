"""One HTTPS request to the local Twilio stand-in, with HTTP Basic auth, as
its own tests and the contract shape checker make them (standard library
only, so both run with Debian's python3 and nothing else)."""
import base64
import http.client


def request(context, host, port, method, path, body=None, content_type=None, auth=None, timeout=10):
    """(status, headers, raw body). `auth` is (user, password) or None;
    `content_type` is sent only with a body."""
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
    if body is not None and content_type:
        headers["Content-Type"] = content_type
    conn = http.client.HTTPSConnection(host, port, context=context, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()
