package alerting

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Sentinel errors of notifiers.
var (
	// ErrPermanent marks a notification that can never be delivered (every recipient
	// rejected, message refused). The dispatcher records it as failed and moves on.
	ErrPermanent = errors.New("permanent delivery failure")
	// ErrNoRecipients: a notification without any address.
	ErrNoRecipients = errors.New("no recipients")
)

// Permanent wraps err so errors.Is(err, ErrPermanent) holds.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// Notifier delivers rendered notifications.
//
// The Dispatcher calls Notify from one goroutine, one notification at a time, in queue
// order, once per attempt: first when the alert fires, then again after each failure with
// a capped backoff, until Notify returns nil or an ErrPermanent error. Delivery is
// at-least-once: Notify may see the same notification again (a crash after sending but
// before the state was saved), so it must be idempotent where it can be (the outbox
// overwrites the file named by n.ID) and otherwise make duplicates recognisable (email
// carries Message-ID <n.ID@langnghe>, which mail clients collapse).
//
// Notify returns nil when the message was accepted (by the SMTP server, or written and
// synced to disk); an error wrapping ErrPermanent when retrying cannot help; any other
// error is transient (server down, timeout) and the notification stays at the head of the
// queue. Notify must return promptly when ctx ends.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, n *Notification) error
}

// Notification is one alert email, rendered, as queued and as kept in the history.
type Notification struct {
	// ID is deterministic from rule, key and window, so a restart that fires the same
	// alert again produces the same ID and the queue drops it as a duplicate.
	ID       string    `json:"id"`
	Seq      int64     `json:"seq"` // queue order
	RuleID   string    `json:"rule_id"`
	RuleName string    `json:"rule_name"`
	Kind     Kind      `json:"kind"`
	Severity string    `json:"severity"`
	Key      string    `json:"key,omitempty"`
	Count    int       `json:"count"`
	Reason   string    `json:"reason"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	PostIDs  []string  `json:"post_ids,omitempty"`
	// SearchPath opens the rule's search over the window in the web UI ("/?q=...").
	SearchPath string    `json:"search_path,omitempty"`
	CreatedAt  time.Time `json:"created_at"`

	Recipients []string `json:"recipients"`
	Subject    string   `json:"subject"`
	Text       string   `json:"text,omitempty"`
	HTML       string   `json:"html,omitempty"`

	// Delivery state.
	Status    string    `json:"status"` // queued, sent, failed
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	Via       string    `json:"via,omitempty"`
}

// Delivery statuses.
const (
	StatusQueued = "queued"
	StatusSent   = "sent"
	StatusFailed = "failed"
)

// MessageID is the Message-ID (without angle brackets) of n's email.
func (n *Notification) MessageID() string {
	return strings.NewReplacer("/", ".", ":", ".", " ", "_").Replace(n.ID) + "@langnghe"
}

// Mail builds the MIME message of n: plain text first, HTML as the alternative, UTF-8,
// quoted-printable, Message-ID from n.ID, marked auto-generated. Both notifiers use it,
// so the outbox .eml and the SMTP email are the same bytes apart from transport headers.
func (n *Notification) Mail(from string) (*mail.Msg, error) {
	if len(n.Recipients) == 0 {
		return nil, Permanent(ErrNoRecipients)
	}
	m := mail.NewMsg(mail.WithCharset(mail.CharsetUTF8), mail.WithEncoding(mail.EncodingQP))
	if err := m.From(from); err != nil {
		return nil, Permanent(fmt.Errorf("from %q: %w", from, err))
	}
	if err := m.To(n.Recipients...); err != nil {
		return nil, Permanent(fmt.Errorf("recipients: %w", err))
	}
	m.Subject(n.Subject)
	m.SetMessageIDWithValue(n.MessageID())
	m.SetDateWithValue(n.CreatedAt)
	m.SetGenHeader(mail.HeaderXMailer, "langnghe")
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetGenHeader("X-Langnghe-Alert", n.ID)
	m.SetGenHeader("X-Langnghe-Severity", n.Severity)
	m.SetBodyString(mail.TypeTextPlain, n.Text)
	if n.HTML != "" {
		m.AddAlternativeString(mail.TypeTextHTML, n.HTML)
	}
	return m, nil
}
