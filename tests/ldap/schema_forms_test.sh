#!/usr/bin/env bash
# The fleet-state schema's four forms in conf/ldap agree and load:
#   twilio-otp.schema       (slapd.conf include; the source)
#   twilio-otp.ldif         (OpenLDAP cn=config)
#   twilio-otp-389ds.ldif   (389 Directory Server, FreeIPA)
#   twilio-otp-ad.ldf       (Active Directory, ldifde)
# A python3 parser reads each one's OIDs, names, descriptions, syntax (and
# length), matching rules and the class's kind and MAY list, and fails on any
# difference from the .schema. Then, converting nothing, twilio-otp.ldif goes
# into a throwaway cn=config slapd (slapd -F, a config dir made by slapadd
# -n0 with core, cosine and inetorgperson from /etc/ldap/schema) with the
# command its header gives, ldapadd -Y EXTERNAL over ldapi (a socket in a temp
# dir), and an entry with its attributes is added and changed there. Never
# touches /etc/ldap/slapd.d or the system slapd. Run as root; Debian's slapd
# and ldap-utils. Prints "[       OK ] name" / "[  FAILED  ] name: why" per
# test, then the cmocka-style totals that tests/run_all.sh adds up.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
conf="$root/conf/ldap"

# shellcheck source=../common/result_lines.sh
. "$here/../common/result_lines.sh"
why=""
for tool in /usr/sbin/slapd /usr/sbin/slapadd /usr/sbin/slapcat /usr/bin/ldapadd /usr/bin/ldapmodify /usr/bin/ldapsearch; do
  if [ ! -x "$tool" ]; then
    echo "[  FAILED  ] 1 test(s): $tool missing (apt-get install slapd ldap-utils)"
    exit 1
  fi
done
work=$(mktemp -d /tmp/twotp-schema.XXXXXX)
slapd_pid=""
cleanup() {
  if [ -n "$slapd_pid" ]; then
    kill "$slapd_pid" 2>/dev/null
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$slapd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$slapd_pid" 2>/dev/null
    wait "$slapd_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# The host's ldap.conf and ~/.ldaprc must not steer the tests.
export LDAPNOINIT=1


# --- the forms agree

cat >"$work/forms.py" <<'PY'
"""forms.py SCHEMA LDIF DS389 AD: each form's definitions against SCHEMA's.
Prints one line per form, "OK NAME" or "FAILED NAME: why"; exits 1 if any
failed."""
import base64
import re
import sys

IA5 = "1.3.6.1.4.1.1466.115.121.1.26"
# Active Directory's (attributeSyntax, oMSyntax) for the LDAP syntaxes it has.
AD_SYNTAX = {("2.5.5.5", "22"): IA5, ("2.5.5.5", "19"): "1.3.6.1.4.1.1466.115.121.1.44",
             ("2.5.5.12", "64"): "1.3.6.1.4.1.1466.115.121.1.15"}
AD_KIND = {"0": "88", "1": "STRUCTURAL", "2": "ABSTRACT", "3": "AUXILIARY"}
TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|[()$]|[^\s()$']+")


class Bad(Exception):
    pass


def header(path, loader, names=("twilio-otp.schema",)):
    """The file starts with a comment naming the source and the load command."""
    lines = open(path, encoding="ascii").read().split("\n")
    head = []
    for line in lines:
        if not line.startswith("#"):
            break
        head.append(line)
    text = "\n".join(head)
    if not head:
        raise Bad("does not start with a comment")
    for name in names:
        if name not in text:
            raise Bad(f"its header does not name {name}")
    if loader is not None and loader not in text:
        raise Bad(f"its header does not say how to load it ({loader})")


def parse_description(text):
    """An RFC 4512 AttributeTypeDescription or ObjectClassDescription."""
    toks = TOKEN.findall(text)
    if not toks or toks[0] != "(" or toks[-1] != ")":
        raise Bad(f"not a parenthesised description: {text[:60]}")
    toks = toks[1:-1]
    d = {"oid": toks[0]}
    i = 1

    def oids():
        nonlocal i
        if toks[i] == "(":
            out = []
            i += 1
            while toks[i] != ")":
                if toks[i] != "$":
                    out.append(toks[i])
                i += 1
            i += 1
            return tuple(out)
        i += 1
        return (toks[i - 1],)

    while i < len(toks):
        key = toks[i]
        i += 1
        if key == "NAME":
            names = oids()
            d["names"] = tuple(n.strip("'") for n in names)
        elif key in ("DESC",) or key.startswith("X-"):
            d[key] = toks[i].strip("'")
            i += 1
        elif key in ("EQUALITY", "ORDERING", "SUBSTR", "USAGE"):
            d[key] = toks[i]
            i += 1
        elif key == "SYNTAX":
            m = re.fullmatch(r"([0-9.]+)(?:\{(\d+)\})?", toks[i].strip("'"))
            if not m:
                raise Bad(f"bad SYNTAX {toks[i]}")
            d["SYNTAX"], d["length"] = m.group(1), m.group(2)
            i += 1
        elif key in ("SUP", "MUST", "MAY"):
            d[key] = oids()
        elif key in ("SINGLE-VALUE", "COLLECTIVE", "NO-USER-MODIFICATION", "OBSOLETE"):
            d[key] = True
        elif key in ("ABSTRACT", "STRUCTURAL", "AUXILIARY"):
            d["kind"] = key
        else:
            raise Bad(f"unknown keyword {key} in {d['oid']}")
    return d


def schema_file(path):
    """slapd.conf form: attributetype / objectclass, continued on indented lines."""
    defs, cur = [], None
    for line in open(path, encoding="ascii"):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            if cur is None:
                raise Bad("a continuation line before any definition")
            cur[1] += " " + line.strip()
            continue
        word, _, rest = line.partition(" ")
        cur = [word.lower(), rest]
        defs.append(cur)
    return [(k, parse_description(v)) for k, v in defs]


def ldif_records(path):
    """LDIF records as lists of (attribute, value): unfolded, comments dropped,
    base64 decoded; a "-" line is kept as ("-", "")."""
    records, rec, last = [], [], None
    for raw in open(path, encoding="ascii").read().split("\n"):
        if raw.startswith(" "):
            if last is None:
                raise Bad("a continuation line with nothing to continue")
            last[0] += raw[1:]
            continue
        if last is not None and not last[1]:
            rec.append(last[0])
        last = None
        if raw == "":
            if rec:
                records.append(rec)
            rec = []
            continue
        last = [raw, raw.startswith("#")]
    if last is not None and not last[1]:
        rec.append(last[0])
    if rec:
        records.append(rec)
    out = []
    for rec in records:
        pairs = []
        for line in rec:
            if line == "-":
                pairs.append(("-", ""))
                continue
            m = re.match(r"([A-Za-z0-9;.-]+):(:?)\s?(.*)$", line)
            if not m:
                raise Bad(f"not an LDIF line: {line[:60]}")
            value = base64.b64decode(m.group(3)).decode() if m.group(2) else m.group(3)
            pairs.append((m.group(1), value))
        out.append(pairs)
    return out


def get(pairs, attr, many=False):
    vals = [v for a, v in pairs if a.lower() == attr.lower()]
    if many:
        return vals
    if len(vals) != 1:
        raise Bad(f"{len(vals)} values of {attr} in {get(pairs, 'dn', True)}")
    return vals[0]


def cn_config_file(path):
    recs = ldif_records(path)
    if len(recs) != 1:
        raise Bad(f"{len(recs)} entries, wanted one")
    rec = recs[0]
    if get(rec, "dn") != "cn=twilio-otp,cn=schema,cn=config":
        raise Bad(f"dn is {get(rec, 'dn')}")
    if "olcSchemaConfig" not in get(rec, "objectClass", True):
        raise Bad("not an olcSchemaConfig")
    return ([("attributetype", parse_description(v)) for v in get(rec, "olcAttributeTypes", True)] +
            [("objectclass", parse_description(v)) for v in get(rec, "olcObjectClasses", True)])


def ds389_file(path):
    recs = ldif_records(path)
    if len(recs) != 1:
        raise Bad(f"{len(recs)} records, wanted one")
    rec = recs[0]
    if get(rec, "dn") != "cn=schema" or get(rec, "changetype") != "modify":
        raise Bad("not a modify of cn=schema")
    defs, op = [], None
    for a, v in rec[2:]:
        if a == "-":
            op = None
        elif op is None:
            # Only add: a replace of attributeTypes would drop the server's schema.
            if a.lower() != "add" or v.lower() not in ("attributetypes", "objectclasses"):
                raise Bad(f"{a}: {v}, wanted add: attributeTypes / objectClasses")
            op = v.lower()
        elif a.lower() != op:
            raise Bad(f"{a} under add: {op}")
        else:
            d = parse_description(v)
            if d.get("X-ORIGIN") != "pam_twilio_otp":
                raise Bad(f"{d['oid']} has X-ORIGIN {d.get('X-ORIGIN')!r}")
            defs.append(("attributetype" if op == "attributetypes" else "objectclass", d))
    return defs


def ad_file(path):
    recs = ldif_records(path)
    defs, kinds = [], []
    schema_dn = "CN=Schema,CN=Configuration,DC=X"
    for rec in recs:
        dn = get(rec, "dn")
        if dn == "":
            if (get(rec, "changetype"), get(rec, "add"), get(rec, "schemaUpdateNow")) != ("modify", "schemaUpdateNow", "1"):
                raise Bad("a rootDSE record that is not schemaUpdateNow: 1")
            kinds.append("update")
            continue
        if get(rec, "changetype") != "ntdsSchemaAdd":
            raise Bad(f"{dn}: changetype {get(rec, 'changetype')}")
        classes = get(rec, "objectClass", True)
        name = get(rec, "lDAPDisplayName")
        if dn != f"CN={name},{schema_dn}" or get(rec, "cn") != name or get(rec, "adminDisplayName") != name:
            raise Bad(f"{dn}: cn, adminDisplayName and lDAPDisplayName {name} differ")
        if "attributeSchema" in classes:
            key = (get(rec, "attributeSyntax"), get(rec, "oMSyntax"))
            if key not in AD_SYNTAX:
                raise Bad(f"{name}: unknown syntax {key}")
            if get(rec, "searchFlags") != "0":
                raise Bad(f"{name}: searchFlags {get(rec, 'searchFlags')}")
            single = get(rec, "isSingleValued")
            if single not in ("TRUE", "FALSE"):
                raise Bad(f"{name}: isSingleValued {single}")
            d = {"oid": get(rec, "attributeID"), "names": (name,), "DESC": get(rec, "adminDescription"),
                 "SYNTAX": AD_SYNTAX[key], "length": get(rec, "rangeUpper")}
            if single == "TRUE":
                d["SINGLE-VALUE"] = True
            defs.append(("attributetype", d))
            kinds.append("attributetype")
        elif "classSchema" in classes:
            d = {"oid": get(rec, "governsID"), "names": (name,), "DESC": get(rec, "adminDescription"),
                 "kind": AD_KIND.get(get(rec, "objectClassCategory"), "?"),
                 "SUP": (get(rec, "subClassOf"),)}
            for ad_attr, key in (("mayContain", "MAY"), ("mustContain", "MUST")):
                if get(rec, ad_attr, True):
                    d[key] = tuple(get(rec, ad_attr, True))
            if get(rec, "defaultObjectCategory") != dn:
                raise Bad(f"{name}: defaultObjectCategory {get(rec, 'defaultObjectCategory')}")
            defs.append(("objectclass", d))
            kinds.append("objectclass")
        else:
            raise Bad(f"{dn}: neither attributeSchema nor classSchema")
    # The cache is refreshed after the attributes (the class names them) and
    # at the end.
    want = ["attributetype"] * kinds.count("attributetype") + ["update"] + \
        ["objectclass"] * kinds.count("objectclass") + ["update"]
    if kinds != want:
        raise Bad(f"records in the order {kinds}, wanted {want}")
    return defs


def model(defs, fields):
    """{(kind, oid): {field: value}}, names and OID lists compared as sets,
    with case (LDAP ignores it in descriptors; the forms must not differ)."""
    out = {}
    for kind, d in defs:
        key = (kind, d["oid"])
        if key in out:
            raise Bad(f"{kind} {d['oid']} twice")
        m = {}
        for f in fields:
            v = d.get(f)
            if f == "SUP" and kind == "objectclass" and v is None:
                v = ("top",)  # RFC 4512: an object class without SUP is under top
            if isinstance(v, tuple):
                v = tuple(sorted(v))
            m[f] = v
        out[key] = m
    return out


def compare(name, got, want):
    problems = []
    for key in sorted(set(want) | set(got)):
        if key not in got:
            problems.append(f"lacks {key[0]} {key[1]} ({want[key].get('names')})")
        elif key not in want:
            problems.append(f"has an extra {key[0]} {key[1]} ({got[key].get('names')})")
        else:
            for f, v in want[key].items():
                if got[key].get(f) != v:
                    problems.append(f"{key[0]} {key[1]}: {f} is {got[key].get(f)!r}, the .schema has {v!r}")
    if problems:
        raise Bad("; ".join(problems))


def main():
    schema, cn_config, ds389, ad = sys.argv[1:5]
    ok = True
    try:
        # The source names its other forms.
        header(schema, None, ("twilio-otp.ldif", "twilio-otp-389ds.ldif", "twilio-otp-ad.ldf"))
        want_defs = schema_file(schema)
    except (Bad, OSError, UnicodeDecodeError) as e:
        print(f"FAILED schema_source_parses: {schema}: {e}")
        return 1
    ldap_fields = ("names", "DESC", "EQUALITY", "SUBSTR", "ORDERING", "SYNTAX", "length", "SINGLE-VALUE",
                   "kind", "SUP", "MUST", "MAY")
    # Active Directory has no matching rules: the rest must agree.
    ad_fields = ("names", "DESC", "SYNTAX", "length", "SINGLE-VALUE", "kind", "SUP", "MUST", "MAY")
    forms = [("cn_config", cn_config, cn_config_file, "ldapadd -Y EXTERNAL -H ldapi:/// -f twilio-otp.ldif",
              ldap_fields),
             ("389ds", ds389, ds389_file, "ldapmodify", ldap_fields),
             ("active_directory", ad, ad_file, 'ldifde -i -f twilio-otp-ad.ldf -c "DC=X"', ad_fields)]
    for name, path, reader, loader, fields in forms:
        try:
            header(path, loader)
            compare(name, model(reader(path), fields), model(want_defs, fields))
            print(f"OK {name}_form_agrees_with_the_schema")
        except UnicodeDecodeError as e:
            # ldifde reads the file in the Windows code page: ASCII only.
            print(f"FAILED {name}_form_agrees_with_the_schema: {path} is not ASCII: {e}")
            ok = False
        except (Bad, OSError, IndexError, KeyError) as e:
            print(f"FAILED {name}_form_agrees_with_the_schema: {path}: {e}")
            ok = False
    # What the .schema itself must say (the module relies on it).
    attrs = {d["names"][0]: d for k, d in want_defs if k == "attributetype"}
    if sorted(attrs) != ["twilioOtpBackupCode", "twilioOtpFailure", "twilioOtpGrace"] or \
            any(d.get("SYNTAX") != IA5 or d.get("EQUALITY") != "caseExactIA5Match" or d.get("SINGLE-VALUE")
                for d in attrs.values()):
        print(f"FAILED schema_source_parses: the attributes are not the three multi-valued exact IA5 ones: {attrs}")
        ok = False
    return 0 if ok else 1


sys.exit(main())
PY

# forms_output SCHEMA LDIF DS389 AD: the parser's lines, as result lines.
run_forms() {
  /usr/bin/python3 "$work/forms.py" "$@" 2>&1
}
forms_out=$(run_forms "$conf/twilio-otp.schema" "$conf/twilio-otp.ldif" "$conf/twilio-otp-389ds.ldif" \
  "$conf/twilio-otp-ad.ldf")
forms_rc=$?
while IFS= read -r line; do
  case "$line" in
    "OK "*) result_ok "${line#OK }" ;;
    "FAILED "*) echo "[  FAILED  ] ${line#FAILED }"; failed=$((failed + 1)) ;;  # the line names the test and why
    *) result_failed forms_parser "$line" ;;
  esac
done <<<"$forms_out"
if [ "$forms_rc" -ne 0 ] && ! grep -q '^FAILED ' <<<"$forms_out"; then
  result_failed forms_parser "exited $forms_rc"
fi

# The comparison finds a difference: one digit of one OID, one MAY name, one
# syntax, each changed in a copy of one form.
declare -A forms_of=([twilio-otp.ldif]=cn_config [twilio-otp-389ds.ldif]=389ds [twilio-otp-ad.ldf]=active_directory)
t_comparison_notices_a_changed_form() {
  local mutation file
  for mutation in "twilio-otp-ad.ldf|s/0656\.1\.2$/0656.1.4/" \
    "twilio-otp.ldif|s/MAY ( twilioOtpFailure \\\$ twilioOtpBackupCode/MAY ( twilioOtpFailure \$ twilioOtpBackupKode/" \
    "twilio-otp-389ds.ldif|0,/115\.121\.1\.26{128}/s//115.121.1.15{128}/" \
    "twilio-otp-ad.ldf|s/^rangeUpper: 128$/rangeUpper: 64/"; do
    file=${mutation%%|*}
    mkdir -p "$work/mutated"
    cp "$conf"/twilio-otp* "$work/mutated/"
    sed -i "${mutation#*|}" "$work/mutated/$file" || { why="sed ${mutation#*|} failed"; return 1; }
    if cmp -s "$conf/$file" "$work/mutated/$file"; then
      why="the mutation ${mutation#*|} changed nothing in $file"
      return 1
    fi
    run_forms "$work/mutated/twilio-otp.schema" "$work/mutated/twilio-otp.ldif" \
      "$work/mutated/twilio-otp-389ds.ldif" "$work/mutated/twilio-otp-ad.ldf" >"$work/mutated.out"
    # Exactly the changed form fails.
    local form=${forms_of[$file]}
    if [ "$(grep -c '^FAILED ' "$work/mutated.out")" -ne 1 ] ||
      ! grep -q "^FAILED ${form}_form_agrees_with_the_schema: " "$work/mutated.out"; then
      why="$file with ${mutation#*|}: $(cat "$work/mutated.out")"
      return 1
    fi
  done
}
check comparison_notices_a_changed_form t_comparison_notices_a_changed_form

# --- twilio-otp.ldif loads into cn=config

# config_ldif DIR: a minimal cn=config (the root's ldapi peer credentials
# manage both databases) with core, cosine and inetorgperson, and an mdb
# database for dc=example,dc=com in DIR/db.
config_ldif() {
  local dir=$1 peer="gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth"
  cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
olcArgsFile: $dir/slapd.args

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact=$peer manage by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $dir/db
olcDbMaxSize: 104857600
olcSuffix: dc=example,dc=com
olcAccess: {0}to * by dn.exact=$peer manage by * read
EOF
}

# slapadd_config DIR [EXTRA_LDIF]: DIR/slapd.d made by slapadd -n0 of
# config_ldif, with EXTRA_LDIF included after the three schemas.
slapadd_config() {
  local dir=$1 extra=${2:-}
  mkdir -p "$dir/slapd.d" "$dir/db" || return 1
  config_ldif "$dir" >"$dir/config.ldif" || return 1
  if [ -n "$extra" ]; then
    # An include: right after inetorgperson's, before the databases.
    sed -i "s|^include: file:///etc/ldap/schema/inetorgperson.ldif$|&\n\ninclude: file://$extra|" \
      "$dir/config.ldif" || return 1
  fi
  /usr/sbin/slapadd -n0 -F "$dir/slapd.d" -l "$dir/config.ldif" >"$dir/slapadd.log" 2>&1 ||
    { why="slapadd -n0: $(tail -n 5 "$dir/slapadd.log")"; return 1; }
}

t_ldif_loads_with_slapadd_n0() {
  slapadd_config "$work/offline" "$conf/twilio-otp.ldif" || return 1
  /usr/sbin/slapcat -n0 -F "$work/offline/slapd.d" -o ldif-wrap=no >"$work/offline/cn-config.ldif" 2>&1 ||
    { why="slapcat -n0: $(tail -n 3 "$work/offline/cn-config.ldif")"; return 1; }
  grep -q '^dn: cn={3}twilio-otp,cn=schema,cn=config$' "$work/offline/cn-config.ldif" ||
    { why="no cn={3}twilio-otp schema entry after slapadd -n0"; return 1; }
  local n
  n=$(grep -c "^olcAttributeTypes: {[0-9]*}( 2\.25\.191079320080095287826632567777660700656\.1\." \
    "$work/offline/cn-config.ldif")
  [ "$n" -eq 3 ] || { why="$n of our attribute types in cn=config, wanted 3"; return 1; }
}
check ldif_loads_with_slapadd_n0 t_ldif_loads_with_slapadd_n0

# The server for the rest: core, cosine, inetorgperson; ours by ldapadd.
srv="$work/srv"
socket_uri="ldapi://$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' \
  "$srv/ldapi")"
# ext CMD ARGS...: an ldap-utils command as root over the socket (SASL EXTERNAL),
# 10 s at most; sets $rc and $out.
ext() {
  out=$(timeout 10 "$@" -Q -Y EXTERNAL -H "$socket_uri" 2>&1)
  rc=$?
}

t_ldif_loads_with_ldapadd_external() {
  slapadd_config "$srv" || return 1
  /usr/sbin/slapd -d stats -F "$srv/slapd.d" -n slapd-twotp-schema -h "$socket_uri" >"$srv/slapd.log" 2>&1 &
  slapd_pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    [ -S "$srv/ldapi" ] && break
    kill -0 "$slapd_pid" 2>/dev/null || { why="slapd exited: $(tail -n 5 "$srv/slapd.log")"; return 1; }
    sleep 0.1
  done
  [ -S "$srv/ldapi" ] || { why="slapd made no socket in 10 s"; return 1; }
  # The command twilio-otp.ldif's header gives, on this server's socket.
  ext ldapadd -f "$conf/twilio-otp.ldif"
  [ "$rc" -eq 0 ] || { why="ldapadd exited $rc: $out"; return 1; }
  ext ldapsearch -LLL -o ldif-wrap=no -b cn=subschema -s base attributeTypes objectClasses
  [ "$rc" -eq 0 ] || { why="reading cn=subschema: $out"; return 1; }
  local name
  for name in twilioOtpFailure twilioOtpBackupCode twilioOtpGrace twilioOtpState; do
    grep -q "NAME '$name'" <<<"$out" || { why="cn=subschema lacks $name"; return 1; }
  done
}
check ldif_loads_with_ldapadd_external t_ldif_loads_with_ldapadd_external

alice="uid=alice,ou=people,dc=example,dc=com"
v1="20261205122256Z 0123456789abcdef host1"
v2="20261205122257Z fedcba9876543210 host2"

t_an_entry_with_the_class_and_a_failure_value() {
  ext ldapadd <<EOF
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: $alice
objectClass: inetOrgPerson
objectClass: twilioOtpState
cn: alice
sn: alice
uid: alice
twilioOtpFailure: $v1
twilioOtpFailure: $v2
twilioOtpGrace: 0123456789abcdef0123456789abcdef 20261205122256Z

dn: uid=bob,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
cn: bob
sn: bob
uid: bob
EOF
  [ "$rc" -eq 0 ] || { why="ldapadd exited $rc: $out"; return 1; }
  ext ldapsearch -LLL -o ldif-wrap=no -b "$alice" -s base '(twilioOtpFailure=*host1)' twilioOtpFailure
  if ! grep -qx "twilioOtpFailure: $v1" <<<"$out" || ! grep -qx "twilioOtpFailure: $v2" <<<"$out"; then
    why="alice's values (substring filter): $out"
    return 1
  fi
}
check an_entry_with_the_class_and_a_failure_value t_an_entry_with_the_class_and_a_failure_value

# delete_value VALUE: deletes exactly VALUE of alice's twilioOtpFailure.
delete_value() {
  ext ldapmodify <<EOF
dn: $alice
changetype: modify
delete: twilioOtpFailure
twilioOtpFailure: $1
-
EOF
}

t_deleting_a_value_twice_fails_with_16() {
  delete_value "$v1"
  [ "$rc" -eq 0 ] || { why="the first delete exited $rc: $out"; return 1; }
  ext ldapsearch -LLL -o ldif-wrap=no -b "$alice" -s base twilioOtpFailure
  grep -q "^twilioOtpFailure: $v1$" <<<"$out" && { why="$v1 is still there"; return 1; }
  grep -qx "twilioOtpFailure: $v2" <<<"$out" || { why="the other value went too: $out"; return 1; }
  delete_value "$v1"
  if [ "$rc" -ne 16 ] || ! grep -q 'No such attribute' <<<"$out"; then
    why="the second delete exited $rc, wanted 16 (No such attribute): $out"
    return 1
  fi
}
check deleting_a_value_twice_fails_with_16 t_deleting_a_value_twice_fails_with_16

# caseExactIA5Match and the IA5 syntax: the same value in upper case is
# another value; a non-ASCII one is refused (LDAP result 21).
t_values_are_exact_ia5() {
  delete_value "${v2^^}"
  [ "$rc" -eq 16 ] || { why="deleting the upper-case value exited $rc, wanted 16: $out"; return 1; }
  ext ldapmodify <<EOF
dn: $alice
changetype: modify
add: twilioOtpGrace
twilioOtpGrace:: $(printf 'caf\303\251 20261205122256Z' | base64)
-
EOF
  [ "$rc" -eq 21 ] || { why="a non-ASCII value: exited $rc, wanted 21 (invalid syntax): $out"; return 1; }
}
check values_are_exact_ia5 t_values_are_exact_ia5

# The attributes are only allowed with the class (bob has none): 65.
t_attributes_need_the_class() {
  ext ldapmodify <<EOF
dn: uid=bob,ou=people,dc=example,dc=com
changetype: modify
add: twilioOtpBackupCode
twilioOtpBackupCode: scrypt 00 00
-
EOF
  [ "$rc" -eq 65 ] || { why="exited $rc, wanted 65 (object class violation): $out"; return 1; }
  ext ldapmodify <<EOF
dn: uid=bob,ou=people,dc=example,dc=com
changetype: modify
add: objectClass
objectClass: twilioOtpState
-
add: twilioOtpBackupCode
twilioOtpBackupCode: scrypt 00 00
-
EOF
  [ "$rc" -eq 0 ] || { why="with the class added too: exited $rc: $out"; return 1; }
}
check attributes_need_the_class t_attributes_need_the_class

result_summary
