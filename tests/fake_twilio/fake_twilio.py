#!/usr/bin/python3
"""fake_twilio: a local stand-in for the parts of Twilio's REST API that
pam_twilio_otp uses, speaking Twilio's wire format over HTTPS on loopback.

    Verify v2        POST /v2/Services/{VA}/Verifications
                     POST /v2/Services/{VA}/VerificationCheck
                     POST /v2/Services/{VA}/Verifications/{VE}   (Status=canceled|approved)
                     GET  /v2/Services/{VA}/Verifications/{VE}
                     GET  /v2/Services/{VA}
    Verify TOTP      POST /v2/Services/{VA}/Entities/{Identity}/Factors        (FactorType=totp)
                     GET  /v2/Services/{VA}/Entities/{Identity}/Factors
                     POST /v2/Services/{VA}/Entities/{Identity}/Factors/{YF}   (AuthPayload, FriendlyName)
                     DELETE /v2/Services/{VA}/Entities/{Identity}/Factors/{YF}
                     POST /v2/Services/{VA}/Entities/{Identity}/Challenges     (FactorSid, AuthPayload)
    Verify Service   POST|GET /v2/Services/{VA}/RateLimits                     (UniqueName, Description)
    Rate Limits      POST|GET|DELETE /v2/Services/{VA}/RateLimits/{RK}         (Description)
                     POST|GET /v2/Services/{VA}/RateLimits/{RK}/Buckets        (Max, Interval)
                     POST|GET|DELETE /v2/Services/{VA}/RateLimits/{RK}/Buckets/{BL}
                     and Verifications' RateLimits={"unique name": "key value", ...}
    2010-04-01 API   POST /2010-04-01/Accounts/{AC}/Messages.json
                     POST /2010-04-01/Accounts/{AC}/Calls.json
                     GET  /2010-04-01/Accounts/{AC}.json
                     GET  /2010-04-01/Accounts/{AC}/IncomingPhoneNumbers.json
                     GET  /2010-04-01/Accounts/{AC}/OutgoingCallerIds.json
    Lookup v2        GET  /v2/PhoneNumbers/{PhoneNumber}?Fields=line_type_intelligence

All three APIs answer on one port. Python 3 standard library only; run it with
/usr/bin/python3. Secrets come from files, never from argv. Once it listens
it writes STATE_DIR/port (atomically) and prints "ready https://HOST:PORT".

Every request handled is appended as one JSON line to STATE_DIR/records.jsonl;
STATE_DIR/control.json, read on every request (and, for the TLS faults, on
every connection, then served with another certificate on the same port),
injects faults. Both formats, the magic recipient numbers and the error codes
are documented in README.md next to this file. Twilio's reply shapes follow
its OpenAPI specs (tests/contract/specs); tests/contract/check_fake_shapes.py
validates them.
"""

import argparse
import base64
import binascii
import hmac
import http.server
import ipaddress
import json
import os
import re
import secrets
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET

API_VERSION = "2010-04-01"

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
VERIFY_CODE = re.compile(r"^[0-9]{4,10}$")
LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
SID = {prefix: re.compile(r"^%s[0-9a-fA-F]{32}$" % prefix)
       for prefix in ("AC", "SK", "VA", "VE", "MG", "HJ", "YE", "YF", "YC", "RK", "BL")}
# An Entity's identity: "length between 8 and 64 characters ... It can only
# contain dash (-) separated alphanumeric characters" (the spec, and Twilio's
# Entity docs). So no underscore: a client must map user names to such an id.
IDENTITY = re.compile(r"^[A-Za-z0-9-]{8,64}$")
BASE32 = re.compile(r"^[A-Z2-7]+=*$")
# A rate limit's UniqueName: "only supports alphanumeric characters and -, _
# or ." (Twilio's error 60209, which refuses any other).
RATE_LIMIT_NAME = re.compile(r"^[A-Za-z0-9._-]+$")

VERIFY_CHANNELS = ("sms", "call", "whatsapp", "email")
# How Verify spells each channel inside send_code_attempts (as in Twilio's
# own examples: "SMS", "whatsapp", "EMAIL").
ATTEMPT_CHANNEL = {"sms": "SMS", "call": "CALL", "whatsapp": "whatsapp", "email": "EMAIL"}

MAX_SENDS = 5           # sends of one pending verification; the 6th is 429 / 60203
MAX_CHECKS = 5          # wrong checks of one verification; then 429 / 60202
MAX_TOTP_WRONG = 5      # wrong TOTP challenges of one factor in a row; then 429 (the stand-in's rule)
# The code of that refusal: Twilio documents 60308 (429, "Challenge verification
# attempts limit reached", 5 for TOTP) for wrong codes on one challenge; that
# it also spans challenges is the stand-in's own choice.
TOTP_LOCKOUT_CODE = 60308
# A start over a Service Rate Limit's bucket: 429 / 20429, the code whose page
# lists "Exceeding Verify Service Rate Limits that you configure" among its
# causes (60203 is one verification's 5 sends; README.md has the reasoning).
RATE_LIMITED_CODE = 20429
CHALLENGE_TTL = 300     # a challenge's expiration_date: Twilio's default, 5 minutes after creation
SERVICE_NAME = "pam_twilio_otp"  # the Verify service's friendly_name, the TOTP issuer
FACTOR_TYPES = ("push", "totp", "passkeys")   # the spec's enum; only totp is implemented
TOTP_ALGS = ("sha1", "sha256", "sha512")
# Config.X of a TOTP factor: (config key, default, lowest, highest), as the spec words them.
TOTP_CONFIG = {"Config.TimeStep": ("time_step", 30, 20, 60), "Config.Skew": ("skew", 1, 0, 2),
               "Config.CodeLength": ("code_length", 6, 3, 8)}
HANG_MAX_SECONDS = 120  # the "hang" and "drip" faults give up on a client after this long
DRIP_MS = 200           # "drip": default milliseconds between two bytes of the body
HUGE_BYTES = 10 * 1024 * 1024  # "huge": the size of the body
REDIRECT_HOST = "another-host.invalid"  # "redirect": where the Location header points
BODY_LIMIT = 1600       # characters in a message Body (21617)
REQUEST_LIMIT = 1 << 20  # bytes of request body we accept at all
IDLE_TIMEOUT = 60       # seconds a keep-alive connection may sit idle

# Request parameters this stand-in reads, per operation (the contract check
# makes sure each is a parameter of that operation in Twilio's spec).
READS = {
    ("verify", "/v2/Services/{ServiceSid}/Verifications", "post"):
        ("To", "Channel", "Locale", "CustomFriendlyName", "CustomCode", "Amount", "Payee", "TemplateSid",
         "TemplateCustomSubstitutions", "DeviceIp", "Tags", "RateLimits"),
    ("verify", "/v2/Services/{ServiceSid}/VerificationCheck", "post"):
        ("To", "Code", "VerificationSid"),
    ("verify", "/v2/Services/{ServiceSid}/Verifications/{Sid}", "post"): ("Status",),
    ("api", "/2010-04-01/Accounts/{AccountSid}/Messages.json", "post"):
        ("To", "From", "MessagingServiceSid", "Body", "MediaUrl", "ContentSid"),
    ("api", "/2010-04-01/Accounts/{AccountSid}/Calls.json", "post"):
        ("To", "From", "Twiml", "Url", "ApplicationSid"),
    ("lookups", "/v2/PhoneNumbers/{PhoneNumber}", "get"): ("PhoneNumber", "Fields", "CountryCode"),
    ("verify", "/v2/Services/{ServiceSid}/Entities/{Identity}/Factors", "post"):
        ("Identity", "FriendlyName", "FactorType", "Binding.Secret", "Config.TimeStep", "Config.Skew",
         "Config.CodeLength", "Config.Alg"),
    ("verify", "/v2/Services/{ServiceSid}/Entities/{Identity}/Factors", "get"): ("Identity",),
    ("verify", "/v2/Services/{ServiceSid}/Entities/{Identity}/Factors/{Sid}", "post"):
        ("Identity", "Sid", "AuthPayload", "FriendlyName"),
    ("verify", "/v2/Services/{ServiceSid}/Entities/{Identity}/Factors/{Sid}", "delete"): ("Identity", "Sid"),
    ("verify", "/v2/Services/{ServiceSid}/Entities/{Identity}/Challenges", "post"):
        ("Identity", "FactorSid", "AuthPayload"),
    ("verify", "/v2/Services/{ServiceSid}/RateLimits", "post"): ("UniqueName", "Description"),
    ("verify", "/v2/Services/{ServiceSid}/RateLimits/{Sid}", "post"): ("Sid", "Description"),
    ("verify", "/v2/Services/{ServiceSid}/RateLimits/{RateLimitSid}/Buckets", "post"):
        ("RateLimitSid", "Max", "Interval"),
    ("verify", "/v2/Services/{ServiceSid}/RateLimits/{RateLimitSid}/Buckets/{Sid}", "post"):
        ("RateLimitSid", "Sid", "Max", "Interval"),
}

# The record kinds of Verify TOTP: their path names the Entity's identity.
FACTOR_KINDS = ("factor_create", "factor_update", "factor_list", "factor_delete", "challenge")
# The record kinds of Service Rate Limits and their Buckets.
RATE_LIMIT_KINDS = tuple("%s_%s" % (what, op) for what in ("rate_limit", "bucket")
                         for op in ("create", "list", "fetch", "update", "delete"))

# The record field of each optional detail of a verification.
RECORDED_AS = {"Amount": "amount", "Payee": "payee", "TemplateSid": "template_sid", "DeviceIp": "device_ip",
               "TemplateCustomSubstitutions": "template_substitutions", "Tags": "tags",
               "RateLimits": "rate_limits"}

# Magic recipients: the number decides Twilio's answer. Keys are "verify:CHANNEL",
# "verify" (any Verify channel), "message" and "call"; a value is (HTTP, code)
# for a synchronous refusal, or ("async", code) for a request Twilio accepts
# (201) whose delivery then fails, which only the record shows. "lookup" is
# the line type Lookup v2 reports ("invalid": valid false); any other valid
# number is "mobile". Numbers follow Twilio's own test-credential magic
# numbers where those exist (+1500555000x).
MAGIC = {
    "+15005550001": {"label": "invalid number", "lookup": "invalid",
                     "verify": (400, 60200), "message": (400, 21211), "call": (400, 21211)},
    "+15005550003": {"label": "geo permission off for the destination",
                     "verify": (403, 60605), "message": (400, 21408), "call": (400, 21215)},
    "+15005550004": {"label": "recipient replied STOP (SMS only)",
                     "verify:sms": (400, 21610), "message": (400, 21610)},
    "+15005550009": {"label": "landline, cannot receive SMS", "lookup": "landline",
                     "verify:sms": (403, 60205), "verify:whatsapp": (403, 60205), "message": (400, 21614)},
    "+15005550010": {"label": "Fraud Guard / SMS pumping protection blocks the prefix",
                     "verify:sms": (403, 60410), "message": ("async", 30450)},
    "+15005550011": {"label": "trial account, number not verified",
                     "verify": (400, 21608), "message": (400, 21608), "call": (400, 21219)},
    # Line types only: Verify, messages and calls to these succeed.
    "+15005550020": {"label": "non-fixed VoIP", "lookup": "nonFixedVoip"},
    "+15005550021": {"label": "fixed VoIP", "lookup": "fixedVoip"},
    "+15005550022": {"label": "premium rate", "lookup": "premium"},
    "+15005550023": {"label": "toll free", "lookup": "tollFree"},
    "+15005550024": {"label": "pager", "lookup": "pager"},
}

# ITU calling codes of one or two digits (every other one has three), and the
# country Lookup names for each. +1 and +7 are shared: the stand-in says US
# and RU; numbers under a three-digit code get country_code null.
CALLING_CODES = {
    "1": "US", "7": "RU", "20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE", "33": "FR", "34": "ES",
    "36": "HU", "39": "IT", "40": "RO", "41": "CH", "43": "AT", "44": "GB", "45": "DK", "46": "SE", "47": "NO",
    "48": "PL", "49": "DE", "51": "PE", "52": "MX", "53": "CU", "54": "AR", "55": "BR", "56": "CL", "57": "CO",
    "58": "VE", "60": "MY", "61": "AU", "62": "ID", "63": "PH", "64": "NZ", "65": "SG", "66": "TH", "81": "JP",
    "82": "KR", "84": "VN", "86": "CN", "90": "TR", "91": "IN", "92": "PK", "93": "AF", "94": "LK", "95": "MM",
    "98": "IR",
}
# Lookup v2's data packages: each is a key of the reply, null unless asked
# for (the stand-in fills line_type_intelligence only).
LOOKUP_PACKAGES = ("caller_name", "sim_swap", "call_forwarding", "line_status", "line_type_intelligence",
                   "identity_match", "reassigned_number", "sms_pumping_risk", "phone_number_quality_score",
                   "pre_fill")


def magic_outcome(to, endpoint, channel=None):
    """The magic table's answer for `to` on `endpoint`, or None (succeeds)."""
    entry = MAGIC.get(to)
    if not entry:
        return None
    if channel and ("%s:%s" % (endpoint, channel)) in entry:
        return entry["%s:%s" % (endpoint, channel)]
    return entry.get(endpoint)


def lookup_fields(params):
    """Lookup's Fields: a comma-separated list of packages, in order."""
    value = params.get("Fields")
    if isinstance(value, list):
        value = ",".join(value)
    return [f.strip() for f in (value or "").split(",") if f.strip()]


def line_type(number):
    """The line type Lookup reports for an E.164 number, or "invalid"."""
    return MAGIC.get(number, {}).get("lookup", "mobile")


def error_message(code, to="", from_="", param="", value="", path="", sid=""):
    """Twilio's `message` text for an error code (as its API words them)."""
    messages = {
        20001: "Missing required parameter %s in the post body" % param,
        20004: "Method not allowed",
        20404: "The requested resource %s was not found" % path,
        20429: "Too many requests",
        20500: "An internal server error has occurred",
        20503: "Service is unavailable. Please try again",
        21201: "No 'To' number is specified",
        21205: ("Url is not a valid URL: %s" % value) if value else "Url parameter is required.",
        21210: ("The source phone number provided, %s, is not yet verified for your account. You may only "
                "make calls from phone numbers that you've verified or purchased from Twilio." % from_),
        21211: "The 'To' number %s is not a valid phone number." % to,
        21212: "The 'From' number %s is not a valid phone number, shortcode, or alphanumeric sender ID." % from_,
        21213: "No 'From' number is specified",
        21215: ("Account not authorized to call %s. Perhaps you need to enable some international "
                "permissions: https://www.twilio.com/console/voice/calls/geo-permissions/low-risk" % to),
        21219: "The number %s is unverified. Trial accounts may only make calls to verified numbers." % to,
        21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: %s." % to,
        21602: "Message body is required.",
        21603: "A 'From' phone number is required.",
        21604: "A 'To' phone number is required.",
        21606: ("The From phone number %s is not a valid, SMS-capable inbound phone number or short code "
                "for your account." % from_),
        21608: ("The number %s is unverified. Trial accounts cannot send messages to unverified numbers; "
                "verify %s at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number "
                "to send messages to unverified numbers." % (to, to)),
        21610: "Attempt to send to unsubscribed recipient",
        21614: "'To' number %s is not a valid mobile number" % to,
        21617: "The concatenated message body exceeds the 1600 character limit.",
        21705: "The Messaging Service Sid %s is invalid." % sid,
        60200: ("Invalid parameter `%s`: %s" % (param, value)) if value else "Invalid parameter: %s" % param,
        60202: "Max check attempts reached",
        60203: "Max send attempts reached",
        60308: "Challenge verification attempts limit reached",
        60204: "Service does not support this feature",
        60205: "SMS is not supported by landline phone number %s" % to,
        60208: "Rate limit with that UniqueName already exists",
        60209: "UniqueName format is invalid",
        60211: "Bucket with the given Interval already exists",
        60217: "Invalid Service configuration: add an email integration before using the Email channel",
        60212: "Too many concurrent requests for phone number %s" % to,
        60221: "Either a 'To' or a 'VerificationSid' must be specified",
        60318: "Factor is unverified",
        60410: "The destination phone number has been temporarily blocked by Twilio due to fraudulent activities",
        60605: ("The destination phone number has been blocked by Verify Geo-Permissions. "
                "%s is blocked for sms channel for all services" % to),
    }
    return messages.get(code, "Twilio error %d" % code)


class TwilioError(Exception):
    """A refusal, answered as Twilio's JSON error body."""

    def __init__(self, http_status, code, message=None, headers=None, **fields):
        super().__init__(code)
        self.http_status = http_status
        self.code = code
        self.message = message if message is not None else error_message(code, **fields)
        self.headers = headers or {}
        self.detail = None  # only 20003 carries Twilio's "detail"

    def body(self):
        body = {"code": self.code, "message": self.message,
                "more_info": "https://www.twilio.com/docs/errors/%d" % self.code,
                "status": self.http_status}
        if self.detail:
            body["detail"] = self.detail
        return body


def auth_error(message):
    error = TwilioError(401, 20003, message, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
    error.detail = "Your AccountSid or AuthToken was incorrect."
    return error


# --- dates, SIDs, formatting -------------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(t):
    """'Thu, 24 Aug 2023 05:01:45 +0000', as the 2010-04-01 API writes dates
    (built by hand: strftime's names follow the locale)."""
    g = time.gmtime(t)
    return "%s, %02d %s %04d %02d:%02d:%02d +0000" % (
        _DAYS[g.tm_wday], g.tm_mday, _MONTHS[g.tm_mon - 1], g.tm_year, g.tm_hour, g.tm_min, g.tm_sec)


def iso8601(t):
    """'2015-07-30T20:00:00Z', as Verify v2 writes dates."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def new_sid(prefix):
    return prefix + secrets.token_hex(16)


def formatted_number(number):
    """Twilio's to_formatted/from_formatted: '(415) 867-5309' for NANP numbers."""
    m = re.match(r"^\+1(\d{3})(\d{3})(\d{4})$", number or "")
    return "(%s) %s-%s" % m.groups() if m else number


GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€")


def num_segments(body):
    """SMS segments: 160/153 GSM-7 characters, or 70/67 UCS-2 ones."""
    if all(c in GSM7 for c in body):
        single, multi = 160, 153
    else:
        single, multi = 70, 67
    n = len(body)
    return 1 if n <= single else -(-n // multi)


# A code is the first run of 4..10 digits, single spaces, commas, dots or
# hyphens allowed between digits (voice TwiML often spells "1, 2, 3, 4").
_DIGIT_RUN = re.compile(r"\d(?:[ ,.\-]{0,2}\d){3,9}")


def digits_in(text):
    m = _DIGIT_RUN.search(text or "")
    return re.sub(r"\D", "", m.group(0)) if m else None


def twiml_text(twiml):
    """The spoken text of a TwiML document, and whether it parsed."""
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return re.sub(r"<[^>]*>", " ", twiml), False
    return " ".join(t.strip() for t in root.itertext() if t.strip()), root.tag == "Response"


# --- TOTP (RFC 6238) -------------------------------------------------------------

def base32_key(secret):
    """The key bytes of a base32 secret (any case, padding optional), or None."""
    text = (secret or "").replace(" ", "").upper()
    if not text or not BASE32.match(text):
        return None
    try:
        return base64.b32decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 8))
    except (binascii.Error, ValueError):
        return None


def hotp(key, counter, digits=6, alg="sha1"):
    """RFC 4226's HOTP value of `counter`, `digits` long (alg: sha1, sha256, sha512)."""
    mac = hmac.new(key, struct.pack(">Q", counter), alg).digest()
    offset = mac[-1] & 0x0F
    value = (int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF) % (10 ** digits)
    return "%0*d" % (digits, value)


def totp_code(secret, at=None, digits=6, period=30, alg="sha1", offset=0):
    """The TOTP code of a base32 `secret` at epoch time `at` (default now),
    `offset` time steps later (-1: the previous code, 1: the next). Tests
    type it as the user's authenticator app would (records.py totp-code)."""
    key = base32_key(secret)
    if key is None:
        raise ValueError("not a base32 secret: %r" % secret)
    if alg not in TOTP_ALGS or not 1 <= digits <= 10 or period <= 0:
        raise ValueError("not a TOTP configuration: %s, %d digits, %d s" % (alg, digits, period))
    now = time.time() if at is None else at
    return hotp(key, int(now // period) + offset, digits, alg)


# --- faults --------------------------------------------------------------------

# Faults answered after the request is read (see Handler._apply_fault).
HTTP_FAULTS = ("none", "http500", "http503", "http429", "http401", "http404", "hang", "garbage", "twilio_error",
               "close", "drip", "truncated", "huge", "redirect")
# Faults of the TLS handshake: the connection is served with another
# certificate, chosen when it is accepted (no request has been read yet).
TLS_FAULTS = ("wrong_ca", "wrong_host")
FAULTS = HTTP_FAULTS + TLS_FAULTS
CONTROL_KEYS = ("fault", "delay_ms", "drip_ms", "error_http", "error_code", "retry_after", "only", "times",
                "account_type", "verified_numbers", "custom_code_enabled", "psd2_enabled", "email_integration",
                "rate_limit_clock_offset")


class Faults:
    """STATE_DIR/control.json, re-read on every request. `times` counts the
    requests a fault was applied to; the count restarts whenever the file
    changes (a new inode, mtime or size: fake_env.sh writes it by rename)."""

    def __init__(self, path, log, tls_faults=()):
        self.path = path
        self.log = log
        self.tls_faults = tuple(tls_faults)  # the TLS faults this server has certificates for
        self.lock = threading.Lock()
        self.signature = None
        self.control = {}
        self.applied = 0

    def _reload(self):
        try:
            st = os.stat(self.path)
            signature = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            signature = None
        if signature == self.signature:
            return
        self.signature = signature
        self.applied = 0
        self.control = {}
        if signature is None:
            return
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
            control = json.loads(text) if text.strip() else {}
            if not isinstance(control, dict):
                raise ValueError("not a JSON object")
            fault = control.get("fault", "none")
            if fault not in FAULTS:
                raise ValueError("unknown fault %r (one of %s)" % (fault, ", ".join(FAULTS)))
            if fault in TLS_FAULTS and fault not in self.tls_faults:
                raise ValueError("fault %r needs --%s-cert and --%s-key" % (fault, fault.replace("_", "-"),
                                                                           fault.replace("_", "-")))
            for key in ("delay_ms", "drip_ms", "error_http", "error_code", "times"):
                if key in control and (not isinstance(control[key], int) or control[key] < 0):
                    raise ValueError("%s must be a non-negative integer" % key)
            offset = control.get("rate_limit_clock_offset", 0)
            if isinstance(offset, bool) or not isinstance(offset, (int, float)):
                raise ValueError("rate_limit_clock_offset must be a number of seconds")
            unknown = sorted(set(control) - set(CONTROL_KEYS))
            if unknown:
                self.log("control.json: ignoring unknown keys %s" % ", ".join(unknown))
            self.control = control
            self.log("control.json: %s" % json.dumps(control, sort_keys=True))
        except (OSError, ValueError) as e:
            self.log("control.json: unusable, no fault injected: %s" % e)

    def take(self, kind):
        """The control to apply to this request (a dict), or None."""
        with self.lock:
            self._reload()
            control = self.control
            if not control:
                return None
            if control.get("fault", "none") in TLS_FAULTS:
                return None  # applied to the handshake (take_tls), never to a request
            if control.get("fault", "none") == "none" and not control.get("delay_ms"):
                return None
            only = control.get("only")
            if only is not None:
                kinds = only if isinstance(only, list) else [only]
                if kind not in kinds:
                    return None
            times = control.get("times")
            if times is not None:
                if self.applied >= times:
                    return None
            self.applied += 1
            return dict(control)

    def setting(self, key, default):
        """A plain setting of control.json (account_type, verified_numbers, the
        Verify service's custom_code_enabled, psd2_enabled and
        email_integration, and rate_limit_clock_offset)."""
        with self.lock:
            self._reload()
            return self.control.get(key, default) if self.control else default

    def take_tls(self):
        """The TLS fault to apply to a connection being accepted, or None.
        `only` cannot apply (no request has been read); `times` counts
        handshakes."""
        with self.lock:
            self._reload()
            fault = self.control.get("fault", "none") if self.control else "none"
            if fault not in TLS_FAULTS:
                return None
            times = self.control.get("times")
            if times is not None and self.applied >= times:
                return None
            self.applied += 1
            return fault


# --- state ---------------------------------------------------------------------

class Verification:
    def __init__(self, service_sid, to, channel, code, now, ttl):
        self.sid = new_sid("VE")
        self.service_sid = service_sid
        self.to = to
        self.channel = channel
        self.code = code
        self.status = "pending"
        self.created = now
        self.updated = now
        self.expires = now + ttl
        self.attempts = []
        self.wrong_checks = 0
        self.add_attempt(channel, now)

    def add_attempt(self, channel, now):
        self.channel = channel
        self.updated = now
        self.attempts.append({"time": iso8601(now), "channel": ATTEMPT_CHANNEL[channel],
                              "attempt_sid": new_sid("VL")})


class Entity:
    """A Verify Entity: made by the first factor created for its identity."""

    def __init__(self, service_sid, identity, now):
        self.sid = new_sid("YE")
        self.service_sid = service_sid
        self.identity = identity
        self.created = now
        self.factors = []           # Factor SIDs, oldest first


class Factor:
    """A TOTP factor: its secret, config, and what its codes have done."""

    def __init__(self, entity, friendly_name, secret, config, now):
        self.sid = new_sid("YF")
        self.entity = entity
        self.friendly_name = friendly_name
        self.secret = secret        # base32, upper case, no padding
        self.config = config        # alg, skew, code_length, time_step
        self.status = "unverified"
        self.created = now
        self.updated = now
        self.last_step = None       # the latest time step whose code was accepted (RFC 6238 5.2: once only)
        self.wrong = 0              # wrong challenges in a row
        self.locked_until = None    # while set and in the future, challenges are 429

    def match(self, code, now):
        """The verdict on `code`: "right" (and its step is spent), "replay"
        (the code of a step at or before the last one accepted) or "wrong"."""
        key = base32_key(self.secret)
        step, skew = self.config["time_step"], self.config["skew"]
        current = int(now // step)
        matched = [c for c in range(current - skew, current + skew + 1)
                   if hmac.compare_digest(hotp(key, c, self.config["code_length"], self.config["alg"]).encode(),
                                          code.encode())]
        fresh = [c for c in matched if self.last_step is None or c > self.last_step]
        if fresh:
            self.last_step = max(fresh)
            return "right"
        return "replay" if matched else "wrong"


class RateLimit:
    """A Service Rate Limit: a unique name that starts give a key value for."""

    def __init__(self, service_sid, unique_name, description, now):
        self.sid = new_sid("RK")
        self.service_sid = service_sid
        self.unique_name = unique_name
        self.description = description
        self.created = now
        self.updated = now
        self.buckets = []           # BL SIDs, oldest first


class Bucket:
    """At most `max` starts per key value of its rate limit in any `interval` seconds."""

    def __init__(self, rate_limit, max_, interval, now):
        self.sid = new_sid("BL")
        self.rate_limit = rate_limit
        self.max = max_
        self.interval = interval
        self.created = now
        self.updated = now
        self.hits = {}              # key value -> times of the starts counted (rate-limit clock)


class Reply:
    def __init__(self, status, body, headers=None):
        self.status = status
        self.body = body          # a dict (JSON) or bytes
        self.headers = headers or {}


class Context:
    """One request: what the handlers read, and the record they fill in."""

    def __init__(self, method, path, params, auth_user, base_url):
        self.method = method
        self.path = path
        self.params = params
        self.auth_user = auth_user
        self.base_url = base_url
        self.record = {}

    def param(self, name):
        value = self.params.get(name)
        if isinstance(value, list):
            value = value[0]
        return value if value else None


class Twilio:
    """The account, its Verify service, and every verification made so far."""

    def __init__(self, args, secrets_by_user, state_dir, log):
        self.account_sid = args.account_sid
        self.verify_service_sid = args.verify_service_sid
        self.code_length = args.verify_code_length
        self.ttl = args.verify_ttl
        self.from_numbers = set(args.from_number or ())
        self.messaging_services = set(args.messaging_service_sid or ())
        self.secrets_by_user = secrets_by_user   # username -> secret (auth token / API key secret)
        self.state_dir = state_dir
        self.log = log
        self.lock = threading.Lock()
        self.verifications = {}                  # VE sid -> Verification
        self.pending = {}                        # (service, to) -> VE sid
        self.totp_lockout = getattr(args, "totp_lockout", 600)
        self.entities = {}                       # (service, identity) -> Entity
        self.factors = {}                        # YF sid -> Factor
        self.rate_limits = {}                    # RK sid -> RateLimit
        self.buckets = {}                        # BL sid -> Bucket
        self.records_lock = threading.Lock()
        self.faults = Faults(os.path.join(state_dir, "control.json"), log,
                             [f for f in TLS_FAULTS if getattr(args, f + "_cert", None)])

    # authentication ---------------------------------------------------------

    def authenticate(self, header):
        """The Basic username, or TwilioError 401 / 20003."""
        if not header or not header.startswith("Basic "):
            raise auth_error("Authentication Error - No credentials provided")
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            user, _, password = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise auth_error("Authentication Error - invalid username")
        secret = self.secrets_by_user.get(user)
        if secret is None:
            raise auth_error("Authentication Error - invalid username")
        if not hmac.compare_digest(password.encode(), secret.encode()):
            raise auth_error("Authenticate")
        return user

    # Verify -----------------------------------------------------------------

    def _expire(self, v, now):
        if v.status == "pending" and now >= v.expires:
            v.status = "expired"
            if self.pending.get((v.service_sid, v.to)) == v.sid:
                del self.pending[(v.service_sid, v.to)]

    def _verification_json(self, ctx, v):
        return {
            "sid": v.sid, "service_sid": v.service_sid, "account_sid": self.account_sid,
            "to": v.to, "channel": v.channel, "status": v.status, "valid": v.status == "approved",
            "date_created": iso8601(v.created), "date_updated": iso8601(v.updated),
            "lookup": {}, "amount": None, "payee": None,
            "send_code_attempts": list(v.attempts), "sna": None,
            "url": "%s/v2/Services/%s/Verifications/%s" % (ctx.base_url, v.service_sid, v.sid),
        }

    def _check_json(self, v):
        return {
            "sid": v.sid, "service_sid": v.service_sid, "account_sid": self.account_sid,
            "to": v.to, "channel": v.channel, "status": v.status, "valid": v.status == "approved",
            "amount": None, "payee": None, "sna_attempts_error_codes": [],
            "date_created": iso8601(v.created), "date_updated": iso8601(v.updated),
        }

    def _service(self, service, resource):
        if service != self.verify_service_sid:
            raise TwilioError(404, 20404, path="/Services/%s/%s" % (service, resource))

    @staticmethod
    def _check_to(to, channel):
        valid = EMAIL.match(to) if channel == "email" else E164.match(to)
        if not valid:
            raise TwilioError(400, 60200, param="To", value=to)

    def _check_details(self, ctx):
        """The optional details of a verification, recorded as sent and held
        to what Twilio's docs ask of each: DeviceIp an IPv4 or IPv6 address,
        TemplateSid a template SID, TemplateCustomSubstitutions, Tags and
        RateLimits JSON objects (of strings, for Tags and RateLimits).
        Returns the JSON objects sent, by parameter name."""
        details = {name: ctx.param(name) for name in ("Amount", "Payee", "TemplateSid", "DeviceIp")}
        ctx.record.update({RECORDED_AS[k]: v for k, v in details.items() if v is not None})
        # Amount and Payee are PSD2 dynamic linking, a feature of the service
        # (the stand-in's assumption: 60204, as for custom codes, when it is off).
        if (details["Amount"] or details["Payee"]) and not self.faults.setting("psd2_enabled", True):
            raise TwilioError(403, 60204)
        device_ip = details["DeviceIp"]
        if device_ip is not None:
            try:
                ipaddress.ip_address(device_ip)
            except ValueError:
                raise TwilioError(400, 60200, param="DeviceIp", value=device_ip)
        if details["TemplateSid"] is not None and not SID["HJ"].match(details["TemplateSid"]):
            raise TwilioError(400, 60200, param="TemplateSid", value=details["TemplateSid"])
        objects = {}
        for name, strings_only in (("TemplateCustomSubstitutions", False), ("Tags", True), ("RateLimits", True)):
            text = ctx.param(name)
            if text is None:
                continue
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            if not isinstance(value, dict) or (strings_only and not all(isinstance(v, str) for v in value.values())):
                raise TwilioError(400, 60200, param=name, value=text)
            ctx.record[RECORDED_AS[name]] = objects[name] = value
        return objects

    def _custom_code(self, ctx):
        """CustomCode, or None: 403 / 60204 unless the service has custom codes
        enabled, 400 / 60200 unless 4 to 10 characters (Twilio's spec)."""
        code = ctx.param("CustomCode")
        if code is None:
            return None
        ctx.record.update(custom_code=True)
        if not self.faults.setting("custom_code_enabled", True):
            raise TwilioError(403, 60204)
        if not 4 <= len(code) <= 10:
            raise TwilioError(400, 60200, param="CustomCode")
        return code

    def create_verification(self, ctx, service):
        self._service(service, "Verifications")
        to, channel = ctx.param("To"), ctx.param("Channel")
        ctx.record.update(to=to, channel=channel)
        if not to:
            raise TwilioError(400, 20001, param="To")
        if not channel:
            raise TwilioError(400, 20001, param="Channel")
        if channel not in VERIFY_CHANNELS:
            raise TwilioError(400, 60200, param="Channel")
        self._check_to(to, channel)
        if channel == "email" and not self.faults.setting("email_integration", True):
            raise TwilioError(400, 60217)
        locale = ctx.param("Locale")
        if locale is not None and not LOCALE.match(locale):
            raise TwilioError(400, 60200, param="Locale", value=locale)
        wanted_limits = self._check_details(ctx).get("RateLimits")
        custom_code = self._custom_code(ctx)
        now = time.time()
        with self.lock:
            limits = self._named_rate_limits(service, wanted_limits or {})  # a parameter: before the magic
            outcome = magic_outcome(to, "verify", channel)
            if outcome:
                raise TwilioError(outcome[0], outcome[1], to=to, param="To", value=to)
            v = self.verifications.get(self.pending.get((service, to)))
            if v:
                self._expire(v, now)
                if v.status != "pending":
                    v = None
            if v and len(v.attempts) >= MAX_SENDS:
                ctx.record.update(sid=v.sid)
                raise TwilioError(429, 60203)
            # Last, when nothing else can refuse the start: a refused start counts nowhere.
            self._take_rate_limits(ctx, limits)
            if v:
                # Twilio reuses a pending verification (same SID, same code)
                # within its validity window; each resend counts.
                v.add_attempt(channel, now)
                if custom_code:
                    v.code = custom_code  # the stand-in's assumption: the latest custom code counts
            else:
                code = custom_code or "".join(secrets.choice("0123456789") for _ in range(self.code_length))
                v = Verification(service, to, channel, code, now, self.ttl)
                self.verifications[v.sid] = v
                self.pending[(service, to)] = v.sid
            ctx.record.update(sid=v.sid, code=v.code, send_attempt=len(v.attempts))
            return Reply(201, self._verification_json(ctx, v))

    def check_verification(self, ctx, service):
        self._service(service, "VerificationCheck")
        to, code, vsid = ctx.param("To"), ctx.param("Code"), ctx.param("VerificationSid")
        ctx.record.update(to=to, code=code, sid=vsid)
        if not to and not vsid:
            raise TwilioError(400, 60221)
        if vsid and not SID["VE"].match(vsid):
            raise TwilioError(400, 60200, param="VerificationSid")
        if to and not (E164.match(to) or EMAIL.match(to)):
            raise TwilioError(400, 60200, param="To", value=to)
        if not code or not VERIFY_CODE.match(code):
            raise TwilioError(400, 60200, param="Code")
        not_found = TwilioError(404, 20404, path="/Services/%s/VerificationCheck" % service)
        now = time.time()
        with self.lock:
            if vsid:
                v = self.verifications.get(vsid)
                if v and v.service_sid != service:
                    v = None
            else:
                v = self.verifications.get(self.pending.get((service, to)))
                if v is None:
                    # No pending one: a locked (max_attempts_reached) one still answers 60202.
                    locked = [x for x in self.verifications.values()
                              if x.service_sid == service and x.to == to and x.status == "max_attempts_reached"]
                    v = max(locked, key=lambda x: x.created) if locked else None
            if v is None:
                raise not_found
            self._expire(v, now)
            ctx.record.update(sid=v.sid, to=v.to, channel=v.channel)
            if v.status == "max_attempts_reached":
                if now >= v.expires:
                    raise not_found
                raise TwilioError(429, 60202)
            if v.status != "pending":
                raise not_found  # approved, canceled or expired: Twilio has deleted it
            v.updated = now
            if hmac.compare_digest(code.encode(), v.code.encode()):
                v.status = "approved"
                self.pending.pop((v.service_sid, v.to), None)
                body = self._check_json(v)
            else:
                v.wrong_checks += 1
                body = self._check_json(v)  # still "pending", valid false
                if v.wrong_checks >= MAX_CHECKS:
                    # The next check, right or wrong, is 429 / 60202; a new
                    # Verifications create starts a fresh verification.
                    v.status = "max_attempts_reached"
                    self.pending.pop((v.service_sid, v.to), None)
            ctx.record.update(verification_status=body["status"], wrong_checks=v.wrong_checks)
            return Reply(200, body)

    def update_verification(self, ctx, service, vsid):
        self._service(service, "Verifications/%s" % vsid)
        status = ctx.param("Status")
        ctx.record.update(sid=vsid)
        if not status:
            raise TwilioError(400, 20001, param="Status")
        if status not in ("canceled", "approved"):
            raise TwilioError(400, 60200, param="Status", value=status)
        now = time.time()
        with self.lock:
            v = self.verifications.get(vsid)
            if v and v.service_sid == service:
                self._expire(v, now)
            if not v or v.service_sid != service or v.status != "pending":
                raise TwilioError(404, 20404, path="/Services/%s/Verifications/%s" % (service, vsid))
            v.status = status
            v.updated = now
            self.pending.pop((v.service_sid, v.to), None)
            ctx.record.update(to=v.to, channel=v.channel, verification_status=status)
            return Reply(200, self._verification_json(ctx, v))

    def fetch_verification(self, ctx, service, vsid):
        self._service(service, "Verifications/%s" % vsid)
        ctx.record.update(sid=vsid)
        with self.lock:
            v = self.verifications.get(vsid)
            if v and v.service_sid == service:
                self._expire(v, time.time())
            # Approved and expired verifications are deleted at Twilio.
            if not v or v.service_sid != service or v.status in ("approved", "expired"):
                raise TwilioError(404, 20404, path="/Services/%s/Verifications/%s" % (service, vsid))
            ctx.record.update(to=v.to, channel=v.channel, verification_status=v.status)
            return Reply(200, self._verification_json(ctx, v))

    # Verify TOTP: Entities, Factors, Challenges ---------------------------------------

    def _entity_path(self, ctx, service, identity, resource):
        """The service and identity of an Entities/{Identity}/… path, checked:
        404 / 20404 for another service, 400 / 60200 for an identity Twilio
        refuses. Returns the identity, decoded."""
        self._service(service, "Entities/%s/%s" % (identity, resource))
        identity = urllib.parse.unquote(identity)
        ctx.record.update(identity=identity)
        if not IDENTITY.match(identity):
            raise TwilioError(400, 60200, param="Identity", value=identity)
        return identity

    @staticmethod
    def _verify_page(ctx, key, items):
        """A Verify list reply: every item on page 0 (PageSize is not read), and
        Twilio's meta."""
        url = "%s%s?PageSize=50&Page=0" % (ctx.base_url, ctx.path)
        return {key: items, "meta": {"page": 0, "page_size": 50, "first_page_url": url, "previous_page_url": None,
                                     "url": url, "next_page_url": None, "key": key}}

    def _factor_json(self, ctx, f, binding=False):
        e = f.entity
        body = {
            "sid": f.sid, "account_sid": self.account_sid, "service_sid": e.service_sid, "entity_sid": e.sid,
            "identity": e.identity, "date_created": iso8601(f.created), "date_updated": iso8601(f.updated),
            "friendly_name": f.friendly_name, "status": f.status, "factor_type": "totp",
            "config": dict(f.config), "metadata": None,
            "url": "%s/v2/Services/%s/Entities/%s/Factors/%s" % (ctx.base_url, e.service_sid, e.identity, f.sid),
        }
        if binding:
            # Only the create reply carries the binding, as at Twilio (the
            # Google Authenticator key URI; account name = the friendly name).
            issuer = urllib.parse.quote(SERVICE_NAME, safe="")
            uri = "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=%s&digits=%d&period=%d" % (
                issuer, urllib.parse.quote(f.friendly_name, safe=""), f.secret, issuer,
                f.config["alg"].upper(), f.config["code_length"], f.config["time_step"])
            body.update(binding={"secret": f.secret, "uri": uri}, options=None)
        return body

    def _factor(self, service, identity, fsid, not_found_path):
        f = self.factors.get(fsid)
        if f is None or f.entity.service_sid != service or f.entity.identity != identity:
            raise TwilioError(404, 20404, path=not_found_path)
        return f

    @staticmethod
    def _friendly_name(ctx, required):
        name = ctx.param("FriendlyName")
        if name is None:
            if required:
                raise TwilioError(400, 20001, param="FriendlyName")
            return None
        if len(name) > 64:
            raise TwilioError(400, 60200, param="FriendlyName", value=name)
        return name

    def create_factor(self, ctx, service, identity):
        identity = self._entity_path(ctx, service, identity, "Factors")
        name = self._friendly_name(ctx, required=True)
        factor_type = ctx.param("FactorType")
        if not factor_type:
            raise TwilioError(400, 20001, param="FactorType")
        if factor_type != "totp":
            # push and passkeys are Twilio's too, but need an app or a browser:
            # the stand-in refuses them as it refuses any other value.
            raise TwilioError(400, 60200, param="FactorType", value=factor_type)
        config = {"alg": ctx.param("Config.Alg") or "sha1"}
        if config["alg"] not in TOTP_ALGS:
            raise TwilioError(400, 60200, param="Config.Alg", value=config["alg"])
        for param, (key, default, low, high) in TOTP_CONFIG.items():
            value = ctx.param(param)
            if value is None:
                config[key] = default
            elif re.match(r"^[0-9]{1,3}$", value) and low <= int(value) <= high:
                config[key] = int(value)
            else:
                raise TwilioError(400, 60200, param=param, value=value)
        secret = ctx.param("Binding.Secret")
        if secret is None:
            secret = base64.b32encode(secrets.token_bytes(20)).decode()  # 160 bits, as RFC 4226 advises
        elif base32_key(secret) is None or len(base32_key(secret)) < 10:
            raise TwilioError(400, 60200, param="Binding.Secret")
        secret = secret.replace(" ", "").upper().rstrip("=")
        now = time.time()
        with self.lock:
            entity = self.entities.get((service, identity))
            if entity is None:
                # Twilio makes the Entity with its first Factor.
                entity = self.entities[(service, identity)] = Entity(service, identity, now)
            f = Factor(entity, name, secret, config, now)
            self.factors[f.sid] = f
            entity.factors.append(f.sid)
            ctx.record.update(sid=f.sid, factor_sid=f.sid, entity_sid=entity.sid, secret=secret,
                              config=dict(config), factor_status=f.status)
            return Reply(201, self._factor_json(ctx, f, binding=True))

    def update_factor(self, ctx, service, identity, fsid):
        identity = self._entity_path(ctx, service, identity, "Factors/%s" % fsid)
        ctx.record.update(sid=fsid, factor_sid=fsid)
        name = self._friendly_name(ctx, required=False)
        payload = ctx.param("AuthPayload")
        ctx.record.update(code=payload)
        now = time.time()
        with self.lock:
            f = self._factor(service, identity, fsid, "/Services/%s/Entities/%s/Factors/%s" % (service, identity, fsid))
            if name is not None:
                f.friendly_name = name
            if payload is not None and f.status == "unverified":
                # A wrong code leaves the factor unverified, 200 (Twilio's answer
                # since October 2021; before, 403 / 60311). A verified factor
                # has nothing left to prove: its AuthPayload is ignored.
                if f.match(payload, now) == "right":
                    f.status = "verified"
            f.updated = now
            ctx.record.update(factor_status=f.status)
            return Reply(200, self._factor_json(ctx, f))

    def list_factors(self, ctx, service, identity):
        identity = self._entity_path(ctx, service, identity, "Factors")
        with self.lock:
            entity = self.entities.get((service, identity))
            # No such Entity (yet): an empty page, as a list filter would give.
            items = [self._factor_json(ctx, self.factors[sid]) for sid in (entity.factors if entity else ())]
        ctx.record.update(factor_count=len(items))
        return Reply(200, self._verify_page(ctx, "factors", items))

    def delete_factor(self, ctx, service, identity, fsid):
        identity = self._entity_path(ctx, service, identity, "Factors/%s" % fsid)
        ctx.record.update(sid=fsid, factor_sid=fsid)
        with self.lock:
            f = self._factor(service, identity, fsid, "/Services/%s/Entities/%s/Factors/%s" % (service, identity, fsid))
            del self.factors[fsid]
            f.entity.factors.remove(fsid)
        return Reply(204, b"")

    def create_challenge(self, ctx, service, identity):
        identity = self._entity_path(ctx, service, identity, "Challenges")
        fsid, payload = ctx.param("FactorSid"), ctx.param("AuthPayload")
        ctx.record.update(factor_sid=fsid, code=payload)
        if not fsid:
            raise TwilioError(400, 20001, param="FactorSid")
        if not SID["YF"].match(fsid):
            raise TwilioError(400, 60200, param="FactorSid", value=fsid)
        if payload is not None and not 3 <= len(payload) <= 8:
            raise TwilioError(400, 60200, param="AuthPayload")  # the spec's 3..8 characters; not counted
        now = time.time()
        with self.lock:
            f = self._factor(service, identity, fsid, "/Services/%s/Entities/%s/Challenges" % (service, identity))
            if f.status != "verified":
                raise TwilioError(403, 60318)
            if f.locked_until is not None and now >= f.locked_until:
                f.locked_until, f.wrong = None, 0
            if f.locked_until is not None:
                ctx.record.update(wrong_checks=f.wrong)
                raise TwilioError(429, TOTP_LOCKOUT_CODE)
            status, outcome = "pending", None
            if payload is not None:
                # TOTP challenges are judged when created: approved, or still
                # pending (Twilio's answer to a wrong code since October 2021).
                # A replayed code is a wrong one (RFC 6238 5.2).
                outcome = f.match(payload, now)
                if outcome == "right":
                    status, f.wrong = "approved", 0
                else:
                    f.wrong += 1
                    if f.wrong >= MAX_TOTP_WRONG:
                        f.locked_until = now + self.totp_lockout
            e = f.entity
            sid = new_sid("YC")
            url = "%s/v2/Services/%s/Entities/%s/Challenges/%s" % (ctx.base_url, service, e.identity, sid)
            body = {
                "sid": sid, "account_sid": self.account_sid, "service_sid": service, "entity_sid": e.sid,
                "identity": e.identity, "factor_sid": f.sid,
                "date_created": iso8601(now), "date_updated": iso8601(now),
                "date_responded": iso8601(now) if status == "approved" else None,
                "expiration_date": iso8601(now + CHALLENGE_TTL),
                "status": status, "responded_reason": "none",
                "details": None, "hidden_details": None, "metadata": None, "factor_type": "totp",
                "url": url, "links": {"notifications": url + "/Notifications"},
            }
            ctx.record.update(sid=sid, challenge_status=status, wrong_checks=f.wrong, replay=outcome == "replay")
            return Reply(201, body)

    # Verify Service Rate Limits and their Buckets ---------------------------------------

    def rate_limit_clock(self):
        """Now, as the rate-limit windows see it: the real clock plus control.json's
        rate_limit_clock_offset, so a test moves past an Interval without sleeping."""
        return time.time() + self.faults.setting("rate_limit_clock_offset", 0)

    def _rate_limit_json(self, ctx, r):
        url = "%s/v2/Services/%s/RateLimits/%s" % (ctx.base_url, r.service_sid, r.sid)
        return {"sid": r.sid, "service_sid": r.service_sid, "account_sid": self.account_sid,
                "unique_name": r.unique_name, "description": r.description,
                "date_created": iso8601(r.created), "date_updated": iso8601(r.updated),
                "url": url, "links": {"buckets": url + "/Buckets"}}

    def _bucket_json(self, ctx, b):
        r = b.rate_limit
        return {"sid": b.sid, "rate_limit_sid": r.sid, "service_sid": r.service_sid,
                "account_sid": self.account_sid, "max": b.max, "interval": b.interval,
                "date_created": iso8601(b.created), "date_updated": iso8601(b.updated),
                "url": "%s/v2/Services/%s/RateLimits/%s/Buckets/%s" % (ctx.base_url, r.service_sid, r.sid, b.sid)}

    def _rate_limit(self, ctx, service, rsid, rest=""):
        """The service's rate limit of the path (`rest`: what follows its SID), or 404 / 20404."""
        self._service(service, "RateLimits/%s%s" % (rsid, rest))
        ctx.record.update(rate_limit_sid=rsid)
        r = self.rate_limits.get(rsid)
        if r is None or r.service_sid != service:
            raise TwilioError(404, 20404, path="/Services/%s/RateLimits/%s%s" % (service, rsid, rest))
        return r

    def _bucket(self, ctx, service, rsid, bsid):
        r = self._rate_limit(ctx, service, rsid, "/Buckets/%s" % bsid)
        ctx.record.update(sid=bsid)
        b = self.buckets.get(bsid)
        if b is None or b.rate_limit is not r:
            raise TwilioError(404, 20404, path="/Services/%s/RateLimits/%s/Buckets/%s" % (service, rsid, bsid))
        return b

    @staticmethod
    def _positive(ctx, name, required):
        """A bucket's Max or Interval as an int, or None when absent: 400 /
        20001 if required, 400 / 60200 unless a positive integer."""
        value = ctx.param(name)
        if value is None:
            if required:
                raise TwilioError(400, 20001, param=name)
            return None
        if not re.match(r"^[0-9]{1,9}$", value) or int(value) == 0:
            raise TwilioError(400, 60200, param=name, value=value)
        return int(value)

    def _interval_free(self, r, interval, bucket_sid=None):
        """400 / 60211 when another bucket of `r` already has this Interval."""
        if any(sid != bucket_sid and self.buckets[sid].interval == interval for sid in r.buckets):
            raise TwilioError(400, 60211)

    def create_rate_limit(self, ctx, service):
        self._service(service, "RateLimits")
        name = ctx.param("UniqueName")
        ctx.record.update(unique_name=name)
        if not name:
            raise TwilioError(400, 20001, param="UniqueName")
        if not RATE_LIMIT_NAME.match(name):
            raise TwilioError(400, 60209)
        now = time.time()
        with self.lock:
            if any(r.service_sid == service and r.unique_name == name for r in self.rate_limits.values()):
                raise TwilioError(400, 60208)
            r = RateLimit(service, name, ctx.param("Description"), now)
            self.rate_limits[r.sid] = r
            ctx.record.update(sid=r.sid, rate_limit_sid=r.sid)
            return Reply(201, self._rate_limit_json(ctx, r))

    def list_rate_limits(self, ctx, service):
        self._service(service, "RateLimits")
        with self.lock:
            items = [self._rate_limit_json(ctx, r) for r in self.rate_limits.values() if r.service_sid == service]
        return Reply(200, self._verify_page(ctx, "rate_limits", items))

    def fetch_rate_limit(self, ctx, service, rsid):
        with self.lock:
            r = self._rate_limit(ctx, service, rsid)
            ctx.record.update(sid=r.sid, unique_name=r.unique_name)
            return Reply(200, self._rate_limit_json(ctx, r))

    def update_rate_limit(self, ctx, service, rsid):
        with self.lock:
            r = self._rate_limit(ctx, service, rsid)
            ctx.record.update(sid=r.sid, unique_name=r.unique_name)
            description = ctx.param("Description")
            if description is not None:  # the only thing an update may change (the spec)
                r.description = description
            r.updated = time.time()
            return Reply(200, self._rate_limit_json(ctx, r))

    def delete_rate_limit(self, ctx, service, rsid):
        with self.lock:
            r = self._rate_limit(ctx, service, rsid)
            ctx.record.update(sid=r.sid, unique_name=r.unique_name)
            for bsid in r.buckets:  # its buckets, and what they counted, go with it
                del self.buckets[bsid]
            del self.rate_limits[rsid]
        return Reply(204, b"")

    def create_bucket(self, ctx, service, rsid):
        max_, interval = self._positive(ctx, "Max", True), self._positive(ctx, "Interval", True)
        ctx.record.update(max=max_, interval=interval)
        now = time.time()
        with self.lock:
            r = self._rate_limit(ctx, service, rsid, "/Buckets")
            self._interval_free(r, interval)
            b = Bucket(r, max_, interval, now)
            self.buckets[b.sid] = b
            r.buckets.append(b.sid)
            ctx.record.update(sid=b.sid)
            return Reply(201, self._bucket_json(ctx, b))

    def list_buckets(self, ctx, service, rsid):
        with self.lock:
            r = self._rate_limit(ctx, service, rsid, "/Buckets")
            items = [self._bucket_json(ctx, self.buckets[sid]) for sid in r.buckets]
        return Reply(200, self._verify_page(ctx, "buckets", items))

    def fetch_bucket(self, ctx, service, rsid, bsid):
        with self.lock:
            b = self._bucket(ctx, service, rsid, bsid)
            ctx.record.update(max=b.max, interval=b.interval)
            return Reply(200, self._bucket_json(ctx, b))

    def update_bucket(self, ctx, service, rsid, bsid):
        max_, interval = self._positive(ctx, "Max", False), self._positive(ctx, "Interval", False)
        with self.lock:
            b = self._bucket(ctx, service, rsid, bsid)
            if interval is not None:
                self._interval_free(b.rate_limit, interval, b.sid)
            # The starts it counted stay: a new Max or Interval applies from the next start.
            b.max = b.max if max_ is None else max_
            b.interval = b.interval if interval is None else interval
            b.updated = time.time()
            ctx.record.update(max=b.max, interval=b.interval)
            return Reply(200, self._bucket_json(ctx, b))

    def delete_bucket(self, ctx, service, rsid, bsid):
        with self.lock:
            b = self._bucket(ctx, service, rsid, bsid)
            b.rate_limit.buckets.remove(bsid)
            del self.buckets[bsid]
        return Reply(204, b"")

    def _named_rate_limits(self, service, wanted):
        """[(RateLimit, key value)] for a start's RateLimits {unique name: key
        value}. A name the service has no rate limit of is 400 / 60200 (the
        stand-in's guess: Twilio's docs do not say)."""
        by_name = {r.unique_name: r for r in self.rate_limits.values() if r.service_sid == service}
        unknown = sorted(set(wanted) - set(by_name))
        if unknown:
            raise TwilioError(400, 60200, param="RateLimits", value=unknown[0])
        return [(by_name[name], key) for name, key in wanted.items()]

    def _take_rate_limits(self, ctx, limits):
        """Counts a start in every bucket of `limits` (per key value, on
        rate_limit_clock), or refuses it, counted nowhere, with 429 / 20429 when
        a bucket already holds Max starts of that key within its Interval."""
        now = self.rate_limit_clock()
        buckets = [(self.buckets[bsid], key) for r, key in limits for bsid in r.buckets]
        for b, key in buckets:
            # A sliding window: starts of the last Interval seconds (later ones
            # too, should a test set the clock back).
            b.hits[key] = [t for t in b.hits.get(key, ()) if t > now - b.interval]
            if len(b.hits[key]) >= b.max:
                r = b.rate_limit
                ctx.record.update(rate_limited={"rate_limit_sid": r.sid, "unique_name": r.unique_name, "key": key,
                                                "bucket_sid": b.sid, "max": b.max, "interval": b.interval})
                raise TwilioError(429, RATE_LIMITED_CODE)
        for b, key in buckets:
            b.hits[key].append(now)

    # Messaging and voice ----------------------------------------------------------

    def _account(self, ctx, account, resource):
        """The path's account must be the one the credentials belong to."""
        if account != self.account_sid:
            if ctx.auth_user != self.account_sid:
                # An API key is looked up under the path's account: no such key there.
                raise auth_error("Authenticate")
            raise TwilioError(404, 20404, path="/%s/Accounts/%s/%s" % (API_VERSION, account, resource))

    @staticmethod
    def _strip_whatsapp(number):
        return number[len("whatsapp:"):] if number and number.startswith("whatsapp:") else number

    def create_message(self, ctx, account):
        self._account(ctx, account, "Messages.json")
        to, from_ = ctx.param("To"), ctx.param("From")
        mg, body = ctx.param("MessagingServiceSid"), ctx.param("Body")
        ctx.record.update(to=to, channel="sms", body=body)
        if not to:
            raise TwilioError(400, 21604)
        if not from_ and not mg:
            raise TwilioError(400, 21603)
        if not body and not ctx.param("MediaUrl") and not ctx.param("ContentSid"):
            raise TwilioError(400, 21602)
        if not E164.match(self._strip_whatsapp(to)):
            raise TwilioError(400, 21211, to=to)
        if from_:
            bare = self._strip_whatsapp(from_)
            if not (E164.match(bare) or ALPHANUMERIC_SENDER.match(bare)):
                raise TwilioError(400, 21212, from_=from_)
            if self.from_numbers and bare not in self.from_numbers:
                raise TwilioError(400, 21606, from_=from_)
        if mg and (not SID["MG"].match(mg) or (self.messaging_services and mg not in self.messaging_services)):
            raise TwilioError(400, 21705, sid=mg)
        if body and len(body) > BODY_LIMIT:
            raise TwilioError(400, 21617)
        outcome = magic_outcome(self._strip_whatsapp(to), "message")
        if outcome and outcome[0] != "async":
            raise TwilioError(outcome[0], outcome[1], to=to)
        now = time.time()
        sid = new_sid("SM")
        uri = "/%s/Accounts/%s/Messages/%s" % (API_VERSION, account, sid)
        media = ctx.params.get("MediaUrl")
        media_count = len(media) if isinstance(media, list) else (1 if media else 0)
        reply = {
            "account_sid": account, "api_version": API_VERSION, "body": body or "",
            "date_created": rfc2822(now), "date_sent": None, "date_updated": rfc2822(now),
            "direction": "outbound-api", "error_code": None, "error_message": None,
            "from": from_, "messaging_service_sid": mg,
            "num_media": str(media_count), "num_segments": str(num_segments(body or "")),
            "price": None, "price_unit": "USD", "sid": sid,
            # A Messaging Service send is "accepted" until the service picks a sender.
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": uri + "/Media.json"},
            "to": to, "uri": uri + ".json",
        }
        ctx.record.update(sid=sid, code=digits_in(body), delivered=not outcome,
                          delivery_error=outcome[1] if outcome else None)
        return Reply(201, reply)

    def create_call(self, ctx, account):
        self._account(ctx, account, "Calls.json")
        to, from_ = ctx.param("To"), ctx.param("From")
        twiml, url = ctx.param("Twiml"), ctx.param("Url")
        ctx.record.update(to=to, channel="call", twiml=twiml)
        if not to:
            raise TwilioError(400, 21201)
        if not from_:
            raise TwilioError(400, 21213)
        if not twiml and not url and not ctx.param("ApplicationSid"):
            raise TwilioError(400, 21205)
        if not E164.match(to):
            raise TwilioError(400, 21211, to=to)
        if not E164.match(from_):
            raise TwilioError(400, 21212, from_=from_)
        if self.from_numbers and from_ not in self.from_numbers:
            raise TwilioError(400, 21210, from_=from_)
        if url and urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise TwilioError(400, 21205, value=url)
        outcome = magic_outcome(to, "call")
        if outcome:
            raise TwilioError(outcome[0], outcome[1], to=to)
        delivered, delivery_error, code = True, None, None
        if twiml:
            spoken, well_formed = twiml_text(twiml)
            code = digits_in(spoken)
            if not well_formed:
                # Twilio accepts the call, then fails it: 12100 Document parse failure.
                delivered, delivery_error = False, 12100
        now = time.time()
        sid = new_sid("CA")
        uri = "/%s/Accounts/%s/Calls/%s" % (API_VERSION, account, sid)
        subresources = ("notifications", "recordings", "payments", "events", "siprec", "streams",
                        "transcriptions", "user_defined_message_subscriptions", "user_defined_messages")
        reply = {
            "account_sid": account, "answered_by": None, "api_version": API_VERSION,
            "caller_name": None, "date_created": rfc2822(now), "date_updated": rfc2822(now),
            "direction": "outbound-api", "duration": None, "end_time": None,
            "forwarded_from": None, "from": from_, "from_formatted": formatted_number(from_),
            "group_sid": None, "parent_call_sid": None,
            "phone_number_sid": "PN" + hmac.new(b"pn", from_.encode(), "md5").hexdigest(),
            "price": None, "price_unit": "USD", "queue_time": "0", "sid": sid,
            "start_time": None, "status": "queued",
            "subresource_uris": {name: "%s/%s.json" % (uri, "".join(p.capitalize() for p in name.split("_")))
                                 for name in subresources},
            "to": to, "to_formatted": formatted_number(to), "trunk_sid": None, "uri": uri + ".json",
        }
        ctx.record.update(sid=sid, code=code, delivered=delivered, delivery_error=delivery_error)
        return Reply(201, reply)

    # Reads of the account (twilio-otp check-config --online) ------------------------

    @staticmethod
    def _page(ctx, key, items):
        uri = ctx.base_url + ctx.path + "?PageSize=50&Page=0"
        return {"end": max(len(items) - 1, 0), "first_page_uri": uri, "next_page_uri": None, "page": 0,
                "page_size": 50, "previous_page_uri": None, "start": 0, "uri": uri, key: items}

    def fetch_account(self, ctx, account):
        self._account(ctx, account, "")
        if ctx.auth_user != self.account_sid:
            # Standard API keys may use every resource but the Account itself.
            raise TwilioError(403, 20003, "Standard API keys may not access the Account resource")
        uri = "/%s/Accounts/%s" % (API_VERSION, account)
        account_type = self.faults.setting("account_type", "Full")
        ctx.record.update(account_type=account_type)
        return Reply(200, {
            # Twilio echoes the auth token here; the stand-in never does.
            "auth_token": secrets.token_hex(16), "date_created": rfc2822(time.time()),
            "date_updated": rfc2822(time.time()), "friendly_name": "pam_twilio_otp test account",
            "owner_account_sid": account, "sid": account, "status": "active",
            "subresource_uris": {"messages": uri + "/Messages.json", "calls": uri + "/Calls.json"},
            "type": account_type, "uri": uri + ".json"})

    def fetch_service(self, ctx, service):
        self._service(service, "")
        now = time.time()
        return Reply(200, {
            "sid": service, "account_sid": self.account_sid, "friendly_name": SERVICE_NAME,
            "code_length": self.code_length, "lookup_enabled": False,
            "psd2_enabled": bool(self.faults.setting("psd2_enabled", True)),
            "skip_sms_to_landlines": False, "dtmf_input_required": False, "tts_name": None,
            "do_not_share_warning_enabled": False,
            "custom_code_enabled": bool(self.faults.setting("custom_code_enabled", True)),
            "push": {}, "totp": {"issuer": SERVICE_NAME, "time_step": 30, "code_length": 6, "skew": 1},
            "default_template_sid": None, "whatsapp": {}, "passkeys": {},
            "verify_event_subscription_enabled": False,
            "date_created": iso8601(now), "date_updated": iso8601(now),
            "url": "%s/v2/Services/%s" % (ctx.base_url, service), "links": {}})

    def list_incoming_numbers(self, ctx, account):
        self._account(ctx, account, "IncomingPhoneNumbers.json")
        wanted = ctx.param("PhoneNumber")
        items = [{"account_sid": account, "phone_number": n, "friendly_name": formatted_number(n),
                  "sid": new_sid("PN"), "status": "in-use",
                  "capabilities": {"mms": False, "sms": True, "voice": True, "fax": False},
                  "api_version": API_VERSION}
                 for n in sorted(self.from_numbers) if not wanted or n == wanted]
        return Reply(200, self._page(ctx, "incoming_phone_numbers", items))

    def list_caller_ids(self, ctx, account):
        self._account(ctx, account, "OutgoingCallerIds.json")
        wanted = ctx.param("PhoneNumber")
        verified = self.faults.setting("verified_numbers", [])
        items = [{"sid": new_sid("PN"), "account_sid": account,
                  "phone_number": n, "friendly_name": formatted_number(n),
                  "date_created": rfc2822(time.time()), "date_updated": rfc2822(time.time()),
                  "uri": "/%s/Accounts/%s/OutgoingCallerIds/PN.json" % (API_VERSION, account)}
                 for n in sorted(verified) if isinstance(n, str) and (not wanted or n == wanted)]
        return Reply(200, self._page(ctx, "outgoing_caller_ids", items))

    # Lookup v2 ----------------------------------------------------------------------

    def lookup_number(self, ctx, raw):
        # The path carries the number URL-encoded (%2B…); a raw "+" in a path
        # stays a plus (only form bodies and queries make it a space).
        number = urllib.parse.unquote(raw)
        fields = lookup_fields(ctx.params)
        # CountryCode only matters for national format, which the stand-in
        # does not parse (README): it is in the record's params, no more.
        ctx.record.update(to=number, fields=fields)
        reply = {"calling_country_code": None, "country_code": None, "phone_number": None,
                 "national_format": None, "valid": False, "validation_errors": None}
        reply.update((package, None) for package in LOOKUP_PACKAGES)
        reply["url"] = "%s/v2/PhoneNumbers/%s" % (ctx.base_url, urllib.parse.quote(number, safe="+"))
        if not E164.match(number):
            reply["validation_errors"] = ["NOT_A_NUMBER"]
        else:
            digits = number[1:]
            cc = digits[:1] if digits[:1] in ("1", "7") else digits[:2] if digits[:2] in CALLING_CODES else digits[:3]
            national = digits[len(cc):]
            errors = []
            if cc == "1" and len(national) != 10:
                errors.append("TOO_SHORT" if len(national) < 10 else "TOO_LONG")
            elif not national:
                errors.append("TOO_SHORT")
            elif line_type(number) == "invalid":
                errors.append("INVALID_BUT_POSSIBLE")
            # As Twilio's own examples: an invalid number keeps only phone_number.
            reply["phone_number"] = number
            if errors:
                reply["validation_errors"] = errors
            else:
                reply.update(calling_country_code=cc, country_code=CALLING_CODES.get(cc), valid=True,
                             national_format=formatted_number(number) if cc == "1" else national)
                if "line_type_intelligence" in fields:
                    # 001 / 01: the ITU test network, as honest as a fake carrier gets.
                    reply["line_type_intelligence"] = {"mobile_country_code": "001", "mobile_network_code": "01",
                                                       "carrier_name": "fake_twilio test network",
                                                       "type": line_type(number), "error_code": None}
        lti = reply["line_type_intelligence"]
        ctx.record.update(valid=reply["valid"], line_type=lti["type"] if lti else None)
        return Reply(200, reply)

    # routing ------------------------------------------------------------------------

    ROUTES = (
        (re.compile(r"^/v2/Services/([^/]+)/Verifications$"), {"POST": ("verification", "create_verification")}),
        (re.compile(r"^/v2/Services/([^/]+)/VerificationCheck$"), {"POST": ("verification_check", "check_verification")}),
        (re.compile(r"^/v2/Services/([^/]+)/Verifications/([^/]+)$"),
         {"POST": ("verification_update", "update_verification"),
          "GET": ("verification_fetch", "fetch_verification")}),
        (re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$"), {"POST": ("message", "create_message")}),
        (re.compile(r"^/2010-04-01/Accounts/([^/]+)/Calls\.json$"), {"POST": ("call", "create_call")}),
        (re.compile(r"^/v2/Services/([^/]+)$"), {"GET": ("service_fetch", "fetch_service")}),
        (re.compile(r"^/2010-04-01/Accounts/([^/.]+)\.json$"), {"GET": ("account_fetch", "fetch_account")}),
        (re.compile(r"^/2010-04-01/Accounts/([^/]+)/IncomingPhoneNumbers\.json$"),
         {"GET": ("incoming_numbers", "list_incoming_numbers")}),
        (re.compile(r"^/2010-04-01/Accounts/([^/]+)/OutgoingCallerIds\.json$"),
         {"GET": ("caller_ids", "list_caller_ids")}),
        (re.compile(r"^/v2/PhoneNumbers/([^/]+)$"), {"GET": ("lookup", "lookup_number")}),
        (re.compile(r"^/v2/Services/([^/]+)/Entities/([^/]+)/Factors$"),
         {"POST": ("factor_create", "create_factor"), "GET": ("factor_list", "list_factors")}),
        (re.compile(r"^/v2/Services/([^/]+)/Entities/([^/]+)/Factors/([^/]+)$"),
         {"POST": ("factor_update", "update_factor"), "DELETE": ("factor_delete", "delete_factor")}),
        (re.compile(r"^/v2/Services/([^/]+)/Entities/([^/]+)/Challenges$"),
         {"POST": ("challenge", "create_challenge")}),
        (re.compile(r"^/v2/Services/([^/]+)/RateLimits$"),
         {"POST": ("rate_limit_create", "create_rate_limit"), "GET": ("rate_limit_list", "list_rate_limits")}),
        (re.compile(r"^/v2/Services/([^/]+)/RateLimits/([^/]+)$"),
         {"POST": ("rate_limit_update", "update_rate_limit"), "GET": ("rate_limit_fetch", "fetch_rate_limit"),
          "DELETE": ("rate_limit_delete", "delete_rate_limit")}),
        (re.compile(r"^/v2/Services/([^/]+)/RateLimits/([^/]+)/Buckets$"),
         {"POST": ("bucket_create", "create_bucket"), "GET": ("bucket_list", "list_buckets")}),
        (re.compile(r"^/v2/Services/([^/]+)/RateLimits/([^/]+)/Buckets/([^/]+)$"),
         {"POST": ("bucket_update", "update_bucket"), "GET": ("bucket_fetch", "fetch_bucket"),
          "DELETE": ("bucket_delete", "delete_bucket")}),
    )

    def route(self, method, path):
        """(kind, bound handler or None, path arguments) for a request."""
        for pattern, methods in self.ROUTES:
            m = pattern.match(path)
            if m:
                if method in methods:
                    kind, name = methods[method]
                    return kind, getattr(self, name), m.groups()
                return next(iter(methods.values()))[0], None, m.groups()
        return "unknown", None, ()

    def record(self, entry):
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.records_lock:
            # Opened per record, in append mode: tests may truncate or remove
            # the file between cases without confusing the server.
            with open(os.path.join(self.state_dir, "records.jsonl"), "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()


def plausible_reply(kind, params, base_url, path):
    """(status, body): what a successful request of `kind` would get, in
    outline (nothing is created). The drip, truncated and huge faults send
    it; a check's is "approved", so a client that accepted such a reply
    would let the login through, and a lookup's says "mobile"."""
    def param(name):
        value = params.get(name)
        return value[0] if isinstance(value, list) else value
    now = time.time()
    if kind == "verification":
        return 201, {"sid": new_sid("VE"), "to": param("To"), "channel": param("Channel"), "status": "pending",
                     "valid": False, "date_created": iso8601(now), "url": base_url + path}
    if kind == "verification_check":
        return 200, {"sid": param("VerificationSid") or new_sid("VE"), "to": param("To"), "status": "approved",
                     "valid": True, "date_created": iso8601(now)}
    if kind in ("verification_update", "verification_fetch"):
        return 200, {"sid": path.rsplit("/", 1)[-1], "status": param("Status") or "pending", "valid": False,
                     "date_updated": iso8601(now)}
    if kind == "message":
        return 201, {"sid": new_sid("SM"), "to": param("To"), "from": param("From"), "status": "queued",
                     "num_segments": "1", "date_created": rfc2822(now)}
    if kind == "call":
        return 201, {"sid": new_sid("CA"), "to": param("To"), "from": param("From"), "status": "queued",
                     "date_created": rfc2822(now)}
    if kind in FACTOR_KINDS:
        parts = path.split("/")  # "", "v2", "Services", VA, "Entities", identity, "Factors"|"Challenges"[, YF]
        identity = urllib.parse.unquote(parts[5]) if len(parts) > 5 else None
        factor = parts[7] if len(parts) > 7 else param("FactorSid") or new_sid("YF")
        if kind == "challenge":
            # "approved": a client that took it at face value would let the login through.
            return 201, {"sid": new_sid("YC"), "identity": identity, "factor_sid": factor, "status": "approved",
                         "factor_type": "totp", "date_created": iso8601(now)}
        if kind == "factor_list":
            return 200, {"factors": [], "meta": {"page": 0, "page_size": 50, "key": "factors",
                                                 "url": base_url + path}}
        body = {"sid": factor, "identity": identity, "factor_type": "totp", "date_created": iso8601(now),
                "status": "verified" if kind == "factor_update" else "unverified"}
        if kind == "factor_create":
            body["binding"] = {"secret": "JBSWY3DPEHPK3PXP", "uri": "otpauth://totp/x:y?secret=JBSWY3DPEHPK3PXP"}
            return 201, body
        # factor_delete too: Twilio's 204 has no body to drip, cut or pad,
        # so the fault sends 200 and the factor's outline.
        return 200, body
    if kind in RATE_LIMIT_KINDS:
        if kind.endswith("_list"):
            key = kind.replace("_list", "s")  # rate_limits, buckets
            return 200, {key: [], "meta": {"page": 0, "page_size": 50, "key": key, "url": base_url + path}}
        parts = path.split("/")  # "", "v2", "Services", VA, "RateLimits"[, RK[, "Buckets"[, BL]]]
        if kind.startswith("bucket"):
            body = {"sid": parts[7] if len(parts) > 7 else new_sid("BL"), "rate_limit_sid": parts[5],
                    "max": param("Max"), "interval": param("Interval")}
        else:
            body = {"sid": parts[5] if len(parts) > 5 else new_sid("RK"), "unique_name": param("UniqueName")}
        body["date_created"] = iso8601(now)
        # A delete's 204 has no body to drip, cut or pad: 200 and the outline, as for factors.
        return (201 if kind.endswith("_create") else 200), body
    if kind == "lookup":
        number = urllib.parse.unquote(path.rsplit("/", 1)[-1])
        return 200, {"phone_number": number, "valid": True, "validation_errors": None,
                     "line_type_intelligence": {"type": "mobile", "error_code": None}}
    return 200, {"status": "ok"}


# --- HTTP ----------------------------------------------------------------------

class RequestTooLarge(Exception):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive: the module's send and check share a connection
    server_version = "fake_twilio"
    sys_version = ""
    timeout = IDLE_TIMEOUT

    def log_message(self, fmt, *args):  # requests are logged by dispatch(), once
        pass

    def do_POST(self):
        self.dispatch("POST")

    def do_GET(self):
        self.dispatch("GET")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # request body -----------------------------------------------------------------

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > REQUEST_LIMIT:
                    raise RequestTooLarge()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > REQUEST_LIMIT:
            raise RequestTooLarge()
        return self.rfile.read(length) if length > 0 else b""

    def _form(self, body):
        """Form parameters. Twilio reads only application/x-www-form-urlencoded
        bodies; anything else (JSON, say) is ignored, so the request then lacks
        its required parameters and is refused with a 400 naming one."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded" or not body:
            return {}
        try:
            return self._form_pairs(body.decode("utf-8"))
        except UnicodeDecodeError:
            return {}

    @staticmethod
    def _form_pairs(text):
        """name -> value, or -> [values] for a repeated name (a body or a query)."""
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
        params = {}
        for name, value in pairs:
            if name in params:
                if not isinstance(params[name], list):
                    params[name] = [params[name]]
                params[name].append(value)
            else:
                params[name] = value
        return params

    # replies ------------------------------------------------------------------------

    def _send(self, status, body, content_type="application/json", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.send_response(status)
        if status != 204:  # a 204 (a delete) has neither body nor its headers
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", new_sid("RQ"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _hang(self):
        """Hold the request without replying until the client hangs up (or
        HANG_MAX_SECONDS pass, or the server stops), then drop the connection."""
        self.close_connection = True
        sock = self.connection
        deadline = time.monotonic() + HANG_MAX_SECONDS
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            try:
                readable, _, _ = select.select([sock], [], [], 0.25)
                if readable:
                    sock.settimeout(0.25)
                    if not sock.recv(4096):
                        break  # the client closed
            except (ssl.SSLWantReadError, socket.timeout):
                continue
            except (OSError, ValueError):
                break

    def _write_slowly(self, data, every_s):
        """Writes `data` one byte at a time, `every_s` apart, until done, the
        client hangs up, HANG_MAX_SECONDS pass or the server stops."""
        deadline = time.monotonic() + HANG_MAX_SECONDS
        for i in range(len(data)):
            if time.monotonic() >= deadline or self.server.stopping.wait(every_s if i else 0):
                self._drop()
                return
            try:
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
            except (OSError, ValueError):
                self.close_connection = True
                return

    def _write_huge(self, prefix, size, suffix):
        """Writes prefix + size bytes of padding + suffix, in 64 KiB pieces,
        stopping quietly when the client hangs up."""
        piece = b"x" * 65536
        try:
            self.wfile.write(prefix)
            left = size
            while left > 0 and not self.server.stopping.is_set():
                chunk = piece if left >= len(piece) else piece[:left]
                self.wfile.write(chunk)
                left -= len(chunk)
            self.wfile.write(suffix)
            self.wfile.flush()
        except (OSError, ValueError):
            self.close_connection = True

    def _send_head(self, status, content_type, length, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("Twilio-Request-Id", new_sid("RQ"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _drop(self):
        """Close the connection without a reply (TCP FIN, no TLS close_notify)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def dispatch(self, method):
        app = self.server.app
        started = time.time()
        path = urllib.parse.urlsplit(self.path).path
        entry = {"time": started, "method": method, "path": path, "status": None,
                 "to": None, "channel": None, "sid": None, "code": None, "body": None,
                 "twiml": None, "params": {}, "auth_user": None}
        try:
            raw = self._read_body()
        except (RequestTooLarge, ValueError):
            self.close_connection = True
            self._send(413, b"request too large\n", "text/plain")
            return
        kind, handler, args = app.route(method, path)
        params = self._form(raw)
        if method == "GET":  # a read's parameters are in the query
            params = self._form_pairs(urllib.parse.urlsplit(self.path).query)
        entry.update(kind=kind, params=params)
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Basic "):
            try:
                entry["auth_user"] = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                pass
        for name in ("To", "Channel", "Body", "Twiml"):
            value = params.get(name)
            entry[name.lower()] = value[0] if isinstance(value, list) else value
        if kind == "message":
            entry["channel"] = "sms"
        elif kind == "call":
            entry["channel"] = "call"
        elif kind == "lookup":
            # So a faulted lookup's record still names its number and fields.
            entry.update(to=urllib.parse.unquote(args[0]), fields=lookup_fields(params), line_type=None)
        elif kind in FACTOR_KINDS:
            # The same for the identity and factor of a faulted TOTP request.
            factor = args[2] if len(args) > 2 else params.get("FactorSid") if kind == "challenge" else None
            entry.update(identity=urllib.parse.unquote(args[1]),
                         factor_sid=factor[0] if isinstance(factor, list) else factor)

        control = app.faults.take(kind)
        if control and control.get("delay_ms"):
            time.sleep(control["delay_ms"] / 1000.0)
        fault = control.get("fault", "none") if control else "none"
        if fault != "none":
            entry["fault"] = fault
            self._apply_fault(app, entry, control, fault, params)
            return

        ctx = Context(method, path, params, None, self.server.base_url)
        try:
            ctx.auth_user = app.authenticate(auth)
            if handler is None:
                if kind == "unknown":
                    raise TwilioError(404, 20404, path=path)
                raise TwilioError(405, 20004)
            reply = handler(ctx, *args)
        except TwilioError as e:
            reply = Reply(e.http_status, e.body(), e.headers)
            entry["error_code"] = e.code
        entry.update({k: v for k, v in ctx.record.items()})
        entry["status"] = reply.status
        app.record(entry)
        self._log(method, path, reply.status, kind, entry.get("error_code"))
        self._send(reply.status, reply.body, headers=reply.headers)

    def _apply_fault(self, app, entry, control, fault, params):
        retry = {}
        if control.get("retry_after") is not None:
            retry = {"Retry-After": str(control["retry_after"])}
        to = params.get("To") if isinstance(params.get("To"), str) else ""
        if fault in ("hang", "close"):
            entry["status"] = None
            app.record(entry)
            self._log(entry["method"], entry["path"], fault, entry["kind"], None)
            self._hang() if fault == "hang" else self._drop()
            return
        if fault in ("drip", "truncated", "huge"):
            # Status and headers of a plausible success, then a body that is
            # too slow, cut short, or far too big.
            status, body = plausible_reply(entry["kind"], params, self.server.base_url, entry["path"])
            entry["status"] = status
            app.record(entry)
            self._log(entry["method"], entry["path"], status, entry["kind"], None, fault)
            data = json.dumps(body).encode("utf-8")
            self.close_connection = True
            if fault == "drip":
                self._send_head(status, "application/json", len(data), retry)
                self._write_slowly(data, control.get("drip_ms", DRIP_MS) / 1000.0)
            elif fault == "truncated":
                self._send_head(status, "application/json", len(data) + 1000, retry)
                try:
                    self.wfile.write(data[:len(data) // 2])
                    self.wfile.flush()
                except (OSError, ValueError):
                    pass
                self._drop()
            else:
                body["padding"] = ""
                prefix, suffix = json.dumps(body).encode("utf-8").rsplit(b'""', 1)
                prefix, suffix = prefix + b'"', b'"' + suffix
                self._send_head(status, "application/json", len(prefix) + HUGE_BYTES + len(suffix), retry)
                self._write_huge(prefix, HUGE_BYTES, suffix)
            return
        headers = dict(retry)
        if fault == "garbage":
            status, body, ctype = 200, b"<html><body>upstream sent this, not JSON\n", "text/html"
        elif fault == "redirect":
            status, ctype = 302, "text/html"
            location = "https://%s%s" % (REDIRECT_HOST, self.path)
            body = ('<html><body>Moved to <a href="%s">%s</a></body></html>\n' % (location, location)).encode()
            headers["Location"] = location
        else:
            if fault == "http401":
                error = auth_error("Authenticate")
            elif fault == "http404":
                error = TwilioError(404, 20404, path=entry["path"])
            else:
                http_status, code = {"http500": (500, 20500), "http503": (503, 20503), "http429": (429, 20429),
                                     "twilio_error": (control.get("error_http", 400),
                                                      control.get("error_code", 60410))}[fault]
                error = TwilioError(http_status, code, to=to, param="To", value=to, path=entry["path"])
            status, body, ctype = error.http_status, error.body(), "application/json"
            headers.update(error.headers)
            entry["error_code"] = error.code
        entry["status"] = status
        app.record(entry)
        self._log(entry["method"], entry["path"], status, entry["kind"], entry.get("error_code"), fault)
        self._send(status, body, ctype, headers)

    def _log(self, method, path, status, kind, code, fault=None):
        # Never the Authorization header, parameters or codes: paths and outcomes only.
        extra = (" code=%s" % code if code else "") + (" fault=%s" % fault if fault else "")
        self.server.app.log("%s %s -> %s (%s)%s" % (method, path, status, kind, extra))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Holds 200 logins connecting at once (the concurrency tests and make
    # bench), so the stand-in's own queue never hides the module's delays.
    request_queue_size = 512

    def __init__(self, address, app, ssl_context, base_url, fault_contexts=None):
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)
        self.app = app
        self.ssl_context = ssl_context
        self.fault_contexts = fault_contexts or {}  # TLS fault -> the SSLContext that presents it
        self.base_url = base_url
        self.stopping = threading.Event()

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so a
        # client that connects and stalls cannot block the accept loop.
        request.settimeout(10)
        # Replies go out at once, as Twilio's do: no Nagle delay on small writes.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self._tunnel(request, client_address):
            return
        # A TLS fault is decided now, before the handshake: the same port then
        # presents the other certificate (no request has been read yet).
        tls_fault = self.app.faults.take_tls()
        context = self.fault_contexts.get(tls_fault, self.ssl_context)
        if tls_fault:
            self.app.record({"time": time.time(), "kind": "tls", "method": None, "path": None, "status": None,
                             "to": None, "fault": tls_fault})
            self.app.log("TLS handshake with %s:%s: fault=%s" % (client_address[0], client_address[1], tls_fault))
        try:
            conn = context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.app.log("TLS handshake with %s:%s failed: %s" % (client_address[0], client_address[1], e))
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _tunnel(self, request, client_address):
        """The stand-in is also its own HTTP proxy: a connection that opens
        with CONNECT HOST:PORT (twilio.proxy pointed here) is recorded (kind
        "connect", target HOST:PORT), answered 200, and then served TLS like
        any other, so a config naming Twilio's real or regional host names
        reaches the stand-in. False when the connection ended first."""
        try:
            if request.recv(8, socket.MSG_PEEK) != b"CONNECT ":
                return True
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 8192:
                chunk = request.recv(1)  # byte by byte: nothing past the head is ours
                if not chunk:
                    return False
                head += chunk
            target = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[1]
            self.app.record({"time": time.time(), "kind": "connect", "method": "CONNECT", "path": None,
                             "status": 200, "to": None, "target": target})
            request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            return True
        except (OSError, IndexError) as e:
            self.app.log("CONNECT from %s:%s failed: %s" % (client_address[0], client_address[1], e))
            return False

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, ssl.SSLError, socket.timeout, TimeoutError)):
            self.app.log("connection from %s ended: %s" % (client_address[0], error.__class__.__name__))
        else:
            self.app.log("error handling a request:\n" + traceback.format_exc())


# --- main ----------------------------------------------------------------------

def read_secret(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            value = f.read().strip()
    except OSError as e:
        sys.exit("fake_twilio: cannot read the %s file %s: %s" % (what, path, e.strerror))
    if not value:
        sys.exit("fake_twilio: the %s file %s is empty" % (what, path))
    return value


def sid_arg(prefix):
    def check(value):
        if not SID[prefix].match(value):
            raise argparse.ArgumentTypeError("%r is not %s followed by 32 hex digits" % (value, prefix))
        return value
    return check


def loopback(host):
    """Only loopback addresses: this server must never face a network."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise argparse.ArgumentTypeError("%r is not a loopback address" % host)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Local HTTPS stand-in for Twilio Verify v2 (with TOTP factors), "
                                            "Lookup v2 and the 2010-04-01 API.")
    p.add_argument("--cert", required=True, help="server certificate (PEM)")
    p.add_argument("--key", required=True, help="its private key (PEM)")
    p.add_argument("--state-dir", required=True, help="port, records.jsonl, control.json live here")
    p.add_argument("--wrong-ca-cert", help="for the wrong_ca fault: a certificate for the same names from another CA")
    p.add_argument("--wrong-ca-key", help="its private key")
    p.add_argument("--wrong-host-cert", help="for the wrong_host fault: one from the same CA for another name")
    p.add_argument("--wrong-host-key", help="its private key")
    p.add_argument("--host", type=loopback, default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    p.add_argument("--account-sid", required=True, type=sid_arg("AC"))
    p.add_argument("--auth-token-file", required=True)
    p.add_argument("--api-key-sid", type=sid_arg("SK"))
    p.add_argument("--api-key-secret-file")
    p.add_argument("--verify-service-sid", required=True, type=sid_arg("VA"))
    p.add_argument("--verify-code-length", type=int, default=6, choices=range(4, 11), metavar="4..10")
    p.add_argument("--verify-ttl", type=float, default=600, help="seconds a verification stays pending")
    p.add_argument("--totp-lockout", type=float, default=600,
                   help="seconds a TOTP factor refuses challenges after %d wrong codes in a row" % MAX_TOTP_WRONG)
    p.add_argument("--from", dest="from_number", action="append", metavar="E164",
                   help="a number the account owns (repeatable); when given, other From values are refused")
    p.add_argument("--messaging-service-sid", action="append", type=sid_arg("MG"),
                   help="a Messaging Service of the account (repeatable); when given, others are refused")
    args = p.parse_args(argv)
    if bool(args.api_key_sid) != bool(args.api_key_secret_file):
        p.error("--api-key-sid and --api-key-secret-file go together")
    for fault in TLS_FAULTS:
        flag = fault.replace("_", "-")
        if bool(getattr(args, fault + "_cert")) != bool(getattr(args, fault + "_key")):
            p.error("--%s-cert and --%s-key go together" % (flag, flag))
    for number in args.from_number or ():
        if not E164.match(number):
            p.error("--from %r is not an E.164 number" % number)
    if args.verify_ttl <= 0:
        p.error("--verify-ttl must be positive")
    if args.totp_lockout <= 0:
        p.error("--totp-lockout must be positive")
    return args


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])

    def log(line):
        sys.stderr.write("fake_twilio: %s\n" % line)
        sys.stderr.flush()

    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    users = {args.account_sid: read_secret(args.auth_token_file, "auth token")}
    if args.api_key_sid:
        users[args.api_key_sid] = read_secret(args.api_key_secret_file, "API key secret")
    app = Twilio(args, users, state_dir, log)

    def tls_context(cert, key):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(["http/1.1"])
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as e:
            sys.exit("fake_twilio: cannot load %s / %s: %s" % (cert, key, e))
        return context

    context = tls_context(args.cert, args.key)
    fault_contexts = {fault: tls_context(getattr(args, fault + "_cert"), getattr(args, fault + "_key"))
                      for fault in TLS_FAULTS if getattr(args, fault + "_cert")}

    server = Server((args.host, args.port), app, context, "", fault_contexts)
    port = server.server_address[1]
    host = "[%s]" % args.host if ":" in args.host else args.host
    server.base_url = "https://%s:%d" % (host, port)

    def stop(signum, frame):
        server.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    port_file = os.path.join(state_dir, "port")
    tmp = "%s.%d.tmp" % (port_file, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, port_file)
    print("ready %s" % server.base_url, flush=True)
    log("listening on %s (account %s, Verify service %s, code length %d, TTL %gs)" % (
        server.base_url, args.account_sid, args.verify_service_sid, args.verify_code_length, args.verify_ttl))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.stopping.set()
        server.server_close()
        try:
            with open(port_file) as f:
                mine = f.read().strip() == str(port)
            if mine:
                os.unlink(port_file)
        except OSError:
            pass
        log("stopped")


if __name__ == "__main__":
    main()
