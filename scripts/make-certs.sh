#!/usr/bin/env bash
# Makes a small certificate authority and certificates for paasta's mutual TLS
# (grpc_tls in the system config; see SECURITY.md).
#
#   scripts/make-certs.sh DIR NAME...
#
# DIR/ca.pem and DIR/ca-key.pem are made once and reused; for each NAME,
# DIR/NAME.pem and DIR/NAME-key.pem: a certificate whose common name is NAME
# (the caller name daemons check against the policy file), valid for
# localhost, 127.0.0.1 and ::1 plus $PAASTA_CERT_HOSTS (space-separated DNS
# names), usable as client and server, for $PAASTA_CERT_DAYS days (365).
# Keys are written 0600. Good for one machine and for trying TLS out; a real
# fleet issues certificates from its own PKI.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 DIR NAME..." >&2
  exit 2
fi
dir=$1
shift
days=${PAASTA_CERT_DAYS:-365}
mkdir -p "$dir"
umask 077

if [[ ! -f $dir/ca.pem ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
    -subj "/CN=paasta-ca" -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" 2>/dev/null
  chmod 0644 "$dir/ca.pem"
fi

for name in "$@"; do
  if [[ ! $name =~ ^[A-Za-z0-9._@-]+$ ]]; then
    echo "$0: \"$name\" is not a usable common name (letters, digits, . _ @ -)" >&2
    exit 2
  fi
  san="DNS:localhost,IP:127.0.0.1,IP:::1"
  for host in ${PAASTA_CERT_HOSTS:-}; do san="$san,DNS:$host"; done
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$name" \
    -keyout "$dir/$name-key.pem" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
    -days "$days" -out "$dir/$name.pem" \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' "$san") \
    2>/dev/null
  rm -f "$dir/$name.csr"
  chmod 0644 "$dir/$name.pem"
done
