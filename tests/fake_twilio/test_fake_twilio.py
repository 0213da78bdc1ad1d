#!/usr/bin/python3
"""Tests of the Twilio stand-in itself (fake_twilio.py, records.py,
make_test_ca.sh), over real TLS with the test CA.

    /usr/bin/python3 tests/fake_twilio/test_fake_twilio.py [-k PATTERN]

Prints one "[       OK ]" / "[  FAILED  ]" line per test, then
"[  PASSED  ] N test(s)." and, if any failed, "[  FAILED  ] M test(s)"
(the counts tests/run_all.sh adds up). Exit status 1 if anything failed.
"""

import base64
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse


sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import https_client  # noqa: E402  (this folder; one request to the stand-in, shared with tests/contract)
import records  # noqa: E402

PYTHON = "/usr/bin/python3"
AC = "AC" + "0123456789abcdef" * 2
SK = "SK" + "fedcba9876543210" * 2
VA = "VA" + "00112233445566778899aabbccddeeff"
MG = "MG" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
FROM = "+15005550006"
FORM = "application/x-www-form-urlencoded"
LOOKUPS_SPEC = os.path.join(os.path.dirname(HERE), "contract", "specs", "twilio_lookups_v2.json")

_number = [1000000]


def fresh_number():
    """A recipient no other test uses (so verifications never collide)."""
    _number[0] += 1
    return "+1555%07d" % _number[0]


def fresh_identity():
    """An Entity identity no other test uses (8..64 dash-separated alphanumerics)."""
    _number[0] += 1
    return "user-%08d" % _number[0]


def fresh_name(prefix="pam_user"):
    """A rate limit UniqueName no other test uses."""
    _number[0] += 1
    return "%s.%d" % (prefix, _number[0])


def steady(period=30, margin=2.0):
    """Waits out the end of a time step, so a test that needs the step it
    reckoned with does not see it change under it."""
    left = period - time.time() % period
    if left < margin:
        time.sleep(left + 0.05)


def wrong_totp(secret, digits=6, period=30, alg="sha1"):
    """A code no time step near now has (skew up to 2, and a step's margin)."""
    near = {records.totp_code(secret, digits=digits, period=period, alg=alg, offset=k) for k in range(-3, 4)}
    return next(c for c in ("%0*d" % (digits, n) for n in range(10 ** digits)) if c not in near)


class FakeTwilio:
    """One fake_twilio.py process in a temp dir, and an HTTPS client for it."""

    def __init__(self, *extra, tls_faults=True):
        self.dir = tempfile.mkdtemp(prefix="fake_twilio_test.")
        subprocess.run(["bash", os.path.join(HERE, "make_test_ca.sh"), os.path.join(self.dir, "tls")], check=True)
        self.token = "tok" + os.urandom(8).hex()
        self.key_secret = "key" + os.urandom(8).hex()
        for name, value in (("token", self.token), ("key_secret", self.key_secret)):
            with open(os.path.join(self.dir, name), "w", opener=lambda p, f: os.open(p, f, 0o600)) as f:
                f.write(value + "\n")
        self.state = os.path.join(self.dir, "state")
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(
            [PYTHON, os.path.join(HERE, "fake_twilio.py"),
             "--cert", os.path.join(self.dir, "tls", "server.pem"),
             "--key", os.path.join(self.dir, "tls", "server.key"),
             "--state-dir", self.state, "--account-sid", AC,
             "--auth-token-file", os.path.join(self.dir, "token"),
             "--api-key-sid", SK, "--api-key-secret-file", os.path.join(self.dir, "key_secret"),
             "--verify-service-sid", VA, "--messaging-service-sid", MG, "--from", FROM]
            + (["--wrong-ca-cert", self.tls("wrong_ca.pem"), "--wrong-ca-key", self.tls("wrong_ca.key"),
                "--wrong-host-cert", self.tls("wrong_host.pem"), "--wrong-host-key", self.tls("wrong_host.key")]
               if tls_faults else []) + list(extra),
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.ready_line = self.proc.stdout.readline().strip()
        m = re.match(r"^ready https://127\.0\.0\.1:(\d+)$", self.ready_line)
        if not m:
            self.stop()
            raise RuntimeError("fake_twilio did not start: %r" % self.ready_line)
        self.port = int(m.group(1))
        self.context = ssl.create_default_context(cafile=os.path.join(self.dir, "tls", "ca.pem"))

    def tls(self, name):
        return os.path.join(self.dir, "tls", name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def connect(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=timeout)

    def request(self, method, path, params=None, auth="token", content_type=FORM, body=None, timeout=10):
        """(status, headers, raw body). auth: "token", "key", None or (user, password)."""
        if auth == "token":
            auth = (AC, self.token)
        elif auth == "key":
            auth = (SK, self.key_secret)
        if body is None and params is not None:
            body = urllib.parse.urlencode(params, doseq=True)
        return https_client.request(self.context, "127.0.0.1", self.port, method, path, body=body,
                                    content_type=content_type, auth=auth, timeout=timeout)

    def call(self, method, path, params=None, **kw):
        status, headers, raw = self.request(method, path, params, **kw)
        return status, json.loads(raw)

    # Twilio operations
    def verify(self, to, channel="sms", **kw):
        return self.call("POST", "/v2/Services/%s/Verifications" % VA, {"To": to, "Channel": channel}, **kw)

    def check(self, params, **kw):
        return self.call("POST", "/v2/Services/%s/VerificationCheck" % VA, params, **kw)

    def update(self, sid, status, **kw):
        return self.call("POST", "/v2/Services/%s/Verifications/%s" % (VA, sid), {"Status": status}, **kw)

    def message(self, params, **kw):
        return self.call("POST", "/2010-04-01/Accounts/%s/Messages.json" % AC, params, **kw)

    def place_call(self, params, **kw):
        return self.call("POST", "/2010-04-01/Accounts/%s/Calls.json" % AC, params, **kw)

    def lookup(self, number, fields="line_type_intelligence", **kw):
        """GET /v2/PhoneNumbers/{number}, the number URL-encoded as clients send it."""
        query = "?" + urllib.parse.urlencode({"Fields": fields}) if fields is not None else ""
        return self.call("GET", "/v2/PhoneNumbers/%s%s" % (urllib.parse.quote(number, safe=""), query), **kw)

    # Verify TOTP
    def entity(self, identity):
        return "/v2/Services/%s/Entities/%s" % (VA, identity)

    def create_factor(self, identity, name="alice on bastion", factor_type="totp", **kw):
        params = {"FriendlyName": name, "FactorType": factor_type}
        params.update(kw.pop("params", {}))
        return self.call("POST", self.entity(identity) + "/Factors", params, **kw)

    def update_factor(self, identity, sid, params, **kw):
        return self.call("POST", "%s/Factors/%s" % (self.entity(identity), sid), params, **kw)

    def challenge(self, identity, params, **kw):
        return self.call("POST", self.entity(identity) + "/Challenges", params, **kw)

    def verified_factor(self, identity=None, **params):
        """A verified factor (enrolled with the current code, which is then
        spent): (identity, factor reply of the create, secret)."""
        identity = identity or fresh_identity()
        status, factor = self.create_factor(identity, params=params)
        assert status == 201, factor
        code = records.factor_code(self.state, factor["sid"])
        status, body = self.update_factor(identity, factor["sid"], {"AuthPayload": code})
        assert (status, body["status"]) == (200, "verified"), body
        return identity, factor, factor["binding"]["secret"]

    # Verify Service Rate Limits
    def rate_limits_path(self, *rest):
        return "/".join(("/v2/Services/%s/RateLimits" % VA,) + rest)

    def create_rate_limit(self, name, **params):
        return self.call("POST", self.rate_limits_path(), dict(params, UniqueName=name))

    def create_bucket(self, rate_limit_sid, max_, interval):
        return self.call("POST", self.rate_limits_path(rate_limit_sid, "Buckets"),
                         {"Max": str(max_), "Interval": str(interval)})

    def limited(self, *buckets, name=None):
        """A new rate limit with buckets of (Max, Interval): its unique name."""
        name = name or fresh_name()
        status, r = self.create_rate_limit(name)
        assert status == 201, r
        for max_, interval in buckets:
            status, b = self.create_bucket(r["sid"], max_, interval)
            assert status == 201, b
        return name

    def verify_limited(self, to, rate_limits, channel="sms"):
        """A Verifications start with RateLimits (a dict, sent as its JSON)."""
        return self.call("POST", "/v2/Services/%s/Verifications" % VA,
                         {"To": to, "Channel": channel, "RateLimits": json.dumps(rate_limits)})

    def control(self, obj):
        path = os.path.join(self.state, "control.json")
        with open(path + ".tmp", "w") as f:
            f.write(json.dumps(obj) if obj is not None else "")
        os.replace(path + ".tmp", path)

    def records(self):
        return records.records(self.state)

    def last(self, kind):
        return records.last(self.state, kind)

    def code(self, to):
        return records.last_code(self.state, to)


SERVER = None


def setUpModule():
    global SERVER
    SERVER = FakeTwilio()


def tearDownModule():
    SERVER.stop()


class Case(unittest.TestCase):
    def setUp(self):
        self.tw = SERVER
        self.tw.control(None)

    def assertTwilioError(self, reply, http_status, code):
        status, body = reply
        self.assertEqual(status, http_status, body)
        self.assertEqual(body["code"], code, body)
        self.assertEqual(body["status"], http_status)
        self.assertEqual(body["more_info"], "https://www.twilio.com/docs/errors/%d" % code)
        self.assertIsInstance(body["message"], str)
        self.assertTrue(body["message"])


class StartupTest(Case):
    def test_port_file_matches_ready_line(self):
        with open(os.path.join(self.tw.state, "port")) as f:
            self.assertEqual(int(f.read()), self.tw.port)

    def test_refuses_a_non_loopback_host(self):
        run = subprocess.run([PYTHON, os.path.join(HERE, "fake_twilio.py"), "--host", "0.0.0.0",
                              "--cert", "x", "--key", "x", "--state-dir", self.tw.dir, "--account-sid", AC,
                              "--auth-token-file", "x", "--verify-service-sid", VA],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 2)
        self.assertIn("loopback", run.stderr)

    def test_refuses_a_malformed_sid(self):
        run = subprocess.run([PYTHON, os.path.join(HERE, "fake_twilio.py"), "--cert", "x", "--key", "x",
                              "--state-dir", self.tw.dir, "--account-sid", "AC123",
                              "--auth-token-file", "x", "--verify-service-sid", VA],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 2)

    def test_ca_script_is_idempotent(self):
        tls = os.path.join(self.tw.dir, "tls")
        certs = ("ca.pem", "server.pem", "other_ca.pem", "wrong_ca.pem", "wrong_host.pem")
        before = {n: os.stat(os.path.join(tls, n)).st_mtime_ns for n in certs}
        subprocess.run(["bash", os.path.join(HERE, "make_test_ca.sh"), tls], check=True)
        after = {n: os.stat(os.path.join(tls, n)).st_mtime_ns for n in certs}
        self.assertEqual(before, after)
        for key in ("ca.key", "server.key", "other_ca.key", "wrong_ca.key", "wrong_host.key"):
            self.assertEqual(os.stat(os.path.join(tls, key)).st_mode & 0o077, 0, key)

    def test_ca_script_makes_the_tls_fault_certificates(self):
        def verify(ca, cert):
            return subprocess.run(["openssl", "verify", "-CAfile", self.tw.tls(ca), self.tw.tls(cert)],
                                  capture_output=True).returncode == 0
        self.assertTrue(verify("ca.pem", "server.pem"))
        self.assertTrue(verify("ca.pem", "wrong_host.pem"))
        self.assertFalse(verify("ca.pem", "wrong_ca.pem"))
        self.assertTrue(verify("other_ca.pem", "wrong_ca.pem"))
        names = subprocess.run(["openssl", "x509", "-in", self.tw.tls("wrong_host.pem"), "-noout", "-ext",
                                "subjectAltName"], capture_output=True, text=True).stdout
        self.assertIn("DNS:another-host.invalid", names)
        self.assertNotIn("127.0.0.1", names)
        self.assertNotIn("localhost", names)

    def test_connect_tunnels_to_itself_for_regional_names(self):
        # http.client's own tunnel: CONNECT through the stand-in, TLS for the
        # regional name verified against the test CA, then an ordinary request.
        host = "verify.dublin.ie1.twilio.com"
        conn = http.client.HTTPSConnection("127.0.0.1", self.tw.port, context=self.tw.context, timeout=5)
        conn.set_tunnel(host, 443)
        conn.request("GET", "/v2/Services/%s" % VA, headers={
            "Authorization": "Basic " + base64.b64encode(("%s:%s" % (AC, self.tw.token)).encode()).decode()})
        response = conn.getresponse()
        self.assertEqual(response.status, 200, response.read())
        conn.close()
        tunnels = [r for r in self.tw.records() if r.get("kind") == "connect"]
        self.assertEqual([r["target"] for r in tunnels], [host + ":443"])

    def test_tls_only_and_certificate_checked(self):
        wrong = ssl.create_default_context()  # the system CAs do not know the test CA
        conn = http.client.HTTPSConnection("127.0.0.1", self.tw.port, context=wrong, timeout=5)
        with self.assertRaises(ssl.SSLCertVerificationError):
            conn.request("GET", "/")
        conn.close()


class AuthTest(Case):
    def test_missing_credentials_is_401_20003(self):
        status, headers, raw = self.tw.request("POST", "/v2/Services/%s/Verifications" % VA,
                                               {"To": fresh_number(), "Channel": "sms"}, auth=None)
        body = json.loads(raw)
        self.assertTwilioError((status, body), 401, 20003)
        self.assertEqual(headers.get("WWW-Authenticate"), 'Basic realm="Twilio API"')
        self.assertEqual(body["detail"], "Your AccountSid or AuthToken was incorrect.")
        self.assertIsNone(self.tw.last("verification")["auth_user"])

    def test_wrong_token_is_401_20003(self):
        self.assertTwilioError(self.tw.verify(fresh_number(), auth=(AC, "nope")), 401, 20003)
        self.assertEqual(self.tw.last("verification")["auth_user"], AC)

    def test_unknown_user_is_401_20003(self):
        self.assertTwilioError(self.tw.verify(fresh_number(), auth=("AC" + "9" * 32, self.tw.token)), 401, 20003)

    def test_api_key_authenticates(self):
        status, body = self.tw.verify(fresh_number(), auth="key")
        self.assertEqual(status, 201, body)
        self.assertEqual(self.tw.last("verification")["auth_user"], SK)
        status, body = self.tw.message({"To": fresh_number(), "From": FROM, "Body": "1234"}, auth="key")
        self.assertEqual(status, 201, body)

    def test_api_key_wrong_secret_is_401(self):
        self.assertTwilioError(self.tw.verify(fresh_number(), auth=(SK, self.tw.token)), 401, 20003)

    def test_token_never_logged_or_recorded(self):
        self.tw.verify(fresh_number())
        with open(os.path.join(self.tw.dir, "server.log")) as f:
            self.assertNotIn(self.tw.token, f.read())
        with open(os.path.join(self.tw.state, "records.jsonl")) as f:
            self.assertNotIn(self.tw.token, f.read())

    def test_other_account_in_path_is_404_20404(self):
        other = "AC" + "5" * 32
        reply = self.tw.call("POST", "/2010-04-01/Accounts/%s/Messages.json" % other,
                             {"To": fresh_number(), "From": FROM, "Body": "hi"})
        self.assertTwilioError(reply, 404, 20404)
        self.assertIn("/2010-04-01/Accounts/%s/Messages.json" % other, reply[1]["message"])

    def test_other_account_in_path_with_api_key_is_401(self):
        reply = self.tw.call("POST", "/2010-04-01/Accounts/%s/Calls.json" % ("AC" + "5" * 32),
                             {"To": fresh_number(), "From": FROM, "Twiml": "<Response/>"}, auth="key")
        self.assertTwilioError(reply, 401, 20003)

    def test_unknown_verify_service_is_404_20404(self):
        other = "VA" + "7" * 32
        reply = self.tw.call("POST", "/v2/Services/%s/Verifications" % other, {"To": fresh_number(), "Channel": "sms"})
        self.assertTwilioError(reply, 404, 20404)
        self.assertEqual(reply[1]["message"], "The requested resource /Services/%s/Verifications was not found" % other)

    def test_unknown_path_is_404_and_wrong_method_405(self):
        self.assertTwilioError(self.tw.call("POST", "/v2/Services/%s/Nope" % VA, {}), 404, 20404)
        self.assertTwilioError(self.tw.call("DELETE", "/2010-04-01/Accounts/%s/Messages.json" % AC), 405, 20004)


class RequestFormatTest(Case):
    def test_json_body_is_ignored_as_twilio_does(self):
        body = json.dumps({"To": fresh_number(), "From": FROM, "Body": "1234"})
        status, _, raw = self.tw.request("POST", "/2010-04-01/Accounts/%s/Messages.json" % AC,
                                         body=body, content_type="application/json")
        self.assertTwilioError((status, json.loads(raw)), 400, 21604)
        status, _, raw = self.tw.request("POST", "/v2/Services/%s/Verifications" % VA,
                                         body=json.dumps({"To": fresh_number(), "Channel": "sms"}),
                                         content_type="application/json")
        self.assertTwilioError((status, json.loads(raw)), 400, 20001)

    def test_required_parameters(self):
        to = fresh_number()
        cases = [
            ("verify", {"Channel": "sms"}, 20001, "To"),
            ("verify", {"To": to}, 20001, "Channel"),
            ("message", {"From": FROM, "Body": "x"}, 21604, None),
            ("message", {"To": to, "Body": "x"}, 21603, None),
            ("message", {"To": to, "From": FROM}, 21602, None),
            ("call", {"From": FROM, "Twiml": "<Response/>"}, 21201, None),
            ("call", {"To": to, "Twiml": "<Response/>"}, 21213, None),
            ("call", {"To": to, "From": FROM}, 21205, None),
            ("update", {}, 20001, "Status"),
        ]
        paths = {"verify": "/v2/Services/%s/Verifications" % VA,
                 "message": "/2010-04-01/Accounts/%s/Messages.json" % AC,
                 "call": "/2010-04-01/Accounts/%s/Calls.json" % AC,
                 "update": "/v2/Services/%s/Verifications/VE%s" % (VA, "0" * 32)}
        for endpoint, params, code, named in cases:
            with self.subTest(endpoint=endpoint, params=params):
                reply = self.tw.call("POST", paths[endpoint], params)
                self.assertTwilioError(reply, 400, code)
                if named:
                    self.assertEqual(reply[1]["message"], "Missing required parameter %s in the post body" % named)

    def test_verification_details_are_checked_and_recorded(self):
        to = fresh_number()
        path = "/v2/Services/%s/Verifications" % VA
        details = {"Amount": "/usr/bin/apt update", "Payee": "alice@bastion",
                   "TemplateSid": "HJ" + "0" * 32, "TemplateCustomSubstitutions": '{"host": "bastion"}',
                   "DeviceIp": "2001:db8::7", "Tags": '{"host": "bastion", "service": "sudo"}'}
        status, body = self.tw.call("POST", path, dict(details, To=to, Channel="sms"))
        self.assertEqual(status, 201, body)
        record = [r for r in self.tw.records() if r.get("kind") == "verification" and r.get("to") == to][-1]
        self.assertEqual(record["amount"], "/usr/bin/apt update")
        self.assertEqual(record["payee"], "alice@bastion")
        self.assertEqual(record["template_sid"], "HJ" + "0" * 32)
        self.assertEqual(record["template_substitutions"], {"host": "bastion"})
        self.assertEqual(record["device_ip"], "2001:db8::7")
        self.assertEqual(record["tags"], {"host": "bastion", "service": "sudo"})
        for name, bad in (("DeviceIp", "client.example.net"), ("TemplateSid", "VA" + "0" * 32),
                          ("TemplateCustomSubstitutions", "[1, 2]"), ("Tags", "not json"),
                          ("Tags", '{"n": 1}')):
            with self.subTest(name=name, value=bad):
                self.assertTwilioError(self.tw.call("POST", path, {"To": fresh_number(), "Channel": "sms", name: bad}),
                                       400, 60200)

    def test_invalid_values(self):
        to = fresh_number()
        self.assertTwilioError(self.tw.verify(to, channel="pigeon"), 400, 60200)
        self.assertTwilioError(self.tw.verify("5550104567"), 400, 60200)
        self.assertTwilioError(self.tw.verify("someone@example.com", channel="sms"), 400, 60200)
        status, body = self.tw.verify("someone@example.com", channel="email")
        self.assertEqual(status, 201, body)
        self.assertTwilioError(self.tw.call("POST", "/v2/Services/%s/Verifications" % VA,
                                            {"To": to, "Channel": "sms", "Locale": "not a locale"}), 400, 60200)
        self.assertTwilioError(self.tw.message({"To": "5550104567", "From": FROM, "Body": "x"}), 400, 21211)
        self.assertTwilioError(self.tw.message({"To": to, "From": "+15550000000", "Body": "x"}), 400, 21606)
        self.assertTwilioError(self.tw.message({"To": to, "From": "not a number!", "Body": "x"}), 400, 21212)
        self.assertTwilioError(self.tw.message({"To": to, "MessagingServiceSid": "MG" + "1" * 32, "Body": "x"}),
                               400, 21705)
        self.assertTwilioError(self.tw.message({"To": to, "From": FROM, "Body": "x" * 1601}), 400, 21617)
        self.assertTwilioError(self.tw.place_call({"To": "12", "From": FROM, "Twiml": "<Response/>"}), 400, 21211)
        self.assertTwilioError(self.tw.place_call({"To": to, "From": "+15550000000", "Twiml": "<Response/>"}),
                               400, 21210)
        self.assertTwilioError(self.tw.place_call({"To": to, "From": FROM, "Url": "ftp://x/y"}), 400, 21205)

    def test_percent_encoded_plus_is_required(self):
        # A raw "+" in a form body is a space: Twilio then sees " 1555…", not E.164.
        status, _, raw = self.tw.request("POST", "/v2/Services/%s/Verifications" % VA,
                                         body="To=+15550100000&Channel=sms")
        self.assertTwilioError((status, json.loads(raw)), 400, 60200)


class VerifyTest(Case):
    def test_create_returns_a_pending_verification(self):
        to = fresh_number()
        status, body = self.tw.verify(to)
        self.assertEqual(status, 201, body)
        self.assertRegex(body["sid"], r"^VE[0-9a-f]{32}$")
        self.assertEqual((body["to"], body["channel"], body["status"], body["valid"]), (to, "sms", "pending", False))
        self.assertEqual((body["service_sid"], body["account_sid"]), (VA, AC))
        self.assertRegex(body["date_created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(len(body["send_code_attempts"]), 1)
        self.assertEqual(body["send_code_attempts"][0]["channel"], "SMS")
        self.assertTrue(body["url"].endswith("/v2/Services/%s/Verifications/%s" % (VA, body["sid"])))
        record = self.tw.last("verification")
        self.assertEqual((record["sid"], record["to"], record["channel"], record["status"]),
                         (body["sid"], to, "sms", 201))
        self.assertRegex(record["code"], r"^[0-9]{6}$")
        self.assertEqual(self.tw.code(to), record["code"])

    def test_second_create_reuses_the_pending_verification(self):
        to = fresh_number()
        _, first = self.tw.verify(to)
        code = self.tw.code(to)
        status, second = self.tw.verify(to, channel="call")
        self.assertEqual(status, 201)
        self.assertEqual(second["sid"], first["sid"])
        self.assertEqual(second["channel"], "call")
        self.assertEqual([a["channel"] for a in second["send_code_attempts"]], ["SMS", "CALL"])
        self.assertEqual(self.tw.code(to), code)
        self.assertEqual(self.tw.last("verification")["send_attempt"], 2)

    def test_sixth_send_is_429_60203(self):
        to = fresh_number()
        for _ in range(5):
            self.assertEqual(self.tw.verify(to)[0], 201)
        self.assertTwilioError(self.tw.verify(to), 429, 60203)
        self.assertEqual(records.count(self.tw.state, "verification", to, ok_only=True), 5)

    def test_right_code_approves_and_ends_the_verification(self):
        to = fresh_number()
        _, v = self.tw.verify(to)
        status, body = self.tw.check({"VerificationSid": v["sid"], "Code": self.tw.code(to)})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["status"], body["valid"], body["sid"], body["to"]), ("approved", True, v["sid"], to))
        self.assertEqual(body["sna_attempts_error_codes"], [])
        self.assertTwilioError(self.tw.check({"VerificationSid": v["sid"], "Code": self.tw.code(to)}), 404, 20404)
        reply = self.tw.check({"To": to, "Code": self.tw.code(to)})
        self.assertTwilioError(reply, 404, 20404)
        self.assertEqual(reply[1]["message"], "The requested resource /Services/%s/VerificationCheck was not found" % VA)
        # The next create starts afresh.
        _, again = self.tw.verify(to)
        self.assertNotEqual(again["sid"], v["sid"])

    def test_check_by_to(self):
        to = fresh_number()
        self.tw.verify(to)
        status, body = self.tw.check({"To": to, "Code": self.tw.code(to)})
        self.assertEqual((status, body["status"]), (200, "approved"))

    def test_wrong_code_stays_pending(self):
        to = fresh_number()
        _, v = self.tw.verify(to)
        wrong = "%06d" % ((int(self.tw.code(to)) + 1) % 1000000)
        status, body = self.tw.check({"VerificationSid": v["sid"], "Code": wrong})
        self.assertEqual((status, body["status"], body["valid"]), (200, "pending", False))
        record = self.tw.last("verification_check")
        self.assertEqual((record["sid"], record["code"], record["status"]), (v["sid"], wrong, 200))

    def test_five_wrong_checks_then_60202(self):
        to = fresh_number()
        _, v = self.tw.verify(to)
        right = self.tw.code(to)
        wrong = "%06d" % ((int(right) + 1) % 1000000)
        for _ in range(5):
            status, body = self.tw.check({"VerificationSid": v["sid"], "Code": wrong})
            self.assertEqual((status, body["status"]), (200, "pending"))
        self.assertTwilioError(self.tw.check({"VerificationSid": v["sid"], "Code": right}), 429, 60202)
        self.assertTwilioError(self.tw.check({"To": to, "Code": right}), 429, 60202)
        _, fresh = self.tw.verify(to)
        self.assertNotEqual(fresh["sid"], v["sid"])

    def test_malformed_codes_are_400_60200(self):
        to = fresh_number()
        _, v = self.tw.verify(to)
        for code in ("123", "12345678901", "12a456", " 123456"):
            with self.subTest(code=code):
                self.assertTwilioError(self.tw.check({"VerificationSid": v["sid"], "Code": code}), 400, 60200)
        self.assertTwilioError(self.tw.check({"VerificationSid": v["sid"]}), 400, 60200)
        # None of them counted as a check.
        status, body = self.tw.check({"VerificationSid": v["sid"], "Code": self.tw.code(to)})
        self.assertEqual(body["status"], "approved")

    def test_check_needs_to_or_sid(self):
        self.assertTwilioError(self.tw.check({"Code": "123456"}), 400, 60221)
        self.assertTwilioError(self.tw.check({"VerificationSid": "VE123", "Code": "123456"}), 400, 60200)

    def test_check_of_unknown_verification_is_404(self):
        self.assertTwilioError(self.tw.check({"VerificationSid": "VE" + "a" * 32, "Code": "123456"}), 404, 20404)
        self.assertTwilioError(self.tw.check({"To": fresh_number(), "Code": "123456"}), 404, 20404)

    def test_cancel(self):
        to = fresh_number()
        _, v = self.tw.verify(to)
        status, body = self.tw.update(v["sid"], "canceled")
        self.assertEqual((status, body["status"], body["sid"]), (200, "canceled", v["sid"]))
        self.assertEqual(self.tw.last("verification_update")["verification_status"], "canceled")
        self.assertTwilioError(self.tw.check({"VerificationSid": v["sid"], "Code": self.tw.code(to)}), 404, 20404)
        reply = self.tw.update(v["sid"], "canceled")
        self.assertTwilioError(reply, 404, 20404)
        self.assertEqual(reply[1]["message"],
                         "The requested resource /Services/%s/Verifications/%s was not found" % (VA, v["sid"]))
        self.assertTwilioError(self.tw.update("VE" + "b" * 32, "canceled"), 404, 20404)
        # Canceled verifications stay fetchable.
        status, body = self.tw.call("GET", "/v2/Services/%s/Verifications/%s" % (VA, v["sid"]))
        self.assertEqual((status, body["status"]), (200, "canceled"))

    def test_update_to_approved_and_bad_status(self):
        to = fresh_number()
        _, v = self.tw.verify(to)
        self.assertTwilioError(self.tw.update(v["sid"], "pending"), 400, 60200)
        status, body = self.tw.update(v["sid"], "approved")
        self.assertEqual((status, body["status"], body["valid"]), (200, "approved", True))
        self.assertTwilioError(self.tw.call("GET", "/v2/Services/%s/Verifications/%s" % (VA, v["sid"])), 404, 20404)

    def test_custom_code_is_the_code_and_a_service_feature(self):
        to = fresh_number()
        path = "/v2/Services/%s/Verifications" % VA
        status, v = self.tw.call("POST", path, {"To": to, "Channel": "sms", "CustomCode": "48213907"})
        self.assertEqual(status, 201, v)
        record = [r for r in self.tw.records() if r.get("kind") == "verification" and r.get("to") == to][-1]
        self.assertEqual((record["code"], record["custom_code"]), ("48213907", True))
        # A resend with another custom code: the pending verification takes it.
        status, again = self.tw.call("POST", path, {"To": to, "Channel": "call", "CustomCode": "5566"})
        self.assertEqual((status, again["sid"]), (201, v["sid"]))
        status, body = self.tw.check({"VerificationSid": v["sid"], "Code": "5566"})
        self.assertEqual((status, body["status"]), (200, "approved"))
        for bad in ("123", "12345678901"):
            with self.subTest(code=bad):
                self.assertTwilioError(self.tw.call("POST", path, {"To": fresh_number(), "Channel": "sms",
                                                                   "CustomCode": bad}), 400, 60200)
        status, service = self.tw.call("GET", "/v2/Services/%s" % VA)
        self.assertEqual((status, service["custom_code_enabled"], service["psd2_enabled"]), (200, True, True))
        self.tw.control({"custom_code_enabled": False, "psd2_enabled": False, "email_integration": False})
        self.assertTwilioError(self.tw.verify("someone@example.com", channel="email"), 400, 60217)
        self.assertTwilioError(self.tw.call("POST", path, {"To": fresh_number(), "Channel": "sms",
                                                           "CustomCode": "123456"}), 403, 60204)
        self.assertTwilioError(self.tw.call("POST", path, {"To": fresh_number(), "Channel": "sms",
                                                           "Amount": "1", "Payee": "x"}), 403, 60204)
        status, service = self.tw.call("GET", "/v2/Services/%s" % VA)
        self.assertEqual((service["custom_code_enabled"], service["psd2_enabled"]), (False, False))
        status, _ = self.tw.verify(fresh_number())  # plain verifications still work
        self.assertEqual(status, 201)

    def test_fetch_pending(self):
        to = fresh_number()
        _, v = self.tw.verify(to)
        status, body = self.tw.call("GET", "/v2/Services/%s/Verifications/%s" % (VA, v["sid"]))
        self.assertEqual((status, body["status"], body["to"]), (200, "pending", to))

    def test_channels(self):
        for channel in ("sms", "call", "whatsapp"):
            with self.subTest(channel=channel):
                status, body = self.tw.verify(fresh_number(), channel=channel)
                self.assertEqual((status, body["channel"]), (201, channel))


class ExpiryTest(unittest.TestCase):
    """A server of its own, with a 1 s TTL and 8-digit codes."""

    @classmethod
    def setUpClass(cls):
        cls.tw = FakeTwilio("--verify-ttl", "1", "--verify-code-length", "8", "--totp-lockout", "1")

    @classmethod
    def tearDownClass(cls):
        cls.tw.stop()

    def test_code_length(self):
        to = fresh_number()
        self.tw.verify(to)
        self.assertRegex(self.tw.code(to), r"^[0-9]{8}$")

    def test_expired_verification_is_gone(self):
        to = fresh_number()
        _, v = self.tw.verify(to)
        code = self.tw.code(to)
        time.sleep(1.2)
        status, body = self.tw.check({"VerificationSid": v["sid"], "Code": code})
        self.assertEqual((status, body["code"]), (404, 20404))
        self.assertEqual(self.tw.update(v["sid"], "canceled")[0], 404)
        status, fresh = self.tw.verify(to)
        self.assertEqual(status, 201)
        self.assertNotEqual(fresh["sid"], v["sid"])


    def test_totp_lockout_ends(self):
        identity, factor, secret = self.tw.verified_factor()
        for _ in range(5):
            status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": wrong_totp(secret)})
            self.assertEqual((status, body["status"]), (201, "pending"))
        right = records.totp_code(secret, offset=1)
        self.assertEqual(self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": right})[0], 429)
        time.sleep(1.2)
        status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": right})
        self.assertEqual((status, body["status"]), (201, "approved"))
        self.assertEqual(self.tw.last("challenge")["wrong_checks"], 0)


class NoTlsFaultCertificatesTest(unittest.TestCase):
    """A server started without --wrong-*-cert: the TLS faults are refused."""

    def test_tls_fault_without_its_certificate_is_ignored(self):
        tw = FakeTwilio(tls_faults=False)
        try:
            tw.control({"fault": "wrong_ca"})
            self.assertEqual(tw.verify(fresh_number())[0], 201)
            with open(os.path.join(tw.dir, "server.log")) as f:
                self.assertIn("needs --wrong-ca-cert", f.read())
        finally:
            tw.stop()


class MessagingTest(Case):
    def test_message_is_created_and_its_code_recorded(self):
        to = fresh_number()
        text = "482913 is your code for sshd on host1. It expires in 5 minutes."
        status, body = self.tw.message({"To": to, "From": FROM, "Body": text})
        self.assertEqual(status, 201, body)
        self.assertRegex(body["sid"], r"^SM[0-9a-f]{32}$")
        self.assertEqual((body["to"], body["from"], body["body"], body["status"]), (to, FROM, text, "queued"))
        self.assertEqual((body["account_sid"], body["api_version"], body["direction"]), (AC, "2010-04-01", "outbound-api"))
        self.assertIsNone(body["messaging_service_sid"])
        self.assertEqual((body["num_segments"], body["num_media"], body["error_code"]), ("1", "0", None))
        self.assertRegex(body["date_created"], r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} "
                                               r"\d\d:\d\d:\d\d \+0000$")
        self.assertEqual(body["uri"], "/2010-04-01/Accounts/%s/Messages/%s.json" % (AC, body["sid"]))
        record = self.tw.last("message")
        self.assertEqual((record["code"], record["body"], record["channel"], record["sid"]), ("482913", text, "sms", body["sid"]))
        self.assertEqual(self.tw.code(to), "482913")

    def test_messaging_service_send_is_accepted(self):
        status, body = self.tw.message({"To": fresh_number(), "MessagingServiceSid": MG, "Body": "Code 1234"})
        self.assertEqual((status, body["status"], body["from"], body["messaging_service_sid"]), (201, "accepted", None, MG))

    def test_segments(self):
        _, body = self.tw.message({"To": fresh_number(), "From": FROM, "Body": "x" * 161})
        self.assertEqual(body["num_segments"], "2")
        _, body = self.tw.message({"To": fresh_number(), "From": FROM, "Body": "code 1234 ✓"})
        self.assertEqual(body["num_segments"], "1")
        _, body = self.tw.message({"To": fresh_number(), "From": FROM, "Body": "✓" * 71})
        self.assertEqual(body["num_segments"], "2")

    def test_call_is_created_and_spoken_digits_recorded(self):
        to = fresh_number()
        twiml = '<Response><Say voice="alice" loop="2">Your code is 7, 3, 0, 1, 9, 5.</Say></Response>'
        status, body = self.tw.place_call({"To": to, "From": FROM, "Twiml": twiml})
        self.assertEqual(status, 201, body)
        self.assertRegex(body["sid"], r"^CA[0-9a-f]{32}$")
        self.assertEqual((body["to"], body["from"], body["status"], body["direction"]), (to, FROM, "queued", "outbound-api"))
        self.assertEqual(body["to_formatted"], "(555) %s-%s" % (to[5:8], to[8:]))
        record = self.tw.last("call")
        self.assertEqual((record["code"], record["twiml"], record["channel"]), ("730195", twiml, "call"))
        self.assertEqual(self.tw.code(to), "730195")

    def test_malformed_twiml_is_accepted_but_not_delivered(self):
        to = fresh_number()
        status, _ = self.tw.place_call({"To": to, "From": FROM, "Twiml": "<Response><Say>1 & 2</Response>"})
        self.assertEqual(status, 201)
        record = self.tw.last("call")
        self.assertEqual((record["delivered"], record["delivery_error"]), (False, 12100))
        self.assertIsNone(self.tw.code(to))

    def test_call_with_url(self):
        status, body = self.tw.place_call({"To": fresh_number(), "From": FROM, "Url": "https://example.invalid/twiml"})
        self.assertEqual(status, 201, body)
        self.assertIsNone(self.tw.last("call")["code"])


class MagicNumberTest(Case):
    # (number, endpoint, channel, expected HTTP, expected code); 201 = accepted.
    TABLE = [
        ("+15005550001", "verify", "sms", 400, 60200), ("+15005550001", "verify", "call", 400, 60200),
        ("+15005550001", "message", None, 400, 21211), ("+15005550001", "call", None, 400, 21211),
        ("+15005550003", "verify", "sms", 403, 60605), ("+15005550003", "verify", "call", 403, 60605),
        ("+15005550003", "message", None, 400, 21408), ("+15005550003", "call", None, 400, 21215),
        ("+15005550004", "verify", "sms", 400, 21610), ("+15005550004", "verify", "call", 201, None),
        ("+15005550004", "message", None, 400, 21610), ("+15005550004", "call", None, 201, None),
        ("+15005550009", "verify", "sms", 403, 60205), ("+15005550009", "verify", "call", 201, None),
        ("+15005550009", "message", None, 400, 21614), ("+15005550009", "call", None, 201, None),
        ("+15005550010", "verify", "sms", 403, 60410), ("+15005550010", "verify", "call", 201, None),
        ("+15005550010", "message", None, 201, None), ("+15005550010", "call", None, 201, None),
        ("+15005550011", "verify", "sms", 400, 21608), ("+15005550011", "verify", "call", 400, 21608),
        ("+15005550011", "message", None, 400, 21608), ("+15005550011", "call", None, 400, 21219),
    ]

    def test_magic_numbers(self):
        for number, endpoint, channel, http_status, code in self.TABLE:
            with self.subTest(number=number, endpoint=endpoint, channel=channel):
                if endpoint == "verify":
                    reply = self.tw.verify(number, channel=channel)
                    if http_status == 201:
                        self.tw.update(reply[1]["sid"], "canceled")
                elif endpoint == "message":
                    reply = self.tw.message({"To": number, "From": FROM, "Body": "Your code is 123456"})
                else:
                    reply = self.tw.place_call({"To": number, "From": FROM,
                                                "Twiml": "<Response><Say>1 2 3 4 5 6</Say></Response>"})
                if code is None:
                    self.assertEqual(reply[0], http_status, reply[1])
                else:
                    self.assertTwilioError(reply, http_status, code)

    def test_fraud_blocked_message_is_accepted_but_not_delivered(self):
        status, body = self.tw.message({"To": "+15005550010", "From": FROM, "Body": "Your code is 555123"})
        self.assertEqual((status, body["status"]), (201, "queued"))
        record = self.tw.last("message")
        self.assertEqual((record["delivered"], record["delivery_error"]), (False, 30450))
        self.assertIsNone(self.tw.code("+15005550010"))

    def test_other_numbers_succeed(self):
        for number in ("+15005550006", "+447700900123", "+15550104567"):
            with self.subTest(number=number):
                self.assertEqual(self.tw.message({"To": number, "From": FROM, "Body": "1234"})[0], 201)


class LookupTest(Case):
    with open(LOOKUPS_SPEC, encoding="utf-8") as f:
        SCHEMAS = json.load(f)["components"]["schemas"]
    TYPES = [("+15005550009", "landline"), ("+15005550020", "nonFixedVoip"), ("+15005550021", "fixedVoip"),
             ("+15005550022", "premium"), ("+15005550023", "tollFree"), ("+15005550024", "pager"),
             ("+15005550010", "mobile"), ("+447700900123", "mobile")]

    def assertLookupShape(self, body):
        # Every property of the spec's LookupResponse, nothing else (Twilio sends nulls, not gaps).
        self.assertEqual(set(body), set(self.SCHEMAS["LookupResponse"]["properties"]))

    def test_line_types(self):
        for number, line_type in self.TYPES + [(fresh_number(), "mobile")]:
            with self.subTest(number=number):
                status, body = self.tw.lookup(number)
                self.assertEqual(status, 200, body)
                self.assertLookupShape(body)
                self.assertEqual((body["phone_number"], body["valid"], body["validation_errors"]), (number, True, None))
                lti = body["line_type_intelligence"]
                self.assertEqual(set(lti), set(self.SCHEMAS["LineTypeIntelligenceInfo"]["properties"]))
                self.assertEqual((lti["type"], lti["error_code"]), (line_type, None))
                for other in ("caller_name", "sim_swap", "line_status", "sms_pumping_risk"):
                    self.assertIsNone(body[other])
                record = self.tw.last("lookup")
                self.assertEqual((record["to"], record["fields"], record["line_type"], record["valid"],
                                  record["status"], record["auth_user"]),
                                 (number, ["line_type_intelligence"], line_type, True, 200, AC))

    def test_number_details(self):
        status, body = self.tw.lookup("+15550104567")
        self.assertEqual((body["calling_country_code"], body["country_code"], body["national_format"]),
                         ("1", "US", "(555) 010-4567"))
        self.assertTrue(body["url"].endswith("/v2/PhoneNumbers/+15550104567"), body["url"])
        _, body = self.tw.lookup("+447700900123")
        self.assertEqual((body["calling_country_code"], body["country_code"]), ("44", "GB"))
        # A raw "+" in a path is a plus, not a space.
        status, body = self.tw.call("GET", "/v2/PhoneNumbers/+15005550023?Fields=line_type_intelligence")
        self.assertEqual((status, body["line_type_intelligence"]["type"]), (200, "tollFree"))

    def test_invalid_numbers(self):
        spec_errors = set(self.SCHEMAS["ValidationError"]["enum"])
        for number, error in (("+15005550001", "INVALID_BUT_POSSIBLE"), ("5550104567", "NOT_A_NUMBER"),
                              ("not a number", "NOT_A_NUMBER"), ("+1555010", "TOO_SHORT"),
                              ("+155501045678", "TOO_LONG")):
            with self.subTest(number=number):
                status, body = self.tw.lookup(number)
                self.assertEqual(status, 200, body)
                self.assertLookupShape(body)
                self.assertEqual((body["valid"], body["validation_errors"]), (False, [error]))
                self.assertIn(error, spec_errors)
                self.assertIsNone(body["line_type_intelligence"])
                self.assertIsNone(body["country_code"])
                record = self.tw.last("lookup")
                self.assertEqual((record["to"], record["valid"], record["line_type"]), (number, False, None))

    def test_fields_absent_or_other_packages_mean_null(self):
        number = fresh_number()
        for fields, recorded in ((None, []), ("caller_name", ["caller_name"]),
                                 ("validation,caller_name", ["validation", "caller_name"])):
            with self.subTest(fields=fields):
                status, body = self.tw.lookup(number, fields=fields)
                self.assertEqual((status, body["valid"]), (200, True))
                self.assertLookupShape(body)
                self.assertIsNone(body["line_type_intelligence"])
                self.assertIsNone(body["caller_name"])  # asked for, not implemented: null
                record = self.tw.last("lookup")
                self.assertEqual((record["fields"], record["line_type"]), (recorded, None))
        status, body = self.tw.lookup("+15005550009", fields="caller_name, line_type_intelligence")
        self.assertEqual(body["line_type_intelligence"]["type"], "landline")
        self.assertEqual(records.count(self.tw.state, "lookup", number), 3)

    def test_auth(self):
        status, headers, raw = self.tw.request("GET", "/v2/PhoneNumbers/%2B15550104567", auth=None)
        self.assertTwilioError((status, json.loads(raw)), 401, 20003)
        self.assertEqual(headers.get("WWW-Authenticate"), 'Basic realm="Twilio API"')
        self.assertTwilioError(self.tw.lookup("+15550104567", auth=(AC, "nope")), 401, 20003)
        self.assertTwilioError(self.tw.lookup("+15550104567", auth=("AC" + "9" * 32, self.tw.token)), 401, 20003)
        record = self.tw.last("lookup")
        self.assertEqual((record["to"], record["status"], record["error_code"]), ("+15550104567", 401, 20003))
        status, body = self.tw.lookup("+15005550022", auth="key")
        self.assertEqual((status, body["line_type_intelligence"]["type"]), (200, "premium"))
        self.assertEqual(self.tw.last("lookup")["auth_user"], SK)

    def test_other_method_is_405(self):
        self.assertTwilioError(self.tw.call("POST", "/v2/PhoneNumbers/%2B15550104567", {}), 405, 20004)
        self.assertEqual(self.tw.last("lookup")["status"], 405)

    def test_magic_numbers_keep_their_meaning_elsewhere(self):
        # The line-type numbers succeed on every other endpoint; the landline one still refuses SMS.
        for number, _ in self.TYPES[1:6]:
            with self.subTest(number=number):
                self.assertEqual(self.tw.message({"To": number, "From": FROM, "Body": "1234"})[0], 201)
        self.assertTwilioError(self.tw.message({"To": "+15005550009", "From": FROM, "Body": "1234"}), 400, 21614)


class FaultTest(Case):
    def test_only_lookup(self):
        self.tw.control({"fault": "http503", "only": "lookup"})
        number = fresh_number()
        self.assertTwilioError(self.tw.lookup(number), 503, 20503)
        record = self.tw.last("lookup")
        self.assertEqual((record["fault"], record["to"], record["fields"], record["status"]),
                         ("http503", number, ["line_type_intelligence"], 503))
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)  # `only` spared it
        self.tw.control({"fault": "http500", "only": ["message"]})
        self.assertEqual(self.tw.lookup(number)[0], 200)
        # A plausible success, dripped to the end: the outline of a mobile number.
        self.tw.control({"fault": "drip", "drip_ms": 0, "only": "lookup"})
        status, body = self.tw.lookup("+15005550009")
        self.assertEqual((status, body["phone_number"], body["line_type_intelligence"]["type"]),
                         (200, "+15005550009", "mobile"))

    def test_http500_and_http503(self):
        for fault, http_status, code in (("http500", 500, 20500), ("http503", 503, 20503)):
            with self.subTest(fault=fault):
                self.tw.control({"fault": fault})
                self.assertTwilioError(self.tw.verify(fresh_number()), http_status, code)
                self.assertEqual(self.tw.last("verification")["fault"], fault)

    def test_http429_with_retry_after(self):
        self.tw.control({"fault": "http429", "retry_after": 2})
        status, headers, raw = self.tw.request("POST", "/v2/Services/%s/Verifications" % VA,
                                               {"To": fresh_number(), "Channel": "sms"})
        self.assertTwilioError((status, json.loads(raw)), 429, 20429)
        self.assertEqual(headers.get("Retry-After"), "2")

    def test_garbage(self):
        self.tw.control({"fault": "garbage"})
        status, headers, raw = self.tw.request("POST", "/v2/Services/%s/VerificationCheck" % VA,
                                               {"To": fresh_number(), "Code": "123456"})
        self.assertEqual(status, 200)
        with self.assertRaises(ValueError):
            json.loads(raw)

    def test_twilio_error(self):
        to = fresh_number()
        self.tw.control({"fault": "twilio_error", "error_http": 403, "error_code": 60410})
        reply = self.tw.verify(to)
        self.assertTwilioError(reply, 403, 60410)
        self.assertIn("fraudulent", reply[1]["message"])

    def test_close(self):
        self.tw.control({"fault": "close"})
        with self.assertRaises((http.client.HTTPException, ConnectionError, ssl.SSLError, OSError)):
            self.tw.verify(fresh_number())
        self.assertEqual(self.tw.last("verification")["status"], None)

    def test_hang_until_the_client_gives_up(self):
        self.tw.control({"fault": "hang", "only": "verification_check"})
        started = time.monotonic()
        with self.assertRaises((TimeoutError, OSError)):
            self.tw.check({"To": fresh_number(), "Code": "123456"}, timeout=1)
        self.assertLess(time.monotonic() - started, 10)  # only catches a hang
        self.assertEqual(self.tw.last("verification_check")["fault"], "hang")
        # Other requests are served meanwhile.
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)

    def test_delay(self):
        self.tw.control({"delay_ms": 400})
        started = time.monotonic()
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)
        self.assertGreaterEqual(time.monotonic() - started, 0.4)

    def test_only_filters_by_kind(self):
        self.tw.control({"fault": "http500", "only": "message"})
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)
        self.assertEqual(self.tw.message({"To": fresh_number(), "From": FROM, "Body": "1"})[0], 500)
        self.tw.control({"fault": "http500", "only": ["call", "verification_check"]})
        self.assertEqual(self.tw.message({"To": fresh_number(), "From": FROM, "Body": "1"})[0], 201)
        self.assertEqual(self.tw.place_call({"To": fresh_number(), "From": FROM, "Twiml": "<Response/>"})[0], 500)

    def test_times_counts_and_restarts_when_the_file_changes(self):
        control = {"fault": "http503", "times": 2}
        self.tw.control(control)
        statuses = [self.tw.verify(fresh_number())[0] for _ in range(3)]
        self.assertEqual(statuses, [503, 503, 201])
        self.tw.control(control)  # rewritten (same content): the count restarts
        statuses = [self.tw.verify(fresh_number())[0] for _ in range(2)]
        self.assertEqual(statuses, [503, 503])

    def test_http401_is_twilios_auth_error(self):
        self.tw.control({"fault": "http401", "only": "message"})
        status, headers, raw = self.tw.request("POST", "/2010-04-01/Accounts/%s/Messages.json" % AC,
                                               {"To": fresh_number(), "From": FROM, "Body": "1234"})
        body = json.loads(raw)
        self.assertTwilioError((status, body), 401, 20003)
        self.assertEqual(headers.get("WWW-Authenticate"), 'Basic realm="Twilio API"')
        self.assertIn("detail", body)
        self.assertEqual(self.tw.last("message")["fault"], "http401")
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)  # `only` spared it

    def test_http404_is_not_found(self):
        self.tw.control({"fault": "http404", "only": "verification_check"})
        to = fresh_number()
        self.assertEqual(self.tw.verify(to)[0], 201)
        reply = self.tw.check({"To": to, "Code": self.tw.code(to)})  # the right code, yet 404
        self.assertTwilioError(reply, 404, 20404)
        self.assertIn("/VerificationCheck", reply[1]["message"])
        self.assertEqual(self.tw.last("verification_check")["error_code"], 20404)

    def test_drip_sends_headers_then_one_byte_at_a_time(self):
        self.tw.control({"fault": "drip", "drip_ms": 150})
        conn = self.tw.connect(timeout=5)
        try:
            started = time.monotonic()
            conn.request("POST", "/v2/Services/%s/Verifications" % VA,
                         body=urllib.parse.urlencode({"To": fresh_number(), "Channel": "sms"}),
                         headers={"Content-Type": FORM})
            response = conn.getresponse()  # the status line and headers come at once
            self.assertEqual(response.status, 201)
            length = int(response.getheader("Content-Length"))
            self.assertGreater(length, 100)
            self.assertEqual(len(response.read(4)), 4)
            self.assertGreaterEqual(time.monotonic() - started, 0.4)  # 3 gaps of 150 ms at least
        finally:
            conn.close()  # hanging up ends the drip
        self.assertEqual(self.tw.last("verification")["fault"], "drip")
        # Dripped to the end, the body is the outline of a success.
        self.tw.control({"fault": "drip", "drip_ms": 0})
        status, body = self.tw.verify(fresh_number())
        self.assertEqual((status, body["status"]), (201, "pending"))
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)  # the server is fine meanwhile

    def test_truncated_body_is_shorter_than_its_length(self):
        self.tw.control({"fault": "truncated"})
        conn = self.tw.connect(timeout=5)
        try:
            conn.request("POST", "/2010-04-01/Accounts/%s/Messages.json" % AC,
                         body=urllib.parse.urlencode({"To": fresh_number(), "From": FROM, "Body": "1234"}),
                         headers={"Content-Type": FORM})
            response = conn.getresponse()
            self.assertEqual(response.status, 201)
            with self.assertRaises(http.client.IncompleteRead) as cut:
                response.read()
            self.assertGreater(len(cut.exception.partial), 0)
            self.assertGreater(cut.exception.expected, 0)
            with self.assertRaises(ValueError):
                json.loads(cut.exception.partial)
        finally:
            conn.close()
        self.assertEqual(self.tw.last("message")["fault"], "truncated")

    def test_huge_is_ten_megabytes_of_valid_json(self):
        self.tw.control({"fault": "huge", "only": "verification_check"})
        status, headers, raw = self.tw.request("POST", "/v2/Services/%s/VerificationCheck" % VA,
                                               {"VerificationSid": "VE" + "ab" * 16, "Code": "123456"},
                                               timeout=30)
        self.assertEqual(status, 200)
        self.assertGreaterEqual(len(raw), 10 * 1024 * 1024)
        self.assertEqual(int(headers["Content-Length"]), len(raw))
        body = json.loads(raw)
        # A client without a size cap would read an approval of its own verification.
        self.assertEqual((body["sid"], body["status"], body["valid"]), ("VE" + "ab" * 16, "approved", True))
        # A client that hangs up early does not upset the server.
        conn = self.tw.connect(timeout=5)
        try:
            conn.request("POST", "/v2/Services/%s/VerificationCheck" % VA,
                         body=urllib.parse.urlencode({"To": fresh_number(), "Code": "123456"}),
                         headers={"Content-Type": FORM})
            conn.getresponse().read(65536)
        finally:
            conn.close()
        self.tw.control(None)
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)

    def test_redirect_points_at_another_host(self):
        self.tw.control({"fault": "redirect"})
        status, headers, raw = self.tw.request("POST", "/v2/Services/%s/Verifications" % VA,
                                               {"To": fresh_number(), "Channel": "sms"})
        self.assertEqual(status, 302)
        self.assertEqual(headers["Location"], "https://another-host.invalid/v2/Services/%s/Verifications" % VA)
        self.assertEqual(self.tw.last("verification")["status"], 302)

    def test_wrong_ca_presents_a_certificate_from_another_ca(self):
        self.tw.control({"fault": "wrong_ca", "times": 1})
        with self.assertRaises(ssl.SSLCertVerificationError) as refused:
            self.tw.verify(fresh_number())
        self.assertIn("issuer", str(refused.exception))
        last = self.tw.last("tls")
        self.assertEqual((last["fault"], last["status"]), ("wrong_ca", None))
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)  # times: 1 was the handshake above
        # The other CA's certificate is for the right names: trusting that CA,
        # the handshake and the request go through.
        self.tw.control({"fault": "wrong_ca"})
        other = ssl.create_default_context(cafile=self.tw.tls("other_ca.pem"))
        status, _, _ = https_client.request(other, "127.0.0.1", self.tw.port, "POST",
                                            "/v2/Services/%s/Verifications" % VA,
                                            body=urllib.parse.urlencode({"To": fresh_number(), "Channel": "sms"}),
                                            content_type=FORM, auth=(AC, self.tw.token))
        self.assertEqual(status, 201)

    def test_wrong_host_presents_a_certificate_for_another_name(self):
        self.tw.control({"fault": "wrong_host"})
        with self.assertRaises(ssl.SSLCertVerificationError) as refused:
            self.tw.verify(fresh_number())
        self.assertIn("127.0.0.1", str(refused.exception))
        self.assertEqual(self.tw.last("tls")["fault"], "wrong_host")
        # Signed by the test CA: without the name check, the chain is good.
        chain_only = ssl.create_default_context(cafile=self.tw.tls("ca.pem"))
        chain_only.check_hostname = False
        status, _, _ = https_client.request(chain_only, "127.0.0.1", self.tw.port, "POST",
                                            "/v2/Services/%s/Verifications" % VA,
                                            body=urllib.parse.urlencode({"To": fresh_number(), "Channel": "sms"}),
                                            content_type=FORM, auth=(AC, self.tw.token))
        self.assertEqual(status, 201)

    def test_unusable_control_file_means_no_fault(self):
        with open(os.path.join(self.tw.state, "control.json"), "w") as f:
            f.write("{not json")
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)
        self.tw.control({"fault": "exploding"})
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)

    def test_keep_alive_connection_serves_several_requests(self):
        conn = self.tw.connect()
        auth = "Basic " + base64.b64encode(("%s:%s" % (AC, self.tw.token)).encode()).decode()
        try:
            for _ in range(3):
                conn.request("POST", "/v2/Services/%s/Verifications" % VA,
                             body=urllib.parse.urlencode({"To": fresh_number(), "Channel": "sms"}),
                             headers={"Authorization": auth, "Content-Type": FORM})
                response = conn.getresponse()
                response.read()
                self.assertEqual(response.status, 201)
        finally:
            conn.close()


class TotpTest(Case):
    """Verify TOTP: factors (an authenticator app) and their challenges."""

    def assertFactor(self, body, identity, status):
        self.assertRegex(body["sid"], r"^YF[0-9a-f]{32}$")
        self.assertRegex(body["entity_sid"], r"^YE[0-9a-f]{32}$")
        self.assertEqual((body["identity"], body["status"], body["factor_type"]), (identity, status, "totp"))
        self.assertEqual((body["account_sid"], body["service_sid"], body["metadata"]), (AC, VA, None))
        self.assertRegex(body["date_created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertTrue(body["url"].endswith("/v2/Services/%s/Entities/%s/Factors/%s" % (VA, identity, body["sid"])))

    # factors
    def test_create_makes_an_unverified_factor_with_its_binding(self):
        identity = fresh_identity()
        status, body = self.tw.create_factor(identity, name="alice on bastion")
        self.assertEqual(status, 201, body)
        self.assertFactor(body, identity, "unverified")
        self.assertEqual(body["friendly_name"], "alice on bastion")
        self.assertEqual(body["config"], {"alg": "sha1", "skew": 1, "code_length": 6, "time_step": 30})
        self.assertIsNone(body["options"])
        secret = body["binding"]["secret"]
        self.assertRegex(secret, r"^[A-Z2-7]{32}$")  # 160 bits
        self.assertEqual(body["binding"]["uri"],
                         "otpauth://totp/pam_twilio_otp:alice%%20on%%20bastion?secret=%s&issuer=pam_twilio_otp"
                         "&algorithm=SHA1&digits=6&period=30" % secret)
        record = self.tw.last("factor_create")
        self.assertEqual((record["identity"], record["factor_sid"], record["sid"], record["secret"], record["status"]),
                         (identity, body["sid"], body["sid"], secret, 201))
        self.assertEqual((record["factor_status"], record["entity_sid"], record["config"]),
                         ("unverified", body["entity_sid"], body["config"]))
        self.assertEqual(records.factor_secret(self.tw.state, identity), secret)

    def test_create_with_config_and_a_secret(self):
        identity = fresh_identity()
        params = {"Config.TimeStep": "60", "Config.Skew": "2", "Config.CodeLength": "8", "Config.Alg": "sha256",
                  "Binding.Secret": "jbswy3dpehpk3pxpjbswy3dpehpk3pxp"}
        status, body = self.tw.create_factor(identity, name="Alice’s phone", params=params)
        self.assertEqual(status, 201, body)
        self.assertEqual(body["config"], {"alg": "sha256", "skew": 2, "code_length": 8, "time_step": 60})
        self.assertEqual(body["binding"]["secret"], "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        self.assertEqual(body["binding"]["uri"],
                         "otpauth://totp/pam_twilio_otp:Alice%E2%80%99s%20phone?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
                         "&issuer=pam_twilio_otp&algorithm=SHA256&digits=8&period=60")
        # The records know the config: the helper types an 8-digit SHA-256 code.
        code = records.factor_code(self.tw.state, body["sid"])
        self.assertEqual(code, records.totp_code("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", digits=8, period=60, alg="sha256"))
        status, body = self.tw.update_factor(identity, body["sid"], {"AuthPayload": code})
        self.assertEqual((status, body["status"]), (200, "verified"))

    def test_an_entity_holds_several_factors(self):
        identity = fresh_identity()
        _, first = self.tw.create_factor(identity)
        _, second = self.tw.create_factor(identity, name="spare phone")
        self.assertEqual(first["entity_sid"], second["entity_sid"])
        self.assertNotEqual(first["sid"], second["sid"])
        self.assertNotEqual(first["binding"]["secret"], second["binding"]["secret"])
        _, other = self.tw.create_factor(fresh_identity())
        self.assertNotEqual(other["entity_sid"], first["entity_sid"])

    def test_create_refusals(self):
        identity = fresh_identity()
        path = self.tw.entity(identity) + "/Factors"
        good = {"FriendlyName": "alice", "FactorType": "totp"}
        cases = [({"FactorType": "totp"}, 20001, "FriendlyName"), ({"FriendlyName": "alice"}, 20001, "FactorType")]
        cases += [(dict(good, **{name: value}), 60200, None) for name, value in (
            ("FactorType", "push"), ("FactorType", "passkeys"), ("FactorType", "sms"), ("FriendlyName", "x" * 65),
            ("Config.TimeStep", "19"), ("Config.TimeStep", "61"), ("Config.TimeStep", "thirty"),
            ("Config.Skew", "3"), ("Config.Skew", "-1"), ("Config.CodeLength", "2"), ("Config.CodeLength", "9"),
            ("Config.Alg", "md5"), ("Config.Alg", "SHA1"), ("Binding.Secret", "not base32!"),
            ("Binding.Secret", "JBSWY3DP"))]
        for params, code, named in cases:
            with self.subTest(params=params):
                reply = self.tw.call("POST", path, params)
                self.assertTwilioError(reply, 400, code)
                if named:
                    self.assertEqual(reply[1]["message"], "Missing required parameter %s in the post body" % named)
        self.assertEqual(self.tw.call("GET", path)[1]["factors"], [])  # none was made

    def test_identity_must_be_8_to_64_dash_separated_alphanumerics(self):
        for identity in ("abc-1234", "a" * 64, "ff483d1ff591898a9942916050d2ca3f", "DD6840aec40ad01e"):
            with self.subTest(identity=identity):
                self.assertEqual(self.tw.create_factor(identity)[0], 201)
        for identity in ("abc1234", "a" * 65, "alice_smith1", "alice.smith", "alice%20smith", "al%C3%AFce-smith"):
            with self.subTest(identity=identity):
                reply = self.tw.create_factor(identity)
                self.assertTwilioError(reply, 400, 60200)
                self.assertIn("Identity", reply[1]["message"])
                self.assertTwilioError(self.tw.call("GET", self.tw.entity(identity) + "/Factors"), 400, 60200)
                self.assertTwilioError(self.tw.challenge(identity, {"FactorSid": "YF" + "0" * 32}), 400, 60200)
                self.assertTwilioError(self.tw.call("DELETE", "%s/Factors/YF%s" % (self.tw.entity(identity), "0" * 32)),
                                       400, 60200)
        self.assertEqual(self.tw.last("factor_delete")["identity"], "al\u00efce-smith")  # decoded

    def test_right_code_verifies_the_factor(self):
        identity = fresh_identity()
        _, factor = self.tw.create_factor(identity)
        code = records.factor_code(self.tw.state, factor["sid"])
        status, body = self.tw.update_factor(identity, factor["sid"], {"AuthPayload": code})
        self.assertEqual(status, 200, body)
        self.assertFactor(body, identity, "verified")
        self.assertNotIn("binding", body)  # only the create shows the secret
        self.assertNotIn("options", body)
        record = self.tw.last("factor_update")
        self.assertEqual((record["identity"], record["factor_sid"], record["code"], record["factor_status"]),
                         (identity, factor["sid"], code, "verified"))

    def test_wrong_code_leaves_the_factor_unverified(self):
        identity = fresh_identity()
        _, factor = self.tw.create_factor(identity)
        secret = factor["binding"]["secret"]
        for _ in range(7):  # not counted: enrolment has no lockout
            status, body = self.tw.update_factor(identity, factor["sid"], {"AuthPayload": wrong_totp(secret)})
            self.assertEqual((status, body["status"]), (200, "unverified"))
        self.assertEqual(self.tw.last("factor_update")["factor_status"], "unverified")
        # The previous step's code is still within the skew of 1.
        steady()
        status, body = self.tw.update_factor(identity, factor["sid"],
                                             {"AuthPayload": records.totp_code(secret, offset=-1)})
        self.assertEqual((status, body["status"]), (200, "verified"))

    def test_friendly_name_update(self):
        identity, factor, _ = self.tw.verified_factor()
        status, body = self.tw.update_factor(identity, factor["sid"], {"FriendlyName": "new phone"})
        self.assertEqual((status, body["friendly_name"], body["status"]), (200, "new phone", "verified"))
        self.assertTwilioError(self.tw.update_factor(identity, factor["sid"], {"FriendlyName": "x" * 65}), 400, 60200)
        _, page = self.tw.call("GET", self.tw.entity(identity) + "/Factors")
        self.assertEqual(page["factors"][0]["friendly_name"], "new phone")

    def test_update_of_an_unknown_factor_is_404(self):
        identity, factor, secret = self.tw.verified_factor()
        reply = self.tw.update_factor(identity, "YF" + "a" * 32, {"AuthPayload": "123456"})
        self.assertTwilioError(reply, 404, 20404)
        self.assertEqual(reply[1]["message"], "The requested resource /Services/%s/Entities/%s/Factors/YF%s was not "
                                              "found" % (VA, identity, "a" * 32))
        # Another entity's factor is not found either.
        self.assertTwilioError(self.tw.update_factor(fresh_identity(), factor["sid"], {"FriendlyName": "x"}),
                               404, 20404)

    def test_list(self):
        identity = fresh_identity()
        path = self.tw.entity(identity) + "/Factors"
        status, page = self.tw.call("GET", path)
        self.assertEqual((status, page["factors"]), (200, []))  # no entity yet: an empty page
        self.assertEqual(page["meta"], {"page": 0, "page_size": 50, "first_page_url": page["meta"]["url"],
                                        "previous_page_url": None, "next_page_url": None, "key": "factors",
                                        "url": "https://127.0.0.1:%d%s?PageSize=50&Page=0" % (self.tw.port, path)})
        _, first = self.tw.create_factor(identity)
        self.tw.verified_factor(identity)
        status, page = self.tw.call("GET", path)
        self.assertEqual(status, 200)
        self.assertEqual([f["status"] for f in page["factors"]], ["unverified", "verified"])
        self.assertEqual(page["factors"][0]["sid"], first["sid"])
        for factor in page["factors"]:
            self.assertFactor(factor, identity, factor["status"])
            self.assertNotIn("binding", factor)
        record = self.tw.last("factor_list")
        self.assertEqual((record["identity"], record["factor_count"], record["status"]), (identity, 2, 200))

    def test_delete(self):
        identity, factor, secret = self.tw.verified_factor()
        path = "%s/Factors/%s" % (self.tw.entity(identity), factor["sid"])
        status, headers, raw = self.tw.request("DELETE", path)
        self.assertEqual((status, raw), (204, b""))
        self.assertNotIn("Content-Type", headers)
        record = self.tw.last("factor_delete")
        self.assertEqual((record["identity"], record["factor_sid"], record["status"]), (identity, factor["sid"], 204))
        self.assertEqual(self.tw.call("GET", self.tw.entity(identity) + "/Factors")[1]["factors"], [])
        reply = self.tw.call("DELETE", path)
        self.assertTwilioError(reply, 404, 20404)
        self.assertEqual(self.tw.last("factor_delete")["error_code"], 20404)
        # A 204 keeps the connection: the next request on it is served.
        _, other, _ = self.tw.verified_factor(identity)
        conn = self.tw.connect()
        auth = {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (AC, self.tw.token)).encode()).decode()}
        try:
            conn.request("DELETE", "%s/Factors/%s" % (self.tw.entity(identity), other["sid"]), headers=auth)
            response = conn.getresponse()
            self.assertEqual((response.status, response.read()), (204, b""))
            conn.request("GET", self.tw.entity(identity) + "/Factors", headers=auth)
            response = conn.getresponse()
            self.assertEqual((response.status, json.loads(response.read())["factors"]), (200, []))
        finally:
            conn.close()
        reply = self.tw.challenge(identity, {"FactorSid": factor["sid"],
                                             "AuthPayload": records.totp_code(secret, offset=1)})
        self.assertTwilioError(reply, 404, 20404)

    # challenges
    def test_right_code_approves_a_challenge(self):
        identity, factor, secret = self.tw.verified_factor()
        code = records.totp_code(secret, offset=1)  # the enrolment spent the current one
        status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": code})
        self.assertEqual(status, 201, body)
        self.assertRegex(body["sid"], r"^YC[0-9a-f]{32}$")
        self.assertEqual((body["status"], body["factor_sid"], body["identity"], body["entity_sid"]),
                         ("approved", factor["sid"], identity, factor["entity_sid"]))
        self.assertEqual(body["factor_type"], "totp")
        self.assertEqual((body["responded_reason"], body["details"], body["hidden_details"], body["metadata"]),
                         ("none", None, None, None))
        self.assertEqual(body["date_responded"], body["date_created"])
        self.assertGreater(body["expiration_date"], body["date_created"])
        url = "https://127.0.0.1:%d%s/Challenges/%s" % (self.tw.port, self.tw.entity(identity), body["sid"])
        self.assertEqual((body["url"], body["links"]), (url, {"notifications": url + "/Notifications"}))
        record = self.tw.last("challenge")
        self.assertEqual((record["sid"], record["factor_sid"], record["identity"], record["code"]),
                         (body["sid"], factor["sid"], identity, code))
        self.assertEqual((record["challenge_status"], record["wrong_checks"], record["replay"], record["status"]),
                         ("approved", 0, False, 201))

    def test_wrong_code_leaves_the_challenge_pending(self):
        identity, factor, secret = self.tw.verified_factor()
        status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": wrong_totp(secret)})
        self.assertEqual((status, body["status"], body["date_responded"]), (201, "pending", None))
        record = self.tw.last("challenge")
        self.assertEqual((record["challenge_status"], record["wrong_checks"], record["replay"]), ("pending", 1, False))

    def test_challenge_without_a_code_is_pending_and_not_counted(self):
        identity, factor, _ = self.tw.verified_factor()
        status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"]})
        self.assertEqual((status, body["status"]), (201, "pending"))
        self.assertEqual(self.tw.last("challenge")["wrong_checks"], 0)

    def test_a_code_approves_once(self):
        identity, factor, secret = self.tw.verified_factor()
        # The enrolment's code is spent: it cannot approve a login.
        enrolment = self.tw.last("factor_update")["code"]
        reply = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": enrolment})
        self.assertEqual((reply[0], reply[1]["status"]), (201, "pending"))
        code = records.totp_code(secret, offset=1)
        self.assertEqual(self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": code})[1]["status"],
                         "approved")
        status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": code})
        self.assertEqual((status, body["status"]), (201, "pending"))
        record = self.tw.last("challenge")
        self.assertEqual((record["replay"], record["wrong_checks"]), (True, 1))  # counted as a wrong code

    def test_unverified_factor_is_403_60318(self):
        identity = fresh_identity()
        _, factor = self.tw.create_factor(identity)
        code = records.factor_code(self.tw.state, factor["sid"])
        reply = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": code})
        self.assertTwilioError(reply, 403, 60318)
        self.assertEqual(self.tw.last("challenge")["error_code"], 60318)
        # Not spent: the same code still verifies the factor.
        self.assertEqual(self.tw.update_factor(identity, factor["sid"], {"AuthPayload": code})[1]["status"], "verified")

    def test_unknown_factor_or_entity_is_404(self):
        identity, factor, secret = self.tw.verified_factor()
        code = records.totp_code(secret, offset=1)
        for who, sid in ((identity, "YF" + "b" * 32), (fresh_identity(), factor["sid"])):
            with self.subTest(identity=who, factor=sid):
                reply = self.tw.challenge(who, {"FactorSid": sid, "AuthPayload": code})
                self.assertTwilioError(reply, 404, 20404)
                self.assertEqual(reply[1]["message"],
                                 "The requested resource /Services/%s/Entities/%s/Challenges was not found" % (VA, who))
        reply = self.tw.call("POST", "/v2/Services/%s/Entities/%s/Challenges" % ("VA" + "7" * 32, identity),
                             {"FactorSid": factor["sid"], "AuthPayload": code})
        self.assertTwilioError(reply, 404, 20404)

    def test_challenge_parameters(self):
        identity, factor, secret = self.tw.verified_factor()
        reply = self.tw.challenge(identity, {"AuthPayload": "123456"})
        self.assertTwilioError(reply, 400, 20001)
        self.assertEqual(reply[1]["message"], "Missing required parameter FactorSid in the post body")
        self.assertTwilioError(self.tw.challenge(identity, {"FactorSid": "YF123", "AuthPayload": "123456"}), 400, 60200)
        for payload in ("12", "123456789"):
            with self.subTest(payload=payload):
                reply = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": payload})
                self.assertTwilioError(reply, 400, 60200)
        # None of them counted.
        status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"],
                                                    "AuthPayload": records.totp_code(secret, offset=1)})
        self.assertEqual((status, body["status"]), (201, "approved"))

    def test_five_wrong_codes_in_a_row_then_429(self):
        identity, factor, secret = self.tw.verified_factor()
        for n in range(1, 6):
            status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": wrong_totp(secret)})
            self.assertEqual((status, body["status"]), (201, "pending"))
            self.assertEqual(self.tw.last("challenge")["wrong_checks"], n)
        right = records.totp_code(secret, offset=1)
        reply = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": right})
        self.assertTwilioError(reply, 429, 60308)
        self.assertTwilioError(self.tw.challenge(identity, {"FactorSid": factor["sid"]}), 429, 60308)
        self.assertEqual(self.tw.last("challenge")["wrong_checks"], 5)
        # Per factor: the entity's other factor still works.
        _, other, other_secret = self.tw.verified_factor(identity)
        status, body = self.tw.challenge(identity, {"FactorSid": other["sid"],
                                                    "AuthPayload": records.totp_code(other_secret, offset=1)})
        self.assertEqual((status, body["status"]), (201, "approved"))

    def test_a_right_code_restarts_the_count(self):
        identity, factor, secret = self.tw.verified_factor(**{"Config.Skew": "2"})
        for offset in (1, 2):
            for _ in range(4):
                self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": wrong_totp(secret)})
            status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"],
                                                        "AuthPayload": records.totp_code(secret, offset=offset)})
            self.assertEqual((status, body["status"]), (201, "approved"))

    def test_totp_needs_authentication(self):
        identity, factor, secret = self.tw.verified_factor()
        calls = [("POST", self.tw.entity(identity) + "/Factors", {"FriendlyName": "x", "FactorType": "totp"}),
                 ("GET", self.tw.entity(identity) + "/Factors", None),
                 ("POST", "%s/Factors/%s" % (self.tw.entity(identity), factor["sid"]), {"FriendlyName": "y"}),
                 ("DELETE", "%s/Factors/%s" % (self.tw.entity(identity), factor["sid"]), None),
                 ("POST", self.tw.entity(identity) + "/Challenges",
                  {"FactorSid": factor["sid"], "AuthPayload": "123456"})]
        for method, path, params in calls:
            for auth in (None, (AC, "wrong")):
                with self.subTest(method=method, path=path, auth=auth):
                    self.assertTwilioError(self.tw.call(method, path, params, auth=auth), 401, 20003)
        self.assertNotIn("wrong_checks", self.tw.last("challenge"))  # refused before any check
        _, page = self.tw.call("GET", self.tw.entity(identity) + "/Factors")
        self.assertEqual(len(page["factors"]), 1)  # nothing was made or deleted
        status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"],
                                                    "AuthPayload": records.totp_code(secret, offset=1)}, auth="key")
        self.assertEqual((status, body["status"]), (201, "approved"))
        self.assertEqual(self.tw.last("challenge")["auth_user"], SK)

    def test_other_methods_are_405(self):
        identity, factor, _ = self.tw.verified_factor()
        self.assertTwilioError(self.tw.call("PUT", self.tw.entity(identity) + "/Factors"), 405, 20004)
        self.assertTwilioError(self.tw.call("GET", self.tw.entity(identity) + "/Challenges"), 405, 20004)
        self.assertTwilioError(self.tw.call("GET", "%s/Factors/%s" % (self.tw.entity(identity), factor["sid"])),
                               405, 20004)

    # faults
    def test_only_applies_to_the_totp_kinds(self):
        identity, factor, secret = self.tw.verified_factor()
        self.tw.control({"fault": "http503", "only": "challenge"})
        self.assertEqual(self.tw.create_factor(fresh_identity())[0], 201)
        code = records.totp_code(secret, offset=1)
        reply = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": code})
        self.assertTwilioError(reply, 503, 20503)
        record = self.tw.last("challenge")
        self.assertEqual((record["fault"], record["identity"], record["factor_sid"]),
                         ("http503", identity, factor["sid"]))
        self.tw.control({"fault": "http500", "only": ["factor_create", "factor_update", "factor_list",
                                                      "factor_delete"]})
        path = "%s/Factors/%s" % (self.tw.entity(identity), factor["sid"])
        self.assertEqual(self.tw.create_factor(fresh_identity())[0], 500)
        self.assertEqual(self.tw.update_factor(identity, factor["sid"], {"FriendlyName": "x"})[0], 500)
        self.assertEqual(self.tw.call("GET", self.tw.entity(identity) + "/Factors")[0], 500)
        self.assertEqual(self.tw.request("DELETE", path)[0], 500)
        self.assertEqual(self.tw.last("factor_delete")["factor_sid"], factor["sid"])
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)
        self.tw.control(None)
        # The faulted challenge spent nothing: the code still approves.
        status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": code})
        self.assertEqual((status, body["status"]), (201, "approved"))

    def test_plausible_replies_of_the_totp_kinds(self):
        identity, factor, _ = self.tw.verified_factor()
        self.tw.control({"fault": "drip", "drip_ms": 0})
        status, body = self.tw.challenge(identity, {"FactorSid": factor["sid"], "AuthPayload": "000000"})
        self.assertEqual((status, body["status"], body["factor_sid"]), (201, "approved", factor["sid"]))
        status, body = self.tw.create_factor(identity)
        self.assertEqual((status, body["status"], body["identity"]), (201, "unverified", identity))
        status, headers, raw = self.tw.request("DELETE", "%s/Factors/%s" % (self.tw.entity(identity), factor["sid"]))
        self.assertEqual((status, json.loads(raw)["sid"]), (200, factor["sid"]))
        self.tw.control(None)
        _, page = self.tw.call("GET", self.tw.entity(identity) + "/Factors")
        self.assertEqual([f["sid"] for f in page["factors"]], [factor["sid"]])  # nothing made, nothing deleted


class RateLimitTest(Case):
    """Verify Service Rate Limits: the resources, and the starts they refuse."""

    def test_rate_limit_create_fetch_update_list_delete(self):
        name = fresh_name()
        status, r = self.tw.create_rate_limit(name, Description="logins per PAM user")
        self.assertEqual(status, 201, r)
        self.assertRegex(r["sid"], r"^RK[0-9a-f]{32}$")
        self.assertEqual((r["unique_name"], r["description"], r["service_sid"], r["account_sid"]),
                         (name, "logins per PAM user", VA, AC))
        self.assertRegex(r["date_created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertTrue(r["url"].endswith("/v2/Services/%s/RateLimits/%s" % (VA, r["sid"])))
        self.assertEqual(r["links"], {"buckets": r["url"] + "/Buckets"})
        record = self.tw.last("rate_limit_create")
        self.assertEqual((record["sid"], record["unique_name"], record["status"]), (r["sid"], name, 201))

        path = self.tw.rate_limits_path(r["sid"])
        self.assertEqual(self.tw.call("GET", path), (200, r))
        status, updated = self.tw.call("POST", path, {"Description": "per user"})
        self.assertEqual((status, updated["description"], updated["unique_name"]), (200, "per user", name))
        status, page = self.tw.call("GET", self.tw.rate_limits_path())
        self.assertEqual(status, 200)
        self.assertIn(updated, page["rate_limits"])
        self.assertEqual((page["meta"]["key"], page["meta"]["page"], page["meta"]["page_size"]),
                         ("rate_limits", 0, 50))
        self.assertTrue(page["meta"]["url"].endswith("/v2/Services/%s/RateLimits?PageSize=50&Page=0" % VA))

        status, headers, raw = self.tw.request("DELETE", path)
        self.assertEqual((status, raw), (204, b""))
        self.assertTwilioError(self.tw.call("GET", path), 404, 20404)
        self.assertTwilioError(self.tw.call("DELETE", path), 404, 20404)
        self.assertNotIn(r["sid"], [x["sid"] for x in self.tw.call("GET", self.tw.rate_limits_path())[1]["rate_limits"]])
        # Gone, its name is free again.
        self.assertEqual(self.tw.create_rate_limit(name)[0], 201)

    def test_duplicate_unique_name_is_400_60208(self):
        name = fresh_name()
        self.assertEqual(self.tw.create_rate_limit(name)[0], 201)
        reply = self.tw.create_rate_limit(name, Description="again")
        self.assertTwilioError(reply, 400, 60208)
        self.assertEqual(reply[1]["message"], "Rate limit with that UniqueName already exists")
        self.assertEqual(self.tw.last("rate_limit_create")["error_code"], 60208)
        names = [x["unique_name"] for x in self.tw.call("GET", self.tw.rate_limits_path())[1]["rate_limits"]]
        self.assertEqual(names.count(name), 1)

    def test_unique_name_is_required_and_checked(self):
        self.assertTwilioError(self.tw.call("POST", self.tw.rate_limits_path(), {"Description": "x"}), 400, 20001)
        for bad in ("pam user", "pam@host", "user/1", "ünïcode"):
            with self.subTest(name=bad):
                self.assertTwilioError(self.tw.create_rate_limit(bad), 400, 60209)
        self.assertEqual(self.tw.create_rate_limit(fresh_name("End-User_IP.v4"))[0], 201)

    def test_unknown_rate_limit_or_service_is_404(self):
        unknown = "RK" + "e" * 32
        self.assertTwilioError(self.tw.call("GET", self.tw.rate_limits_path(unknown)), 404, 20404)
        self.assertTwilioError(self.tw.call("POST", self.tw.rate_limits_path(unknown), {"Description": "x"}),
                               404, 20404)
        self.assertTwilioError(self.tw.create_bucket(unknown, 1, 60), 404, 20404)
        self.assertTwilioError(self.tw.call("GET", self.tw.rate_limits_path(unknown, "Buckets")), 404, 20404)
        other = "/v2/Services/VA%s/RateLimits" % ("e" * 32)
        self.assertTwilioError(self.tw.call("POST", other, {"UniqueName": fresh_name()}), 404, 20404)
        self.assertTwilioError(self.tw.call("GET", other), 404, 20404)
        self.assertTwilioError(self.tw.call("PUT", self.tw.rate_limits_path()), 405, 20004)

    def test_bucket_create_fetch_update_list_delete(self):
        _, r = self.tw.create_rate_limit(fresh_name())
        status, b = self.tw.create_bucket(r["sid"], 5, 60)
        self.assertEqual(status, 201, b)
        self.assertRegex(b["sid"], r"^BL[0-9a-f]{32}$")
        self.assertEqual((b["rate_limit_sid"], b["service_sid"], b["account_sid"], b["max"], b["interval"]),
                         (r["sid"], VA, AC, 5, 60))
        self.assertTrue(b["url"].endswith("/v2/Services/%s/RateLimits/%s/Buckets/%s" % (VA, r["sid"], b["sid"])))
        path = self.tw.rate_limits_path(r["sid"], "Buckets", b["sid"])
        self.assertEqual(self.tw.call("GET", path), (200, b))
        status, updated = self.tw.call("POST", path, {"Max": "3"})
        self.assertEqual((status, updated["max"], updated["interval"]), (200, 3, 60))
        status, updated = self.tw.call("POST", path, {"Interval": "3600"})
        self.assertEqual((status, updated["max"], updated["interval"]), (200, 3, 3600))
        self.assertEqual(self.tw.last("bucket_update")["interval"], 3600)
        _, second = self.tw.create_bucket(r["sid"], 1, 10)
        status, page = self.tw.call("GET", self.tw.rate_limits_path(r["sid"], "Buckets"))
        self.assertEqual(status, 200)
        self.assertEqual([x["sid"] for x in page["buckets"]], [b["sid"], second["sid"]])
        self.assertEqual(page["meta"]["key"], "buckets")
        # A bucket is found under its own rate limit only.
        _, other = self.tw.create_rate_limit(fresh_name())
        self.assertTwilioError(self.tw.call("GET", self.tw.rate_limits_path(other["sid"], "Buckets", b["sid"])),
                               404, 20404)
        status, _, raw = self.tw.request("DELETE", path)
        self.assertEqual((status, raw), (204, b""))
        self.assertTwilioError(self.tw.call("GET", path), 404, 20404)
        page = self.tw.call("GET", self.tw.rate_limits_path(r["sid"], "Buckets"))[1]
        self.assertEqual([x["sid"] for x in page["buckets"]], [second["sid"]])
        # Deleting the rate limit deletes its buckets.
        self.tw.request("DELETE", self.tw.rate_limits_path(r["sid"]))
        self.assertTwilioError(self.tw.call("GET", self.tw.rate_limits_path(r["sid"], "Buckets", second["sid"])),
                               404, 20404)

    def test_bucket_max_and_interval_are_positive_integers(self):
        _, r = self.tw.create_rate_limit(fresh_name())
        buckets = self.tw.rate_limits_path(r["sid"], "Buckets")
        self.assertTwilioError(self.tw.call("POST", buckets, {"Interval": "60"}), 400, 20001)
        self.assertTwilioError(self.tw.call("POST", buckets, {"Max": "1"}), 400, 20001)
        for max_, interval in (("0", "60"), ("-1", "60"), ("1.5", "60"), ("two", "60"), ("1", "0"), ("1", "1e3")):
            with self.subTest(max=max_, interval=interval):
                self.assertTwilioError(self.tw.call("POST", buckets, {"Max": max_, "Interval": interval}), 400, 60200)
        _, b = self.tw.create_bucket(r["sid"], 2, 60)
        self.assertTwilioError(self.tw.call("POST", "%s/%s" % (buckets, b["sid"]), {"Max": "0"}), 400, 60200)
        self.assertEqual(self.tw.call("GET", buckets)[1]["buckets"], [b])  # nothing half-made or changed

    def test_one_bucket_per_interval_60211(self):
        _, r = self.tw.create_rate_limit(fresh_name())
        _, b60 = self.tw.create_bucket(r["sid"], 2, 60)
        self.assertTwilioError(self.tw.create_bucket(r["sid"], 5, 60), 400, 60211)
        _, b600 = self.tw.create_bucket(r["sid"], 5, 600)
        path = self.tw.rate_limits_path(r["sid"], "Buckets", b600["sid"])
        self.assertTwilioError(self.tw.call("POST", path, {"Interval": "60"}), 400, 60211)
        self.assertEqual(self.tw.call("POST", path, {"Interval": "600", "Max": "4"})[0], 200)  # its own Interval
        # Another rate limit may have a bucket of the same Interval.
        _, other = self.tw.create_rate_limit(fresh_name())
        self.assertEqual(self.tw.create_bucket(other["sid"], 2, 60)[0], 201)

    def test_max_2_refuses_the_third_start_of_a_key_not_another_key(self):
        name = self.tw.limited((2, 60))
        user = "3f2a" + os.urandom(6).hex()
        for _ in range(2):
            status, body = self.tw.verify_limited(fresh_number(), {name: user})
            self.assertEqual(status, 201, body)
        to = fresh_number()
        reply = self.tw.verify_limited(to, {name: user})
        self.assertTwilioError(reply, 429, 20429)
        record = self.tw.last("verification")
        self.assertEqual((record["status"], record["error_code"], record["to"]), (429, 20429, to))
        self.assertEqual(record["rate_limits"], {name: user})
        hit = record["rate_limited"]
        self.assertEqual((hit["unique_name"], hit["key"], hit["max"], hit["interval"]), (name, user, 2, 60))
        self.assertRegex(hit["bucket_sid"], r"^BL[0-9a-f]{32}$")
        self.assertRegex(hit["rate_limit_sid"], r"^RK[0-9a-f]{32}$")
        self.assertEqual([r["to"] for r in records.rate_limited(self.tw.state, name)], [to])
        # Another key value has buckets of its own; a start without RateLimits is not limited.
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "other-user"})[0], 201)
        self.assertEqual(self.tw.verify(fresh_number())[0], 201)
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {name: user}), 429, 20429)

    def test_resends_count_too(self):
        name = self.tw.limited((2, 60))
        to = fresh_number()
        _, first = self.tw.verify_limited(to, {name: "web1"})
        _, again = self.tw.verify_limited(to, {name: "web1"}, channel="call")
        self.assertEqual(again["sid"], first["sid"])
        self.assertTwilioError(self.tw.verify_limited(to, {name: "web1"}), 429, 20429)
        # The refused resend left the pending verification as it was.
        status, body = self.tw.call("GET", "/v2/Services/%s/Verifications/%s" % (VA, first["sid"]))
        self.assertEqual((status, len(body["send_code_attempts"])), (200, 2))

    def test_refused_start_creates_no_verification(self):
        name = self.tw.limited((1, 60))
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)
        to = fresh_number()
        self.assertTwilioError(self.tw.verify_limited(to, {name: "k"}), 429, 20429)
        self.assertIsNone(records.last_code(self.tw.state, to))
        self.assertEqual(records.count(self.tw.state, "verification", to, ok_only=True), 0)
        self.assertIsNone(self.tw.last("verification")["sid"])
        # The number has no pending verification: a plain start makes a fresh one.
        status, v = self.tw.verify(to)
        self.assertEqual((status, len(v["send_code_attempts"])), (201, 1))

    def test_refused_start_counts_in_no_bucket(self):
        strict, loose = self.tw.limited((1, 60)), self.tw.limited((2, 60))
        self.assertEqual(self.tw.verify_limited(fresh_number(), {strict: "a", loose: "x"})[0], 201)
        # strict is full: refused, and loose does not count it.
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {strict: "a", loose: "x"}), 429, 20429)
        self.assertEqual(self.tw.last("verification")["rate_limited"]["unique_name"], strict)
        self.assertEqual(self.tw.verify_limited(fresh_number(), {loose: "x"})[0], 201)  # loose's second
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {loose: "x"}), 429, 20429)
        # Nor does a start refused for another reason (a landline); a name the
        # service does not have is a parameter error, refused before the magic.
        capped = self.tw.limited((1, 60))
        self.assertTwilioError(self.tw.verify_limited("+15005550009", {capped: "y"}), 403, 60205)
        self.assertTwilioError(self.tw.verify_limited("+15005550009", {capped: "y", "no.such": "y"}), 400, 60200)
        self.assertEqual(self.tw.verify_limited(fresh_number(), {capped: "y"})[0], 201)

    def test_window_slides_with_the_clock_offset(self):
        # Max 1 in 10 s and Max 2 in an hour: whichever is full refuses.
        name = fresh_name()
        _, r = self.tw.create_rate_limit(name)
        _, short = self.tw.create_bucket(r["sid"], 1, 10)
        _, hour = self.tw.create_bucket(r["sid"], 2, 3600)
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {name: "k"}), 429, 20429)
        self.assertEqual(self.tw.last("verification")["rate_limited"]["bucket_sid"], short["sid"])
        self.tw.control({"rate_limit_clock_offset": 11})  # the 10 s window has moved past the first start
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)
        self.tw.control({"rate_limit_clock_offset": 22})
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {name: "k"}), 429, 20429)
        self.assertEqual(self.tw.last("verification")["rate_limited"]["bucket_sid"], hour["sid"])
        self.tw.control({"rate_limit_clock_offset": 3601})  # the first start leaves the hour
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)

    def test_bad_rate_limits_are_400_60200_and_count_nowhere(self):
        name = self.tw.limited((1, 60))
        path = "/v2/Services/%s/Verifications" % VA
        for text in ("pam_user=abc", "", "[\"%s\"]" % name, json.dumps({name: 3}), json.dumps({name: None}),
                     json.dumps({name: {"k": "v"}}), json.dumps({"no-such-limit": "k"}),
                     json.dumps({name: "k", "no-such-limit": "k"})):
            with self.subTest(rate_limits=text):
                to = fresh_number()
                reply = self.tw.call("POST", path, {"To": to, "Channel": "sms", "RateLimits": text})
                if text == "":  # an empty parameter is an absent one, as for every other
                    self.assertEqual(reply[0], 201)
                    continue
                self.assertTwilioError(reply, 400, 60200)
                self.assertIn("RateLimits", reply[1]["message"])
                self.assertIsNone(records.last_code(self.tw.state, to))
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)  # still its first
        self.assertEqual(records.rate_limited(self.tw.state, name), [])

    def test_a_rate_limit_without_buckets_limits_nothing(self):
        name = self.tw.limited()
        for _ in range(3):
            self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)
        self.assertEqual(self.tw.verify_limited(fresh_number(), {})[0], 201)  # an empty object names none

    def test_deleted_bucket_and_rate_limit_stop_limiting(self):
        name = fresh_name()
        _, r = self.tw.create_rate_limit(name)
        _, b = self.tw.create_bucket(r["sid"], 1, 60)
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {name: "k"}), 429, 20429)
        self.tw.request("DELETE", self.tw.rate_limits_path(r["sid"], "Buckets", b["sid"]))
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)
        self.tw.request("DELETE", self.tw.rate_limits_path(r["sid"]))
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {name: "k"}), 400, 60200)

    def test_a_raised_max_applies_to_the_next_start(self):
        name = fresh_name()
        _, r = self.tw.create_rate_limit(name)
        _, b = self.tw.create_bucket(r["sid"], 1, 60)
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {name: "k"}), 429, 20429)
        self.tw.call("POST", self.tw.rate_limits_path(r["sid"], "Buckets", b["sid"]), {"Max": "2"})
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {name: "k"}), 429, 20429)

    def test_clock_offset_must_be_a_number(self):
        name = self.tw.limited((1, 60))
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)
        self.tw.control({"rate_limit_clock_offset": "61"})  # unusable: the whole file is ignored
        self.assertTwilioError(self.tw.verify_limited(fresh_number(), {name: "k"}), 429, 20429)
        self.tw.control({"rate_limit_clock_offset": 61.5})
        self.assertEqual(self.tw.verify_limited(fresh_number(), {name: "k"})[0], 201)

    def test_faults_apply_to_the_new_kinds(self):
        self.tw.control({"fault": "http503", "only": "bucket_create", "times": 1})
        _, r = self.tw.create_rate_limit(fresh_name())
        self.assertTwilioError(self.tw.create_bucket(r["sid"], 1, 60), 503, 20503)
        self.assertEqual(self.tw.create_bucket(r["sid"], 1, 60)[0], 201)


class RecordsToolTest(Case):
    def run_tool(self, *args):
        return subprocess.run([PYTHON, os.path.join(HERE, "records.py"), self.tw.state] + list(args),
                              capture_output=True, text=True)

    def test_cli(self):
        to = fresh_number()
        self.tw.verify(to)
        code = self.tw.code(to)
        run = self.run_tool("last-code", to)
        self.assertEqual((run.returncode, run.stdout.strip()), (0, code))
        self.tw.message({"To": to, "From": FROM, "Body": "Your code: 99 11 22"})
        self.assertEqual(self.run_tool("last-code", to).stdout.strip(), "991122")
        self.assertEqual(self.run_tool("count", "verification", to).stdout.strip(), "1")
        self.assertEqual(self.run_tool("count", "message", to, "--ok").stdout.strip(), "1")
        last = json.loads(self.run_tool("last", "message").stdout)
        self.assertEqual((last["to"], last["kind"], last["status"]), (to, "message", 201))
        for field in ("time", "kind", "method", "path", "status", "to", "channel", "sid", "code",
                      "body", "twiml", "params", "auth_user"):
            self.assertIn(field, last)
        self.assertEqual(self.run_tool("last-code", fresh_number()).returncode, 1)
        self.assertEqual(self.run_tool("bogus", "x").returncode, 2)

    def test_totp_cli(self):
        identity = fresh_identity()
        _, factor = self.tw.create_factor(identity, params={"Config.CodeLength": "8"})
        secret = factor["binding"]["secret"]
        run = self.run_tool("factor-secret", identity)
        self.assertEqual((run.returncode, run.stdout.strip()), (0, secret))
        self.assertEqual(self.run_tool("factor-secret", fresh_identity()).returncode, 1)
        run = self.run_tool("totp-code", factor["sid"], "--offset", "1")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertRegex(run.stdout.strip(), r"^[0-9]{8}$")  # the factor's own config, from the records
        self.assertEqual(run.stdout.strip(), records.totp_code(secret, digits=8, offset=1))
        # What the user types verifies the factor.
        status, body = self.tw.update_factor(identity, factor["sid"],
                                             {"AuthPayload": self.run_tool("totp-code", factor["sid"]).stdout.strip()})
        self.assertEqual((status, body["status"]), (200, "verified"))
        # A secret alone, with the RFC 6238 test key: its published value at T=59.
        run = self.run_tool("totp-code", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "--at", "59", "--digits", "8")
        self.assertEqual((run.returncode, run.stdout.strip()), (0, "94287082"))
        self.assertEqual(self.run_tool("totp-code", "YF" + "c" * 32).returncode, 1)
        self.assertEqual(self.run_tool("totp-code", "not base32!").returncode, 2)
        self.assertEqual(self.run_tool("totp-code", secret, "--alg", "md5").returncode, 2)

    def test_rate_limited_cli(self):
        name = self.tw.limited((1, 60))
        other = self.tw.limited((5, 60))
        self.assertEqual(self.run_tool("rate-limited", name).returncode, 1)  # none yet
        self.tw.verify_limited(fresh_number(), {name: "alice"})
        refused = [fresh_number(), fresh_number()]
        for to in refused:
            self.assertEqual(self.tw.verify_limited(to, {name: "alice", other: "web1"})[0], 429)
        run = self.run_tool("rate-limited", name)
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = [json.loads(line) for line in run.stdout.splitlines()]
        self.assertEqual([r["to"] for r in lines], refused)
        self.assertEqual({(r["rate_limited"]["unique_name"], r["rate_limited"]["key"], r["status"], r["error_code"])
                          for r in lines}, {(name, "alice", 429, 20429)})
        self.assertEqual(len(self.run_tool("rate-limited", name, "alice").stdout.splitlines()), 2)
        self.assertEqual(self.run_tool("rate-limited", name, "bob").returncode, 1)
        self.assertEqual(self.run_tool("rate-limited", other).returncode, 1)  # it was not the full one
        everything = self.run_tool("rate-limited")
        self.assertEqual(everything.returncode, 0)
        self.assertGreaterEqual(len(everything.stdout.splitlines()), 2)
        self.assertEqual(self.run_tool("rate-limited", name, "alice", "extra").returncode, 2)

    def test_totp_code_matches_rfc_6238(self):
        # RFC 6238 appendix B: the keys are ASCII digits, 20, 32 and 64 bytes long.
        keys = {"sha1": b"12345678901234567890", "sha256": b"12345678901234567890123456789012",
                "sha512": b"1234567890123456789012345678901234567890123456789012345678901234"}
        vectors = [(59, "94287082", "46119246", "90693936"), (1111111109, "07081804", "68084774", "25091201"),
                   (1111111111, "14050471", "67062674", "99943326"), (1234567890, "89005924", "91819424", "93441116"),
                   (2000000000, "69279037", "90698825", "38618901"), (20000000000, "65353130", "77737706", "47863826")]
        for at, *codes in vectors:
            for alg, want in zip(("sha1", "sha256", "sha512"), codes):
                with self.subTest(at=at, alg=alg):
                    secret = base64.b32encode(keys[alg]).decode()
                    self.assertEqual(records.totp_code(secret, at=at, digits=8, alg=alg), want)
        self.assertEqual(records.totp_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", at=59), "287082")  # 6 digits


class GTestStyleResult(unittest.TextTestResult):
    """Adds the gtest/cmocka-style lines the suite runner counts."""

    def addSuccess(self, test):
        super().addSuccess(test)
        self.stream.writeln("[       OK ] %s" % test.id())

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.stream.writeln("[  FAILED  ] %s" % test.id())

    def addError(self, test, err):
        super().addError(test, err)
        self.stream.writeln("[  FAILED  ] %s" % test.id())

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.stream.writeln("[  FAILED  ] %s" % subtest.id())


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    if len(sys.argv) > 2 and sys.argv[1] == "-k":
        pattern = sys.argv[2]

        def flatten(s):
            for t in s:
                yield from (flatten(t) if isinstance(t, unittest.TestSuite) else [t])
        suite = unittest.TestSuite(t for t in flatten(suite) if pattern in t.id())
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=0, resultclass=GTestStyleResult).run(suite)
    failed_ids = set()
    for test, _ in result.failures + result.errors:
        failed_ids.add(getattr(test, "test_case", test).id())  # subtests count once, as their test
    passed = result.testsRun - len(failed_ids) - len(result.skipped)
    print("[  PASSED  ] %d test(s)." % passed)
    if failed_ids:
        print("[  FAILED  ] %d test(s)" % len(failed_ids))
    sys.stdout.flush()
    return 1 if failed_ids else 0


if __name__ == "__main__":
    sys.exit(main())
