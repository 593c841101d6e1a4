// Package outbox delivers alert notifications as .eml files in a directory, for setups
// without SMTP: the files open in any mail client and the web UI lists them.
package outbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/langnghe/langnghe/alerting"
)

// Notifier writes <dir>/<seq>-<id>.eml. Writing is idempotent: the same notification
// overwrites the same file, atomically (temporary file, fsync, rename).
type Notifier struct {
	dir  string
	from string
}

// New returns a notifier writing into dir (created on first use).
func New(dir, from string) *Notifier {
	if from == "" {
		from = "langnghe@localhost"
	}
	return &Notifier{dir: dir, from: from}
}

// Name is "outbox".
func (n *Notifier) Name() string { return "outbox" }

// Dir is the outbox directory.
func (n *Notifier) Dir() string { return n.dir }

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// FileName is the file a notification is written to.
func FileName(note *alerting.Notification) string {
	return fmt.Sprintf("%08d-%s.eml", note.Seq, unsafeName.ReplaceAllString(note.ID, "_"))
}

// Notify writes the .eml file. Every failure (disk full, directory missing or not a
// directory) is transient: the dispatcher retries.
func (n *Notifier) Notify(ctx context.Context, note *alerting.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := note.Mail(n.from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(n.dir, 0o750); err != nil {
		return fmt.Errorf("outbox %s: %w", n.dir, err)
	}
	tmp, err := os.CreateTemp(n.dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("outbox %s: %w", n.dir, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("outbox write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("outbox sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("outbox close: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(n.dir, FileName(note))); err != nil {
		return fmt.Errorf("outbox rename: %w", err)
	}
	return nil
}
