#!/usr/bin/env bash
# A local certificate authority and a server certificate for `make run HTTPS=1`, under instance/tls/.
# Phones trust the server once ca.crt is installed on them (README: "Trying /m/ on a real phone").
# The CA is made once and kept; the server certificate is remade when the address it must name changes.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${1:-127.0.0.1}"
DIR=instance/tls
mkdir -p "$DIR"
ADDR="$HOST"
[ "$HOST" = "0.0.0.0" ] && ADDR="$(scripts/lan_address.sh)"
SAN="DNS:localhost,IP:127.0.0.1,IP:$ADDR"
if [ ! -f "$DIR/ca.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 -keyout "$DIR/ca.key" -out "$DIR/ca.crt" \
    -subj "/CN=校园食品安全守护行动 本地测试 CA" -utf8 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
if [ ! -f "$DIR/server.crt" ] || [ "$(cat "$DIR/server.san" 2>/dev/null)" != "$SAN" ]; then
  openssl req -newkey rsa:2048 -nodes -keyout "$DIR/server.key" -out "$DIR/server.csr" \
    -subj "/CN=$ADDR" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$SAN" > "$DIR/server.ext"
  openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial \
    -days 397 -sha256 -extfile "$DIR/server.ext" -out "$DIR/server.crt" 2>/dev/null
  echo "$SAN" > "$DIR/server.san"
  rm -f "$DIR/server.csr" "$DIR/server.ext"
fi
echo "HTTPS 证书：$DIR/server.crt（$SAN）；在手机上安装 $DIR/ca.crt 后即可信任。"
