#!/bin/sh
# Regenerates the OpenSSL-made passive authentication fixtures: a test PKI
# and EF.SOD contents produced by OpenSSL 3 rather than by our own encoder
# (cardreader/emulator), so Verify is checked against an independent CMS
# producer. Inputs: dg1.bin, dg13.bin (synthetic holder of emulator.Synthetic).
# Outputs: csca-<alg>.pem and sod-<alg>.cms (the CMS SignedData inside tag 77)
# for brainpoolP256r1 (signer identified by subjectKeyIdentifier),
# brainpoolP256r1 with explicit curve parameters, and RSA-PSS. Private keys are thrown away.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
cat > "$tmp/lds.cnf" <<CNF
asn1=SEQUENCE:lds
[lds]
version=INTEGER:1
hashAlg=SEQUENCE:hashalg
hashes=SEQUENCE:hashes
ver=SEQUENCE:ldsver
[hashalg]
alg=OID:sha256
[hashes]
h1=SEQUENCE:dg1
h13=SEQUENCE:dg13
[dg1]
n=INTEGER:1
v=FORMAT:HEX,OCTETSTRING:$(openssl dgst -sha256 -binary dg1.bin | od -An -v -tx1 | tr -d ' \n')
[dg13]
n=INTEGER:13
v=FORMAT:HEX,OCTETSTRING:$(openssl dgst -sha256 -binary dg13.bin | od -An -v -tx1 | tr -d ' \n')
[ldsver]
lv=PRINTABLESTRING:0108
uv=PRINTABLESTRING:040000
CNF
openssl asn1parse -genconf "$tmp/lds.cnf" -out "$tmp/lds.der" -noout

cat > "$tmp/ds.ext" <<EXT
keyUsage=critical,digitalSignature
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EXT

# brainpoolP256r1, ecdsa-with-SHA256
openssl ecparam -name brainpoolP256r1 -genkey -noout -out "$tmp/bp-csca.key"
openssl req -x509 -new -key "$tmp/bp-csca.key" -sha256 -days 5475 -set_serial 4097 \
  -subj "/C=VN/O=OpenSSL Fixture/CN=Fixture CSCA brainpool" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out csca-brainpool.pem
openssl ecparam -name brainpoolP256r1 -genkey -noout -out "$tmp/bp-ds.key"
openssl req -new -key "$tmp/bp-ds.key" -subj "/C=VN/O=OpenSSL Fixture/CN=Fixture DS brainpool" -out "$tmp/bp-ds.csr"
openssl x509 -req -in "$tmp/bp-ds.csr" -CA csca-brainpool.pem -CAkey "$tmp/bp-csca.key" -sha256 \
  -set_serial 4098 -days 3650 -extfile "$tmp/ds.ext" -out "$tmp/bp-ds.pem"
openssl cms -sign -binary -nodetach -nosmimecap -keyid -md sha256 -econtent_type 2.23.136.1.1.1 \
  -in "$tmp/lds.der" -signer "$tmp/bp-ds.pem" -inkey "$tmp/bp-ds.key" -outform DER -out sod-brainpool.cms

# brainpoolP256r1 keys with explicit domain parameters in the certificates
# (some states' CSCAs are encoded so), signer by issuer and serial
openssl ecparam -name brainpoolP256r1 -param_enc explicit -genkey -noout -out "$tmp/bpx-csca.key"
openssl req -x509 -new -key "$tmp/bpx-csca.key" -sha256 -days 5475 -set_serial 12289 \
  -subj "/C=VN/O=OpenSSL Fixture/CN=Fixture CSCA brainpool explicit" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out csca-brainpool-explicit.pem
openssl ecparam -name brainpoolP256r1 -param_enc explicit -genkey -noout -out "$tmp/bpx-ds.key"
openssl req -new -key "$tmp/bpx-ds.key" -subj "/C=VN/O=OpenSSL Fixture/CN=Fixture DS brainpool explicit" -out "$tmp/bpx-ds.csr"
openssl x509 -req -in "$tmp/bpx-ds.csr" -CA csca-brainpool-explicit.pem -CAkey "$tmp/bpx-csca.key" -sha256 \
  -set_serial 12290 -days 3650 -extfile "$tmp/ds.ext" -out "$tmp/bpx-ds.pem"
openssl cms -sign -binary -nodetach -nosmimecap -md sha256 -econtent_type 2.23.136.1.1.1 \
  -in "$tmp/lds.der" -signer "$tmp/bpx-ds.pem" -inkey "$tmp/bpx-ds.key" -outform DER -out sod-brainpool-explicit.cms

# RSA 2048, RSASSA-PSS (SHA-256, salt 32) for the certificates and the SOD
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/pss-csca.key"
openssl req -x509 -new -key "$tmp/pss-csca.key" -sha256 -days 5475 -set_serial 8193 \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
  -subj "/C=VN/O=OpenSSL Fixture/CN=Fixture CSCA RSA-PSS" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out csca-rsapss.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/pss-ds.key"
openssl req -new -key "$tmp/pss-ds.key" -subj "/C=VN/O=OpenSSL Fixture/CN=Fixture DS RSA-PSS" -out "$tmp/pss-ds.csr"
openssl x509 -req -in "$tmp/pss-ds.csr" -CA csca-rsapss.pem -CAkey "$tmp/pss-csca.key" -sha256 \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
  -set_serial 8194 -days 3650 -extfile "$tmp/ds.ext" -out "$tmp/pss-ds.pem"
openssl cms -sign -binary -nodetach -nosmimecap -md sha256 -econtent_type 2.23.136.1.1.1 \
  -in "$tmp/lds.der" -signer "$tmp/pss-ds.pem" -inkey "$tmp/pss-ds.key" \
  -keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:32 -outform DER -out sod-rsapss.cms
