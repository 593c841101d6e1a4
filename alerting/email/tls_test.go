package email_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/email"
	"github.com/langnghe/langnghe/alerting/notifiertest"
	"github.com/langnghe/langnghe/testinfra"
)

// selfSigned writes a certificate for 127.0.0.1 and its key; it returns the PEM cert.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, certPEM []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile, certPEM
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// privateMailpit starts the testinfra-built Mailpit binary with extra flags on free
// ports (never the shared instance) and returns its SMTP port and API URL.
func privateMailpit(t *testing.T, flags ...string) (int, string) {
	testinfra.SMTPAddr(t) // skip unless testinfra is up (the binary is built by it)
	cache := os.Getenv("LANGNGHE_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "langnghe")
	}
	bin := filepath.Join(cache, "mailpit", "v1.27.11", "mailpit")
	if _, err := os.Stat(bin); err != nil {
		testinfra.Missing(t, "Mailpit binary not built at "+bin, "run testinfra/mailpit.sh install")
	}
	smtpPort, httpPort := freePort(t), freePort(t)
	dir := t.TempDir()
	args := append([]string{"--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	api := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(api + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("private Mailpit did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return smtpPort, api
}

// TestTLSModesAndAuth: STARTTLS (required by the server) and implicit TLS, with AUTH,
// against private Mailpit instances using a self-signed certificate trusted via CACert;
// a wrong password and an untrusted certificate fail.
func TestTLSModesAndAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, certPEM := selfSigned(t, dir)
	authFile := filepath.Join(dir, "auth")
	os.WriteFile(authFile, []byte("canhbao:đúng-mật-khẩu\n"), 0o600)
	for _, c := range []struct {
		mode  string
		flags []string
	}{
		{email.TLSStartTLS, []string{"--smtp-require-starttls"}},
		{email.TLSImplicit, []string{"--smtp-require-tls"}},
	} {
		t.Run(c.mode, func(t *testing.T) {
			port, api := privateMailpit(t, append([]string{"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-auth-file", authFile}, c.flags...)...)
			rcpt := fmt.Sprintf("tls-%s-%d@langnghe.test", c.mode, time.Now().UnixNano())
			n := &alerting.Notification{ID: "tls/" + c.mode, Seq: 1, Severity: "info", Recipients: []string{rcpt}, Subject: "TLS " + c.mode, Text: "xin chào", CreatedAt: time.Now()}
			send := func(pw string, ca []byte) error {
				nt, err := email.New(email.Config{Host: "127.0.0.1", Port: port, TLS: c.mode, Username: "canhbao", Password: pw, From: "canhbao@langnghe.test", CACert: ca, Timeout: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				return nt.Notify(context.Background(), n)
			}
			if err := send("đúng-mật-khẩu", certPEM); err != nil {
				t.Fatalf("send: %v", err)
			}
			if err := send("sai", certPEM); err == nil {
				t.Error("wrong password accepted")
			}
			if err := send("đúng-mật-khẩu", nil); err == nil {
				t.Error("untrusted self-signed certificate accepted")
			} else if errors.Is(err, alerting.ErrPermanent) {
				t.Logf("untrusted certificate: %v (permanent)", err)
			}
			mp := notifiertest.Mailpit{URL: api}
			deadline := time.Now().Add(10 * time.Second)
			for len(mp.IDs(t, rcpt)) < 1 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
			if got := len(mp.IDs(t, rcpt)); got != 1 {
				t.Fatalf("%d messages delivered, want 1", got)
			}
		})
	}
}
