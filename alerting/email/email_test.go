package email_test

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting/email"
	"github.com/langnghe/langnghe/alerting/notifiertest"
	"github.com/langnghe/langnghe/testinfra"
)

// TestConformance: SMTP to a real Mailpit passes the notifier suite. The SMTP server is
// reached through a loopback TCP proxy whose port is closed to break it.
func TestConformance(t *testing.T) {
	smtpAddr := testinfra.SMTPAddr(t)
	mp := notifiertest.Mailpit{URL: testinfra.MailpitURL(t)}
	notifiertest.Run(t, func(t *testing.T) *notifiertest.Harness {
		proxy := notifiertest.NewProxy(t, smtpAddr)
		host, port, _ := net.SplitHostPort(proxy.Addr())
		p, _ := strconv.Atoi(port)
		n, err := email.New(email.Config{Host: host, Port: p, TLS: email.TLSNone, From: "canhbao@langnghe.test", Username: "u", Password: "p", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return &notifiertest.Harness{
			Notifier: n,
			Raw:      mp.Raw,
			Break:    proxy.Down,
			Repair:   proxy.Up,
		}
	})
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []email.Config{{From: "a@b"}, {Host: "h"}, {Host: "h", From: "a@b", TLS: "ssl3"}} {
		if _, err := email.New(c); err == nil {
			t.Errorf("New(%+v) = nil error", c)
		}
	}
}
