#!/usr/bin/env bash
# make_test_ca.sh DIR — a throwaway TLS CA for the tests, made with the openssl CLI.
#
#   DIR/ca.pem      the test CA certificate (what clients trust: ca_file, curl --cacert)
#   DIR/ca.key      its key (0600)
#   DIR/server.pem  a server certificate signed by it, for DNS:localhost,
#                   IP:127.0.0.1 and IP:::1 (the stand-in, the stunnel front),
#                   and Twilio's regional names *.dublin.ie1.twilio.com and
#                   *.frankfurt.us1.twilio.com (twilio.region / twilio.edge,
#                   reached through the stand-in as a CONNECT proxy)
#   DIR/server.key  its key (0600)
#
# and, for the stand-in's TLS faults (README.md, "Control file: faults"):
#
#   DIR/wrong_host.pem  signed by the test CA, but only for DNS:another-host.invalid
#   DIR/wrong_host.key  (the wrong_host fault)
#   DIR/other_ca.pem    a second throwaway CA that no test trusts (key other_ca.key)
#   DIR/wrong_ca.pem    a server certificate for the same names as server.pem,
#   DIR/wrong_ca.key    signed by that other CA (the wrong_ca fault)
#
# Idempotent: existing files are reused while they stay valid for at least
# another day; an expired or half-made set is replaced. Concurrent runs on the
# same DIR are serialised with flock, and every file is written under a temp
# name and renamed, so a reader never sees a partial certificate.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
# The directory stays world-searchable (0755) so the CA certificate can be
# read by whoever verifies with it; the keys inside are 0600.
(umask 022 && mkdir -p "$dir")
umask 077
dir=$(cd "$dir" && pwd)

exec 9>"$dir/.lock"
flock 9

# valid FILE: the certificate exists and is good for at least one more day.
valid() { [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend 86400 >/dev/null 2>&1; }

# new_ca NAME SUBJECT: a CA certificate NAME.pem and its key NAME.key.
new_ca() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/$1.key" 2>/dev/null
  openssl req -x509 -new -sha256 -days "$days" -key "$tmp/$1.key" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$tmp/$1.pem" 2>/dev/null
  chmod 0644 "$tmp/$1.pem"
  mv -f "$tmp/$1.key" "$dir/$1.key"
  mv -f "$tmp/$1.pem" "$dir/$1.pem"
}

# new_leaf NAME CA CN SAN: a server certificate NAME.pem (key NAME.key) for
# SAN, signed by CA.pem / CA.key, unless a valid one from that CA is there.
new_leaf() {
  if valid "$dir/$1.pem" && [ -s "$dir/$1.key" ] &&
     openssl verify -CAfile "$dir/$2.pem" "$dir/$1.pem" >/dev/null 2>&1; then
    return 0
  fi
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/$1.key" 2>/dev/null
  openssl req -new -sha256 -key "$tmp/$1.key" -subj "/O=pam_twilio_otp tests/CN=$3" -out "$tmp/$1.csr" 2>/dev/null
  printf '%s\n' "basicConstraints = critical,CA:FALSE" "keyUsage = critical,digitalSignature" \
    "extendedKeyUsage = serverAuth" "subjectAltName = $4" "subjectKeyIdentifier = hash" \
    "authorityKeyIdentifier = keyid" >"$tmp/$1.cnf"
  openssl x509 -req -sha256 -days "$days" -in "$tmp/$1.csr" \
    -CA "$dir/$2.pem" -CAkey "$dir/$2.key" -CAcreateserial -CAserial "$tmp/$2.srl" \
    -extfile "$tmp/$1.cnf" -out "$tmp/$1.pem" 2>/dev/null
  chmod 0644 "$tmp/$1.pem"
  mv -f "$tmp/$1.key" "$dir/$1.key"
  mv -f "$tmp/$1.pem" "$dir/$1.pem"
}

# Validity is short on purpose (these keys sit unprotected in test dirs);
# the one-day margin above renews them long before they lapse mid-run.
days=30
tmp=$(mktemp -d "$dir/.new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! valid "$dir/ca.pem" || [ ! -s "$dir/ca.key" ]; then
  # P-256 keys: quick to make, and accepted by OpenSSL 3, libcurl and stunnel.
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key" 2>/dev/null
  openssl req -x509 -new -sha256 -days "$days" -key "$tmp/ca.key" \
    -subj "/O=pam_twilio_otp tests/CN=pam_twilio_otp throwaway test CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$tmp/ca.pem" 2>/dev/null
  chmod 0644 "$tmp/ca.pem"
  mv -f "$tmp/ca.key" "$dir/ca.key"
  mv -f "$tmp/ca.pem" "$dir/ca.pem"
  rm -f "$dir/server.pem"  # signed by the old CA: make a new one below
fi

# The server certificate must be valid and issued by the CA we have now.
if ! valid "$dir/server.pem" || [ ! -s "$dir/server.key" ] ||
   ! openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null 2>&1 ||
   ! openssl x509 -in "$dir/server.pem" -noout -ext subjectAltName 2>/dev/null | grep -q 'dublin.ie1.twilio.com'; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/server.key" 2>/dev/null
  openssl req -new -sha256 -key "$tmp/server.key" -subj "/O=pam_twilio_otp tests/CN=localhost" \
    -out "$tmp/server.csr" 2>/dev/null
  cat >"$tmp/ext.cnf" <<'EOF'
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1,DNS:*.dublin.ie1.twilio.com,DNS:*.frankfurt.us1.twilio.com
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  openssl x509 -req -sha256 -days "$days" -in "$tmp/server.csr" \
    -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -CAserial "$tmp/ca.srl" \
    -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null
  chmod 0644 "$tmp/server.pem"
  mv -f "$tmp/server.key" "$dir/server.key"
  mv -f "$tmp/server.pem" "$dir/server.pem"
fi

# The TLS faults' certificates: the right CA for the wrong name, and the right
# names from a CA nobody trusts.
new_leaf wrong_host ca another-host.invalid "DNS:another-host.invalid"
if ! valid "$dir/other_ca.pem" || [ ! -s "$dir/other_ca.key" ]; then
  new_ca other_ca "/O=pam_twilio_otp tests/CN=pam_twilio_otp throwaway OTHER CA (trusted by nobody)"
fi
new_leaf wrong_ca other_ca localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
