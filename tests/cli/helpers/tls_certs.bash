# Test certificates, made with openssl at test time (never committed): a CA; a server
# certificate for localhost and 127.0.0.1 (and ::1); an expired one; one for another name; a
# second CA that signed nothing of ours; a client certificate for mutual TLS.
# make_certs DIR: writes ca.pem, server.pem/server.key, expired.pem/expired.key,
# wrongname.pem/wrongname.key, otherca.pem, client.pem/client.key into DIR.
make_certs() {
  local d=$1
  (
    set -e
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj '/CN=conduit test CA' -keyout ca.key -out ca.pem \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj '/CN=other CA' -keyout otherca.key -out otherca.pem \
      -addext basicConstraints=critical,CA:TRUE 2>/dev/null
    # leaf NAME SAN DAYS [USAGE]: a certificate signed by the CA
    leaf() {
      local name=$1 san=$2 days=$3 usage=${4:-serverAuth}
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
        -keyout "$name.key" -out "$name.csr" 2>/dev/null
      printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$san" "$usage" > "$name.ext"
      openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
        -extfile "$name.ext" -out "$name.pem" 2>/dev/null
    }
    leaf server 'DNS:localhost,IP:127.0.0.1,IP:::1' 30
    leaf wrongname 'DNS:wrong.example' 30
    leaf client 'DNS:conduit-client' 30 clientAuth
    # Expired: valid from 2020-01-01 to 2020-01-02; `openssl ca` takes dates (OpenSSL 3.0's x509
    # does not).
    mkdir -p caroot/newcerts
    : > caroot/index.txt
    echo 1000 > caroot/serial
    cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
dir = caroot
database = caroot/index.txt
new_certs_dir = caroot/newcerts
serial = caroot/serial
default_md = sha256
policy = anything
copy_extensions = copy
[anything]
commonName = supplied
CNF
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=localhost' \
      -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout expired.key -out expired.csr 2>/dev/null
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
      -startdate 20200101000000Z -enddate 20200102000000Z -notext 2>/dev/null
  )
}
