#!/usr/bin/python3
"""check_fake_shapes.py — does our Twilio stand-in agree with Twilio's OpenAPI specs?

Drives a running fake_twilio.py (the one fake_env.sh's fake_twilio_start
describes in FAKE_TWILIO_*) through every success and error reply it serves
and validates each JSON body against the spec:

  * a success reply against the response schema the spec gives for that
    path, method and status (verify.v2.service.verification, …_check,
    api.v2010.account.message, api.v2010.account.call, Lookup v2's
    LookupResponse; for TOTP …entity.new_factor, …entity.factor, the
    ListFactorResponse and …entity.challenge; for Service Rate Limits
    …service.rate_limit, …rate_limit.bucket and their list responses; a
    delete's 204 without a body);
  * an error reply against the spec's own response schema for that status
    where it has one (Verifications create: 429), else against Twilio's error
    object as the spec defines it there ({code, message, more_info, status});
    more_info must be https://www.twilio.com/docs/errors/CODE and status the
    HTTP status;
  * stricter than the spec, which lists properties but requires none: every
    property of the schema must be present (Twilio sends nulls, not gaps) and
    no other may appear (401 alone may add Twilio's "detail"); the same for
    a Lookup's line_type_intelligence object, a factor list's meta and items,
    and the objects the spec leaves untyped (a TOTP factor's binding and
    config, a challenge's and a rate limit's links), which must have exactly
    the keys of the spec's own examples; a binding's uri must be the key URI
    of its secret and config;
  * a property may be null where the spec's own examples of that response
    show null, whatever its schema says (Lookup v2's schema has the data
    packages, validation_errors and error_code non-nullable, its examples
    null); the Lookup examples the stand-in imitates must pass the same check;
  * formats: date-time (Verify, ISO 8601), date-time-rfc-2822 (2010-04-01,
    "+0000"), uri, phone-number, currency, uri-map.

It also checks the request side: each parameter the stand-in reads is a
parameter of that operation in the spec (form, path or query); each parameter the spec marks
required is refused when missing (Service Rate Limits and Buckets too); the stand-in's channels and update
statuses, factor types, TOTP algorithms and statuses are within the spec's
enums, and its TOTP Config ranges are the ones the spec states.

    /usr/bin/python3 tests/contract/check_fake_shapes.py [--specs DIR]

Needs python3-jsonschema (Debian). Prints "[       OK ] name" or
"[  FAILED  ] name: why" per shape, then "[  PASSED  ] N test(s)." and, if
any failed, "[  FAILED  ] M test(s)"; exit status 1 on any failure.
"""

import argparse
import json
import os
import re
import ssl
import sys
import urllib.parse

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_twilio"))
import fake_twilio  # noqa: E402  (READS, VERIFY_CHANNELS)
import https_client  # noqa: E402
import records  # noqa: E402

VERIFY_SPEC = "twilio_verify_v2.json"
API_SPEC = "twilio_api_v2010.json"
LOOKUPS_SPEC = "twilio_lookups_v2.json"
SPEC_OF = {"verify": VERIFY_SPEC, "api": API_SPEC, "lookups": LOOKUPS_SPEC}

P_VERIFICATIONS = "/v2/Services/{ServiceSid}/Verifications"
P_VERIFICATION = "/v2/Services/{ServiceSid}/Verifications/{Sid}"
P_CHECK = "/v2/Services/{ServiceSid}/VerificationCheck"
P_MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
P_CALLS = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
P_LOOKUP = "/v2/PhoneNumbers/{PhoneNumber}"
P_FACTORS = "/v2/Services/{ServiceSid}/Entities/{Identity}/Factors"
P_FACTOR = "/v2/Services/{ServiceSid}/Entities/{Identity}/Factors/{Sid}"
P_CHALLENGES = "/v2/Services/{ServiceSid}/Entities/{Identity}/Challenges"
# The TOTP examples of Twilio's spec: (path, method, status, example). The
# stand-in's strict check must pass them, and the objects the spec leaves
# untyped (binding, config, links) must have exactly their keys.
TOTP_EXAMPLES = {"create": (P_FACTORS, "post", 201, "createTotp"), "list": (P_FACTORS, "get", 200, "readFullTotp"),
                 "update": (P_FACTOR, "post", 200, "verifyTotp"), "fetch": (P_FACTOR, "get", 200, "fetchTotp"),
                 "challenge": (P_CHALLENGES, "post", 201, "createTotpWithAuthPayload"),
                 "challenge without code": (P_CHALLENGES, "post", 201, "createTotpWithoutAuthPayload")}
P_RATE_LIMITS = "/v2/Services/{ServiceSid}/RateLimits"
P_RATE_LIMIT = "/v2/Services/{ServiceSid}/RateLimits/{Sid}"
P_BUCKETS = "/v2/Services/{ServiceSid}/RateLimits/{RateLimitSid}/Buckets"
P_BUCKET = "/v2/Services/{ServiceSid}/RateLimits/{RateLimitSid}/Buckets/{Sid}"
# The Service Rate Limit examples of Twilio's spec: (path, method, status,
# example); a rate limit's links (untyped in the spec) must have their keys.
RATE_LIMIT_EXAMPLES = {
    "rate limit create": (P_RATE_LIMITS, "post", 201, "createRateLimit"),
    "rate limit list": (P_RATE_LIMITS, "get", 200, "readAll"),
    "rate limit fetch": (P_RATE_LIMIT, "get", 200, "fetchRateLimit"),
    "rate limit update": (P_RATE_LIMIT, "post", 200, "updateRateLimit"),
    "bucket create": (P_BUCKETS, "post", 201, "createBucket"),
    "bucket list": (P_BUCKETS, "get", 200, "readFull"),
    "bucket list (empty)": (P_BUCKETS, "get", 200, "readEmpty"),
    "bucket fetch": (P_BUCKET, "get", 200, "fetchBucket"),
    "bucket update": (P_BUCKET, "post", 200, "updateBucket"),
}
# The Lookup examples of Twilio's spec the stand-in's replies imitate.
LOOKUP_EXAMPLES = ("fetch", "fetchInvalid", "fetchLineTypeIntelligence")

OMIT = ("description", "x-twilio", "example", "examples", "deprecated", "readOnly", "writeOnly",
        "externalDocs", "xml", "nullable", "title")


# --- OpenAPI 3.0 schema -> JSON Schema (draft 7) ---------------------------------

def to_json_schema(node, components):
    """Inlines $refs and turns `nullable: true` into a null type/enum member."""
    if isinstance(node, list):
        return [to_json_schema(x, components) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return to_json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    out = {}
    for key, value in node.items():
        if key in OMIT:
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(s, components) for name, s in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = to_json_schema(value, components)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = to_json_schema(value, components)
        else:
            out[key] = value
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
    return out


def strict(schema, optional=()):
    """Every listed property required, nothing else allowed (`optional` excepted)."""
    schema = dict(schema)
    schema["properties"] = dict(schema["properties"])
    schema["required"] = sorted(set(schema["properties"]) - set(optional))
    schema["additionalProperties"] = False
    return schema


def accepts_null(schema):
    kind = schema.get("type")
    return "type" not in schema or kind == "null" or (isinstance(kind, list) and "null" in kind)


def nullable_as_in_examples(schema, value):
    """Makes nullable each property (at any depth) that `value`, one of the
    spec's own examples, has null: the spec's word on what Twilio sends."""
    if not isinstance(value, dict):
        return
    for name, item in value.items():
        prop = schema.get("properties", {}).get(name)
        if prop is None:
            continue
        if item is None and not accepts_null(prop):
            schema["properties"][name] = {"anyOf": [prop, {"type": "null"}]}
        elif isinstance(item, dict):
            nullable_as_in_examples(prop["anyOf"][0] if "anyOf" in prop else prop, item)


def from_example(value):
    """A strict schema with exactly the keys (and JSON types) of `value`, one
    of the spec's own examples, for an object the spec leaves untyped."""
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: from_example(v) for k, v in value.items()},
                "required": sorted(value), "additionalProperties": False}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    for kind, name in ((str, "string"), (list, "array"), (float, "number")):
        if isinstance(value, kind):
            return {"type": name}
    return {}


def format_checker(jsonschema):
    checker = jsonschema.FormatChecker(formats=())
    rfc2822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                         r"\d{4} \d\d:\d\d:\d\d \+0000$")
    iso8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

    @checker.checks("date-time")
    def _iso(value):
        return not isinstance(value, str) or bool(iso8601.match(value))

    @checker.checks("date-time-rfc-2822")
    def _rfc2822(value):
        return not isinstance(value, str) or bool(rfc2822.match(value))

    @checker.checks("uri")
    def _uri(value):
        if not isinstance(value, str):
            return True
        parts = urllib.parse.urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc)

    @checker.checks("phone-number")
    def _phone(value):
        return not isinstance(value, str) or bool(fake_twilio.E164.match(value))

    @checker.checks("currency")
    def _currency(value):
        return not isinstance(value, str) or bool(re.match(r"^[A-Z]{3}$", value))

    @checker.checks("uri-map")
    def _uri_map(value):
        # Paths in the 2010-04-01 API (subresource_uris), absolute URLs in Verify's links.
        return not isinstance(value, dict) or all(isinstance(v, str) and (v.startswith("/") or _uri(v))
                                                  for v in value.values())

    return checker


# --- the run ------------------------------------------------------------------------

class Checks:
    def __init__(self, specs_dir, jsonschema):
        self.jsonschema = jsonschema
        self.checker = format_checker(jsonschema)
        self.specs = {}
        for name in (VERIFY_SPEC, API_SPEC, LOOKUPS_SPEC):
            with open(os.path.join(specs_dir, name), encoding="utf-8") as f:
                self.specs[name] = json.load(f)
        verify = self.specs[VERIFY_SPEC]
        error = verify["paths"][P_VERIFICATIONS]["post"]["responses"]["429"]["content"]["application/json"]["schema"]
        error = to_json_schema(error, verify["components"]["schemas"])
        self.error_schema = strict(error)
        with_detail = dict(error, properties=dict(error["properties"], detail={"type": "string"}))
        self.error_schema_401 = strict(with_detail, optional=("detail",))
        self.passed = 0
        self.failed = 0

        env = os.environ
        try:
            self.url = urllib.parse.urlsplit(env["FAKE_TWILIO_URL"])
            self.context = ssl.create_default_context(cafile=env["FAKE_TWILIO_CA"])
            self.ac = env["FAKE_TWILIO_ACCOUNT_SID"]
            self.va = env["FAKE_TWILIO_VERIFY_SID"]
            self.mg = env["FAKE_TWILIO_MESSAGING_SID"]
            self.from_ = env["FAKE_TWILIO_FROM"]
            self.state = env["FAKE_TWILIO_DIR"]
            with open(env["FAKE_TWILIO_TOKEN_FILE"]) as f:
                self.token = f.read().strip()
        except KeyError as e:
            sys.exit("check_fake_shapes: %s is not set (start the stand-in with fake_env.sh first)" % e)
        self.number = 0

    # reporting
    def ok(self, name):
        self.passed += 1
        print("[       OK ] %s" % name, flush=True)

    def fail(self, name, why):
        self.failed += 1
        print("[  FAILED  ] %s: %s" % (name, why), flush=True)

    # the stand-in
    def fresh(self):
        self.number += 1
        return "+1555019%04d" % self.number

    def fresh_identity(self):
        self.number += 1
        return "shape-%08d" % self.number

    def request(self, method, path, params=None, auth=True):
        if auth is True:
            auth = (self.ac, self.token)
        body = urllib.parse.urlencode(params) if params is not None else None
        return https_client.request(self.context, self.url.hostname, self.url.port, method, path, body=body,
                                    content_type="application/x-www-form-urlencoded", auth=auth)

    def control(self, obj):
        path = os.path.join(self.state, "control.json")
        with open(path + ".tmp", "w") as f:
            json.dump(obj or {}, f)
        os.replace(path + ".tmp", path)

    def paths(self, service=None, account=None, identity="shape-identity"):
        entity = "/v2/Services/%s/Entities/%s" % (service or self.va, identity)
        return {P_FACTORS: entity + "/Factors", P_CHALLENGES: entity + "/Challenges",
                P_VERIFICATIONS: "/v2/Services/%s/Verifications" % (service or self.va),
                P_CHECK: "/v2/Services/%s/VerificationCheck" % (service or self.va),
                P_MESSAGES: "/2010-04-01/Accounts/%s/Messages.json" % (account or self.ac),
                P_CALLS: "/2010-04-01/Accounts/%s/Calls.json" % (account or self.ac)}

    @staticmethod
    def lookup_path(number, fields="line_type_intelligence"):
        query = "?Fields=" + fields if fields else ""
        return "/v2/PhoneNumbers/%s%s" % (urllib.parse.quote(number, safe=""), query)

    # validation
    def operation(self, api, template, method):
        spec = self.specs[SPEC_OF[api]]
        return spec, spec["paths"][template][method]

    def success_schema(self, api, template, method, status, nested=()):
        """The spec's schema of a success reply, strict (and so are the
        `nested` objects), nullable where the spec's examples are null."""
        spec, op = self.operation(api, template, method)
        content = op["responses"][str(status)]["content"]["application/json"]
        schema = strict(to_json_schema(content["schema"], spec["components"]["schemas"]))
        for name in nested:
            schema["properties"][name] = strict(schema["properties"][name])
        for example in content.get("examples", {}).values():
            nullable_as_in_examples(schema, example.get("value"))
        return schema

    def shape(self, name, api, template, method, reply, want_status, want_code=None, nested=(), schema=None):
        """Validates one reply (a success against `schema` when given);
        returns its JSON body (or None)."""
        status, headers, raw = reply
        if status != want_status:
            self.fail(name, "HTTP %s, expected %s: %s" % (status, want_status, raw[:200]))
            return None
        if (headers.get("Content-Type") or "").split(";")[0] != "application/json":
            self.fail(name, "Content-Type %r, not application/json" % headers.get("Content-Type"))
            return None
        try:
            body = json.loads(raw)
        except ValueError:
            self.fail(name, "body is not JSON")
            return None
        spec, op = self.operation(api, template, method)
        response = op["responses"].get(str(status))
        if response is not None:
            if status < 400:
                schema = schema or self.success_schema(api, template, method, status, nested)
            else:  # the spec's own error schema, made strict
                schema = strict(to_json_schema(response["content"]["application/json"]["schema"],
                                               spec["components"]["schemas"]))
            where = "spec %s %s %s" % (method.upper(), template, status)
        elif status >= 400:
            schema = self.error_schema_401 if status == 401 else self.error_schema
            where = "Twilio error object (spec)"
        else:
            self.fail(name, "the spec has no %s response for %s %s" % (status, method.upper(), template))
            return None
        errors = sorted(self.jsonschema.Draft7Validator(schema, format_checker=self.checker).iter_errors(body),
                        key=lambda e: list(e.path))
        if errors:
            self.fail(name, "not %s: %s" % (where, "; ".join(
                "%s: %s" % ("/".join(str(p) for p in e.path) or "(body)", e.message) for e in errors[:5])))
            return None
        if status >= 400:
            if body["status"] != status:
                self.fail(name, "status field %s differs from HTTP %s" % (body["status"], status))
                return None
            if body["more_info"] != "https://www.twilio.com/docs/errors/%d" % body["code"]:
                self.fail(name, "more_info %r" % body["more_info"])
                return None
            if want_code is not None and body["code"] != want_code:
                self.fail(name, "code %s, expected %s" % (body["code"], want_code))
                return None
            if status == 401 and "WWW-Authenticate" not in headers:
                self.fail(name, "401 without WWW-Authenticate")
                return None
        self.ok(name)
        return body

    # --- request side -------------------------------------------------------------------

    def check_requests(self):
        for (api, template, method), names in fake_twilio.READS.items():
            name = "request: %s %s reads only spec parameters" % (method.upper(), template)
            spec, op = self.operation(api, template, method)
            props = set(op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
                        .get("schema", {}).get("properties", {}))
            for param in spec["paths"][template].get("parameters", []) + op.get("parameters", []):
                props.add(param.get("name"))
            unknown = [n for n in names if n not in props]
            self.fail(name, "not in the spec: %s" % ", ".join(unknown)) if unknown else self.ok(name)

        to = self.fresh()
        valid = {
            ("verify", P_VERIFICATIONS): {"To": to, "Channel": "sms"},
            ("api", P_MESSAGES): {"To": to, "From": self.from_, "Body": "Your code is 123456"},
            ("api", P_CALLS): {"To": to, "From": self.from_, "Twiml": "<Response><Say>1 2 3 4</Say></Response>"},
            ("verify", P_FACTORS): {"FriendlyName": "shape check", "FactorType": "totp"},
            ("verify", P_CHALLENGES): {"FactorSid": "YF" + "0" * 32, "AuthPayload": "123456"},
        }
        paths = self.paths()
        for (api, template), params in valid.items():
            _, op = self.operation(api, template, "post")
            required = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"].get("required", [])
            for param in required:
                name = "request: %s without %s (required by the spec) is refused" % (template, param)
                partial = {k: v for k, v in params.items() if k != param}
                status, _, raw = self.request("POST", paths[template], partial)
                if status == 400:
                    self.ok(name)
                else:
                    self.fail(name, "HTTP %s: %s" % (status, raw[:200]))
        _, op = self.operation("verify", P_VERIFICATION, "post")
        required = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"].get("required", [])
        for param in required:
            name = "request: %s without %s (required by the spec) is refused" % (P_VERIFICATION, param)
            status, _, raw = self.request("POST", "/v2/Services/%s/Verifications/VE%s" % (self.va, "0" * 32), {})
            self.ok(name) if status == 400 else self.fail(name, "HTTP %s" % status)

        schemas = self.specs[VERIFY_SPEC]["components"]["schemas"]
        name = "request: the stand-in's Verify channels are in the spec's enum"
        extra = set(fake_twilio.VERIFY_CHANNELS) - set(schemas["verification_enum_channel"]["enum"])
        self.fail(name, "not in the spec: %s" % sorted(extra)) if extra else self.ok(name)
        name = "request: update statuses are exactly the spec's enum"
        spec_statuses = set(schemas["verification_enum_status"]["enum"])
        (self.ok(name) if spec_statuses == {"canceled", "approved"}
         else self.fail(name, "spec says %s" % sorted(spec_statuses)))

        # Verify TOTP: the values the stand-in takes and gives are the spec's.
        enums = [("factor types", fake_twilio.FACTOR_TYPES, "new_factor_enum_factor_types", True),
                 ("TOTP algorithms (create)", fake_twilio.TOTP_ALGS, "new_factor_enum_totp_algorithms", True),
                 ("TOTP algorithms (update)", fake_twilio.TOTP_ALGS, "factor_enum_totp_algorithms", True),
                 ("factor statuses", ("unverified", "verified"), "factor_enum_factor_statuses", True),
                 ("new factor statuses", ("unverified",), "new_factor_enum_factor_statuses", False),
                 ("challenge statuses", ("pending", "approved"), "challenge_enum_challenge_statuses", False),
                 ("challenge factor types", ("totp",), "challenge_enum_factor_types", False)]
        for label, ours, enum, exact in enums:
            name = "request: the stand-in's %s are %s the spec's enum" % (label, "exactly" if exact else "within")
            spec_values = set(schemas[enum]["enum"])
            good = set(ours) == spec_values if exact else set(ours) <= spec_values
            self.ok(name) if good else self.fail(name, "ours %s, spec %s" % (sorted(ours), sorted(spec_values)))
        _, op = self.operation("verify", P_FACTORS, "post")
        props = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]
        for param, (_, default, low, high) in sorted(fake_twilio.TOTP_CONFIG.items()):
            name = "request: %s's range and default are the spec's" % param
            m = re.search(r"between (\d+) and (\d+)", props[param]["description"])
            d = re.search(r"(?:Defaults to|defaults to) (\d+)", props[param]["description"])
            if m and d and (int(m.group(1)), int(m.group(2)), int(d.group(1))) == (low, high, default):
                self.ok(name)
            else:
                self.fail(name, "ours %d..%d (default %d); spec: %s"
                          % (low, high, default, props[param]["description"]))

    # --- replies --------------------------------------------------------------------------

    def check_success_shapes(self):
        p = self.paths()
        to = self.fresh()
        v = self.shape("201 Verifications create (sms)", "verify", P_VERIFICATIONS, "post",
                       self.request("POST", p[P_VERIFICATIONS], {"To": to, "Channel": "sms"}), 201)
        self.shape("201 Verifications create again (call, same verification)", "verify", P_VERIFICATIONS, "post",
                   self.request("POST", p[P_VERIFICATIONS], {"To": to, "Channel": "call"}), 201)
        self.shape("201 Verifications create (whatsapp)", "verify", P_VERIFICATIONS, "post",
                   self.request("POST", p[P_VERIFICATIONS], {"To": self.fresh(), "Channel": "whatsapp"}), 201)
        if v:
            code = records.last_code(self.state, to)
            wrong = "%06d" % ((int(code) + 1) % 1000000)
            self.shape("200 GET Verifications/{Sid} (pending)", "verify", P_VERIFICATION, "get",
                       self.request("GET", "/v2/Services/%s/Verifications/%s" % (self.va, v["sid"])), 200)
            self.shape("200 VerificationCheck (wrong code: pending)", "verify", P_CHECK, "post",
                       self.request("POST", p[P_CHECK], {"VerificationSid": v["sid"], "Code": wrong}), 200)
            self.shape("200 VerificationCheck (right code: approved)", "verify", P_CHECK, "post",
                       self.request("POST", p[P_CHECK], {"To": to, "Code": code}), 200)
        for status_value in ("canceled", "approved"):
            _, _, raw = self.request("POST", p[P_VERIFICATIONS], {"To": self.fresh(), "Channel": "sms"})
            sid = json.loads(raw)["sid"]
            self.shape("200 Verifications/{Sid} update (Status=%s)" % status_value, "verify", P_VERIFICATION, "post",
                       self.request("POST", "/v2/Services/%s/Verifications/%s" % (self.va, sid),
                                    {"Status": status_value}), 200)
        self.shape("201 Messages create (From)", "api", P_MESSAGES, "post",
                   self.request("POST", p[P_MESSAGES], {"To": self.fresh(), "From": self.from_,
                                                        "Body": "123456 is your code"}), 201)
        self.shape("201 Messages create (MessagingServiceSid)", "api", P_MESSAGES, "post",
                   self.request("POST", p[P_MESSAGES], {"To": self.fresh(), "MessagingServiceSid": self.mg,
                                                        "Body": "123456 is your code"}), 201)
        self.shape("201 Messages create (Fraud Guard number: accepted, fails later)", "api", P_MESSAGES, "post",
                   self.request("POST", p[P_MESSAGES], {"To": "+15005550010", "From": self.from_,
                                                        "Body": "123456 is your code"}), 201)
        self.shape("201 Calls create (Twiml)", "api", P_CALLS, "post",
                   self.request("POST", p[P_CALLS], {"To": self.fresh(), "From": self.from_,
                                                     "Twiml": "<Response><Say>1, 2, 3, 4, 5, 6</Say></Response>"}), 201)
        self.shape("201 Calls create (Url)", "api", P_CALLS, "post",
                   self.request("POST", p[P_CALLS], {"To": self.fresh(), "From": self.from_,
                                                     "Url": "https://example.invalid/twiml"}), 201)
        # twilio-otp check-config --online's reads.
        self.shape("200 GET Accounts/{Sid}.json", "api", "/2010-04-01/Accounts/{Sid}.json", "get",
                   self.request("GET", "/2010-04-01/Accounts/%s.json" % self.ac), 200)
        self.shape("200 GET Services/{Sid}", "verify", "/v2/Services/{Sid}", "get",
                   self.request("GET", "/v2/Services/%s" % self.va), 200)
        self.shape("200 GET IncomingPhoneNumbers.json?PhoneNumber=", "api",
                   "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json", "get",
                   self.request("GET", "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json?PhoneNumber=%s"
                                % (self.ac, urllib.parse.quote(self.from_))), 200)
        self.control({"account_type": "Trial", "verified_numbers": [self.from_]})
        self.shape("200 GET OutgoingCallerIds.json?PhoneNumber=", "api",
                   "/2010-04-01/Accounts/{AccountSid}/OutgoingCallerIds.json", "get",
                   self.request("GET", "/2010-04-01/Accounts/%s/OutgoingCallerIds.json?PhoneNumber=%s"
                                % (self.ac, urllib.parse.quote(self.from_))), 200)
        self.control({})

    def check_error_shapes(self):
        p = self.paths()
        to = self.fresh()
        fr = self.from_
        E = [  # name, api, template, method, request path, params, auth, HTTP, code
            ("no credentials", "verify", P_VERIFICATIONS, p[P_VERIFICATIONS], {"To": to, "Channel": "sms"}, None, 401, 20003),
            ("wrong token", "api", P_MESSAGES, p[P_MESSAGES], {"To": to, "From": fr, "Body": "x"},
             (self.ac, "wrong"), 401, 20003),
            ("unknown Verify service", "verify", P_VERIFICATIONS, self.paths(service="VA" + "e" * 32)[P_VERIFICATIONS],
             {"To": to, "Channel": "sms"}, True, 404, 20404),
            ("another account's path", "api", P_MESSAGES, self.paths(account="AC" + "e" * 32)[P_MESSAGES],
             {"To": to, "From": fr, "Body": "x"}, True, 404, 20404),
            ("check of an unknown verification", "verify", P_CHECK, p[P_CHECK],
             {"VerificationSid": "VE" + "e" * 32, "Code": "123456"}, True, 404, 20404),
            ("cancel of an unknown verification", "verify", P_VERIFICATION,
             "/v2/Services/%s/Verifications/VE%s" % (self.va, "e" * 32), {"Status": "canceled"}, True, 404, 20404),
            ("Verifications without Channel", "verify", P_VERIFICATIONS, p[P_VERIFICATIONS], {"To": to}, True, 400, 20001),
            ("Verifications with To not E.164", "verify", P_VERIFICATIONS, p[P_VERIFICATIONS],
             {"To": "5550104567", "Channel": "sms"}, True, 400, 60200),
            ("VerificationCheck with a 3-digit Code", "verify", P_CHECK, p[P_CHECK], {"To": to, "Code": "123"},
             True, 400, 60200),
            ("VerificationCheck without To or VerificationSid", "verify", P_CHECK, p[P_CHECK], {"Code": "123456"},
             True, 400, 60221),
            ("Messages without To", "api", P_MESSAGES, p[P_MESSAGES], {"From": fr, "Body": "x"}, True, 400, 21604),
            ("Messages without From", "api", P_MESSAGES, p[P_MESSAGES], {"To": to, "Body": "x"}, True, 400, 21603),
            ("Messages without Body", "api", P_MESSAGES, p[P_MESSAGES], {"To": to, "From": fr}, True, 400, 21602),
            ("Messages with To not E.164", "api", P_MESSAGES, p[P_MESSAGES], {"To": "12", "From": fr, "Body": "x"},
             True, 400, 21211),
            ("Messages from a number not ours", "api", P_MESSAGES, p[P_MESSAGES],
             {"To": to, "From": "+15550000000", "Body": "x"}, True, 400, 21606),
            ("Messages over 1600 characters", "api", P_MESSAGES, p[P_MESSAGES],
             {"To": to, "From": fr, "Body": "x" * 1601}, True, 400, 21617),
            ("Calls without To", "api", P_CALLS, p[P_CALLS], {"From": fr, "Twiml": "<Response/>"}, True, 400, 21201),
            ("Calls without From", "api", P_CALLS, p[P_CALLS], {"To": to, "Twiml": "<Response/>"}, True, 400, 21213),
            ("Calls without Twiml or Url", "api", P_CALLS, p[P_CALLS], {"To": to, "From": fr}, True, 400, 21205),
        ]
        for number, label in (("+15005550001", "invalid"), ("+15005550003", "geo permission off"),
                              ("+15005550004", "opted out"), ("+15005550009", "landline"),
                              ("+15005550010", "Fraud Guard"), ("+15005550011", "trial, unverified")):
            for endpoint, template in (("verify", P_VERIFICATIONS), ("message", P_MESSAGES), ("call", P_CALLS)):
                outcome = fake_twilio.magic_outcome(number, endpoint, "sms" if endpoint == "verify" else None)
                if not outcome or outcome[0] == "async":
                    continue
                params = {"verify": {"To": number, "Channel": "sms"},
                          "message": {"To": number, "From": fr, "Body": "x"},
                          "call": {"To": number, "From": fr, "Twiml": "<Response/>"}}[endpoint]
                E.append(("%s %s (%s)" % (template.rsplit("/", 1)[1], number, label),
                          "verify" if endpoint == "verify" else "api", template, p[template], params, True,
                          outcome[0], outcome[1]))
        for name, api, template, path, params, auth, http_status, code in E:
            self.shape("%d %d %s" % (http_status, code, name), api, template, "post",
                       self.request("POST", path, params, auth=auth), http_status, code)

        # Rate limits: the 6th send, the 6th check.
        to = self.fresh()
        for _ in range(5):
            self.request("POST", p[P_VERIFICATIONS], {"To": to, "Channel": "sms"})
        self.shape("429 60203 sixth send of one verification", "verify", P_VERIFICATIONS, "post",
                   self.request("POST", p[P_VERIFICATIONS], {"To": to, "Channel": "sms"}), 429, 60203)
        to = self.fresh()
        _, _, raw = self.request("POST", p[P_VERIFICATIONS], {"To": to, "Channel": "sms"})
        sid = json.loads(raw)["sid"]
        wrong = "%06d" % ((int(records.last_code(self.state, to)) + 1) % 1000000)
        for _ in range(5):
            self.request("POST", p[P_CHECK], {"VerificationSid": sid, "Code": wrong})
        self.shape("429 60202 check after five wrong codes", "verify", P_CHECK, "post",
                   self.request("POST", p[P_CHECK], {"VerificationSid": sid, "Code": wrong}), 429, 60202)
        self.shape("405 20004 method not allowed", "api", P_MESSAGES, "post",
                   self.request("DELETE", p[P_MESSAGES]), 405, 20004)

        # Injected faults with a Twilio body.
        faults = [
            ({"fault": "http429", "retry_after": 1}, 429, 20429, "verify", P_VERIFICATIONS),
            ({"fault": "http500"}, 500, 20500, "verify", P_CHECK),
            ({"fault": "http503"}, 503, 20503, "api", P_MESSAGES),
            ({"fault": "twilio_error", "error_http": 403, "error_code": 60410}, 403, 60410, "verify", P_VERIFICATIONS),
        ]
        params = {P_VERIFICATIONS: {"To": self.fresh(), "Channel": "sms"}, P_CHECK: {"To": self.fresh(), "Code": "1234"},
                  P_MESSAGES: {"To": self.fresh(), "From": fr, "Body": "x"}}
        try:
            for control, http_status, code, api, template in faults:
                self.control(control)
                self.shape("%d %d fault %s on %s" % (http_status, code, control["fault"], template), api, template,
                           "post", self.request("POST", p[template], params[template]), http_status, code)
        finally:
            self.control(None)

    def check_lookup_shapes(self):
        lti = ("line_type_intelligence",)
        schema = self.success_schema("lookups", P_LOOKUP, "get", 200, lti)
        validator = self.jsonschema.Draft7Validator(schema, format_checker=self.checker)
        examples = self.specs[LOOKUPS_SPEC]["paths"][P_LOOKUP]["get"]["responses"]["200"]["content"][
            "application/json"]["examples"]
        for example in LOOKUP_EXAMPLES:
            name = "spec: its own Lookup example %s passes the stand-in's check" % example
            errors = list(validator.iter_errors(examples[example]["value"]))
            self.fail(name, errors[0].message) if errors else self.ok(name)

        cases = [("mobile", self.fresh(), "line_type_intelligence", "mobile"),
                 ("non-US mobile", "+447700900123", "line_type_intelligence", "mobile")]
        cases += [(entry["lookup"], number, "line_type_intelligence", entry["lookup"])
                  for number, entry in sorted(fake_twilio.MAGIC.items())
                  if entry.get("lookup") not in (None, "invalid")]
        cases += [("invalid number +15005550001", "+15005550001", "line_type_intelligence", None),
                  ("not E.164", "5550104567", "line_type_intelligence", None),
                  ("without Fields", self.fresh(), None, None),
                  ("other packages only", self.fresh(), "caller_name,sim_swap", None)]
        for label, number, fields, want in cases:
            body = self.shape("200 Lookup (%s)" % label, "lookups", P_LOOKUP, "get",
                              self.request("GET", self.lookup_path(number, fields)), 200, nested=lti)
            got = body and body["line_type_intelligence"] and body["line_type_intelligence"]["type"]
            if body is not None and got != want:
                self.fail("200 Lookup (%s): line type" % label, "%r, expected %r" % (got, want))

        self.shape("401 20003 Lookup without credentials", "lookups", P_LOOKUP, "get",
                   self.request("GET", self.lookup_path(self.fresh()), auth=None), 401, 20003)
        self.shape("401 20003 Lookup with a wrong token", "lookups", P_LOOKUP, "get",
                   self.request("GET", self.lookup_path(self.fresh()), auth=(self.ac, "wrong")), 401, 20003)
        try:
            self.control({"fault": "http503", "only": "lookup"})
            self.shape("503 20503 fault http503 on %s" % P_LOOKUP, "lookups", P_LOOKUP, "get",
                       self.request("GET", self.lookup_path(self.fresh())), 503, 20503)
        finally:
            self.control(None)


    # --- Verify TOTP --------------------------------------------------------------------------

    def spec_example(self, examples, which):
        """The spec's own example reply named by examples[which] (template, method, status, example)."""
        template, method, status, example = examples[which]
        _, op = self.operation("verify", template, method)
        return op["responses"][str(status)]["content"]["application/json"]["examples"][example]["value"]

    def check_spec_examples(self, examples, schema, label):
        """The spec's own examples pass the stand-in's strict schemas: the check can't be stricter than Twilio."""
        for which in examples:
            name = "spec: its own %sexample %s passes the stand-in's check" % (label, examples[which][3])
            validator = self.jsonschema.Draft7Validator(schema(which), format_checker=self.checker)
            errors = list(validator.iter_errors(self.spec_example(examples, which)))
            self.fail(name, errors[0].message) if errors else self.ok(name)

    def totp_example(self, which):
        return self.spec_example(TOTP_EXAMPLES, which)

    def totp_schema(self, which):
        """The strict schema of a TOTP reply: the spec's component, every
        property required and no other, the untyped objects as the example."""
        spec = self.specs[VERIFY_SPEC]
        components = spec["components"]["schemas"]
        example = self.totp_example(which)
        if which == "list":
            schema = strict(to_json_schema(
                spec["paths"][P_FACTORS]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
                components))
            schema["properties"]["meta"] = strict(schema["properties"]["meta"])
            item = strict(to_json_schema(components["verify.v2.service.entity.factor"], components))
            item["properties"]["config"] = from_example(example["factors"][0]["config"])
            schema["properties"]["factors"] = {"type": "array", "items": item}
            return schema
        name = {"create": "new_factor", "update": "factor", "fetch": "factor"}.get(which, "challenge")
        schema = strict(to_json_schema(components["verify.v2.service.entity.%s" % name], components))
        for untyped in ("binding", "config", "links"):
            if untyped in schema["properties"]:
                schema["properties"][untyped] = from_example(example[untyped])
        return schema

    def check_binding(self, name, body):
        """binding.uri: the Key URI of binding.secret and the factor's config."""
        if body is None:
            return
        uri = urllib.parse.urlsplit(body["binding"]["uri"])
        query = dict(urllib.parse.parse_qsl(uri.query))
        config = body["config"]
        label = urllib.parse.unquote(uri.path.lstrip("/"))
        want = {"secret": body["binding"]["secret"], "issuer": label.split(":", 1)[0],
                "algorithm": config["alg"].upper(), "digits": str(config["code_length"]),
                "period": str(config["time_step"])}
        if (uri.scheme, uri.netloc) != ("otpauth", "totp") or query != want:
            self.fail(name, "%s: not the key URI of %s" % (body["binding"]["uri"], want))
        elif label.split(":", 1)[-1] != body["friendly_name"]:
            self.fail(name, "account name %r, the factor is %r" % (label, body["friendly_name"]))
        else:
            self.ok(name)

    def check_totp_shapes(self):
        self.check_spec_examples(TOTP_EXAMPLES, self.totp_schema, "TOTP ")

        identity = self.fresh_identity()
        p = self.paths(identity=identity)
        create = lambda params: self.request("POST", p[P_FACTORS], params)  # noqa: E731
        factor = self.shape("201 Factors create (totp, defaults)", "verify", P_FACTORS, "post",
                            create({"FriendlyName": "alice on bastion", "FactorType": "totp"}), 201,
                            schema=self.totp_schema("create"))
        self.check_binding("201 Factors create (totp, defaults): binding.uri", factor)
        other = self.shape("201 Factors create (totp, every Config and Binding.Secret)", "verify", P_FACTORS, "post",
                           create({"FriendlyName": "Alice\u2019s phone", "FactorType": "totp",
                                   "Binding.Secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "Config.Alg": "sha512",
                                   "Config.TimeStep": "60", "Config.Skew": "2", "Config.CodeLength": "8"}),
                           201, schema=self.totp_schema("create"))
        self.check_binding("201 Factors create (every Config): binding.uri", other)
        self.shape("200 Factors list (no such entity: empty)", "verify", P_FACTORS, "get",
                   self.request("GET", self.paths(identity=self.fresh_identity())[P_FACTORS]), 200,
                   schema=self.totp_schema("list"))
        if factor is None:
            return
        fpath = "%s/%s" % (p[P_FACTORS], factor["sid"])
        secret = factor["binding"]["secret"]
        near = {records.totp_code(secret, offset=k) for k in range(-3, 4)}
        wrong = next("%06d" % n for n in range(1000000) if "%06d" % n not in near)
        self.shape("200 Factors/{Sid} update (wrong code: unverified)", "verify", P_FACTOR, "post",
                   self.request("POST", fpath, {"AuthPayload": wrong}), 200, schema=self.totp_schema("update"))
        self.shape("403 60318 Challenges create for an unverified factor", "verify", P_CHALLENGES, "post",
                   self.request("POST", p[P_CHALLENGES], {"FactorSid": factor["sid"], "AuthPayload": wrong}),
                   403, 60318)
        body = self.shape("200 Factors/{Sid} update (right code: verified)", "verify", P_FACTOR, "post",
                          self.request("POST", fpath, {"AuthPayload": records.factor_code(self.state, factor["sid"])}),
                          200, schema=self.totp_schema("update"))
        if body is not None and body["status"] != "verified":
            self.fail("200 Factors/{Sid} update (right code: verified)", "status %r" % body["status"])
        self.shape("200 Factors/{Sid} update (FriendlyName)", "verify", P_FACTOR, "post",
                   self.request("POST", fpath, {"FriendlyName": "alice's phone"}), 200,
                   schema=self.totp_schema("update"))
        self.shape("200 Factors list (two factors)", "verify", P_FACTORS, "get",
                   self.request("GET", p[P_FACTORS]), 200, schema=self.totp_schema("list"))
        challenge = self.totp_schema("challenge")
        right = records.totp_code(secret, offset=1)
        for label, params, want in (("right code: approved", {"AuthPayload": right}, "approved"),
                                    ("the same code again: pending", {"AuthPayload": right}, "pending"),
                                    ("wrong code: pending", {"AuthPayload": wrong}, "pending"),
                                    ("no AuthPayload: pending", {}, "pending")):
            name = "201 Challenges create (%s)" % label
            body = self.shape(name, "verify", P_CHALLENGES, "post",
                              self.request("POST", p[P_CHALLENGES], dict(params, FactorSid=factor["sid"])), 201,
                              schema=challenge)
            if body is not None and body["status"] != want:
                self.fail(name, "status %r" % body["status"])

        unknown = "YF" + "e" * 32
        E = [  # name, template, method, path, params, auth, HTTP, code
            ("Factors create without credentials", P_FACTORS, "post", p[P_FACTORS],
             {"FriendlyName": "x", "FactorType": "totp"}, None, 401, 20003),
            ("Factors create for an identity with an underscore", P_FACTORS, "post",
             self.paths(identity="alice_smith")[P_FACTORS], {"FriendlyName": "x", "FactorType": "totp"},
             True, 400, 60200),
            ("Factors create for a 7-character identity", P_FACTORS, "post", self.paths(identity="abc1234")[P_FACTORS],
             {"FriendlyName": "x", "FactorType": "totp"}, True, 400, 60200),
            ("Factors create without FriendlyName", P_FACTORS, "post", p[P_FACTORS], {"FactorType": "totp"},
             True, 400, 20001),
            ("Factors create of a push factor", P_FACTORS, "post", p[P_FACTORS],
             {"FriendlyName": "x", "FactorType": "push"}, True, 400, 60200),
            ("Factors create with Config.TimeStep 10", P_FACTORS, "post", p[P_FACTORS],
             {"FriendlyName": "x", "FactorType": "totp", "Config.TimeStep": "10"}, True, 400, 60200),
            ("Factors create in an unknown service", P_FACTORS, "post",
             self.paths(service="VA" + "e" * 32, identity=identity)[P_FACTORS],
             {"FriendlyName": "x", "FactorType": "totp"}, True, 404, 20404),
            ("Factors/{Sid} update of an unknown factor", P_FACTOR, "post", "%s/%s" % (p[P_FACTORS], unknown),
             {"AuthPayload": "123456"}, True, 404, 20404),
            ("Factors/{Sid} delete of an unknown factor", P_FACTOR, "delete", "%s/%s" % (p[P_FACTORS], unknown),
             None, True, 404, 20404),
            ("Challenges create without FactorSid", P_CHALLENGES, "post", p[P_CHALLENGES], {"AuthPayload": "123456"},
             True, 400, 20001),
            ("Challenges create with a 9-character AuthPayload", P_CHALLENGES, "post", p[P_CHALLENGES],
             {"FactorSid": factor["sid"], "AuthPayload": "123456789"}, True, 400, 60200),
            ("Challenges create for an unknown factor", P_CHALLENGES, "post", p[P_CHALLENGES],
             {"FactorSid": unknown, "AuthPayload": "123456"}, True, 404, 20404),
            ("Challenges create with a wrong token", P_CHALLENGES, "post", p[P_CHALLENGES],
             {"FactorSid": factor["sid"], "AuthPayload": "123456"}, (self.ac, "wrong"), 401, 20003),
        ]
        for name, template, method, path, params, auth, http_status, code in E:
            self.shape("%d %d %s" % (http_status, code, name), "verify", template, method,
                       self.request(method.upper(), path, params, auth=auth), http_status, code)

        # The lockout: the wrong codes above counted two; three more, then 429.
        for _ in range(3):
            self.request("POST", p[P_CHALLENGES], {"FactorSid": factor["sid"], "AuthPayload": wrong})
        self.shape("429 %d Challenges create after five wrong codes" % fake_twilio.TOTP_LOCKOUT_CODE, "verify",
                   P_CHALLENGES, "post", self.request("POST", p[P_CHALLENGES], {"FactorSid": factor["sid"],
                                                                                "AuthPayload": wrong}),
                   429, fake_twilio.TOTP_LOCKOUT_CODE)
        try:
            self.control({"fault": "http503", "only": "challenge"})
            self.shape("503 20503 fault http503 on %s" % P_CHALLENGES, "verify", P_CHALLENGES, "post",
                       self.request("POST", p[P_CHALLENGES], {"FactorSid": factor["sid"], "AuthPayload": wrong}),
                       503, 20503)
        finally:
            self.control(None)

        self.check_no_content("204 Factors/{Sid} delete: no body, as the spec's 204", P_FACTOR, fpath)


    # --- Verify Service Rate Limits -------------------------------------------------------

    def rate_limit_example(self, which):
        return self.spec_example(RATE_LIMIT_EXAMPLES, which)

    def rate_limit_schema(self, which):
        """The strict schema of a rate limit or bucket reply (or a list of
        them, meta strict too); links as in the spec's fetch example."""
        template, method, status, _ = RATE_LIMIT_EXAMPLES[which]
        links = from_example(self.rate_limit_example("rate limit fetch")["links"])
        if "list" not in which:
            schema = self.success_schema("verify", template, method, status)
            if "links" in schema["properties"]:
                schema["properties"]["links"] = links
            return schema
        schema = self.success_schema("verify", template, method, status, nested=("meta",))
        key = "rate_limits" if which.startswith("rate limit") else "buckets"
        item = strict(schema["properties"][key]["items"])
        if "links" in item["properties"]:
            item["properties"]["links"] = links
        schema["properties"][key] = {"type": "array", "items": item}
        return schema

    def check_no_content(self, name, template, path):
        """A DELETE answered as the spec's 204: no body, no Content-Type."""
        _, op = self.operation("verify", template, "delete")
        status, headers, raw = self.request("DELETE", path)
        if "content" in op["responses"].get("204", {"content": None}):
            self.fail(name, "the spec's DELETE has no 204 without content")
        elif status != 204 or raw or "Content-Type" in headers:
            self.fail(name, "HTTP %s, Content-Type %r, %d bytes" % (status, headers.get("Content-Type"), len(raw)))
        else:
            self.ok(name)

    def check_rate_limit_shapes(self):
        self.check_spec_examples(RATE_LIMIT_EXAMPLES, self.rate_limit_schema, "")

        base = "/v2/Services/%s/RateLimits" % self.va
        unique = "shape.%s" % self.fresh_identity()
        get = lambda path: self.request("GET", path)  # noqa: E731
        limit = self.shape("201 RateLimits create", "verify", P_RATE_LIMITS, "post",
                           self.request("POST", base, {"UniqueName": unique, "Description": "per PAM user"}), 201,
                           schema=self.rate_limit_schema("rate limit create"))
        self.shape("201 RateLimits create (no Description: null)", "verify", P_RATE_LIMITS, "post",
                   self.request("POST", base, {"UniqueName": unique + ".host"}), 201,
                   schema=self.rate_limit_schema("rate limit create"))
        self.shape("200 RateLimits list", "verify", P_RATE_LIMITS, "get", get(base), 200,
                   schema=self.rate_limit_schema("rate limit list"))
        self.shape("404 20404 RateLimits list of an unknown service", "verify", P_RATE_LIMITS, "get",
                   get("/v2/Services/VA%s/RateLimits" % ("e" * 32)), 404, 20404)
        if limit is None:
            return
        rpath = "%s/%s" % (base, limit["sid"])
        bpath = rpath + "/Buckets"
        self.shape("200 RateLimits/{Sid} fetch", "verify", P_RATE_LIMIT, "get", get(rpath), 200,
                   schema=self.rate_limit_schema("rate limit fetch"))
        self.shape("200 RateLimits/{Sid} update (Description)", "verify", P_RATE_LIMIT, "post",
                   self.request("POST", rpath, {"Description": "per user"}), 200,
                   schema=self.rate_limit_schema("rate limit update"))
        self.shape("200 Buckets list (empty)", "verify", P_BUCKETS, "get", get(bpath), 200,
                   schema=self.rate_limit_schema("bucket list (empty)"))
        bucket = self.shape("201 Buckets create", "verify", P_BUCKETS, "post",
                            self.request("POST", bpath, {"Max": "1", "Interval": "3600"}), 201,
                            schema=self.rate_limit_schema("bucket create"))
        self.shape("200 Buckets list", "verify", P_BUCKETS, "get", get(bpath), 200,
                   schema=self.rate_limit_schema("bucket list"))
        if bucket is None:
            return
        one = "%s/%s" % (bpath, bucket["sid"])
        self.shape("200 Buckets/{Sid} fetch", "verify", P_BUCKET, "get", get(one), 200,
                   schema=self.rate_limit_schema("bucket fetch"))
        self.shape("200 Buckets/{Sid} update (Max)", "verify", P_BUCKET, "post",
                   self.request("POST", one, {"Max": "1"}), 200, schema=self.rate_limit_schema("bucket update"))

        for template, where, params in ((P_RATE_LIMITS, base, {"UniqueName": unique + ".required"}),
                                        (P_BUCKETS, bpath, {"Max": "3", "Interval": "60"})):
            _, op = self.operation("verify", template, "post")
            required = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"].get("required", [])
            for param in required:
                name = "request: %s without %s (required by the spec) is refused" % (template, param)
                status, _, raw = self.request("POST", where, {k: v for k, v in params.items() if k != param})
                self.ok(name) if status == 400 else self.fail(name, "HTTP %s: %s" % (status, raw[:200]))

        # Starts: the first counted, the second over Max 1, then refusals of RateLimits itself.
        p = self.paths()
        start = {"To": self.fresh(), "Channel": "sms", "RateLimits": json.dumps({unique: "alice"})}
        self.shape("201 Verifications create (RateLimits)", "verify", P_VERIFICATIONS, "post",
                   self.request("POST", p[P_VERIFICATIONS], start), 201)
        self.shape("429 %d Verifications create over a rate limit's bucket" % fake_twilio.RATE_LIMITED_CODE,
                   "verify", P_VERIFICATIONS, "post",
                   self.request("POST", p[P_VERIFICATIONS], dict(start, To=self.fresh())),
                   429, fake_twilio.RATE_LIMITED_CODE)
        unknown = "RK" + "e" * 32
        E = [  # name, template, method, path, params, auth, HTTP, code
            ("Verifications create with RateLimits not JSON", P_VERIFICATIONS, "post", p[P_VERIFICATIONS],
             dict(start, RateLimits="pam_user=alice"), True, 400, 60200),
            ("Verifications create with RateLimits naming no rate limit", P_VERIFICATIONS, "post",
             p[P_VERIFICATIONS], dict(start, RateLimits=json.dumps({"no.such.limit": "alice"})), True, 400, 60200),
            ("RateLimits create with a UniqueName taken", P_RATE_LIMITS, "post", base, {"UniqueName": unique},
             True, 400, 60208),
            ("RateLimits create with a UniqueName of a space", P_RATE_LIMITS, "post", base, {"UniqueName": "a b"},
             True, 400, 60209),
            ("RateLimits create without credentials", P_RATE_LIMITS, "post", base, {"UniqueName": "x"},
             None, 401, 20003),
            ("RateLimits/{Sid} fetch of an unknown rate limit", P_RATE_LIMIT, "get", "%s/%s" % (base, unknown),
             None, True, 404, 20404),
            ("RateLimits/{Sid} delete of an unknown rate limit", P_RATE_LIMIT, "delete", "%s/%s" % (base, unknown),
             None, True, 404, 20404),
            ("Buckets create with Max 0", P_BUCKETS, "post", bpath, {"Max": "0", "Interval": "60"},
             True, 400, 60200),
            ("Buckets create with an Interval taken", P_BUCKETS, "post", bpath, {"Max": "5", "Interval": "3600"},
             True, 400, 60211),
            ("Buckets create under an unknown rate limit", P_BUCKETS, "post", "%s/%s/Buckets" % (base, unknown),
             {"Max": "5", "Interval": "60"}, True, 404, 20404),
            ("Buckets/{Sid} fetch of an unknown bucket", P_BUCKET, "get", "%s/BL%s" % (bpath, "e" * 32),
             None, True, 404, 20404),
        ]
        for name, template, method, path, params, auth, http_status, code in E:
            self.shape("%d %d %s" % (http_status, code, name), "verify", template, method,
                       self.request(method.upper(), path, params, auth=auth), http_status, code)
        try:
            self.control({"fault": "http503", "only": "rate_limit_list"})
            self.shape("503 20503 fault http503 on %s" % P_RATE_LIMITS, "verify", P_RATE_LIMITS, "get", get(base),
                       503, 20503)
        finally:
            self.control(None)

        self.check_no_content("204 Buckets/{Sid} delete: no body, as the spec's 204", P_BUCKET, one)
        self.check_no_content("204 RateLimits/{Sid} delete: no body, as the spec's 204", P_RATE_LIMIT, rpath)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--specs", default=os.environ.get("TWILIO_CONTRACT_DIR", os.path.join(HERE, "specs")))
    args = parser.parse_args()
    try:
        import jsonschema
    except ImportError:
        print("[  FAILED  ] check_fake_shapes: python3-jsonschema is not installed (apt-get install python3-jsonschema)")
        print("[  FAILED  ] 1 test(s)")
        return 1
    checks = Checks(args.specs, jsonschema)
    checks.control(None)
    for part in (checks.check_requests, checks.check_success_shapes, checks.check_error_shapes,
                 checks.check_lookup_shapes, checks.check_totp_shapes, checks.check_rate_limit_shapes):
        try:
            part()
        except Exception as e:  # a crash is one failure, and the rest still runs
            checks.fail(part.__name__, "%s: %s" % (e.__class__.__name__, e))
    print("[  PASSED  ] %d test(s)." % checks.passed)
    if checks.failed:
        print("[  FAILED  ] %d test(s)" % checks.failed)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
