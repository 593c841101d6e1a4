// Package email delivers alert notifications by SMTP with github.com/wneessen/go-mail.
package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/langnghe/langnghe/alerting"
)

// TLS modes.
const (
	TLSNone          = "none"          // plain SMTP (a local relay, Mailpit)
	TLSStartTLS      = "starttls"      // STARTTLS required
	TLSOpportunistic = "opportunistic" // STARTTLS when offered
	TLSImplicit      = "tls"           // TLS from the first byte (port 465)
)

// ErrConfig marks an unusable SMTP configuration.
var ErrConfig = errors.New("smtp config")

// Config is the SMTP server. Password is never logged.
type Config struct {
	Host     string
	Port     int // 0: 25, or 465 with TLSImplicit, 587 with TLSStartTLS
	Username string
	Password string
	TLS      string // none, starttls, opportunistic (default), tls
	From     string
	Timeout  time.Duration // per attempt; 0: 30s
	// CACert is a PEM bundle trusted for the server's certificate in addition to the
	// system roots (a site's own CA).
	CACert []byte
}

// Notifier sends notifications through one SMTP server, one connection per message.
type Notifier struct {
	cfg  Config
	opts []mail.Option
}

// New validates cfg.
func New(cfg Config) (*Notifier, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("%w: host is required", ErrConfig)
	}
	if cfg.From == "" {
		return nil, fmt.Errorf("%w: from is required", ErrConfig)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithTimeout(cfg.Timeout)}
	switch cfg.TLS {
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "", TLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	default:
		return nil, fmt.Errorf("%w: tls %q, want none, starttls, opportunistic or tls", ErrConfig, cfg.TLS)
	}
	tlsCfg := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if len(cfg.CACert) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(cfg.CACert) {
			return nil, fmt.Errorf("%w: ca_file holds no PEM certificate", ErrConfig)
		}
		tlsCfg.RootCAs = pool
	}
	opts = append(opts, mail.WithTLSConfig(tlsCfg))
	port := cfg.Port
	if port == 0 {
		switch cfg.TLS {
		case TLSImplicit:
			port = 465
		case TLSStartTLS:
			port = 587
		default:
			port = 25
		}
	}
	opts = append(opts, mail.WithPort(port))
	if cfg.Username != "" {
		auth := mail.SMTPAuthAutoDiscover
		if cfg.TLS == TLSNone {
			// A password in clear text is only acceptable to a relay on this machine.
			if ip := net.ParseIP(cfg.Host); cfg.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return nil, fmt.Errorf("%w: username with tls none sends the password in clear; only allowed for a loopback host, got %q", ErrConfig, cfg.Host)
			}
			auth = mail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	cfg.Port = port
	return &Notifier{cfg: cfg, opts: opts}, nil
}

// Name is "smtp".
func (n *Notifier) Name() string { return "smtp" }

// Addr is host:port of the server.
func (n *Notifier) Addr() string { return net.JoinHostPort(n.cfg.Host, strconv.Itoa(n.cfg.Port)) }

// Notify sends one email. A server that cannot be reached or answers 4xx is transient;
// a 5xx refusal of the sender, recipients or content is permanent.
func (n *Notifier) Notify(ctx context.Context, note *alerting.Notification) error {
	msg, err := note.Mail(n.cfg.From)
	if err != nil {
		return err
	}
	c, err := mail.NewClient(n.cfg.Host, n.opts...)
	if err != nil {
		return alerting.Permanent(fmt.Errorf("%w: %w", ErrConfig, err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() {
			switch se.Reason {
			case mail.ErrSMTPMailFrom, mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrGetSender, mail.ErrGetRcpts:
				return alerting.Permanent(fmt.Errorf("smtp %s: %w", n.Addr(), err))
			}
		}
		return fmt.Errorf("smtp %s: %w", n.Addr(), err)
	}
	return nil
}
