# tests/certs.sh - a test CA and a certificate it signs for localhost and
# 127.0.0.1, for the e2e scripts' local HTTPS servers.  Source it, then
# `vr_test_certs DIR`: DIR/ca.pem, DIR/srv.pem, DIR/srv.key.
vr_test_certs() {
	{
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
			-subj /CN=vr-test-ca -keyout "$1/ca.key" -out "$1/ca.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
			-keyout "$1/srv.key" -out "$1/srv.csr" &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$1/ext" &&
		openssl x509 -req -in "$1/srv.csr" -CA "$1/ca.pem" \
			-CAkey "$1/ca.key" -CAcreateserial -days 2 \
			-extfile "$1/ext" -out "$1/srv.pem"
	} 2>/dev/null
}
